// The generated 500-file corpus: exactly the expected flows, same names, files and lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeCorpus } from '../../../scripts/corpus/make-corpus.mjs';
import { typescriptFlows, type FlowDetails } from '../../../sdk/src/index.js';
import { flowport } from '../../helpers/cli.js';
import { tempDir, writeTree } from '../../helpers/tmp.js';

interface Expected {
  name: string;
  file: string;
  line: number;
}

test('500-file corpus: every expected flow and nothing else, in-process and through the CLI', async () => {
  const root = tempDir();
  const expected = makeCorpus({ out: root, files: 500, flowEvery: 10 }) as Expected[];
  assert.equal(expected.length, 100, '50 flows and 50 Trigger.dev tasks (all in pkg0, which depends on the SDK)');
  const index = typescriptFlows({ root, cache: false });
  const found = (await index.findFlows()).map((f) => ({ name: f.name, file: f.sourceRelative, line: f.line }));
  assert.deepEqual(found, expected);
  assert.deepEqual(index.diagnostics, []);

  const cli = flowport(['flows', '--root', root, '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  const viaCli = (JSON.parse(cli.stdout) as Array<{ name: string; sourceRelative: string; line: number }>).map((f) => ({
    name: f.name,
    file: f.sourceRelative,
    line: f.line,
  }));
  assert.deepEqual(viaCli, expected);
});

test('1,200-file corpus, cold: parsed in a worker thread, with exactly what parsing in process finds, files too deep for the parser included', async () => {
  const root = tempDir();
  const expected = makeCorpus({ out: root, files: 1200, flowEvery: 10 }) as Expected[];
  // The worker's stack must be the main thread's: these are read the same way only then.
  const chain = Array.from({ length: 20_000 }, (_, i) => `'s${i}'`).join(' + ');
  const nested = (n: number) => '['.repeat(n) + '1' + ']'.repeat(n);
  writeTree(root, {
    'deep/chain.ts': `import { defineFlow } from 'flowport';\nexport const t = defineFlow({ name: 'chain' }, async () => ${chain});\n`,
    'deep/brackets.ts': `import { defineFlow } from 'flowport';\nexport const t = defineFlow({ name: 'brackets' }, async () => ${nested(1500)});\n`,
  });
  const listed = (flows: FlowDetails[]) => flows.map((f) => ({ name: f.name, file: f.sourceRelative, line: f.line }));
  // The built SDK: its parser thread is a file beside it (sources run through tsx have none).
  const dist = new URL('../../../sdk/dist/index.js', import.meta.url).href;
  const built = (await import(dist)) as typeof import('../../../sdk/src/index.js');
  const inWorker = built.typescriptFlows({ root, cache: false });
  const found = await inWorker.findFlows();
  assert.equal(inWorker.lastScan.inWorker, true, 'a scan reading 1,200 files parses in a worker');
  const inProcess = typescriptFlows({ root, cache: false });
  const foundInProcess = await inProcess.findFlows();
  assert.notEqual(inProcess.lastScan.inWorker, true);

  assert.deepEqual(listed(found), listed(foundInProcess));
  assert.deepEqual(
    listed(found).filter((f) => !f.file.startsWith('deep/')),
    expected,
  );
  assert.equal(inWorker.diagnostics.length, 2, JSON.stringify(inWorker.diagnostics));
  assert.deepEqual(inWorker.diagnostics, inProcess.diagnostics);

  const cli = flowport(['flows', '--root', root, '--json', '--no-cache']);
  assert.equal(cli.code, 0, cli.stderr);
  const viaCli = JSON.parse(cli.stdout) as FlowDetails[];
  assert.deepEqual(listed(viaCli), listed(found));
});

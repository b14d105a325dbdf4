// The generated 500-file corpus: exactly the expected flows, same names, files and lines.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeCorpus } from '../../../scripts/corpus/make-corpus.mjs';
import { typescriptFlows } from '../../../sdk/src/index.js';
import { flowport } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';

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

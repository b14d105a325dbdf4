import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FlowDetails } from '../../../sdk/src/index.js';
import { flowport } from '../../helpers/cli.js';
import { linkSdk, tempDir, writeTree } from '../../helpers/tmp.js';

const flow = (name: string) =>
  `import { defineFlow } from 'flowport';\nexport const f = defineFlow({ name: '${name}', description: 'Does ${name}' }, async () => 1);\n`;

test('flows --json prints FlowDetails; the table is aligned; no config means defaults', () => {
  const root = tempDir();
  writeTree(root, { 'billing/invoice.ts': flow('invoice'), 'ops/long-cleanup-name.ts': flow('long-cleanup-name') });
  const json = flowport(['flows', '--root', root, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const flows = JSON.parse(json.stdout) as FlowDetails[];
  assert.deepEqual(
    flows.map((f) => [f.id, f.line, f.grouping]),
    [
      ['billing/invoice.ts#invoice', 2, ['billing']],
      ['ops/long-cleanup-name.ts#long-cleanup-name', 2, ['ops']],
    ],
  );
  const table = flowport(['flows'], { cwd: root });
  assert.equal(table.code, 0);
  const lines = table.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^FLOW\s+GROUP\s+SOURCE\s+DESCRIPTION$/);
  const col = lines[0]!.indexOf('SOURCE');
  assert.equal(lines[1]!.indexOf('billing/invoice.ts:2'), col);
  assert.equal(lines[2]!.indexOf('ops/long-cleanup-name.ts:2'), col);
});

test('diagnostics go to stderr and the exit code stays 0', () => {
  const root = tempDir();
  writeTree(root, {
    'a.ts': flow('ok'),
    'b.ts': `import { defineFlow } from 'flowport';\nexport const b = defineFlow({ name: String(1) }, () => 1);\n`,
  });
  const r = flowport(['flows', '--root', root, '--json']);
  assert.equal(r.code, 0);
  assert.equal((JSON.parse(r.stdout) as FlowDetails[]).length, 1);
  assert.equal(r.stderr.trim(), 'b.ts:2: flow name must be a string literal', 'paths relative to the root');
});

test('--no-cache neither reads nor writes the cache; the default run writes it', () => {
  const root = tempDir();
  writeTree(root, { 'a.ts': flow('a') });
  assert.equal(flowport(['flows', '--root', root, '--no-cache']).code, 0);
  assert.equal(existsSync(join(root, '.flowport')), false);
  assert.equal(flowport(['flows', '--root', root]).code, 0);
  assert.ok(existsSync(join(root, '.flowport/cache/flows.json')));
  assert.ok(existsSync(join(root, '.flowport/.gitignore')), 'the state folder ignores itself');
});

test('bad arguments and config errors exit 2 with a message', () => {
  const root = tempDir();
  const unknownFlag = flowport(['flows', '--root', root, '--jsn']);
  assert.equal(unknownFlag.code, 2);
  assert.match(unknownFlag.stderr, /unknown option --jsn for flows: did you mean --json\?/);
  const missingRoot = flowport(['flows', '--root', join(root, 'nope')]);
  assert.equal(missingRoot.code, 2);
  assert.match(missingRoot.stderr, /not a folder/);
  const unknownCommand = flowport(['flowz']);
  assert.equal(unknownCommand.code, 2);
  assert.match(unknownCommand.stderr, /unknown command "flowz"/);

  writeTree(root, { 'flowport.config.ts': `export default {\n  environments: ['dev', 'dev'],\n};\n` });
  const badConfig = flowport(['flows', '--root', root]);
  assert.equal(badConfig.code, 2);
  assert.equal(
    badConfig.stderr.trim(),
    `flowport: ${join(root, 'flowport.config.ts')}:2: environments[1]: environment "dev" is listed twice: rename or remove one, names must be unique`,
  );
});

test('processes that load a new config at the same time all get it', async () => {
  const { spawn } = await import('node:child_process');
  const { cliPath, linkSdk } = await import('../../helpers/tmp.js');
  const root = tempDir();
  linkSdk(root);
  writeTree(root, {
    'flowport.config.ts': `import { defineConfig } from 'flowport';\nexport default defineConfig({ environments: ['dev', 'prod'] });\n`,
    'a.ts': flow('a'),
  });
  const runs = Array.from(
    { length: 8 },
    () =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [cliPath, 'flows', '--root', root, '--json']);
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stderr }));
      }),
  );
  for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.stderr);
});

test('no flows found says where it looked, and names the config globs that narrowed it', () => {
  const root = tempDir();
  linkSdk(root);
  writeTree(root, { 'src/a.ts': `export const a = 1;\n` });
  const plain = flowport(['flows', '--root', root]);
  assert.equal(plain.code, 0);
  assert.match(plain.stdout, /^No flows found under .+\. Mark one with defineFlow/);
  writeTree(root, {
    'flowport.config.ts': `export default { environments: ['dev'], flows: { include: ['lib/**'] } };\n`,
  });
  const narrowed = flowport(['flows', '--root', root]);
  assert.match(
    narrowed.stdout,
    /within the config's flows: \{ include \["lib\/\*\*"\] \}\. .+, or widen those globs\./,
  );
});

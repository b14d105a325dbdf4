// "Create flowport.config.ts" writes the flows found into the starter config's comment. The text
// comes from a vscode-free function: written into a real project and loaded with the real config
// loader (and so run), a hostile name or path runs nothing.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../../sdk/src/index.js';
import { commentSafeString, starterConfigText } from '../../../sdk/src/config/starter.js';
import { linkSdk, tempDir } from '../../helpers/tmp.js';

/** Each would leave a file named `PWNED…` in the project's folder, were it code. */
const hostileNames = [
  `*/ import('node:fs').then((fs) => fs.writeFileSync('PWNED-1', 'x')); /*`,
  `x */ ; (await import('node:fs')).writeFileSync('PWNED-2', 'x'); /* y`,
  // A line separator ends a line comment in JavaScript; a stray "*" then a "/" on the next line.
  `a\u2028*/ require('node:fs').writeFileSync('PWNED-3', 'x') /*`,
  `*\n*/ (await import('node:fs')).writeFileSync('PWNED-4', 'x'); /*`,
  // A bidirectional override would show the reader another text than what is there.
  `name\u202e*/ (await import('node:fs')).writeFileSync('PWNED-5', 'x'); /*`,
];

test('a starter config listing hostile flow names and paths loads, runs nothing, and still shows each name', async () => {
  const root = tempDir();
  linkSdk(root);
  const flows = hostileNames.map((name, i) => ({ name, sourceRelative: `jobs*/x${i}*/.ts`, line: i + 1 }));
  const text = starterConfigText(flows);
  writeFileSync(join(root, 'flowport.config.ts'), text);
  process.chdir(root); // a relative writeFileSync would land here
  const loaded = await loadConfig(root, { timeoutMs: 20_000 });
  assert.deepEqual(
    loaded.environments.map((e) => e.name),
    ['dev', 'uat', 'prod'],
  );
  assert.deepEqual(
    readdirSync(root).filter((f) => f.startsWith('PWNED')),
    [],
    'a name ran as code',
  );
  // The comment opens once and closes once, at its end.
  assert.equal(text.split('*/').length - 1, 1, text);
  // Each listed name is a JSON string that reads back as the name exactly.
  for (const name of hostileNames) {
    const shown = text.split('\n').find((l) => l.includes(commentSafeString(name)));
    assert.ok(shown, `${JSON.stringify(name)} is not listed:\n${text}`);
    assert.equal(JSON.parse(commentSafeString(name)), name);
  }
  assert.ok(!existsSync(join(root, 'PWNED-1')));
});

test('the listing without hostile names reads as before; no flows says how to mark one', () => {
  const text = starterConfigText([{ name: 'send-invoices', sourceRelative: 'src/billing/invoices.ts', line: 14 }]);
  assert.match(text, / \* {3}"send-invoices" {2}\("src\/billing\/invoices\.ts:14"\)/);
  const none = starterConfigText([]);
  assert.match(none, /No flows found yet/);
  assert.equal(none.split('*/').length - 1, 1, none);
});

test('the unescaped listing (the old text) is caught by this test: a name closes the comment', async () => {
  const root = tempDir();
  linkSdk(root);
  const old = [
    `import { defineConfig } from 'flowport';`,
    `/**`,
    ` * Flows found in this project:`,
    ` *   ${hostileNames[1]!}  (jobs/a.ts:1)`,
    ` */`,
    `export default defineConfig({ environments: ['dev'] });`,
  ].join('\n');
  writeFileSync(join(root, 'flowport.config.ts'), old);
  process.chdir(root);
  await loadConfig(root, { timeoutMs: 20_000 });
  assert.ok(existsSync(join(root, 'PWNED-2')), 'the check above would not see a name that ran');
});

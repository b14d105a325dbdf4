// Names no deploy can take safely (`..`, a leading "-", control characters) are refused where
// flows are found, each with a file:line diagnostic; the real CLI as a child process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flowNameProblem } from '../../../sdk/src/finder/names.js';
import { flowport } from '../../helpers/cli.js';
import { linkSdk, tempDir, writeTree } from '../../helpers/tmp.js';

test('flows with unsafe names are refused at their line; the others are listed', () => {
  const root = tempDir();
  linkSdk(root);
  writeTree(root, {
    'jobs/a.ts': [
      `import { defineFlow } from 'flowport';`,
      `export const ok = defineFlow({ name: 'send-invoices' }, async () => 1);`,
      `export const up = defineFlow({ name: '../../../src' }, async () => 1);`,
      `export const dash = defineFlow({ name: '-rf' }, async () => 1);`,
      `export const osc = defineFlow({ name: 'title\\u001b]0;pwned\\u0007' }, async () => 1);`,
      `export const nl = defineFlow({ name: 'two\\nlines' }, async () => 1);`,
      `export const bidi = defineFlow({ name: 'abc\\u202edcba' }, async () => 1);`,
      `/** @flow ..hidden */`,
      `export function tagged() {}`,
      `export const dotted = defineFlow({ name: 'v1.2' }, async () => 1);`,
    ].join('\n'),
  });
  const r = flowport(['flows', '--root', root, '--json', '--no-cache']);
  assert.equal(r.code, 0, r.stderr);
  const names = (JSON.parse(r.stdout) as Array<{ name: string }>).map((f) => f.name);
  assert.deepEqual(names.sort(), ['send-invoices', 'v1.2']);
  const file = 'jobs/a.ts'; // diagnostics print root-relative paths
  assert.match(r.stderr, new RegExp(`${file}:3: flow name "\\.\\./\\.\\./\\.\\./src" holds "\\.\\."`));
  assert.match(r.stderr, new RegExp(`${file}:4: flow name "-rf" starts with "-"`));
  assert.match(
    r.stderr,
    new RegExp(`${file}:5: flow name "title\\\\u001b\\]0;pwned\\\\u0007" holds a control character \\(U\\+001B\\)`),
  );
  assert.match(r.stderr, new RegExp(`${file}:6: .*holds a control character \\(U\\+000A\\)`));
  assert.match(r.stderr, new RegExp(`${file}:7: .*holds a control character \\(U\\+202E\\)`));
  assert.match(r.stderr, new RegExp(`${file}:9: flow name "\\.\\.hidden" holds "\\.\\."`));
  // The diagnostics themselves are safe to print: no raw escape character reaches the terminal.
  assert.doesNotMatch(r.stderr, /[\u001b\u0007\u202e]/);
  // A cached scan (written before any check) is checked again when read.
  const again = flowport(['flows', '--root', root, '--json']);
  const again2 = flowport(['flows', '--root', root, '--json']);
  assert.deepEqual((JSON.parse(again2.stdout) as Array<{ name: string }>).map((f) => f.name).sort(), names.sort());
  assert.match(again.stderr + again2.stderr, /:4: flow name "-rf"/);
});

test('what a name may hold', () => {
  for (const ok of ['send-invoices', 'weeklyReport', 'a_b', 'v1.2', 'déploiement', 'a-', 'x.y.z'])
    assert.equal(flowNameProblem(ok), undefined, ok);
  for (const bad of [
    '',
    '  ',
    '..',
    'a/../b',
    '-x',
    '--help',
    'a\u0000b',
    'a\u007fb',
    'a\u009bb',
    'a\u2028b',
    'a\u200bb',
  ])
    assert.ok(flowNameProblem(bad), JSON.stringify(bad));
});

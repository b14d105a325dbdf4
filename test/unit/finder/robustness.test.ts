// Files that once gave no flow and no word: each now gives its flows or a diagnostic.
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, lutimesSync, openSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { constants } from 'node:buffer';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { typescriptFlows } from '../../../sdk/src/index.js';
import { tempDir, writeTree } from '../../helpers/tmp.js';

const flow = (name: string) =>
  `import { defineFlow } from 'flowport';\nexport const f = defineFlow({ name: '${name}' }, async () => 1);\n`;

/** Moves every mtime under `dir` a minute back, links' own (not their targets'): the cache trusts old mtimes only. */
function backdateLinks(dir: string): void {
  const when = new Date(Date.now() - 60_000);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) backdateLinks(join(dir, e.name));
    lutimesSync(join(dir, e.name), when, when);
  }
  lutimesSync(dir, when, when);
}

async function scan(root: string, cache: boolean | { path: string } = false) {
  const index = typescriptFlows({ root, cache });
  const flows = await index.findFlows();
  return {
    index,
    flows: flows.map((f) => `${f.sourceRelative}:${f.line} ${f.name}`),
    diagnostics: index.diagnostics.map((d) => `${relative(root, d.file)}:${d.line}: ${d.severity}: ${d.message}`),
  };
}

test('UTF-16 files, little- and big-endian with their BOM, are read as TypeScript reads them', async () => {
  const root = tempDir();
  const text = `// héllo\n${flow('utf16-flow')}`;
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
  writeFileSync(join(root, 'le.ts'), le);
  writeFileSync(join(root, 'be.ts'), be);
  writeFileSync(join(root, 'utf8-bom.ts'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
  const { flows, diagnostics } = await scan(root);
  assert.deepEqual(flows, ['be.ts:3 utf16-flow', 'le.ts:3 utf16-flow', 'utf8-bom.ts:3 utf16-flow']);
  assert.deepEqual(diagnostics, [
    'be.ts:3: warning: duplicate flow name "utf16-flow" in 3 places: be.ts:3, le.ts:3, utf8-bom.ts:3: rename all but one so deployments stay apart',
  ]);
});

test('a file too large for a string is a diagnostic naming it and its size; the others are read', async () => {
  const root = tempDir();
  writeTree(root, { 'src/ok.ts': flow('ok') });
  // Sparse files: no disk is used. One byte over V8's longest string; and over the 2 GB Node reads at once.
  const sparse = (rel: string, size: number) => {
    const fd = openSync(join(root, rel), 'w');
    ftruncateSync(fd, size);
    closeSync(fd);
  };
  sparse('src/huge.ts', constants.MAX_STRING_LENGTH + 1);
  sparse('src/giant.js', 2 ** 31 + 1);
  const { flows, diagnostics } = await scan(root);
  assert.deepEqual(flows, ['src/ok.ts:2 ok']);
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
  const limit = `Node holds at most ${mb(constants.MAX_STRING_LENGTH)} of text in one string`;
  const fix = "skipped: leave it out with typescriptFlows({ exclude: ['…'] }) or make it smaller";
  assert.deepEqual(diagnostics, [
    `src/giant.js:0: warning: file too large to read (${mb(2 ** 31 + 1)}; ${limit}), ${fix}`,
    `src/huge.ts:0: warning: file too large to read (${mb(constants.MAX_STRING_LENGTH + 1)}; ${limit}), ${fix}`,
  ]);
});

test('a statement nested too deep to convert is skipped with a warning; the other statements keep their flows', async () => {
  const root = tempDir();
  const chain = Array.from({ length: 20_000 }, (_, i) => `'s${i}'`).join(' + ');
  writeTree(root, {
    'src/generated.ts':
      `import { defineFlow } from 'flowport';\n` +
      `export const before = defineFlow({ name: 'before-deep' }, async () => 1);\n` +
      `export const table = defineFlow({ name: 'deep' }, async () => ${chain});\n` +
      `export const after = defineFlow({ name: 'after-deep' }, async () => 2);\n`,
  });
  const { flows, diagnostics } = await scan(root);
  assert.deepEqual(flows, ['src/generated.ts:2 before-deep', 'src/generated.ts:4 after-deep']);
  assert.deepEqual(diagnostics, [
    'src/generated.ts:3: warning: an expression in this statement nests deeper than the parser can follow: the statement is skipped (a flow in it is not found), the rest of the file is read',
  ]);
});

test("brackets nested deeper than TypeScript's parser can follow are left out; the rest of the file is read", async () => {
  const root = tempDir();
  const deep = (n: number, brackets: string) => brackets[0]!.repeat(n) + '1' + brackets[1]!.repeat(n);
  writeTree(root, {
    'src/data.ts':
      `import { defineFlow } from 'flowport';\n` +
      `export const first = defineFlow({ name: 'first' }, async () => 1);\n` +
      `export const table = ${deep(3000, '[]')};\n` +
      // A regular expression and a template with brackets in them do not throw the count off.
      `const re = /[${'('.repeat(250)}]/g; const tpl = \`(\${ ({ a: [re] }) }[\`;\n` +
      `export const second = defineFlow({ name: 'second' }, async () => f(${deep(2000, '()')}));\n`,
  });
  const { flows, diagnostics } = await scan(root);
  assert.deepEqual(flows, ['src/data.ts:2 first', 'src/data.ts:5 second']);
  const left = (line: number) =>
    `src/data.ts:${line}: warning: brackets nest deeper than the parser can follow (over 200): the file is read with what is inside the 200th left out (a flow in it is not found)`;
  assert.deepEqual(diagnostics, [left(3), left(5)]);
});

test('lines count \\n, \\r\\n and \\r only, as git and VS Code do: U+2028 and U+2029 are not line breaks', async () => {
  const root = tempDir();
  writeTree(root, {
    'ls.ts': `// a\u2028b\u2029c\r\nconst s = 'x\u2028y';\r${flow('after-separators')}`,
    'broken.ts': `// \u2028\u2028\u2028\nimport { defineFlow } from 'flowport';\nexport const f = defineFlow({ name: 'x' }, ) ) ;\n`,
  });
  const { flows, diagnostics } = await scan(root);
  // Line 1: the comment; line 2: const s (after \r\n); line 3: the import (after \r); line 4: the flow.
  assert.deepEqual(flows, ['ls.ts:4 after-separators']);
  assert.equal(diagnostics.length, 1);
  assert.match(diagnostics[0]!, /^broken\.ts:3: error: syntax error/);
});

test('symbolic links inside the root are followed once; links out of it, loops and dangling links are said', async () => {
  const root = tempDir();
  const outside = tempDir();
  writeTree(outside, { 'shared/far.ts': flow('far-away') });
  writeTree(root, {
    '.gitignore': 'vendor/\n',
    'src/real.ts': flow('real'),
    'vendor/lib/tasks.ts': flow('vendored'),
    'vendor/one.ts': flow('one-file'),
  });
  symlinkSync('../vendor/lib', join(root, 'src/lib')); // into an ignored folder: found under the link
  symlinkSync('../vendor/one.ts', join(root, 'src/one.ts'));
  symlinkSync('real.ts', join(root, 'src/alias.ts')); // the same file as src/real.ts: found once
  symlinkSync('..', join(root, 'src/up')); // a loop
  symlinkSync(join(outside, 'shared'), join(root, 'shared'));
  symlinkSync('missing.ts', join(root, 'src/gone.ts'));
  symlinkSync('self.ts', join(root, 'src/self.ts')); // a link to itself
  const expectedFlows = ['src/lib/tasks.ts:2 vendored', 'src/one.ts:2 one-file', 'src/real.ts:2 real'];
  const expectedDiagnostics = [
    'shared:0: warning: symbolic link points outside the project (../' +
      `${relative(root, outside).split('/').slice(1).join('/')}/shared): not followed, flows there are not found`,
    'src/gone.ts:0: warning: symbolic link points to nothing: skipped',
    'src/self.ts:0: warning: symbolic link leads back into a folder it is in (a cycle of links): not followed',
    'src/up:0: warning: symbolic link leads back into a folder it is in (.): not followed',
  ];
  const cold = await scan(root);
  assert.deepEqual(cold.flows, expectedFlows);
  assert.deepEqual(cold.diagnostics.sort(), expectedDiagnostics);

  // The persisted cache gives the same answer without listing the folders again.
  const cache = { path: join(tempDir(), 'flows.json') };
  await scan(root, cache); // makes .flowport/, which changes the root's mtime
  backdateLinks(root);
  await scan(root, cache);
  const warm = await scan(root, cache);
  assert.equal(warm.index.lastScan.foldersListed, 0);
  assert.deepEqual(warm.flows, expectedFlows);
  assert.deepEqual(warm.diagnostics.sort(), expectedDiagnostics);

  // A watcher's update for a new link decides as the walk does: outside the root is not read.
  writeTree(outside, { 'other.ts': flow('other-outside') });
  writeTree(root, { 'vendor/two.ts': flow('two-file') });
  symlinkSync(join(outside, 'other.ts'), join(root, 'src/other.ts'));
  symlinkSync('../vendor/two.ts', join(root, 'src/two.ts'));
  const updated = await warm.index.update(['src/other.ts', 'src/two.ts']);
  assert.deepEqual(
    updated.flows.map((f) => f.sourceRelative),
    ['src/lib/tasks.ts', 'src/one.ts', 'src/real.ts', 'src/two.ts'],
  );
  assert.ok(warm.index.diagnostics.some((d) => d.file === join(root, 'src/other.ts')));

  // A watcher reports an edit at the target's own path (it does not follow links): the flow
  // found through the link changes too.
  writeTree(root, { 'vendor/lib/tasks.ts': flow('vendored-renamed') });
  const edited = await warm.index.update([join(root, 'vendor/lib/tasks.ts')]);
  assert.deepEqual(edited.rescanned, ['src/lib/tasks.ts']);
  assert.equal(edited.flows.find((f) => f.sourceRelative === 'src/lib/tasks.ts')?.name, 'vendored-renamed');
});

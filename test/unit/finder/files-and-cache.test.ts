import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { typescriptFlows, type FlowDetails, type FlowIndex } from '../../../sdk/src/index.js';
import { backdate, tempDir, writeTree } from '../../helpers/tmp.js';

const flow = (name: string) =>
  `import { defineFlow } from 'flowport';\nexport const f = defineFlow({ name: '${name}' }, async () => 1);\n`;

/** A new index per call, like a new CLI process: only the persisted cache carries over. */
async function run(root: string, options: Partial<Parameters<typeof typescriptFlows>[0]> = {}) {
  const index = typescriptFlows({ root, ...options });
  const flows = await index.findFlows();
  return { index, names: flows.map((f) => f.name).sort(), stats: index.lastScan };
}

test('gitignore (nested, negated), node_modules, .flowport and exclude/include globs', async () => {
  const root = tempDir();
  writeTree(root, {
    '.gitignore': 'dist/\n*.gen.ts\n',
    'src/ok.ts': flow('ok'),
    'src/x.gen.ts': flow('generated-file'),
    'dist/out.js': flow('in-dist'),
    'node_modules/dep/index.ts': flow('in-node-modules'),
    'packages/a/node_modules/dep/index.ts': flow('nested-node-modules'),
    '.flowport/targets/dev/ok/index.ts': flow('deployed-copy'),
    'packages/a/.gitignore': 'tmp/\n!keep.gen.ts\n',
    'packages/a/tmp/t.ts': flow('nested-ignored'),
    'packages/a/keep.gen.ts': flow('re-included'),
    'packages/a/src/a.ts': flow('a'),
    'scripts/tool.ts': flow('script'),
    'README.md': "defineFlow({ name: 'markdown' }) from 'flowport'",
  });
  assert.deepEqual((await run(root, { cache: false })).names, ['a', 'ok', 're-included', 'script']);
  assert.deepEqual((await run(root, { cache: false, exclude: ['scripts/**'] })).names, ['a', 'ok', 're-included']);
  assert.deepEqual((await run(root, { cache: false, include: ['packages/**'] })).names, ['a', 're-included']);
});

test('the cache never serves stale flows: edit, same-size edit, touch, add, delete, rename, .gitignore', async () => {
  const root = tempDir();
  writeTree(root, { 'a/one.ts': flow('one'), 'b/two.ts': flow('two'), 'c/plain.ts': 'export const x = 1;\n' });
  backdate(root);

  const cold = await run(root);
  assert.deepEqual(cold.names, ['one', 'two']);
  assert.equal(cold.stats.parsed, 2);
  assert.equal(cold.stats.foldersListed, 4);
  backdate(root); // and settle: the cache's own .flowport/ folder changed the root's mtime
  await run(root);

  const warm = await run(root);
  assert.deepEqual(warm.names, ['one', 'two']);
  assert.equal(warm.stats.cacheHits, 3, 'nothing changed: every file comes from the cache');
  assert.equal(warm.stats.read, 0);
  assert.equal(warm.stats.foldersListed, 0, 'no folder changed: none is listed again');

  writeFileSync(join(root, 'a/one.ts'), flow('one-renamed'));
  assert.deepEqual((await run(root)).names, ['one-renamed', 'two'], 'edited');

  const before = statSync(join(root, 'b/two.ts'));
  writeFileSync(join(root, 'b/two.ts'), flow('owt'));
  assert.equal(statSync(join(root, 'b/two.ts')).size, before.size);
  assert.deepEqual((await run(root)).names, ['one-renamed', 'owt'], 'same-size edit');

  backdate(root);
  await run(root);
  const future = new Date(Date.now() + 5000);
  utimesSync(join(root, 'c/plain.ts'), future, future);
  utimesSync(join(root, 'a/one.ts'), future, future);
  const touched = await run(root);
  assert.equal(touched.stats.read, 2, 'touched files are read again');
  assert.equal(touched.stats.parsed, 0, 'their text is unchanged: no parse');
  assert.deepEqual(touched.names, ['one-renamed', 'owt']);

  writeTree(root, { 'd/three.ts': flow('three') });
  assert.deepEqual((await run(root)).names, ['one-renamed', 'owt', 'three'], 'added');

  rmSync(join(root, 'b/two.ts'));
  assert.deepEqual((await run(root)).names, ['one-renamed', 'three'], 'deleted');

  renameSync(join(root, 'd/three.ts'), join(root, 'a/three.ts'));
  const renamed = await run(root);
  assert.deepEqual(renamed.names, ['one-renamed', 'three'], 'renamed');
  assert.equal(renamed.index.diagnostics.length, 0);
  assert.equal((await renamed.index.findFlows({ flows: ['three'] }))[0]!.sourceRelative, 'a/three.ts');

  writeFileSync(join(root, '.gitignore'), 'a/\n');
  assert.deepEqual((await run(root)).names, [], '.gitignore added');
  writeFileSync(join(root, '.gitignore'), '');
  assert.deepEqual((await run(root)).names, ['one-renamed', 'three'], '.gitignore emptied');
});

test('a change that keeps the size and the mtime is seen when the mtime was too recent to trust', async () => {
  // Coarse filesystem clocks give two writes within one tick the same mtime. The first scan reads
  // the file within that tick; the second write must still show.
  const root = tempDir();
  writeTree(root, { 'a.ts': flow('first') });
  const { mtime } = statSync(join(root, 'a.ts'));
  assert.deepEqual((await run(root)).names, ['first']);
  writeFileSync(join(root, 'a.ts'), flow('other'));
  utimesSync(join(root, 'a.ts'), mtime, mtime);
  assert.deepEqual((await run(root)).names, ['other']);

  backdate(root);
  await run(root); // read once more, now with an mtime old enough to trust
  const settled = await run(root);
  assert.deepEqual([settled.stats.read, settled.stats.foldersListed], [0, 0]);
});

test('folder listings: only changed folders are listed again, and rules changes are seen', async () => {
  const root = tempDir();
  writeTree(root, {
    'src/a.ts': flow('a'),
    'src/deep/b.ts': flow('b'),
    'lib/c.ts': flow('c'),
    'lib/gen/d.ts': flow('d'),
  });
  await run(root);
  backdate(root);
  await run(root);
  assert.equal((await run(root)).stats.foldersListed, 0);

  writeTree(root, { 'src/deep/e.ts': flow('e') });
  const added = await run(root);
  assert.deepEqual(added.names, ['a', 'b', 'c', 'd', 'e']);
  assert.equal(added.stats.foldersListed, 1, 'only src/deep changed');

  // A .gitignore added in lib changes lib's mtime: lib and everything below it is listed again.
  writeTree(root, { 'lib/.gitignore': 'gen/\n' });
  assert.deepEqual((await run(root)).names, ['a', 'b', 'c', 'e']);

  // Editing a .gitignore changes no folder's mtime: its own stamp says the listings are stale.
  backdate(root);
  await run(root);
  assert.equal((await run(root)).stats.foldersListed, 0, 'settled');
  const aMinuteAgo = new Date(Date.now() - 60_000);
  writeFileSync(join(root, 'lib/.gitignore'), '# nothing ignored\n');
  utimesSync(join(root, 'lib/.gitignore'), aMinuteAgo, aMinuteAgo);
  assert.deepEqual((await run(root)).names, ['a', 'b', 'c', 'd', 'e']);

  // So does .git/info/exclude, which sits in a folder the walk never lists.
  backdate(root);
  await run(root);
  assert.equal((await run(root)).stats.foldersListed, 0, 'settled');
  mkdirSync(join(root, '.git/info'), { recursive: true });
  writeFileSync(join(root, '.git/info/exclude'), 'src/\n');
  assert.deepEqual((await run(root)).names, ['c', 'd']);

  // A folder that goes away takes its files with it, and one that comes back brings them.
  renameSync(join(root, 'lib'), join(root, 'lib2'));
  assert.deepEqual((await run(root)).names, ['c', 'd']);
  rmSync(join(root, '.git/info/exclude'));
  assert.deepEqual((await run(root)).names, ['a', 'b', 'c', 'd', 'e']);
});

test('changed finder options (as from a changed config) discard the cache', async () => {
  const root = tempDir();
  writeTree(root, {
    'a.ts': flow('a'),
    'b.ts': `import { task } from '@trigger.dev/sdk';\nexport const t = task({ id: 'trigger-task' });\n`,
  });
  assert.deepEqual((await run(root)).names, ['a']);
  const withMarker = await run(root, { markers: [{ callee: 'task', module: '@trigger.dev/sdk', nameFrom: 'id' }] });
  assert.deepEqual(withMarker.names, ['a', 'trigger-task']);
  assert.equal(withMarker.stats.cacheHits, 0);
  assert.deepEqual((await run(root, { exclude: ['a.ts'] })).names, []);
});

test('a corrupt cache file is ignored and rebuilt', async () => {
  const root = tempDir();
  writeTree(root, { 'a.ts': flow('a'), '.flowport/cache/flows.json': '{"format":1,"key":' });
  backdate(root);
  assert.deepEqual((await run(root)).names, ['a']);
  assert.equal((await run(root)).stats.cacheHits, 1);
});

test('findFlows refetches a subset by flow name or by group', async () => {
  const root = tempDir();
  writeTree(root, {
    'billing/invoice.ts': flow('invoice'),
    'billing/refund.ts': flow('refund'),
    'ops/cleanup.ts': `import { defineFlow } from 'flowport';\nexport const c = defineFlow({ name: 'cleanup', group: ['nightly'] }, () => 1);\n`,
  });
  const index = typescriptFlows({ root, cache: false });
  assert.equal((await index.findFlows()).length, 3);
  assert.deepEqual(
    (await index.findFlows({ groups: ['billing'] })).map((f) => f.name),
    ['invoice', 'refund'],
  );
  assert.deepEqual(
    (await index.findFlows({ groups: ['nightly'] })).map((f) => f.name),
    ['cleanup'],
  );
  writeFileSync(join(root, 'billing/refund.ts'), flow('refund-v2'));
  writeFileSync(join(root, 'ops/cleanup.ts'), flow('cleanup-v2'));
  assert.deepEqual(
    (await index.findFlows({ flows: ['refund'] })).map((f) => f.name),
    [],
  );
  assert.deepEqual(
    (await index.findFlows({ flows: ['refund-v2', 'cleanup-v2'] })).map((f) => f.name),
    ['refund-v2', 'cleanup-v2'],
  );
  // A flow that moved to another file, and a group that gained a file, are found too.
  renameSync(join(root, 'billing/invoice.ts'), join(root, 'billing/invoices.ts'));
  writeTree(root, { 'billing/credit.ts': flow('credit') });
  assert.deepEqual(
    (await index.findFlows({ flows: ['invoice'] })).map((f) => f.sourceRelative),
    ['billing/invoices.ts'],
  );
  assert.deepEqual(
    (await index.findFlows({ groups: ['billing'] })).map((f) => f.name),
    ['credit', 'invoice', 'refund-v2'], // path order
  );
});

test('findFlows by group takes a folder, a folder path or a defineFlow group, as the CLI does', async () => {
  const root = tempDir();
  writeTree(root, {
    'src/jobs/a.ts': flow('a'),
    'src/other/b.ts': `import { defineFlow } from 'flowport';\nexport const b = defineFlow({ name: 'b', group: ['nightly'] }, () => 1);\n`,
  });
  const index = typescriptFlows({ root, cache: false });
  const names = async (groups: string[]) => (await index.findFlows({ groups })).map((f) => f.name);
  assert.deepEqual(await names(['src/jobs']), ['a']);
  assert.deepEqual(await names(['jobs']), ['a']);
  assert.deepEqual(await names(['nightly']), ['b']);
  assert.deepEqual(await names(['src']), ['a', 'b']);
  assert.deepEqual(await names(['src/job']), []);
});

test('incremental update: changed, added, deleted, ignored and .gitignore paths', async () => {
  const root = tempDir();
  writeTree(root, { '.gitignore': 'gen/\n', 'a.ts': flow('a'), 'b.ts': flow('b') });
  const index: FlowIndex = typescriptFlows({ root, cache: false });
  await index.findFlows();

  writeFileSync(join(root, 'a.ts'), flow('a2'));
  let update = await index.update([join(root, 'a.ts')]);
  assert.deepEqual(update.rescanned, ['a.ts']);
  assert.deepEqual(
    update.flows.map((f) => f.name),
    ['a2', 'b'],
  );

  writeTree(root, { 'new/c.ts': flow('c'), 'gen/d.ts': flow('ignored') });
  update = await index.update(['new/c.ts', 'gen/d.ts']);
  assert.deepEqual(
    update.flows.map((f) => f.name),
    ['a2', 'b', 'c'],
  );

  rmSync(join(root, 'b.ts'));
  update = await index.update([join(root, 'b.ts')]);
  assert.deepEqual(
    update.flows.map((f) => f.name),
    ['a2', 'c'],
  );

  writeFileSync(join(root, '.gitignore'), '');
  update = await index.update([join(root, '.gitignore')]);
  assert.deepEqual(
    update.flows.map((f) => f.name),
    ['a2', 'ignored', 'c'], // path order
  );

  assert.deepEqual((await index.update([join(root, 'a.ts')])).rescanned, [], 'unchanged file is not rescanned');
});

test('incremental update: deleted, renamed and created folders, files re-included under an ignored folder', async () => {
  const root = tempDir();
  writeTree(root, {
    '.gitignore': 'build/\n',
    'build/.gitignore': '!a.ts\n',
    'build/a.ts': flow('in-ignored-folder'),
    'sub/deep/x.ts': flow('x'),
    'sub/y.ts': flow('y'),
    'old/z.ts': flow('z'),
    'keep.ts': flow('keep'),
  });
  const index: FlowIndex = typescriptFlows({ root, cache: false });
  const names = (flows: FlowDetails[]) => flows.map((f) => f.sourceRelative).sort();
  assert.deepEqual(names(await index.findFlows()), ['keep.ts', 'old/z.ts', 'sub/deep/x.ts', 'sub/y.ts']);

  // git never lists an ignored folder, so a rule inside it cannot bring a file back.
  writeFileSync(join(root, 'build/a.ts'), flow('in-ignored-folder-v2'));
  let update = await index.update([join(root, 'build/a.ts')]);
  assert.deepEqual(names(update.flows), ['keep.ts', 'old/z.ts', 'sub/deep/x.ts', 'sub/y.ts']);

  // A watcher reports only the folder of a recursive delete.
  rmSync(join(root, 'sub'), { recursive: true });
  update = await index.update([join(root, 'sub')]);
  assert.deepEqual(update.rescanned.sort(), ['sub/deep/x.ts', 'sub/y.ts']);
  assert.deepEqual(names(update.flows), ['keep.ts', 'old/z.ts']);

  // A folder renamed: the old path is gone, the new one is a folder to list.
  renameSync(join(root, 'old'), join(root, 'new'));
  update = await index.update([join(root, 'old'), join(root, 'new')]);
  assert.deepEqual(names(update.flows), ['keep.ts', 'new/z.ts']);
  assert.deepEqual(names(update.flows), names(await typescriptFlows({ root, cache: false }).findFlows()));

  // A folder replaced by a file: paths under it cannot be stat'ed (ENOTDIR), and are simply gone.
  rmSync(join(root, 'new'), { recursive: true });
  writeFileSync(join(root, 'new'), 'not a folder any more');
  update = await index.update([join(root, 'new/z.ts'), './keep.ts', 'keep.ts']);
  assert.deepEqual(names(update.flows), ['keep.ts'], 'no second entry for ./keep.ts');
});

test('incremental update: a batch of thousands of deleted files and folders', async () => {
  const root = tempDir();
  const files: Record<string, string> = {};
  for (let i = 0; i < 4000; i++) files[`pkg${i % 40}/f${i}.ts`] = `export const x${i} = ${i};\n`;
  writeTree(root, { ...files, 'keep.ts': flow('keep') });
  const index: FlowIndex = typescriptFlows({ root, cache: false });
  await index.findFlows();
  const deleted: string[] = [];
  for (let p = 0; p < 40; p++) {
    rmSync(join(root, `pkg${p}`), { recursive: true });
    deleted.push(join(root, `pkg${p}`), ...Array.from({ length: 50 }, (_, i) => join(root, `pkg${p}/gone${i}.md`)));
  }
  const update = await index.update(deleted);
  assert.equal(update.rescanned.length, 4000);
  assert.deepEqual(
    update.flows.map((f) => f.name),
    ['keep'],
  );
});

// The board's and the tree's view of issue 16's dependencies: each row's "needs" list and its
// readers, the cells a dependency does not run in, and the Promote a missing dependency blocks,
// with the fix the SDK would name (promote it first, or deploy it where the path starts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildBoardFolder } from '../../../extension/src/board/snapshot.js';
import { buildGroups, dependentsOf, unmetInputs } from '../../../extension/src/model/matrix.js';
import { rowHtml } from '../../../webview/board/cells.js';
import type { DeploymentDetails } from '../../../sdk/src/model.js';
import { deploymentOf as dep, flowAt as flow } from '../../helpers/records.js';

const environments = [{ name: 'dev' }, { name: 'uat' }, { name: 'prod', protected: true }];
const flows = [
  flow('api', 'src/api.ts'),
  flow('web', 'src/web.ts'),
  flow('db', 'src/db.ts'),
  flow('cache', 'src/cache.ts'),
];
const dependencies = { api: ['db', 'cache'], web: ['db'] };
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

const board = (deployments: DeploymentDetails[], deps: Record<string, string[]> | null = dependencies) => {
  const { folder } = buildBoardFolder(
    { key: 'file:///p', name: 'p', environments, flows, deployments, ...(deps ? { dependencies: deps } : {}) },
    () => undefined,
  );
  return new Map(folder.groups.flatMap((g) => g.rows).map((r) => [r.name, r]));
};

test('each row lists the flows it reads outputs of (config order) and the flows that read it (sorted)', () => {
  const rows = board([]);
  assert.deepEqual(rows.get('api')!.dependencies, ['db', 'cache']);
  assert.deepEqual(rows.get('api')!.dependents, []);
  assert.deepEqual(rows.get('db')!.dependencies, []);
  assert.deepEqual(rows.get('db')!.dependents, ['api', 'web']);
  assert.deepEqual(rows.get('cache')!.dependents, ['api']);
  assert.deepEqual(dependentsOf(dependencies, 'web'), []);
});

test('a project without releases: no dependencies, no dependents, nothing blocked by one', () => {
  const rows = board([dep('api', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z')], null);
  const api = rows.get('api')!;
  assert.deepEqual([api.dependencies, api.dependents], [[], []]);
  assert.equal(api.promotes[0]!.blockedBy, undefined);
  assert.equal(api.promotes[0]!.reason, undefined);
  assert.ok(api.cells.every((c) => c.needs === undefined));
});

test('a Promote is blocked while a dependency does not run (succeeded) in the target: promote it first', () => {
  const rows = board([
    dep('db', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z'),
    dep('cache', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z'),
    dep('cache', 'uat', A, 'succeeded', '2026-01-01T00:00:00Z'),
    // A failed or running db in uat is not one that runs there.
    dep('db', 'uat', A, 'failed', '2026-01-01T01:00:00Z'),
    dep('api', 'dev', A, 'succeeded', '2026-01-01T02:00:00Z'),
  ]);
  const api = rows.get('api')!;
  const devToUat = api.promotes[0]!;
  assert.equal(devToUat.blockedBy, 'dependency');
  assert.equal(devToUat.reason, 'blocked: db does not run in uat yet — promote db first');
  assert.deepEqual(api.cells[1]!.needs, {
    flows: ['db'],
    reason: 'db does not run in uat yet — promote db first',
  });
  assert.equal(api.cells[0]!.needs, undefined, 'both run in dev');
  // prod: nothing to promote from uat yet, which is the first reason; both are missing there.
  assert.match(api.promotes[1]!.reason ?? '', /^Nothing to promote/);
  assert.deepEqual(api.cells[2]!.needs?.flows, ['db', 'cache']);
  assert.equal(api.cells[2]!.needs?.reason, 'db does not run in prod yet — promote db first (and cache)');
});

test('a dependency that runs nowhere before the target: deploy it where the path starts', () => {
  const rows = board([
    dep('api', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z'),
    dep('api', 'uat', B, 'succeeded', '2026-01-01T00:00:00Z'),
    // Further along than the target does not count: it must run in the target.
    dep('db', 'prod', A, 'succeeded', '2026-01-01T00:00:00Z'),
    dep('cache', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z'),
    dep('web', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z'),
  ]);
  assert.equal(rows.get('web')!.promotes[0]!.reason, 'blocked: db does not run in uat yet — deploy db to dev first');
  assert.equal(
    rows.get('api')!.promotes[0]!.reason,
    'blocked: db does not run in uat yet — deploy db to dev first (and cache)',
  );
  assert.equal(rows.get('api')!.cells[2]!.needs?.reason, 'cache does not run in prod yet — promote cache first');
});

test('once every dependency runs in the target, the Promote is enabled', () => {
  const rows = board([
    dep('db', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z'),
    dep('db', 'uat', A, 'succeeded', '2026-01-01T00:00:00Z'),
    dep('web', 'dev', B, 'succeeded', '2026-01-01T02:00:00Z'),
  ]);
  const web = rows.get('web')!;
  assert.equal(web.promotes[0]!.reason, undefined);
  assert.equal(web.promotes[0]!.commit, B);
  assert.equal(web.cells[1]!.needs, undefined);
});

test('what else blocks a Promote on the target comes first; same commit there is "Already at", not blocked', () => {
  const lock = { id: 'l1', env: 'uat', by: 'ann@host', at: '2026-01-01T00:00:00Z', reason: 'freeze' };
  const { folder } = buildBoardFolder(
    {
      key: 'file:///p',
      name: 'p',
      environments,
      flows,
      dependencies,
      deployments: [dep('web', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z')],
      lockFor: (_flow, env) => (env === 'uat' ? lock : undefined),
    },
    () => undefined,
  );
  const web = folder.groups.flatMap((g) => g.rows).find((r) => r.name === 'web')!;
  assert.equal(web.promotes[0]!.blockedBy, 'lock');
});

test('the tree’s rows carry the same: dependencies, dependents and each cell’s missing dependencies', () => {
  const groups = buildGroups(
    flows,
    environments,
    [dep('db', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z')],
    undefined,
    undefined,
    dependencies,
  );
  const rows = new Map(groups.flatMap((g) => g.rows).map((r) => [r.flow.name, r]));
  const web = rows.get('web')!;
  assert.deepEqual(web.dependencies, ['db']);
  assert.deepEqual(
    web.cells.map((c) => c.missingDependencies),
    [[], ['db'], ['db']],
  );
  assert.equal(web.cells[1]!.dependencyBlock, 'db does not run in uat yet — promote db first');
  assert.deepEqual(rows.get('db')!.dependents, ['api', 'web']);
  assert.deepEqual(rows.get('db')!.cells[1]!.missingDependencies, []);
});

test('a row’s HTML: the "needs" marker and its readers, escaped; none on a row without dependencies', () => {
  const rows = board([], { api: ['db', 'a"<b>'], web: ['db'] });
  const api = rowHtml(rows.get('api')!, Date.now());
  assert.match(api, /<span class="deps" title="api reads outputs of db, a&#34;&#60;b&#62;">/);
  assert.match(api, /needs <span class="dep">db<\/span>, <span class="dep">a&#34;&#60;b&#62;<\/span>/);
  assert.ok(!api.includes('<b>'), 'no markup from a name');
  // The attribute the hover reads gives back the names as they are.
  const needs = /data-needs="([^"]*)"/
    .exec(api)![1]!
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
  assert.deepEqual(JSON.parse(needs), ['db', 'a"<b>']);
  const db = rowHtml(rows.get('db')!, Date.now());
  assert.ok(!db.includes('class="deps"'), 'db reads nothing');
  assert.match(db, /data-read-by="[^"]*api[^"]*web[^"]*"/);
  assert.match(db, /title="does db\nsrc\/db.ts:3\nRead by api, web"/);
  const cache = rowHtml(rows.get('cache')!, Date.now());
  assert.ok(!/data-needs|data-read-by|class="deps"/.test(cache), 'nothing about dependencies on an unrelated row');
});

test('unmet inputs: where the flow would go next and its dependencies do not run (the CodeLens)', () => {
  const rowsOf = (deployments: DeploymentDetails[]) =>
    new Map(
      buildGroups(flows, environments, deployments, undefined, undefined, dependencies)
        .flatMap((g) => g.rows)
        .map((r) => [r.flow.name, r]),
    );
  // Runs nowhere: its first step is a deploy to dev, where neither db nor cache runs.
  assert.deepEqual(unmetInputs(rowsOf([]).get('api')!), [
    { env: 'dev', flows: ['db', 'cache'], reason: 'db does not run in dev yet — deploy db to dev first (and cache)' },
  ]);
  const rows = rowsOf([
    dep('db', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z'),
    dep('web', 'dev', A, 'succeeded', '2026-01-01T01:00:00Z'),
    dep('db', 'uat', A, 'succeeded', '2026-01-01T00:00:00Z'),
    dep('web', 'uat', B, 'succeeded', '2026-01-01T00:00:00Z'),
  ]);
  // web: uat runs another commit than dev, but db runs there; prod runs nothing after uat and db does not run there.
  assert.deepEqual(unmetInputs(rows.get('web')!), [
    { env: 'prod', flows: ['db'], reason: 'db does not run in prod yet — promote db first' },
  ]);
  // web runs in dev (its input came later, say): dev is not where it goes next, uat is.
  assert.deepEqual(unmetInputs(rowsOf([dep('web', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z')]).get('web')!), [
    { env: 'uat', flows: ['db'], reason: 'db does not run in uat yet — deploy db to dev first' },
  ]);
  // Level in dev and uat: only prod is next.
  const level = rowsOf([
    dep('web', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z'),
    dep('web', 'uat', A, 'succeeded', '2026-01-01T00:00:00Z'),
  ]);
  assert.deepEqual(
    unmetInputs(level.get('web')!).map((u) => u.env),
    ['prod'],
  );
  // db reads nothing; cache runs nowhere and reads nothing.
  assert.deepEqual(unmetInputs(rows.get('db')!), []);
  assert.deepEqual(unmetInputs(rows.get('cache')!), []);
  // api runs nowhere: dev is next, and cache does not run there.
  assert.deepEqual(unmetInputs(rows.get('api')!), [
    { env: 'dev', flows: ['cache'], reason: 'cache does not run in dev yet — deploy cache to dev first' },
  ]);
});

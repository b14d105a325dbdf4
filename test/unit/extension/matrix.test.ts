import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGroups, relativeAge } from '../../../extension/src/model/matrix.js';
import { deploymentOf as dep, flowAt as flow } from '../../helpers/records.js';

const envs = [{ name: 'dev' }, { name: 'uat' }, { name: 'prod' }];

test('groups by folder, sorted; cells show the current (latest succeeded) and the latest attempt', () => {
  const flows = [flow('b', 'src/x/b.ts'), flow('a', 'src/x/a.ts'), flow('c', 'lib/c.ts')];
  const deployments = [
    dep('a', 'dev', 'c1', 'succeeded', '2026-01-01T00:00:00Z'),
    dep('a', 'dev', 'c2', 'failed', '2026-01-02T00:00:00Z'),
    dep('a', 'uat', 'c1', 'succeeded', '2026-01-01T01:00:00Z'),
  ];
  const groups = buildGroups(flows, envs, deployments);
  assert.deepEqual(
    groups.map((g) => [g.key, g.rows.map((r) => r.flow.name)]),
    [
      ['lib', ['c']],
      ['src/x', ['a', 'b']],
    ],
  );
  const [dev, uat, prod] = groups[1]!.rows[0]!.cells;
  assert.equal(dev!.current?.commit, 'c1', 'still runs what last succeeded');
  assert.equal(dev!.latest?.commit, 'c2');
  assert.equal(dev!.status, 'failed');
  assert.equal(uat!.behind, false, 'same commit as dev runs');
  assert.equal(prod!.status, 'never');
  assert.equal(prod!.behind, true, 'uat runs c1, prod nothing');
  assert.equal(prod!.previousEnv, 'uat');
  assert.equal(dev!.nextEnv, 'uat');
  assert.equal(prod!.nextEnv, undefined);
});

test('an environment is behind when the one before runs another commit', () => {
  const deployments = [
    dep('a', 'dev', 'c2', 'succeeded', '2026-01-02T00:00:00Z'),
    dep('a', 'uat', 'c1', 'succeeded', '2026-01-01T00:00:00Z'),
  ];
  const [dev, uat] = buildGroups([flow('a', 'a.ts')], envs, deployments)[0]!.rows[0]!.cells;
  assert.equal(dev!.behind, false);
  assert.equal(uat!.behind, true);
});

test('relative ages', () => {
  const now = Date.parse('2026-01-10T00:00:00Z');
  assert.equal(relativeAge('2026-01-09T23:59:40Z', now), 'just now');
  assert.equal(relativeAge('2026-01-09T23:57:00Z', now), '3m ago');
  assert.equal(relativeAge('2026-01-09T21:00:00Z', now), '3h ago');
  assert.equal(relativeAge('2026-01-05T00:00:00Z', now), '5d ago');
  assert.equal(relativeAge(undefined, now), '');
});

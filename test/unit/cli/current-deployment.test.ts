/**
 * "The current deployment is the latest success", as a user meets it: through the built CLI. (The
 * same in-process, where a mutation run can reach it: test/unit/backend/current-state.test.ts.)
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DeploymentMatrix } from '../../../sdk/src/cli/deployments.js';
import type { FlowRunResult } from '../../../sdk/src/index.js';
import { flowport } from '../../helpers/cli.js';
import { cliProject, commitAll, git, scriptRecord } from '../backend/fixture.js';

test('deploy two commits to dev in turn: deployments shows the second, and promote dev → uat sends the second', () => {
  const root = cliProject({ billing: 'billing' });
  const v1 = git(root, 'rev-parse', 'HEAD');
  const first = flowport(['deploy', 'billing', '--env', 'dev'], { cwd: root });
  assert.equal(first.code, 0, first.stderr);
  writeFileSync(join(root, 'version.txt'), 'v2\n');
  const v2 = commitAll(root, 'v2');
  const second = flowport(['deploy', 'billing', '--env', 'dev', '--json'], { cwd: root });
  assert.equal(second.code, 0, second.stderr);
  const deployed = (JSON.parse(second.stdout) as { results: FlowRunResult[] }).results[0]!.deployment!;
  assert.equal(deployed.commit, v2);
  assert.notEqual(v1, v2);

  const matrix = flowport(['deployments', '--json'], { cwd: root });
  assert.equal(matrix.code, 0, matrix.stderr);
  const dev = (JSON.parse(matrix.stdout) as DeploymentMatrix).flows.find((f) => f.flow === 'billing')!.environments
    .dev!;
  assert.equal(dev.current!.commit, v2, 'dev runs the second commit');
  assert.equal(dev.current!.id, deployed.id);
  const human = flowport(['deployments', '--env', 'dev'], { cwd: root }).stdout;
  assert.match(human, new RegExp(`^billing\\s+${v2.slice(0, 7)} succeeded`, 'm'));
  assert.doesNotMatch(human, new RegExp(v1.slice(0, 7)));

  // HEAD moves on: the promote still sends what dev runs, the second commit.
  writeFileSync(join(root, 'version.txt'), 'v3\n');
  commitAll(root, 'v3');
  const promoted = flowport(['promote', 'billing', '--from', 'dev', '--to', 'uat', '--json'], { cwd: root });
  assert.equal(promoted.code, 0, promoted.stderr);
  const result = (JSON.parse(promoted.stdout) as { results: FlowRunResult[] }).results[0]!;
  assert.equal(result.outcome, 'succeeded');
  assert.equal(result.deployment!.commit, v2);
  assert.deepEqual(result.deployment!.promotedFrom, { env: 'dev', deploymentId: deployed.id });
  assert.equal(scriptRecord(root, result.deployment!.id).version, 'v2', 'the deploy command ran the second commit');
  assert.match(promoted.stderr, new RegExp(`promoting "billing" ${v2.slice(0, 12)} from dev to uat`));
});

/**
 * "The current deployment is the latest success": what `flowport deployments` shows for a flow in an
 * environment, and what a promote from there sends. In-process, so that a mutant in the ledger or
 * the promoter reaches these tests (test/unit/cli/current-deployment.test.ts checks the same through
 * the built CLI).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { deployFlows, localLedger, openProject, promoteFlows, type DeploymentDetails } from '../../../sdk/src/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { cliProject, collectingRun, commitAll, git, scriptRecord } from './fixture.js';

const commit = (c: string) => c.repeat(40);

async function succeeded(ledger: ReturnType<typeof localLedger>, flowName: string, env: string, c: string) {
  const d = await ledger.create({ flowName, env, commit: commit(c), ref: 'HEAD' });
  await ledger.update(d.id, { status: 'running' });
  return ledger.update(d.id, { status: 'succeeded' });
}

const summary = (ds: DeploymentDetails[]) => ds.map((d) => `${d.flowName}@${d.env} ${d.commit[0]}`);

test('the current deployment of a flow in an environment is its latest success; failed and cancelled ones do not replace it', async () => {
  const root = tempDir();
  const ledger = localLedger({ root, warn: (m) => assert.fail(m) });
  await succeeded(ledger, 'billing', 'dev', 'a');
  await succeeded(ledger, 'billing', 'dev', 'b');
  assert.deepEqual(summary(await ledger.findDeployments()), ['billing@dev b'], 'the second success replaces the first');

  const failed = await ledger.create({ flowName: 'billing', env: 'dev', commit: commit('c'), ref: 'HEAD' });
  await ledger.update(failed.id, { status: 'failed' });
  const cancelled = await ledger.create({ flowName: 'billing', env: 'dev', commit: commit('d'), ref: 'HEAD' });
  await ledger.update(cancelled.id, { status: 'cancelled' });
  const running = await ledger.create({ flowName: 'billing', env: 'dev', commit: commit('e'), ref: 'HEAD' });
  await ledger.update(running.id, { status: 'running' });
  assert.deepEqual(summary(await ledger.findDeployments()), ['billing@dev b']);
  assert.deepEqual(summary(await ledger.findDeployments({ flows: ['billing'], envs: ['dev'] })), ['billing@dev b']);

  // A fresh reader of the same file (another process) sees the same.
  assert.deepEqual(summary(await localLedger({ root }).findDeployments()), ['billing@dev b']);
  // History still has every attempt, in the order they were recorded.
  assert.deepEqual(summary(await ledger.findDeployments({ history: true })), [
    'billing@dev a',
    'billing@dev b',
    'billing@dev c',
    'billing@dev d',
    'billing@dev e',
  ]);
});

test('latest means the success recorded last, whichever deployment started first', async () => {
  const root = tempDir();
  const ledger = localLedger({ root });
  // Two deployments of one pair under way at once (another store could allow it): the one that
  // finishes last overwrote the other.
  const early = await ledger.create({ flowName: 'billing', env: 'dev', commit: commit('a'), ref: 'HEAD' });
  const late = await ledger.create({ flowName: 'billing', env: 'dev', commit: commit('b'), ref: 'HEAD' });
  await ledger.update(late.id, { status: 'succeeded' });
  assert.deepEqual(summary(await ledger.findDeployments()), ['billing@dev b']);
  await ledger.update(early.id, { status: 'succeeded' });
  assert.deepEqual(summary(await ledger.findDeployments()), ['billing@dev a']);
});

test('current deployments are listed in the order they were recorded, one per flow and environment', async () => {
  const root = tempDir();
  const ledger = localLedger({ root });
  await succeeded(ledger, 'billing', 'dev', 'a');
  await succeeded(ledger, 'reports', 'dev', 'b');
  await succeeded(ledger, 'billing', 'uat', 'c');
  await succeeded(ledger, 'billing', 'dev', 'd');
  assert.deepEqual(summary(await ledger.findDeployments()), ['reports@dev b', 'billing@uat c', 'billing@dev d']);
  assert.deepEqual(summary(await ledger.findDeployments({ envs: ['dev'] })), ['reports@dev b', 'billing@dev d']);
  assert.deepEqual(summary(await ledger.findDeployments({ flows: ['billing'] })), ['billing@uat c', 'billing@dev d']);
  assert.deepEqual(summary(await ledger.findDeployments({ flows: ['billing'], envs: ['uat'] })), ['billing@uat c']);
  assert.deepEqual(await ledger.findDeployments({ flows: ['nothing'] }), []);
});

test('two commits deployed to dev in turn: dev runs the second, and a promote to uat sends the second', async () => {
  const root = cliProject({ billing: 'billing' });
  const project = await openProject(root, { cache: false });
  const [flow] = await project.flows.findFlows();
  assert.equal(flow!.name, 'billing');

  const v1 = git(root, 'rev-parse', 'HEAD');
  const [first] = await deployFlows(project.deployer, [flow!], { env: 'dev' }, collectingRun());
  assert.equal(first!.outcome, 'succeeded', first!.message);
  writeFileSync(join(root, 'version.txt'), 'v2\n');
  const v2 = commitAll(root, 'v2');
  const [second] = await deployFlows(project.deployer, [flow!], { env: 'dev' }, collectingRun());
  assert.equal(second!.outcome, 'succeeded', second!.message);
  assert.deepEqual([first!.deployment!.commit, second!.deployment!.commit], [v1, v2]);

  // What `flowport deployments` shows for dev.
  const current = await project.deployments.findDeployments({ envs: ['dev'] });
  assert.deepEqual(
    current.map((d) => [d.flowName, d.commit, d.id]),
    [['billing', v2, second!.deployment!.id]],
  );

  // Move HEAD on, so that "the commit dev runs" and "HEAD" differ.
  writeFileSync(join(root, 'version.txt'), 'v3\n');
  commitAll(root, 'v3');
  const run = collectingRun();
  const [promoted] = await promoteFlows(project.promoter, [flow!], { from: 'dev', to: 'uat' }, run);
  assert.equal(promoted!.outcome, 'succeeded', promoted!.message);
  assert.equal(promoted!.deployment!.commit, v2);
  assert.deepEqual(promoted!.deployment!.promotedFrom, { env: 'dev', deploymentId: second!.deployment!.id });
  assert.equal(scriptRecord(root, promoted!.deployment!.id).version, 'v2', 'the deploy command ran the second commit');
  assert.ok(run.lines.some((l) => l.startsWith(`[flowport] promoting "billing" ${v2.slice(0, 12)} from dev to uat`)));

  // Promoting again is a no-op: uat already runs the second commit.
  const [again] = await promoteFlows(project.promoter, [flow!], { from: 'dev', to: 'uat' }, collectingRun());
  assert.equal(again!.outcome, 'unchanged');
  assert.equal(again!.deployment!.id, promoted!.deployment!.id);
});

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  bindToProject,
  commandDeployer,
  defaultPromoter,
  DeployError,
  deployFlows,
  localLedger,
  promoteFlows,
  UsageError,
  type DefaultPromoter,
  type Deployer,
} from '../../../sdk/src/index.js';
import { collectingRun, commitAll, flowOf, gitRepo, scriptRecord } from './fixture.js';

const environments = [{ name: 'dev' }, { name: 'uat' }, { name: 'prod', protected: true }];

/** A project's backend as openProject wires it: ledger, command deployer and default promoter, bound. */
function backend(options: { allowSkippingEnvironments?: boolean; env?: Record<string, string> } = {}) {
  const root = gitRepo();
  const store = localLedger({ root });
  const context = {
    root,
    environments,
    allowSkippingEnvironments: options.allowSkippingEnvironments ?? false,
    store,
    deployments: store,
  };
  const deployer: Deployer = bindToProject(
    commandDeployer({
      command: ['node', 'deploy.mjs', '{flow}', '{env}'],
      ...(options.env ? { env: options.env } : {}),
    }),
    context,
  );
  const promoter: DefaultPromoter = bindToProject(defaultPromoter(), { ...context, deployer });
  return { root, store, deployer, promoter };
}

test('promote deploys the exact commit the source runs, even after HEAD moved, and records promotedFrom', async () => {
  const { root, store, deployer, promoter } = backend();
  const flow = flowOf('billing');
  const dev = await deployer.deploy({ flow, env: 'dev' }, collectingRun());
  writeFileSync(join(root, 'version.txt'), 'v2\n');
  const v2 = commitAll(root, 'v2');
  assert.notEqual(v2, dev.commit);

  const run = collectingRun();
  const uat = await promoter.promote({ flow, from: 'dev', to: 'uat' }, run);
  assert.equal(uat.status, 'succeeded');
  assert.equal(uat.env, 'uat');
  assert.equal(uat.commit, dev.commit);
  assert.equal(uat.ref, dev.commit);
  assert.deepEqual(uat.promotedFrom, { env: 'dev', deploymentId: dev.id });
  assert.equal(scriptRecord(root, uat.id).version, 'v1', 'the code of the promoted commit, not of HEAD');
  assert.equal(scriptRecord(root, uat.id).env.FLOWPORT_PROMOTED_FROM, 'dev');
  assert.match(run.lines[0]!, /^\[flowport\] promoting "billing" [0-9a-f]{12} from dev to uat/);
  assert.deepEqual(
    (await store.findDeployments({ envs: ['uat'] })).map((d) => d.id),
    [uat.id],
  );
});

test('refused: from has no successful deployment (naming flow and environment)', async () => {
  const { promoter, deployer } = backend({ env: { DEPLOY_FAIL: 'billing' } });
  const flow = flowOf('billing');
  await assert.rejects(
    promoter.promote({ flow, from: 'dev', to: 'uat' }, collectingRun()),
    (e: unknown) =>
      e instanceof DeployError &&
      e.message.includes('dev has no successful deployment of "billing"') &&
      e.message.includes('flowport deploy billing --env dev'),
  );
  // A failed deployment is not something to promote either.
  assert.equal((await deployer.deploy({ flow, env: 'dev' }, collectingRun())).status, 'failed');
  await assert.rejects(
    promoter.promote({ flow, from: 'dev', to: 'uat' }, collectingRun()),
    /dev has no successful deployment/,
  );
});

test('no-op: the target already runs that commit — says so, is not an error, records nothing', async () => {
  const { store, deployer, promoter } = backend();
  const flow = flowOf('billing');
  await deployer.deploy({ flow, env: 'dev' }, collectingRun());
  const first = await promoter.promote({ flow, from: 'dev', to: 'uat' }, collectingRun());
  const before = (await store.findDeployments({ history: true })).length;
  const run = collectingRun();
  const again = await promoter.promote({ flow, from: 'dev', to: 'uat' }, run);
  assert.equal(again.id, first.id, 'returns what uat runs');
  assert.deepEqual(run.lines, [
    `[flowport] "billing": uat already runs ${first.commit.slice(0, 12)}, the commit dev runs; nothing to promote`,
  ]);
  assert.equal((await store.findDeployments({ history: true })).length, before);
  const plan = await promoter.plan({ flow, from: 'dev', to: 'uat' });
  assert.equal(plan.action, 'unchanged');
});

test('refused routes: same environment, unconfigured environment, skipping, backwards', async () => {
  const { promoter, deployer } = backend();
  const flow = flowOf('billing');
  await deployer.deploy({ flow, env: 'dev' }, collectingRun());
  const refused = async (from: string, to: string, pattern: RegExp) =>
    assert.rejects(
      promoter.promote({ flow, from, to }, collectingRun()),
      (e: unknown) => e instanceof UsageError && pattern.test(e.message) && e.message.includes('"billing"'),
    );
  await refused('dev', 'dev', /from dev to dev: that is the same environment/);
  await refused('dev', 'qa', /environment "qa" is not configured \(flowport.config.ts lists dev, uat, prod\)/);
  await refused('staging', 'uat', /environment "staging" is not configured/);
  await refused(
    'dev',
    'prod',
    /the next environment after dev is uat\. Promote to uat first, or set allowSkippingEnvironments: true/,
  );
  await refused('uat', 'dev', /from uat back to dev: promotion goes forward, dev → uat → prod/);
  // Nothing was deployed by any refusal.
  assert.equal((await promoter.plan({ flow, from: 'dev', to: 'uat' })).action, 'deploy');
});

test('skipping is allowed when the config says so', async () => {
  const { promoter, deployer } = backend({ allowSkippingEnvironments: true });
  const flow = flowOf('billing');
  const dev = await deployer.deploy({ flow, env: 'dev' }, collectingRun());
  const prod = await promoter.promote({ flow, from: 'dev', to: 'prod' }, collectingRun());
  assert.equal(prod.status, 'succeeded');
  assert.deepEqual(prod.promotedFrom, { env: 'dev', deploymentId: dev.id });
  await assert.rejects(promoter.promote({ flow, from: 'prod', to: 'dev' }, collectingRun()), /promotion goes forward/);
});

test('several flows in one call: each gets its own record and result', async () => {
  const { root, deployer, promoter } = backend({ env: { DEPLOY_FAIL: 'broken' } });
  const [billing, reports, fresh, broken] = ['billing', 'reports', 'fresh', 'broken'].map((n) =>
    flowOf(n, `src/${n}.ts`),
  );
  const deployed = await deployFlows(deployer, [billing!, reports!, broken!], { env: 'dev' }, collectingRun());
  assert.deepEqual(
    deployed.map((r) => [r.flow, r.outcome]),
    [
      ['billing', 'succeeded'],
      ['reports', 'succeeded'],
      ['broken', 'failed'],
    ],
  );
  await promoter.promote({ flow: reports!, from: 'dev', to: 'uat' }, collectingRun());
  // broken succeeds in dev on a second try, then fails in uat: a failed promote is that flow's result only.
  const fixed = bindToProject(commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'] }), {
    root,
    environments,
    allowSkippingEnvironments: false,
    store: localLedger({ root }),
    deployments: localLedger({ root }),
  });
  assert.equal((await fixed.deploy({ flow: broken!, env: 'dev' }, collectingRun())).status, 'succeeded');

  const run = collectingRun();
  const results = await promoteFlows(promoter, [billing!, reports!, fresh!, broken!], { from: 'dev', to: 'uat' }, run);
  assert.deepEqual(
    results.map((r) => [r.flow, r.env, r.outcome]),
    [
      ['billing', 'uat', 'succeeded'],
      ['reports', 'uat', 'unchanged'],
      ['fresh', 'uat', 'refused'],
      ['broken', 'uat', 'failed'],
    ],
  );
  assert.match(results[1]!.message, /uat already runs/);
  assert.match(results[2]!.message, /dev has no successful deployment of "fresh"/);
  assert.equal(results[2]!.deployment, null);
  assert.notEqual(results[0]!.deployment!.id, results[3]!.deployment!.id);
  // With several flows, each line says which flow it belongs to.
  assert.ok(run.lines.some((l) => l.startsWith('[billing] ')));
  assert.ok(run.lines.some((l) => l.startsWith('[broken] ')));

  // Bad input is the same for every flow: it is thrown, not reported per flow.
  await assert.rejects(
    promoteFlows(promoter, [billing!, reports!], { from: 'dev', to: 'dev' }, collectingRun()),
    UsageError,
  );
  await assert.rejects(
    deployFlows(deployer, [billing!], { env: 'qa' }, collectingRun()),
    /"qa": that environment is not configured/,
  );
});

test('a cancelled batch does not start the flows after the cancel', async () => {
  const { deployer } = backend();
  const controller = new AbortController();
  controller.abort();
  const results = await deployFlows(
    deployer,
    [flowOf('a'), flowOf('b')],
    { env: 'dev' },
    collectingRun(controller.signal),
  );
  assert.deepEqual(
    results.map((r) => [r.outcome, r.deployment]),
    [
      ['cancelled', null],
      ['cancelled', null],
    ],
  );
});

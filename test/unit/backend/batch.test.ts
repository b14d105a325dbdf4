/**
 * promoteFlows (backend/batch.ts) for the mutants the other backend tests let live
 * (test/MUTATION.md): a promoter that cannot plan, the hint of a refused flow, and what a cancelled
 * batch says about the flows it did not start.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bindToProject,
  commandDeployer,
  defaultPromoter,
  localLedger,
  promoteFlows,
  type Deployer,
  type Promoter,
} from '../../../sdk/src/index.js';
import { collectingRun, flowOf, gitRepo } from './fixture.js';

function backend() {
  const root = gitRepo();
  const store = localLedger({ root });
  const context = {
    root,
    environments: [{ name: 'dev' }, { name: 'uat' }],
    allowSkippingEnvironments: false,
    store,
    deployments: store,
  };
  const deployer: Deployer = bindToProject(
    commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'] }),
    context,
  );
  return { store, deployer, promoter: bindToProject(defaultPromoter(), { ...context, deployer }) };
}

test('a promoter of one’s own that cannot plan: each flow goes through its promote, and its result is reported', async () => {
  const { deployer } = backend();
  const asked: string[] = [];
  const own: Promoter = {
    promote: (request, run) => {
      asked.push(`${request.flow.name} ${request.from}→${request.to}`);
      return deployer.deploy({ flow: request.flow, env: request.to }, run);
    },
  };
  const results = await promoteFlows(own, [flowOf('a'), flowOf('b')], { from: 'dev', to: 'uat' }, collectingRun());
  assert.deepEqual(asked, ['a dev→uat', 'b dev→uat']);
  assert.deepEqual(
    results.map((r) => [r.flow, r.env, r.outcome, r.deployment?.env]),
    [
      ['a', 'uat', 'succeeded', 'uat'],
      ['b', 'uat', 'succeeded', 'uat'],
    ],
  );
});

test('a flow with nothing to promote is refused with the hint to deploy it; a cancelled batch says what it did not start', async () => {
  const { deployer, promoter } = backend();
  await deployer.deploy({ flow: flowOf('a'), env: 'dev' }, collectingRun());
  const [refused, sent] = await promoteFlows(
    promoter,
    [flowOf('b'), flowOf('a')],
    { from: 'dev', to: 'uat' },
    collectingRun(),
  );
  assert.equal(refused!.outcome, 'refused');
  assert.deepEqual(refused!.hint, { command: 'deploy', args: ['b', '--env', 'dev'] });
  assert.equal(sent!.outcome, 'succeeded');
  assert.equal(sent!.hint, undefined);

  const controller = new AbortController();
  controller.abort();
  const cancelled = await promoteFlows(
    promoter,
    [flowOf('a'), flowOf('b')],
    { from: 'dev', to: 'uat' },
    collectingRun(controller.signal),
  );
  assert.deepEqual(
    cancelled.map((r) => [r.outcome, r.message, r.deployment]),
    [
      ['cancelled', 'a: not started, cancelled', null],
      ['cancelled', 'b: not started, cancelled', null],
    ],
  );
});

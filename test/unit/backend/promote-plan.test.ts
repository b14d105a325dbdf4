/**
 * The default promoter's plan and what it says, for the mutants of promoter.ts that the other
 * backend tests let live (test/MUTATION.md): where to promote from when the source runs nothing,
 * a finder that answers more than it was asked, a dirty source, and a promoter used on its own.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  bindToProject,
  commandDeployer,
  defaultPromoter,
  flowportErrorKind,
  localLedger,
  type DeploymentFinder,
  type Deployer,
  type EnvironmentConfig,
} from '../../../sdk/src/index.js';
import { collectingRun, flowOf, gitRepo } from './fixture.js';

const four: EnvironmentConfig[] = [{ name: 'dev' }, { name: 'uat' }, { name: 'staging' }, { name: 'prod' }];

function backend(environments: EnvironmentConfig[] = four) {
  const root = gitRepo();
  const store = localLedger({ root });
  const context = { root, environments, allowSkippingEnvironments: false, store, deployments: store };
  const deployer: Deployer = bindToProject(
    commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'] }),
    context,
  );
  const promoter = bindToProject(defaultPromoter(), { ...context, deployer });
  return { root, store, deployer, promoter };
}

/** Rejects with a DeployError whose message matches, and returns it. */
async function refused(promise: Promise<unknown>, pattern: RegExp) {
  let error: unknown;
  await assert.rejects(promise, (e: unknown) => ((error = e), true));
  assert.equal(flowportErrorKind(error), 'DeployError', String(error));
  assert.match((error as Error).message, pattern);
  return error as Error & { hint?: unknown };
}

test('nothing in the source: the hint promotes from the nearest environment before it that runs the flow, one step on', async () => {
  const { deployer, promoter } = backend();
  const flow = flowOf('billing');
  await deployer.deploy({ flow, env: 'dev' }, collectingRun());

  const fromUat = await refused(
    promoter.plan({ flow, from: 'uat', to: 'staging' }),
    /^cannot promote "billing" from uat to staging: uat has no successful deployment of "billing"\. dev runs it: promote it to uat first/,
  );
  assert.deepEqual(fromUat.hint, { command: 'promote', args: ['billing', '--from', 'dev', '--to', 'uat'] });

  // dev and uat run it, staging does not: the nearest one, uat, promotes to staging.
  await promoter.promote({ flow, from: 'dev', to: 'uat' }, collectingRun());
  const fromStaging = await refused(
    promoter.plan({ flow, from: 'staging', to: 'prod' }),
    /staging has no successful deployment of "billing"\. uat runs it: promote it to staging first/,
  );
  assert.deepEqual(fromStaging.hint, { command: 'promote', args: ['billing', '--from', 'uat', '--to', 'staging'] });
});

test('nothing in the source and nothing before it: the hint deploys there, whatever runs after it', async () => {
  const { deployer, promoter } = backend();
  const flow = flowOf('billing');
  // Deployed straight to staging: it is after dev and uat, so it is no source for them.
  await deployer.deploy({ flow, env: 'staging' }, collectingRun());
  for (const [from, to] of [
    ['dev', 'uat'],
    ['uat', 'staging'],
  ] as const) {
    const error = await refused(
      promoter.plan({ flow, from, to }),
      new RegExp(`${from} has no successful deployment of "billing"\\. Deploy it there first`),
    );
    assert.doesNotMatch(error.message, /runs it/);
    assert.deepEqual(error.hint, { command: 'deploy', args: ['billing', '--env', from] });
  }
});

test('a finder that answers more than it is asked: the plan still takes the latest success of that flow in that environment', async () => {
  const { store, deployer } = backend();
  const billing = flowOf('billing');
  const good = await deployer.deploy({ flow: billing, env: 'dev' }, collectingRun());
  // Later attempts that are not billing's success in dev: another flow, another environment, a failure.
  await deployer.deploy({ flow: flowOf('reports'), env: 'dev' }, collectingRun());
  await deployer.deploy({ flow: billing, env: 'prod' }, collectingRun());
  const failing = await store.create({ flowName: 'billing', env: 'dev', commit: 'f'.repeat(40), ref: 'HEAD' });
  await store.update(failing.id, { status: 'failed' });

  // A finder of one's own that ignores the query and returns every deployment it has.
  const everything: DeploymentFinder = { findDeployments: () => store.findDeployments({ history: true }) };
  const promoter = defaultPromoter({ environments: four, deployments: everything, deployer });
  const plan = await promoter.plan({ flow: billing, from: 'dev', to: 'uat' });
  assert.equal(plan.action, 'deploy');
  assert.equal(plan.source.id, good.id);
  assert.equal(plan.target, undefined);
});

test('a source deployed with uncommitted changes: the promote says the target gets the commit as committed', async () => {
  const { root, deployer, promoter } = backend();
  const flow = flowOf('billing');
  writeFileSync(join(root, 'version.txt'), 'uncommitted\n');
  const dirty = await deployer.deploy({ flow, env: 'dev' }, collectingRun());
  assert.equal(dirty.attributes.dirty, true);
  const run = collectingRun();
  await promoter.promote({ flow, from: 'dev', to: 'uat' }, run);
  assert.ok(
    run.lines.includes(
      `[flowport] note: dev's deployment ${dirty.id} was made with uncommitted changes; uat gets ${dirty.commit.slice(0, 12)} as committed.`,
    ),
    run.lines.join('\n'),
  );

  // A clean source: no such note.
  const { deployer: cleanDeployer, promoter: cleanPromoter } = backend();
  await cleanDeployer.deploy({ flow, env: 'dev' }, collectingRun());
  const clean = collectingRun();
  await cleanPromoter.promote({ flow, from: 'dev', to: 'uat' }, clean);
  assert.equal(clean.lines.filter((l) => l.includes('uncommitted')).length, 0, clean.lines.join('\n'));
});

test('a default promoter used on its own: environments as plain names; what it lacks is a DeployError saying what to pass', async () => {
  const { store, deployer } = backend();
  const flow = flowOf('billing');
  await deployer.deploy({ flow, env: 'dev' }, collectingRun());

  const plain = defaultPromoter({ environments: ['dev', 'uat', 'prod'], deployments: store, deployer });
  assert.equal((await plain.plan({ flow, from: 'dev', to: 'uat' })).action, 'deploy');
  // Skipping is off unless asked for.
  assert.throws(() => plain.checkRoute('billing', 'dev', 'prod'), /the next environment after dev is uat/);
  defaultPromoter({ environments: ['dev', 'uat', 'prod'], allowSkippingEnvironments: true }).checkRoute(
    'billing',
    'dev',
    'prod',
  );

  await refused(
    defaultPromoter({ environments: four, deployer }).plan({ flow, from: 'dev', to: 'uat' }),
    /^defaultPromoter needs deployments: use it through a project or pass \{ deployments \}$/,
  );
  await refused(
    defaultPromoter({ environments: four, deployments: store }).promote(
      { flow, from: 'dev', to: 'uat' },
      collectingRun(),
    ),
    /^defaultPromoter needs a deployer: use it through a project or pass \{ deployer \}$/,
  );
  for (const environments of [undefined, []]) {
    await refused(
      defaultPromoter({ ...(environments ? { environments } : {}), deployments: store, deployer }).plan({
        flow,
        from: 'dev',
        to: 'uat',
      }),
      /^defaultPromoter needs environments: use it through a project or pass \{ environments \}$/,
    );
  }
});

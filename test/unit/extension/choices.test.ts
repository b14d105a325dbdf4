// What the Deploy and Promote pickers offer, and the fix a refusal's button runs: decided from the
// view model (flows, deployments, environments) alone, so tested in plain Node.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { promoteSources, promoteTargets, deployTargets } from '../../../extension/src/commands/choices.js';
import type { FolderState } from '../../../extension/src/store.js';
import { actionOfHint, fixesFor, refusalOf } from '../../../extension/src/tasks/refusal.js';
import type { DeploymentDetails, FlowDetails } from '../../../sdk/src/model.js';
import { deploymentOf as dep, flowAt as flow } from '../../helpers/records.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const invoices = flow('send-invoices', 'src/billing/invoices.ts');

/** The data a FolderState holds about a folder (its client is not used here). */
function folder(
  deployments: DeploymentDetails[],
  options: { skip?: boolean; flows?: FlowDetails[] } = {},
): FolderState {
  return {
    folder: { uri: { fsPath: '/p' }, name: 'p', index: 0 },
    project: {
      root: '/p',
      configFile: '/p/flowport.config.ts',
      environments: [{ name: 'dev' }, { name: 'uat' }, { name: 'prod', protected: true }],
      configSources: [],
      allowSkippingEnvironments: options.skip ?? false,
    },
    flows: options.flows ?? [invoices],
    diagnostics: [],
    deployments,
  } as unknown as FolderState;
}

test('Promote from: nothing deployed anywhere offers nothing, each with its reason', () => {
  assert.deepEqual(promoteSources(folder([]), [invoices]), [
    { env: 'dev', reason: 'nothing of "send-invoices" deployed there yet' },
    { env: 'uat', reason: 'nothing of "send-invoices" deployed there yet' },
    { env: 'prod', reason: 'the last environment: there is nothing after it' },
  ]);
});

test('Promote from: dev once it runs a commit uat does not; not once uat runs it too', () => {
  const devOnly = folder([dep('send-invoices', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z')]);
  assert.deepEqual(promoteSources(devOnly, [invoices])[0], { env: 'dev', description: 'aaaaaaa → uat' });
  const both = folder([
    dep('send-invoices', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z'),
    dep('send-invoices', 'uat', A, 'succeeded', '2026-01-01T00:01:00Z'),
  ]);
  assert.deepEqual(promoteSources(both, [invoices]).slice(0, 2), [
    { env: 'dev', reason: 'uat already runs aaaaaaa' },
    { env: 'uat', description: 'aaaaaaa → prod' },
  ]);
  // A failed attempt is not what runs there.
  const failed = folder([dep('send-invoices', 'dev', A, 'failed', '2026-01-01T00:00:00Z')]);
  assert.equal(promoteSources(failed, [invoices])[0]!.reason, 'nothing of "send-invoices" deployed there yet');
});

test('Promote from dev to: prod only when skipping is allowed', () => {
  const deployments = [dep('send-invoices', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z')];
  assert.deepEqual(promoteTargets(folder(deployments), [invoices], 'dev'), [
    { env: 'uat' },
    { env: 'prod', reason: 'skips uat (flowport.config.ts does not set allowSkippingEnvironments)' },
  ]);
  assert.deepEqual(promoteTargets(folder(deployments, { skip: true }), [invoices], 'dev'), [
    { env: 'uat' },
    { env: 'prod', description: 'protected' },
  ]);
});

test('Deploy to: where the flow still deploys (running or queued) it queues, and says so', () => {
  for (const status of ['running', 'queued'] as const) {
    const state = folder([dep('send-invoices', 'uat', B, status, '2026-01-01T00:00:00Z')]);
    assert.deepEqual(deployTargets(state, [invoices]), [
      { env: 'dev' },
      { env: 'uat', description: 'queues behind the deploy of "send-invoices" there now' },
      { env: 'prod', description: 'protected' },
    ]);
  }
});

test('Deploy to: not a locked environment, nor one where the flow is locked, saying who, why and since', () => {
  const state = folder([]);
  const at = '2026-01-01T00:00:00.000Z';
  state.locks = [
    { id: 'l1', env: 'uat', reason: 'freeze', by: 'ann@box', at },
    { id: 'l2', env: 'prod', flowName: 'send-invoices', reason: 'audit', by: 'bob@box', at },
    { id: 'l3', env: 'dev', flowName: 'other-flow', reason: 'not this one', by: 'bob@box', at },
  ];
  assert.deepEqual(deployTargets(state, [invoices]), [
    { env: 'dev' },
    { env: 'uat', reason: `uat is locked by ann@box since ${at}: "freeze"` },
    { env: 'prod', reason: `"send-invoices" in prod is locked by bob@box since ${at}: "audit"` },
  ]);
});

test('a refused promote’s fix: deploy where nothing runs, promote from the one before when it runs it, the next step for a skip', () => {
  const route = { action: 'promote', from: 'uat', to: 'prod' } as const;
  assert.deepEqual(fixesFor(folder([]), route, [invoices]), [
    { title: 'Deploy send-invoices to uat', command: 'flowport.deploy', arguments: [[invoices.id], 'uat'] },
  ]);
  const devRuns = folder([dep('send-invoices', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z')]);
  assert.deepEqual(fixesFor(devRuns, route, [invoices]), [
    { title: 'Promote send-invoices dev → uat', command: 'flowport.promote', arguments: [[invoices.id], 'dev'] },
  ]);
  assert.deepEqual(fixesFor(devRuns, { action: 'promote', from: 'dev', to: 'prod' }, [invoices]), [
    { title: 'Promote send-invoices dev → uat', command: 'flowport.promote', arguments: [[invoices.id], 'dev'] },
  ]);
  assert.deepEqual(fixesFor(devRuns, { action: 'deploy', env: 'dev' }, [invoices]), []);
});

test('the SDK’s hint is the button, and its command line leaves the message', () => {
  const state = folder([]);
  const hint = { command: 'deploy' as const, args: ['send-invoices', '--env', 'dev'] };
  assert.deepEqual(actionOfHint(state, hint), {
    title: 'Deploy send-invoices to dev',
    command: 'flowport.deploy',
    arguments: [[invoices.id], 'dev'],
  });
  const refusal = refusalOf(
    state,
    { action: 'promote', from: 'dev', to: 'uat' },
    [invoices],
    'cannot promote "send-invoices" from dev to uat: dev has no successful deployment of "send-invoices". Deploy it there first: flowport deploy send-invoices --env dev',
    hint,
  );
  assert.equal(
    refusal.message,
    'cannot promote "send-invoices" from dev to uat: dev has no successful deployment of "send-invoices". Deploy it there first.',
  );
  assert.deepEqual(
    refusal.actions.map((a) => a.title),
    ['Deploy send-invoices to dev'],
  );
  // A promote hint is a button only for the step flowport.promote takes (to the next environment).
  const step = { command: 'promote' as const, args: ['send-invoices', '--from', 'dev', '--to', 'uat'] };
  assert.equal(actionOfHint(state, step)?.title, 'Promote send-invoices dev → uat');
  assert.equal(actionOfHint(state, { ...step, args: ['send-invoices', '--from', 'dev', '--to', 'prod'] }), undefined);
  // Another project's command, or one the editor does not run, stays text.
  assert.equal(actionOfHint(state, { ...hint, root: '/elsewhere' }), undefined);
  assert.equal(actionOfHint(state, { command: 'cancel', args: ['d1'] }), undefined);
});

/**
 * Which deployments hold a flow in an environment (backend/in-progress.ts), on its own: the runner
 * and preflight ask their store for that flow and environment only, so their tests cannot tell
 * whether this function checks the environment and the flow itself. A store of one's own may
 * answer with more than it was asked.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unfinishedDeployments } from '../../../sdk/src/backend/in-progress.js';
import { deploymentOf as dep } from '../../helpers/records.js';

const at = '2026-01-01T00:00:00.000Z';
const ids = (ds: Array<{ id: string }>) => ds.map((d) => d.id);

test('the first unfinished deployment of each asked flow to the asked environment, in the order given', () => {
  const otherEnv = dep('billing', 'uat', 'a', 'running', at);
  const otherFlow = dep('reports', 'dev', 'a', 'pending', at);
  const finished = (['succeeded', 'failed', 'cancelled', 'interrupted'] as const).map((s) =>
    dep('billing', 'dev', 'a', s, at),
  );
  const billing = dep('billing', 'dev', 'b', 'pending', at);
  const billingLater = dep('billing', 'dev', 'c', 'running', at);
  const weekly = dep('weekly', 'dev', 'd', 'running', at);
  const all = [otherEnv, otherFlow, ...finished, weekly, billing, billingLater];

  assert.deepEqual(ids(unfinishedDeployments(all, ['billing', 'weekly'], 'dev')), [weekly.id, billing.id]);
  assert.deepEqual(ids(unfinishedDeployments(all, ['billing'], 'dev')), [billing.id]);
  assert.deepEqual(ids(unfinishedDeployments(all, ['billing'], 'uat')), [otherEnv.id]);
  assert.deepEqual(ids(unfinishedDeployments(all, ['billing'], 'prod')), []);
  assert.deepEqual(ids(unfinishedDeployments(all, [], 'dev')), []);
  assert.deepEqual(ids(unfinishedDeployments(finished, ['billing'], 'dev')), []);
});

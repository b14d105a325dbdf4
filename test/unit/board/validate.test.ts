import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkMessage, type FlowLookup } from '../../../extension/src/board/validate.js';

const lookup: FlowLookup = (id) => (id === 'src/a.ts#a' ? { envs: ['dev', 'uat', 'prod'] } : undefined);
const error = (raw: unknown) => {
  const checked = checkMessage(raw, lookup);
  return checked.ok ? undefined : checked.error;
};

test('accepts well-formed intents and passes on only their known fields', () => {
  assert.deepEqual(checkMessage({ type: 'ready' }, lookup), { ok: true, message: { type: 'ready' } });
  assert.deepEqual(
    checkMessage({ type: 'deploy', flowId: 'src/a.ts#a', env: 'dev', ref: 'main', extra: 'dropped' }, lookup),
    { ok: true, message: { type: 'deploy', flowId: 'src/a.ts#a', env: 'dev', ref: 'main' } },
  );
  assert.equal(error({ type: 'promote', flowId: 'src/a.ts#a', from: 'uat', to: 'prod' }), undefined);
  assert.equal(error({ type: 'history', requestId: 7, flowId: 'src/a.ts#a', env: 'prod' }), undefined);
});

test('rejects what is not an intent', () => {
  assert.match(error(null)!, /not an object/);
  assert.match(error([])!, /not an object/);
  assert.match(error({ type: 'runShell', command: 'rm -rf /' })!, /unknown message type "runShell"/);
  assert.match(error({ type: 'toString' })!, /unknown message type/);
  assert.match(error({ type: 'deploy', flowId: 'src/a.ts#a', env: 'dev' })!, /ref must be a non-empty one-line string/);
  assert.match(error({ type: 'deploy', flowId: 'src/a.ts#a', env: 'dev', ref: 'a\nb' })!, /ref must be/);
  assert.match(
    error({ type: 'history', requestId: '1', flowId: 'src/a.ts#a', env: 'dev' })!,
    /requestId must be an integer/,
  );
});

test('rejects unknown flows and environments, and promotes that skip or go back', () => {
  assert.match(error({ type: 'deploy', flowId: 'src/b.ts#b', env: 'dev', ref: 'HEAD' })!, /unknown flow "src\/b.ts#b"/);
  assert.match(
    error({ type: 'deploy', flowId: 'src/a.ts#a', env: 'staging', ref: 'HEAD' })!,
    /unknown environment "staging"/,
  );
  assert.match(error({ type: 'deploy', flowId: 'src/a.ts#a', env: 'dev', ref: '--upload-pack=x' })!, /not a branch/);
  assert.match(error({ type: 'promote', flowId: 'src/a.ts#a', from: 'dev', to: 'prod' })!, /prod does not follow dev/);
  assert.match(error({ type: 'promote', flowId: 'src/a.ts#a', from: 'uat', to: 'dev' })!, /dev does not follow uat/);
  assert.match(error({ type: 'promote', flowId: 'src/a.ts#a', from: 'prod', to: 'qa' })!, /unknown environment "qa"/);
  assert.match(error({ type: 'openLog', flowId: 'src/a.ts#a', env: 'x', deploymentId: 'd1' })!, /unknown environment/);
  assert.match(error({ type: 'openFlow', flowId: 'nope' })!, /unknown flow/);
});

test('a text field over 1024 characters is refused, whatever the field; 1024 is still taken', () => {
  const anyFlow: FlowLookup = () => ({ envs: ['dev', 'uat'] });
  const check = (raw: unknown) => {
    const checked = checkMessage(raw, anyFlow);
    return checked.ok ? undefined : checked.error;
  };
  const fits = 'a'.repeat(1024);
  const over = 'a'.repeat(1025);
  assert.equal(check({ type: 'deploy', flowId: 'f', env: 'dev', ref: fits }), undefined);
  assert.match(check({ type: 'deploy', flowId: 'f', env: 'dev', ref: over })!, /^deploy: ref must be/);
  assert.equal(check({ type: 'openLog', flowId: 'f', env: 'dev', deploymentId: fits }), undefined);
  assert.match(
    check({ type: 'openLog', flowId: 'f', env: 'dev', deploymentId: over })!,
    /^openLog: deploymentId must be/,
  );
  assert.equal(check({ type: 'openFlow', flowId: fits }), undefined);
  assert.match(check({ type: 'openFlow', flowId: over })!, /^openFlow: flowId must be/);
});

test("a group's Promote: known flows of one folder, on a route of it; a forged one is refused", () => {
  const flows: Record<string, { envs: string[]; folder: string }> = {
    'src/platform/db.ts#db': { envs: ['dev', 'uat', 'prod'], folder: 'file:///shop' },
    'src/platform/api.ts#api': { envs: ['dev', 'uat', 'prod'], folder: 'file:///shop' },
    'src/other.ts#other': { envs: ['dev', 'uat', 'prod'], folder: 'file:///warehouse' },
  };
  const check = (raw: unknown) => {
    const checked = checkMessage(raw, (id) => flows[id]);
    return checked.ok ? undefined : checked.error;
  };
  const both = ['src/platform/db.ts#db', 'src/platform/api.ts#api'];
  assert.deepEqual(
    checkMessage({ type: 'promoteGroup', flowIds: both, from: 'uat', to: 'prod', run: 'rm -rf /' }, (id) => flows[id]),
    { ok: true, message: { type: 'promoteGroup', flowIds: both, from: 'uat', to: 'prod' } },
  );
  const forged = (flowIds: unknown, from = 'uat', to = 'prod') => check({ type: 'promoteGroup', flowIds, from, to });
  assert.match(forged([...both, 'src/evil.ts#evil'])!, /^promoteGroup: unknown flow "src\/evil.ts#evil"$/);
  assert.match(forged([both[0], 'src/other.ts#other'])!, /not of one folder/);
  assert.match(forged(both, 'uat', 'staging')!, /unknown environment "staging"/);
  assert.match(forged(both, 'qa', 'prod')!, /unknown environment "qa"/);
  assert.match(forged(both, 'dev', 'prod')!, /prod does not follow dev/);
  assert.match(forged(both, 'prod', 'uat')!, /uat does not follow prod/);
  for (const bad of [[], 'src/platform/db.ts#db', [both[0], both[0]], [both[0], 7], ['a\nb'], null, { 0: both[0] }]) {
    assert.match(forged(bad)!, /^promoteGroup: flowIds must be a list of 1 to 1000 different/, JSON.stringify(bad));
  }
  assert.match(forged(Array.from({ length: 1001 }, (_, i) => `f${i}`))!, /flowIds must be a list/);
});

// The SDK host's errors as the editor receives them: a Flowport error keeps its message, its kind
// and its hint (the fix as a command); vscode-jsonrpc's "Request … failed with message" wrapper is
// for what is not one. A real host process over stdio, as sdk-host.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc/node';
import { FLOWPORT_ERROR_CODE, Methods, type HostErrorData } from '../../../sdk/src/host/protocol.js';
import { localLedger } from '../../../sdk/src/index.js';
import { gitProject, startHost } from '../../helpers/host.js';

function project(): string {
  return gitProject({
    'flowport.config.ts': `import { commandDeployer, defineConfig } from 'flowport';\nexport default defineConfig({ environments: ['dev', 'uat', 'prod'], deploy: commandDeployer({ command: [process.execPath, '-e', ''] }) });\n`,
    'jobs/a.ts': `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'alpha' }, async () => 1);\n`,
  });
}

async function rejection(promise: Promise<unknown>): Promise<ResponseError<HostErrorData>> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ResponseError, String(err));
    return err as ResponseError<HostErrorData>;
  }
  assert.fail('the request did not fail');
}

test('a refused preflight (a promote that skips an environment) is a Flowport error, unwrapped', async () => {
  const { connection } = startHost(project());
  const { flows } = await connection.sendRequest(Methods.flows, {});
  const flowIds = flows.map((f) => f.id);
  const err = await rejection(
    connection.sendRequest(Methods.preflight, { action: 'promote', flowIds, from: 'dev', to: 'prod' }),
  );
  assert.equal(err.code, FLOWPORT_ERROR_CODE);
  assert.equal(err.data?.kind, 'UsageError');
  assert.match(err.message, /^cannot promote "alpha" from dev to prod: the next environment after dev is uat\./);
});

test('a refused deploy request names its kind; an unknown flow is a UsageError with no wrapper', async () => {
  const { connection } = startHost(project());
  const err = await rejection(
    connection.sendRequest(Methods.deploy, { runId: 'r1', flowIds: ['jobs/a.ts#nope'], env: 'dev' }),
  );
  assert.equal(err.code, FLOWPORT_ERROR_CODE);
  assert.equal(err.data?.kind, 'UsageError');
  assert.doesNotMatch(err.message, /failed with message/);
  assert.match(err.message, /^unknown flow jobs\/a\.ts#nope/);
});

test('a preflight refused while the flow still deploys there carries its fix as data', async () => {
  const root = project();
  const { connection } = startHost(root);
  const { flows } = await connection.sendRequest(Methods.flows, {});
  // A deploy of alpha to dev under way (its runner, this process, is alive).
  const busy = await localLedger({ root }).create({
    flowName: 'alpha',
    env: 'dev',
    commit: 'c'.repeat(40),
    ref: 'HEAD',
  });
  const result = await connection.sendRequest(Methods.preflight, {
    action: 'deploy',
    flowIds: flows.map((f) => f.id),
    env: 'dev',
    queue: false,
  });
  assert.match(result.refusal ?? '', /"alpha" is already deploying to dev/);
  assert.deepEqual(result.refusalHint, { command: 'cancel', args: [busy.id] });
  await localLedger({ root }).update(busy.id, { status: 'cancelled' });
});

// The SDK host's safe operations, as the editor asks for them over JSON-RPC (a real host process,
// real git, the local ledger): locks with the CLI's confirmation rule, approvals by git identity
// with the CLI's refusal, releases and a rollback run like a deploy.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc/node';
import { FLOWPORT_ERROR_CODE, Methods, type RunLogParams } from '../../../sdk/src/host/protocol.js';
import { localLedger } from '../../../sdk/src/index.js';
import { waitFor } from '../backend/fixture.js';
import { gitProject, startHost } from '../../helpers/host.js';

const CONFIG = (envs: string) =>
  `import { commandDeployer, defineConfig } from 'flowport';\nexport default defineConfig({ environments: ${envs}, deploy: commandDeployer({ command: [process.execPath, 'deploy.mjs'] }) });\n`;
const FILES = (envs: string) => ({
  'flowport.config.ts': CONFIG(envs),
  'deploy.mjs': `console.log('deploying ' + process.env.FLOWPORT_FLOW + ' at ' + process.env.FLOWPORT_COMMIT);\n`,
  'jobs/a.ts': `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'alpha' }, async () => 1);\n`,
});
const FLOW = 'jobs/a.ts#alpha';

/** The Flowport error a request was refused with (its message), failing on any other outcome. */
async function refused(request: Promise<unknown>): Promise<string> {
  try {
    await request;
  } catch (err) {
    assert.ok(err instanceof ResponseError, String(err));
    assert.equal(err.code, FLOWPORT_ERROR_CODE, err.message);
    return err.message;
  }
  assert.fail('the request was not refused');
}

test("locks: a lock refuses a deploy with its Unlock; someone else's lock is lifted only when confirmed", async () => {
  const root = gitProject(FILES("['dev', 'prod']"));
  const { connection } = startHost(root);
  const taken = await connection.sendRequest(Methods.lock, { env: 'dev', reason: 'freeze' });
  assert.equal(taken.taken, true);
  const { locks, me } = await connection.sendRequest(Methods.locks);
  assert.deepEqual(
    locks.map((l) => [l.env, l.reason, l.by]),
    [['dev', 'freeze', me]],
  );
  assert.equal((await connection.sendRequest(Methods.lock, { env: 'dev', reason: 'again' })).taken, false);
  const preflight = await connection.sendRequest(Methods.preflight, { action: 'deploy', flowIds: [FLOW], env: 'dev' });
  assert.match(preflight.refusal ?? '', /dev is locked by .* since .*: "freeze"/);
  assert.deepEqual(preflight.refusalHint, { command: 'unlock', args: ['dev'] });
  // My own lock: lifted without a confirmation.
  await connection.sendRequest(Methods.unlock, { env: 'dev', lockId: taken.lock.id });
  assert.deepEqual((await connection.sendRequest(Methods.locks)).locks, []);

  // Another user's lock, as their process would append it.
  const mine = await localLedger({ root }).lock({ env: 'prod', reason: 'theirs' });
  const file = join(root, '.flowport', 'ledger.jsonl');
  const line = readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .find((l) => l.includes(mine.lock.id))!;
  await localLedger({ root }).unlock({ env: 'prod', lockId: mine.lock.id });
  appendFileSync(
    file,
    `${JSON.stringify({ ...(JSON.parse(line) as object), by: 'dana@elsewhere', lockId: 'lock-dana' })}\n`,
  );
  assert.match(
    await refused(connection.sendRequest(Methods.unlock, { env: 'prod' })),
    /prod is locked by dana@elsewhere .*, not by you \(.*\): confirm to unlock it\./,
  );
  assert.equal((await connection.sendRequest(Methods.locks)).locks.length, 1);
  const lifted = await connection.sendRequest(Methods.unlock, { env: 'prod', lockId: 'lock-dana', confirmed: true });
  assert.equal(lifted.by, 'dana@elsewhere');
  assert.deepEqual((await connection.sendRequest(Methods.locks)).locks, []);
  assert.match(await refused(connection.sendRequest(Methods.lock, { env: 'dev', reason: '  ' })), /say why/);
  assert.match(
    await refused(connection.sendRequest(Methods.lock, { env: 'nope', reason: 'x' })),
    /unknown environment/,
  );
});

test('approvals: the asker is refused in the CLI’s words; another git identity approves and it runs', async () => {
  const root = gitProject(FILES("['dev', { name: 'prod', approval: { required: 1 } }]"));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore' });
  git('config', 'user.email', 'asker@example.invalid');
  const { connection } = startHost(root);
  const [result] = await connection.sendRequest(Methods.deploy, { runId: 'r1', flowIds: [FLOW], env: 'prod' });
  assert.equal(result!.outcome, 'awaiting-approval', JSON.stringify(result));
  const id = result!.deployment!.id;
  const { requests, me } = await connection.sendRequest(Methods.approvals);
  assert.equal(me, 'asker@example.invalid');
  assert.deepEqual(
    requests.map((r) => [r.deployment.id, r.request.requestedBy, r.needed]),
    [[id, 'asker@example.invalid', 1]],
  );
  assert.match(
    await refused(connection.sendRequest(Methods.approve, { deploymentId: id })),
    /^cannot approve .*: you \(asker@example\.invalid\) asked for it, and an approval by another identity is required\.$/,
  );
  assert.match(await refused(connection.sendRequest(Methods.reject, { deploymentId: id, reason: ' ' })), /say why/);
  git('config', 'user.email', 'approver@example.invalid');
  const outcome = await connection.sendRequest(Methods.approve, { deploymentId: id });
  assert.equal(outcome.state, 'approved');
  assert.match(outcome.message, /^Approved by approver@example\.invalid: .* runs now, through the queue\.$/);
  const done = await waitFor(async () => {
    const d = await localLedger({ root }).getDeployment(id);
    return d?.status === 'succeeded' ? d : undefined;
  }, 'the approved deploy to succeed');
  assert.deepEqual(done.attributes.approvedBy, ['approver@example.invalid']);
  assert.deepEqual((await connection.sendRequest(Methods.approvals)).requests, []);
});

test('releases newest first, and a rollback run like a deploy restores the release before', async () => {
  const root = gitProject(FILES("['dev']"));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore' });
  const { connection } = startHost(root);
  const deploy = async (runId: string) =>
    (await connection.sendRequest(Methods.deploy, { runId, flowIds: [FLOW], env: 'dev' }))[0]!.deployment!;
  const first = await deploy('d1');
  writeFileSync(join(root, 'jobs', 'a.ts'), `${readFileSync(join(root, 'jobs', 'a.ts'), 'utf8')}export const v = 2;\n`);
  git('-c', 'user.name=T', '-c', 'user.email=t@example.invalid', 'commit', '-qam', 'v2');
  const second = await deploy('d2');
  assert.notEqual(first.commit, second.commit);
  const releases = await connection.sendRequest(Methods.releases, { flowId: FLOW, env: 'dev' });
  assert.deepEqual(
    releases.map((r) => [r.deploymentId, r.state]),
    [
      [second.id, 'current'],
      [first.id, 'superseded'],
    ],
  );
  const lines: string[] = [];
  connection.onNotification(Methods.runLog, (p: RunLogParams) => {
    if (p.runId === 'rb') lines.push(p.line);
  });
  const [rolled] = await connection.sendRequest(Methods.rollback, { runId: 'rb', flowIds: [FLOW], env: 'dev' });
  assert.equal(rolled!.outcome, 'succeeded', JSON.stringify(rolled));
  assert.equal(rolled!.deployment!.commit, first.commit);
  assert.deepEqual(rolled!.deployment!.attributes.rollback, { restores: first.id, replaces: second.id });
  assert.ok(
    lines.some((l) => l.includes(`at ${first.commit}`)),
    lines.join('\n'),
  );
  const after = await connection.sendRequest(Methods.releases, { flowId: FLOW, env: 'dev' });
  assert.deepEqual(
    after.map((r) => r.state),
    ['current', 'rolled back', 'superseded'],
  );
});

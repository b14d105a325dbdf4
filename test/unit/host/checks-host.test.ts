// Pre-deploy checks through the SDK host, as the editor asks for them over JSON-RPC (a real host
// process, real git, the local ledger): preflight shows a failing check with its output, the
// override's reason is validated by the host, and a deploy, promote or rollback with one records
// who overrode which checks and why, as `flowport deploy --override-checks` does.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc/node';
import { FLOWPORT_ERROR_CODE, Methods, type RunLogParams } from '../../../sdk/src/host/protocol.js';
import { overrideReason } from '../../../sdk/src/host/session.js';
import { localLedger } from '../../../sdk/src/index.js';
import { gitProject, startHost } from '../../helpers/host.js';

// prod's check fails (exit 3) and says why on stdout; dev has none.
const FILES = {
  'flowport.config.ts': `import { check, commandDeployer, defineConfig } from 'flowport';
export default defineConfig({
  environments: ['dev', { name: 'prod', checks: [check({ name: 'ci', command: [process.execPath, '-e', "console.log('build 41 is red'); process.exit(3)"] })] }],
  allowSkippingEnvironments: true,
  deploy: commandDeployer({ command: [process.execPath, 'deploy.mjs'] }),
});
`,
  'deploy.mjs': `console.log('deploying ' + process.env.FLOWPORT_FLOW);\n`,
  'jobs/a.ts': `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'alpha' }, async () => 1);\n`,
};
const FLOW = 'jobs/a.ts#alpha';

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

test('overrideChecks: absent, or a non-empty string of at most 500 characters, trimmed', () => {
  assert.equal(overrideReason(undefined), undefined);
  assert.equal(overrideReason('  hotfix INC-7 '), 'hotfix INC-7');
  assert.equal(overrideReason('x'.repeat(500)), 'x'.repeat(500));
  assert.throws(() => overrideReason(''), /overrideChecks needs a reason/);
  assert.throws(() => overrideReason(' \n '), /overrideChecks needs a reason/);
  assert.throws(() => overrideReason(42), /overrideChecks must be a string .*not number/);
  assert.throws(() => overrideReason(true), /must be a string/);
  assert.throws(() => overrideReason('x'.repeat(501)), /501 characters long; at most 500/);
});

test('a failing check: preflight shows it with its output; a deploy with a reason records the override', async () => {
  const root = gitProject(FILES);
  const { connection } = startHost(root);
  const ledger = localLedger({ root });

  const checked = await connection.sendRequest(Methods.preflight, { action: 'deploy', flowIds: [FLOW], env: 'prod' });
  assert.match(checked.refusal ?? '', /check "ci" failed for prod: nothing was sent/);
  assert.deepEqual(
    checked.checks?.map((c) => [c.name, c.ok, c.message, c.output]),
    [['ci', false, 'exited with code 3', ['build 41 is red']]],
  );

  // Bad reasons are refused before anything runs or is recorded.
  for (const [bad, said] of [
    ['', /needs a reason/],
    ['   ', /needs a reason/],
    [7, /must be a string/],
    ['y'.repeat(501), /at most 500/],
  ] as const) {
    const message = await refused(
      connection.sendRequest(Methods.deploy, {
        runId: `bad-${String(bad).length}-${typeof bad}`,
        flowIds: [FLOW],
        env: 'prod',
        overrideChecks: bad as string,
      }),
    );
    assert.match(message, said);
  }
  assert.deepEqual(await ledger.findDeployments({ envs: ['prod'], history: true }), []);

  const lines: string[] = [];
  connection.onNotification(Methods.runLog, (p: RunLogParams) => {
    if (p.runId === 'over') lines.push(p.line);
  });
  const [result] = await connection.sendRequest(Methods.deploy, {
    runId: 'over',
    flowIds: [FLOW],
    env: 'prod',
    overrideChecks: 'hotfix for INC-123',
  });
  assert.equal(result!.outcome, 'succeeded', JSON.stringify(result));
  const recorded = await ledger.getDeployment(result!.deployment!.id);
  const overridden = recorded?.attributes.checksOverridden as { by: string; reason: string; failed: string[] };
  assert.equal(overridden.reason, 'hotfix for INC-123');
  assert.deepEqual(overridden.failed, ['ci']);
  assert.match(overridden.by, /\S+@\S+/);
  // The checks ran again as the run started, and the log says so.
  assert.ok(
    lines.some((l) => /✗ check ci: exited with code 3/.test(l)),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((l) => l.includes('build 41 is red')),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((l) => /checks overridden by .*\(ci\): "hotfix for INC-123"/.test(l)),
    lines.join('\n'),
  );

  // A deploy without checks to override records none, reason or not.
  const [dev] = await connection.sendRequest(Methods.deploy, {
    runId: 'dev',
    flowIds: [FLOW],
    env: 'dev',
    overrideChecks: 'nothing to override',
  });
  assert.equal(dev!.outcome, 'succeeded');
  assert.equal(dev!.deployment!.attributes.checksOverridden, undefined);

  // A promote and a rollback carry the override to their deployments too.
  writeFileSync(join(root, 'jobs', 'a.ts'), `${readFileSync(join(root, 'jobs', 'a.ts'), 'utf8')}export const v = 2;\n`);
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.invalid', 'commit', '-qam', 'v2'], {
    cwd: root,
  });
  const [dev2] = await connection.sendRequest(Methods.deploy, { runId: 'dev2', flowIds: [FLOW], env: 'dev' });
  assert.equal(dev2!.outcome, 'succeeded');
  const reasonOf = (d: { attributes: Record<string, unknown> } | null | undefined) =>
    (d?.attributes.checksOverridden as { reason?: string } | undefined)?.reason;
  const [promoted] = await connection.sendRequest(Methods.promote, {
    runId: 'promote',
    flowIds: [FLOW],
    from: 'dev',
    to: 'prod',
    overrideChecks: 'promote anyway',
  });
  assert.equal(promoted!.outcome, 'succeeded', JSON.stringify(promoted));
  assert.equal(promoted!.deployment!.commit, dev2!.deployment!.commit);
  assert.equal(reasonOf(promoted!.deployment), 'promote anyway');
  assert.match(
    await refused(
      connection.sendRequest(Methods.rollback, { runId: 'rb0', flowIds: [FLOW], env: 'prod', overrideChecks: '' }),
    ),
    /needs a reason/,
  );
  const [rolled] = await connection.sendRequest(Methods.rollback, {
    runId: 'rb',
    flowIds: [FLOW],
    env: 'prod',
    overrideChecks: 'roll back anyway',
  });
  assert.equal(rolled!.outcome, 'succeeded', JSON.stringify(rolled));
  assert.equal(rolled!.deployment!.commit, result!.deployment!.commit);
  assert.equal(reasonOf(await ledger.getDeployment(rolled!.deployment!.id)), 'roll back anyway');
});

/** Approvals through the real CLI and runners: identities from git's config, decisions in the store. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApprovalsOutput } from '../../../sdk/src/cli/approvals.js';
import type { DecisionOutput } from '../../../sdk/src/cli/approve.js';
import { localLedger, runRecorded, type DeploymentDetails, type FlowRunResult } from '../../../sdk/src/index.js';
import { flowport } from '../../helpers/cli.js';
import { cliProject, collectingRun, git, pidAlive, scriptRecord, waitFor } from './fixture.js';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const config = (approval: string) =>
  [
    `import { defineConfig, commandDeployer } from 'flowport';`,
    `export default defineConfig({`,
    `  environments: ['dev', { name: 'prod', approval: ${approval} }],`,
    `  deploy: commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'] }),`,
    `});`,
  ].join('\n');

/** git's config, as a person sets it, for one CLI run: that person's identity. */
const as = (email: string) => ({ GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'user.email', GIT_CONFIG_VALUE_0: email });

const deployment = async (root: string, id: string): Promise<DeploymentDetails> =>
  (await localLedger({ root }).getDeployment(id))!;

function askProd(root: string): FlowRunResult {
  const r = flowport(['deploy', 'billing', '--env', 'prod', '--json'], { cwd: root, env: as('alice@example.test') });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return (JSON.parse(r.stdout) as { results: FlowRunResult[] }).results[0]!;
}

test('a deploy to an environment that asks for approval waits; the asker cannot approve it, another identity can, and it runs', async () => {
  const root = cliProject({ billing: 'jobs' }, config(`{ required: 1, notInitiator: true, expiresAfter: '24h' }`));
  const asked = askProd(root);
  assert.equal(asked.outcome, 'awaiting-approval');
  const id = asked.deployment!.id;
  assert.match(
    asked.message,
    new RegExp(`waits for approval by someone other than alice@example\\.test.*flowport approve ${id}`),
  );
  assert.equal(asked.deployment!.status, 'queued');
  assert.ok(!existsSync(join(root, 'out', `${id}.json`)), 'nothing ran yet');

  const listed = JSON.parse(flowport(['approvals', '--json'], { cwd: root }).stdout) as ApprovalsOutput;
  assert.deepEqual(
    listed.requests.map((r) => [r.deployment.id, r.request.requestedBy, r.needed]),
    [[id, 'alice@example.test', 1]],
  );

  const self = flowport(['approve', id], { cwd: root, env: as('alice@example.test') });
  assert.equal(self.code, 1);
  assert.match(
    self.stderr,
    /you \(alice@example\.test\) asked for it, and an approval by another identity is required/,
  );

  const bob = flowport(['approve', id, '--json'], { cwd: root, env: as('bob@example.test') });
  assert.equal(bob.code, 0, bob.stderr);
  const out = JSON.parse(bob.stdout) as DecisionOutput;
  assert.deepEqual([out.decision.by, out.decision.decision, out.state], ['bob@example.test', 'approved', 'approved']);

  const done = await waitFor(async () => {
    const d = await deployment(root, id);
    return d.status === 'succeeded' ? d : undefined;
  }, 'the approved deploy to run');
  assert.deepEqual(done.attributes.approvedBy, ['bob@example.test']);
  assert.equal(scriptRecord(root, id).argv.join(' '), 'billing prod');
  const again = flowport(['approve', id], { cwd: root, env: as('carol@example.test') });
  assert.equal(again.code, 2);
  assert.match(again.stderr, /is succeeded already: nothing to decide/);
  assert.equal(flowport(['approvals'], { cwd: root }).stdout.trim(), 'No deploy waits for approval.');
});

test('two approvals required: one identity counts once; a rejection ends the request and nothing runs', async () => {
  const root = cliProject({ billing: 'jobs' }, config(`{ required: 2 }`));
  const id = askProd(root).deployment!.id;
  assert.equal(flowport(['approve', id], { cwd: root, env: as('bob@example.test') }).code, 0);
  const twice = flowport(['approve', id], { cwd: root, env: as('bob@example.test') });
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /you \(bob@example\.test\) approved it already; it needs 1 more by another identity/);
  const listed = flowport(['approvals'], { cwd: root }).stdout;
  assert.match(
    listed,
    new RegExp(
      `${id}\\s+billing\\s+prod\\s+\\S+\\s+alice@example\\.test\\s+.*1 of 2 approvals \\(bob@example\\.test\\)`,
    ),
  );

  const reject = flowport(['reject', id, '--reason', 'not during the sale'], {
    cwd: root,
    env: as('carol@example.test'),
  });
  assert.equal(reject.code, 0, reject.stderr);
  const ended = await waitFor(async () => {
    const d = await deployment(root, id);
    return d.status === 'cancelled' ? d : undefined;
  }, 'the rejected deploy to end');
  assert.match(
    String(ended.attributes.reason),
    /not run: rejected by carol@example\.test at .*: "not during the sale"/,
  );
  assert.ok(!existsSync(join(root, 'out', `${id}.json`)), 'the command never ran');
  const late = flowport(['approve', id], { cwd: root, env: as('dave@example.test') });
  assert.equal(late.code, 2, 'a finished deployment has nothing to decide');
});

test('a request that expires undecided ends with nothing run, saying so in its log', async () => {
  const root = cliProject({ billing: 'jobs' }, config(`{ required: 1 }`));
  const store = localLedger({ root });
  // Long enough for the first look to find it undecided on a loaded machine, short for a test.
  const expiresAt = new Date(Date.now() + 4000).toISOString();
  const run = collectingRun();
  let worked = false;
  const ended = runRecorded(
    store,
    {
      flowName: 'billing',
      env: 'prod',
      commit: git(root, 'rev-parse', 'HEAD'),
      ref: 'HEAD',
      attributes: { approval: { required: 1, notInitiator: true, expiresAt, requestedBy: 'alice@example.test' } },
    },
    run,
    () => {
      worked = true;
      return Promise.resolve({ status: 'succeeded' });
    },
  );
  const d = await ended;
  const id = d.id;
  assert.equal(d.status, 'cancelled');
  assert.match(
    String(d.attributes.reason),
    new RegExp(`not run: its approval request expired at ${expiresAt.replace(/[.]/g, '\\.')} undecided`),
  );
  assert.equal(worked, false);
  assert.ok(
    run.lines.some((l) =>
      l.includes(
        `waiting for approval: 0 of 1 approval, not by alice@example.test. Approve it with: flowport approve ${id}`,
      ),
    ),
  );
});

test('a bad approval policy in the config is a ConfigError naming the field', () => {
  const root = cliProject({ billing: 'jobs' }, config(`{ required: 0 }`));
  const r = flowport(['deploy', 'billing', '--env', 'prod'], { cwd: root });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /flowport\.config\.ts:\d+: .*approval\.required must be at least 1/);
  const root2 = cliProject({ billing: 'jobs' }, config(`{ expiresAfter: '1 day' }`));
  const r2 = flowport(['deploy', 'billing', '--env', 'prod'], { cwd: root2 });
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /approval\.expiresAfter must be minutes, hours or days such as "30m", "24h", "7d"/);
});

test('a runner waiting for approval whose state folder is removed ends, instead of waiting for good', async () => {
  const root = cliProject({ billing: 'jobs' }, config(`{ required: 1 }`));
  const id = askProd(root).deployment!.id;
  const lease = join(root, '.flowport', 'leases', `${id}.json`);
  const pid = (JSON.parse(readFileSync(lease, 'utf8')) as { holder: { pid: number } }).holder.pid;
  assert.ok(pidAlive(pid), 'its runner waits');
  rmSync(join(root, '.flowport'), { recursive: true, force: true });
  await waitFor(() => !pidAlive(pid), 'the runner to end once its deployment is gone');
  assert.ok(!existsSync(join(root, 'out', `${id}.json`)), 'nothing ran');
});

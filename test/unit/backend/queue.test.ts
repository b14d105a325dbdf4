/** The deploy queue: one deploy at a time per flow × environment, across real CLI and runner processes. */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DeploymentMatrix } from '../../../sdk/src/cli/deployments.js';
import type { QueueOutput } from '../../../sdk/src/cli/queue.js';
import { localLedger, type DeploymentDetails, type FlowRunResult } from '../../../sdk/src/index.js';
import { smallTmpfs, writeTree } from '../../helpers/tmp.js';
import { flowport } from '../../helpers/cli.js';
import { cliProject, commitAll, held, ledgerInConfig, release, startCli, waitFor } from './fixture.js';

/** A deploy command that records when it started and ended (its own clock), and takes a while. */
const TIMED_SCRIPT = `
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const out = join(process.env.FLOWPORT_ROOT, 'out');
mkdirSync(out, { recursive: true });
const start = Date.now();
console.log('started');
await new Promise((r) => setTimeout(r, 150));
writeFileSync(join(out, process.env.FLOWPORT_DEPLOYMENT_ID + '.times'), JSON.stringify({ start, end: Date.now() }));
console.log('ended');
`;

const timedConfig = [
  `import { defineConfig, commandDeployer } from 'flowport';`,
  `export default defineConfig({`,
  `  environments: ['dev', 'uat', 'prod'],`,
  `  deploy: commandDeployer({ command: ['node', 'timed.mjs'] }),`,
  `});`,
].join('\n');

const history = (root: string): Promise<DeploymentDetails[]> =>
  localLedger({ root }).findDeployments({ history: true });
const ran = (root: string, id: string) => existsSync(join(root, 'out', `${id}.json`));

test('ten deploys of one flow to one environment asked for at once: ten deployments, all succeeded, one after another', async () => {
  const root = cliProject({ billing: 'jobs', reports: 'jobs' }, timedConfig);
  writeTree(root, { 'timed.mjs': TIMED_SCRIPT });
  commitAll(root, 'timed deploy script');
  const runs = Array.from({ length: 10 }, () =>
    startCli(['deploy', 'billing', '--env', 'dev', '--json'], { cwd: root }),
  );
  // Another pair meanwhile: it does not wait for billing's queue.
  const other = startCli(['deploy', 'reports', '--env', 'dev', '--json'], { cwd: root });
  const results = await Promise.all(runs.map((r) => r.done));
  for (const r of results) assert.equal(r.code, 0, r.stderr + r.stdout);
  const ids = results.map((r) => (JSON.parse(r.stdout) as { results: FlowRunResult[] }).results[0]!.deployment!.id);
  assert.equal(new Set(ids).size, 10, 'ten deployments');
  assert.equal((await other.done).code, 0);

  const all = (await history(root)).filter((d) => d.flowName === 'billing');
  assert.deepEqual(
    all.map((d) => d.status),
    Array(10).fill('succeeded'),
  );
  // The commands' own clocks: each started after the one before it ended, in the order recorded.
  const times = all.map(
    (d) => JSON.parse(readFileSync(join(root, 'out', `${d.id}.times`), 'utf8')) as { start: number; end: number },
  );
  for (let i = 1; i < times.length; i++)
    assert.ok(
      times[i]!.start >= times[i - 1]!.end,
      `deploy ${i + 1} started ${times[i - 1]!.end - times[i]!.start} ms before deploy ${i} ended`,
    );
  // The ones that waited said so in their logs.
  const queuedLogs = results.filter((r) =>
    /\[flowport\] queued: \d+(st|nd|rd|th) in line, behind \S+ \((pending|queued|running)\)/.test(r.stderr),
  );
  assert.ok(queuedLogs.length >= 1, 'a deploy that waited says where it stands');
});

test('a queued deploy runs when its turn comes though the process that asked for it was killed; a cancel from another process removes one from the queue', async () => {
  const root = cliProject({ billing: 'jobs' });
  const first = startCli(['deploy', 'billing', '--env', 'uat'], { cwd: root, env: { DEPLOY_HOLD: '1' } });
  await waitFor(() => held(root).length === 1, 'the first deploy to hold');
  const [firstId] = held(root);

  // Second: asked by a CLI that is then killed -9 while it waits.
  const second = startCli(['deploy', 'billing', '--env', 'uat'], { cwd: root });
  const secondId = await waitFor(
    async () => (await history(root)).find((d) => d.id !== firstId && d.status === 'queued')?.id,
    'the second deploy to be queued',
  );
  await waitFor(() => /queued: 2nd in line, behind/.test(second.stdout()), 'the waiting CLI to say where it stands');
  second.child.kill('SIGKILL');
  await second.done;

  // Third: started detached, then cancelled from yet another process while it waits.
  const third = flowport(['deploy', 'billing', '--env', 'uat', '--detach', '--json'], { cwd: root });
  assert.equal(third.code, 0, third.stderr);
  const thirdDeployment = (JSON.parse(third.stdout) as { results: FlowRunResult[] }).results[0]!.deployment!;
  assert.equal(thirdDeployment.status, 'queued');

  const queue = JSON.parse(flowport(['queue', '--json'], { cwd: root }).stdout) as QueueOutput;
  assert.deepEqual(
    queue.pairs.map((p) => [p.flow, p.env, p.active.id, p.waiting.map((d) => d.id)]),
    [['billing', 'uat', firstId, [secondId, thirdDeployment.id]]],
  );
  assert.match(
    flowport(['queue'], { cwd: root }).stdout,
    new RegExp(`${thirdDeployment.id}\\s+billing\\s+uat\\s+3rd in line, behind ${firstId}`),
  );

  const cancel = flowport(['cancel', thirdDeployment.id, '--json'], { cwd: root });
  assert.equal(cancel.code, 0, cancel.stderr + cancel.stdout);
  const cancelled = (await history(root)).find((d) => d.id === thirdDeployment.id)!;
  assert.equal(cancelled.status, 'cancelled');
  assert.match(String(cancelled.attributes.reason), /cancelled while it was queued; nothing ran/);

  release(root);
  assert.equal((await first.done).code, 0);
  const secondDone = await waitFor(
    async () => (await history(root)).find((d) => d.id === secondId && d.status === 'succeeded'),
    'the second deploy to run to its end with no one attached',
  );
  assert.equal(secondDone.outputs.url, 'https://deploy.test/uat');
  assert.ok(ran(root, secondId));
  assert.ok(!ran(root, thirdDeployment.id), 'the cancelled one never ran its command');
  assert.equal(flowport(['queue'], { cwd: root }).stdout.trim(), 'Nothing is queued: no deploy waits for another.');
});

test('a promote queues like a deploy; a lock taken while one waits cancels it when its turn comes; --no-queue refuses', async () => {
  const root = cliProject({ billing: 'jobs' });
  assert.equal(flowport(['deploy', 'billing', '--env', 'dev'], { cwd: root }).code, 0);
  const first = startCli(['deploy', 'billing', '--env', 'uat'], { cwd: root, env: { DEPLOY_HOLD: '1' } });
  await waitFor(() => held(root).length === 1, 'the deploy to uat to hold');

  const refused = flowport(['promote', 'billing', '--from', 'dev', '--to', 'uat', '--no-queue'], { cwd: root });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /"billing" is already deploying to uat/);

  const promote = flowport(['promote', 'billing', '--from', 'dev', '--to', 'uat', '--detach', '--json'], { cwd: root });
  assert.equal(promote.code, 0, promote.stderr);
  const queued = (JSON.parse(promote.stdout) as { results: FlowRunResult[] }).results[0]!.deployment!;
  assert.equal(queued.status, 'queued');
  assert.equal(queued.promotedFrom?.env, 'dev');

  assert.equal(flowport(['lock', 'uat', '--reason', 'incident'], { cwd: root }).code, 0);
  release(root);
  assert.equal((await first.done).code, 0, 'the one running when the lock was taken finishes');
  const after = await waitFor(
    async () => (await history(root)).find((d) => d.id === queued.id && d.status === 'cancelled'),
    'the queued promote to be cancelled by the lock',
  );
  assert.match(
    String(after.attributes.reason),
    /not run: uat is locked by .*"incident" \(locked while it was queued\)/,
  );
  assert.ok(!ran(root, queued.id));
  assert.deepEqual(
    readdirSync(join(root, 'out')).filter((f) => f.endsWith('.json')).length,
    2,
    'dev and the first uat deploy ran; the promote did not',
  );
});

/** Short leases, so that a runner that is gone or stopped is judged so in a moment. */
const SHORT_LEASE = { FLOWPORT_LEASE_MS: '1200', FLOWPORT_HEARTBEAT_MS: '200' };

const runnerPid = (root: string, id: string): number =>
  (JSON.parse(readFileSync(join(root, '.flowport', 'leases', `${id}.json`), 'utf8')) as { holder: { pid: number } })
    .holder.pid;

test('a queued deploy whose runner is killed -9 reads interrupted within its lease, and the queue moves on past it', async () => {
  const root = cliProject({ billing: 'jobs' });
  const env = { ...SHORT_LEASE };
  const first = startCli(['deploy', 'billing', '--env', 'dev'], { cwd: root, env: { ...env, DEPLOY_HOLD: '1' } });
  await waitFor(() => held(root).length === 1, 'the first deploy to hold');
  const detached = () => {
    const r = flowport(['deploy', 'billing', '--env', 'dev', '--detach', '--json'], { cwd: root, env });
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { results: FlowRunResult[] }).results[0]!.deployment!.id;
  };
  const second = detached();
  const third = detached();
  process.kill(runnerPid(root, second), 'SIGKILL');
  const gone = await waitFor(
    async () => (await history(root)).find((d) => d.id === second && d.status === 'interrupted'),
    'the killed runner to be judged gone',
  );
  assert.match(String(gone.attributes.reason), /its runner \(pid \d+ on .*\) stopped/);
  release(root);
  assert.equal((await first.done).code, 0);
  await waitFor(
    async () => (await history(root)).find((d) => d.id === third && d.status === 'succeeded'),
    'the third deploy to run once the first ended, past the interrupted second',
  );
  assert.ok(!ran(root, second));
});

// Quarantined (2026-12-02): in about one loaded CI run in three the record never becomes
// cancelled after SIGCONT, even with the command held and the late-renewal lapse in life.ts; run
// it alone under load (two `yes` hogs) to reproduce. The behaviour is real and wanted: fix the
// runner, then drop the skip.
test(
  'a runner stopped past its lease (a suspended machine) stops its command when it runs again, since the next deploy may have started',
  { skip: 'quarantined: flaky under load in CI, see the comment above' },
  async () => {
    const root = cliProject({ billing: 'jobs' });
    // The command holds until released, never on its own: however long judging the lease takes,
    // it is still running when the runner resumes, and only the runner can end it.
    const env = { ...SHORT_LEASE, DEPLOY_HOLD: '1' };
    const r = flowport(['deploy', 'billing', '--env', 'prod', '--detach', '--yes', '--json'], { cwd: root, env });
    assert.equal(r.code, 0, r.stderr);
    const id = (JSON.parse(r.stdout) as { results: FlowRunResult[] }).results[0]!.deployment!.id;
    try {
      await waitFor(() => held(root).includes(id), 'the command to start and hold');
      const pid = runnerPid(root, id);
      process.kill(pid, 'SIGSTOP');
      try {
        await waitFor(
          async () => (await history(root)).find((d) => d.id === id && d.status === 'interrupted'),
          'the stopped runner to be judged gone',
        );
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      const ended = await waitFor(
        async () => (await history(root)).find((d) => d.id === id && d.status === 'cancelled'),
        'the runner to stop its command once it runs again',
      );
      assert.match(String(ended.attributes.reason), /lease ran out at .* while this runner was stopped/);
    } finally {
      release(root); // lets a command the runner failed to stop end
    }
  },
);

test('the disk fills while a deploy waits its turn: when its turn comes it cannot be recorded running, and nothing runs', async (t) => {
  const state = smallTmpfs('size=512k');
  if (!state) return void t.skip('mounting a small tmpfs needs root');
  const root = cliProject({ billing: 'jobs' }, ledgerInConfig(state));
  const env = { ...SHORT_LEASE };
  const first = startCli(['deploy', 'billing', '--env', 'dev'], { cwd: root, env: { ...env, DEPLOY_HOLD: '1' } });
  await waitFor(() => held(root).length === 1, 'the first deploy to hold');
  const r = flowport(['deploy', 'billing', '--env', 'dev', '--detach', '--json'], { cwd: root, env });
  assert.equal(r.code, 0, r.stderr);
  const second = (JSON.parse(r.stdout) as { results: FlowRunResult[] }).results[0]!.deployment!;
  assert.equal(second.status, 'queued');
  fillUp(state);
  release(root);
  await first.done;
  const ledger = localLedger({ root, dir: state });
  await waitFor(
    async () => (await ledger.getDeployment(second.id))?.status === 'interrupted',
    'the waiting runner, unable to record its turn, to be judged gone',
  );
  assert.ok(!ran(root, second.id), 'nothing ran unrecorded');
});

/** Fills a small file system to the last byte: a big file, then one-page files, then the ledger's last page (blank lines, which readers skip). */
function fillUp(dir: string): void {
  const tryWrite = (write: () => void) => {
    try {
      write();
      return true;
    } catch {
      return false;
    }
  };
  tryWrite(() => writeFileSync(join(dir, 'filler'), Buffer.alloc(1024 * 1024, 1)));
  for (let i = 0; tryWrite(() => writeFileSync(join(dir, `filler-${i}`), 'x')); i++);
  while (tryWrite(() => appendFileSync(join(dir, 'ledger.jsonl'), '\n')));
}

test("flowport deployments carries each pair's lock, queue and pending approval", async () => {
  const root = cliProject({ billing: 'jobs', reports: 'jobs' });
  const first = startCli(['deploy', 'billing', '--env', 'dev'], { cwd: root, env: { DEPLOY_HOLD: '1' } });
  await waitFor(() => held(root).length === 1, 'the first deploy to hold');
  const r = flowport(['deploy', 'billing', '--env', 'dev', '--detach', '--json'], { cwd: root });
  const waiting = (JSON.parse(r.stdout) as { results: FlowRunResult[] }).results[0]!.deployment!;
  assert.equal(flowport(['lock', 'uat', '--flow', 'reports', '--reason', 'audit'], { cwd: root }).code, 0);
  // A request waiting for approval, as a deployer of an environment that asks for one records it.
  const store = localLedger({ root });
  const asking = await store.create({
    flowName: 'reports',
    env: 'prod',
    commit: 'c'.repeat(40),
    ref: 'HEAD',
    attributes: {
      awaiting: 'approval',
      approval: { required: 1, notInitiator: true, expiresAt: null, requestedBy: 'a@x' },
    },
  });

  const matrix = JSON.parse(flowport(['deployments', '--json'], { cwd: root }).stdout) as DeploymentMatrix;
  const cell = (flow: string, env: string) => matrix.flows.find((f) => f.flow === flow)!.environments[env]!;
  assert.deepEqual(
    cell('billing', 'dev').queued.map((d) => d.id),
    [waiting.id],
  );
  assert.equal(cell('billing', 'dev').lock, null);
  assert.equal(cell('reports', 'uat').lock?.reason, 'audit');
  assert.equal(cell('billing', 'uat').lock, null, "a flow's lock is that flow's only");
  assert.deepEqual(
    cell('reports', 'prod').awaitingApproval.map((d) => d.id),
    [asking.id],
  );
  const table = flowport(['deployments'], { cwd: root }).stdout;
  assert.match(table, /\[1 queued\]/);
  assert.match(table, /\[locked by \S+\]/);
  assert.match(table, /\[1 awaiting approval\]/);
  await store.update(asking.id, { status: 'cancelled' });
  release(root);
  assert.equal((await first.done).code, 0);
});

/**
 * The team store when things go wrong, with real processes against a real PostgreSQL server (no
 * mocks): a runner killed -9 mid-deploy, the server restarted mid-deploy, the server not there at
 * all, one member's connections dropped, ten deploys of one pair at once, and a project's local
 * history copied into the team store.
 * Every project logs in with a password in its URL (the test server trusts 127.0.0.1, so it
 * connects anyway): no output of any command ever shows it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PostgresStore, type FlowRunResult } from '../../../sdk/src/index.js';
import type { LiveEvent } from '../../../sdk/src/backend/postgres/live.js';
import { flowport, type CliResult } from '../../helpers/cli.js';
import { startTestPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { tempDir, writeTree } from '../../helpers/tmp.js';
import { cliProject, commitAll, held, killGroup, startCli, waitFor, type Running } from './fixture.js';

const PASSWORD = 's3cret-pass';
let pg: TestPostgres;
/** The URL the projects use: a role of their own, with a password. */
let url: string;

before(async () => {
  pg = await startTestPostgres({ scope: 'file', log: () => undefined });
  pg.psql(`CREATE ROLE flowport_user LOGIN PASSWORD '${PASSWORD}' IN ROLE pg_read_all_data, pg_write_all_data`);
  url = `postgres://flowport_user:${PASSWORD}@127.0.0.1:${pg.port}/flowport`;
  const r = flowport(['state', 'migrate', '--to', pg.url]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
});

/** Every stdout and stderr of every command the tests ran (checked for the password at the end). */
const outputs: Array<{ what: string; text: string }> = [];
after(() => {
  for (const o of outputs) assert.ok(!o.text.includes(PASSWORD), `the password shows in the output of ${o.what}`);
});

const teamConfig = (project: string, command = `'node', 'deploy.mjs', '{flow}', '{env}'`) =>
  [
    `import { defineConfig, commandDeployer, postgresStore } from 'flowport';`,
    `export default defineConfig({`,
    `  environments: ['dev', 'uat', 'prod'],`,
    `  deployments: postgresStore({ url: process.env.FLOWPORT_DATABASE_URL, project: ${JSON.stringify(project)} }),`,
    `  deploy: commandDeployer({ command: [${command}], killGraceMs: 500 }),`,
    `});`,
  ].join('\n');

/** A project on the team store under a project name of its own. */
function teamProject(flows: Record<string, string>, command?: string): { root: string; project: string } {
  const project = `faults-${randomUUID()}`;
  return { root: cliProject(flows, teamConfig(project, command)), project };
}

function cli(args: string[], root: string, env: NodeJS.ProcessEnv = {}): CliResult {
  const r = flowport(args, { cwd: root, env: { FLOWPORT_DATABASE_URL: url, ...env } });
  outputs.push({ what: `flowport ${args.join(' ')}`, text: r.stdout + r.stderr });
  return r;
}

function start(args: string[], root: string, env: NodeJS.ProcessEnv = {}): Running {
  const running = startCli(args, { cwd: root, env: { FLOWPORT_DATABASE_URL: url, ...env } });
  void running.done.then((r) => outputs.push({ what: `flowport ${args.join(' ')}`, text: r.stdout + r.stderr }));
  return running;
}

const deploymentId = (stdout: string): string =>
  (JSON.parse(stdout) as { results: FlowRunResult[] }).results[0]!.deployment!.id;

/** A deployment's row as the team store holds it. */
function row(project: string, id: string): { status: string; pid: number | null } {
  const out = pg.psql(
    `SELECT status || '|' || coalesce(lease_holder->>'pid', '') FROM flowport_deployments WHERE project = '${project}' AND id = '${id}'`,
  );
  const [status = '', pid = ''] = out.split('|');
  return { status, pid: pid ? Number(pid) : null };
}

const statuses = (project: string, flow: string): string[] =>
  pg
    .psql(`SELECT status FROM flowport_deployments WHERE project = '${project}' AND flow_name = '${flow}' ORDER BY seq`)
    .split('\n')
    .filter(Boolean);

/** The deploy script's own record (out/<id>.json): its pid leads its process group. */
const commandPid = (root: string, id: string): number =>
  (JSON.parse(readFileSync(join(root, 'out', `${id}.json`), 'utf8')) as { pid: number }).pid;

test('a runner killed -9 mid-deploy: its deployment reads interrupted once its lease runs out, and the deploy queued behind it runs and succeeds', async () => {
  const { root, project } = teamProject({ billing: 'jobs' });
  const lease = { FLOWPORT_LEASE_MS: '2000', FLOWPORT_HEARTBEAT_MS: '500' };
  const first = start(['deploy', 'billing', '--env', 'dev', '--yes'], root, { ...lease, DEPLOY_HOLD: '1' });
  const [id] = await waitFor(
    () => (held(root).length === 1 ? held(root) : undefined),
    'the first deploy to hold',
    20_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}: ${first.stderr()}${first.stdout()}`);
  });
  const second = start(['deploy', 'billing', '--env', 'dev', '--yes', '--json'], root, lease);
  await waitFor(() => statuses(project, 'billing').length === 2, 'the second deploy to be queued');
  const runner = row(project, id!).pid;
  assert.ok(runner, 'the running deployment names its runner');
  const command = commandPid(root, id!);
  try {
    const killedAt = Date.now();
    process.kill(runner, 'SIGKILL');
    const [secondId] = pg
      .psql(`SELECT id FROM flowport_deployments WHERE project = '${project}' AND id <> '${id}'`)
      .split('\n');
    assert.ok(!existsSync(join(root, 'out', `${secondId}.json`)), 'the second deploy waited while the first ran');
    await waitFor(() => row(project, id!).status === 'interrupted', 'the killed runner to be judged gone', 20_000);
    const took = Date.now() - killedAt;
    assert.ok(took >= 1000, `interrupted ${took} ms after the kill: before its 2 s lease could run out`);
    // The runner's command kept running (nobody was left to stop it): gone now, as an operator would do.
    killGroup(command);
    const r = await second.done;
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(row(project, deploymentId(r.stdout)).status, 'succeeded');
    assert.deepEqual(statuses(project, 'billing'), ['interrupted', 'succeeded']);
    // As a member reads it: interrupted, and why.
    const h = cli(['history', 'billing', '--json'], root);
    assert.equal(h.code, 0, h.stderr);
    const gone = (
      JSON.parse(h.stdout) as {
        deployments: Array<{ id: string; status: string; attributes: Record<string, unknown> }>;
      }
    ).deployments.find((d) => d.id === id);
    assert.equal(gone?.status, 'interrupted');
    assert.match(String(gone.attributes.reason), /runner \(pid \d+ on .*\) stopped/);
    console.error(`[timing] interrupted ${took} ms after kill -9`);
  } finally {
    killGroup(command);
    await first.done;
  }
});

test('the server restarted mid-deploy: the runner reconnects, the outcome succeeded is recorded and the log holds every tick', async () => {
  const { root, project } = teamProject({ billing: 'jobs' });
  const ticks = 20;
  const run = start(['deploy', 'billing', '--env', 'dev', '--yes', '--json'], root, { DEPLOY_TICKS: String(ticks) });
  await waitFor(
    () => pg.psql(`SELECT count(*) FROM flowport_log_chunks WHERE project = '${project}'`) !== '0',
    'the deploy to log',
  );
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(
    pg.psql(`SELECT status FROM flowport_deployments WHERE project = '${project}'`),
    'running',
    'restarted while it runs',
  );
  const t0 = Date.now();
  await pg.restart({ downMs: 1000 });
  console.error(`[timing] server down and up again in ${Date.now() - t0} ms`);
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const id = deploymentId(r.stdout);
  assert.equal(row(project, id).status, 'succeeded');
  // The CLI following it said the store was gone for a moment, and went on following.
  assert.match(r.stderr, /cannot be reached \(\w+\).* Still following \S+: its runner goes on\./);
  const logs = cli(['logs', id], root);
  assert.equal(logs.code, 0, logs.stderr);
  const lines = logs.stdout.split('\n');
  for (let i = 0; i < ticks; i++)
    assert.equal(lines.filter((l) => l.includes(`tick ${i}`) && l.endsWith(`tick ${i}`)).length, 1, `tick ${i} once`);
  assert.match(logs.stdout, /done/);
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

test('the team store not there: deploy and lock exit 1 saying it cannot be reached and nothing was done, with no local ledger and no password shown', async () => {
  const { root } = teamProject({ billing: 'jobs' });
  // Up: they work, and say nothing of the password either.
  const up = cli(['lock', 'prod', '--reason', 'release freeze'], root);
  assert.equal(up.code, 0, up.stderr + up.stdout);
  assert.equal(cli(['deploy', 'billing', '--env', 'dev', '--yes'], root).code, 0);
  assert.equal(cli(['deployments'], root).code, 0);
  const down = `postgres://flowport_user:${PASSWORD}@127.0.0.1:${await closedPort()}/flowport`;
  for (const [args, notDone] of [
    // No state of this store ever seen here: the first read (the locks) says plainly nothing was done.
    [['deploy', 'billing', '--env', 'uat', '--yes'], /the locks could not be read, so nothing was done\./],
    [['lock', 'uat', '--reason', 'freeze'], /uat was not locked\./],
  ] as const) {
    const r = cli([...args], root, { FLOWPORT_DATABASE_URL: down });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
    // Nothing done, here nor there: what was not done, and that nothing is recorded locally instead.
    assert.match(
      r.stderr,
      /the team store at postgres:\/\/flowport_user@127\.0\.0\.1:\d+\/flowport cannot be reached \(ECONNREFUSED\): /,
    );
    assert.match(r.stderr, notDone);
    assert.match(
      r.stderr,
      /Flowport never records team work on this machine "for now"; run it again once the database is back/,
    );
    console.error(`[message] ${args[0]}: ${r.stderr.trim()}`);
    assert.ok(!(r.stdout + r.stderr).includes(PASSWORD), `${args.join(' ')} shows the password`);
  }
  assert.ok(!existsSync(join(root, '.flowport', 'ledger.jsonl')), 'no local ledger');
});

/** A deploy command that stamps its own start and end (Date.now()) into out/<id>.times. */
const TIMED_SCRIPT = `
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const out = join(process.env.FLOWPORT_ROOT, 'out');
mkdirSync(out, { recursive: true });
const start = Date.now();
await new Promise((r) => setTimeout(r, 100));
writeFileSync(join(out, process.env.FLOWPORT_DEPLOYMENT_ID + '.times'), JSON.stringify({ start, end: Date.now() }));
console.log('ended');
`;

test('ten deploys of one pair at once on the team store: ten succeeded, one after another by their commands own clocks, while another pair runs alongside', async () => {
  const { root, project } = teamProject({ billing: 'jobs', reports: 'jobs' }, `'node', 'timed.mjs'`);
  writeTree(root, { 'timed.mjs': TIMED_SCRIPT });
  commitAll(root, 'timed deploy script');
  const t0 = Date.now();
  const runs = Array.from({ length: 10 }, () => start(['deploy', 'billing', '--env', 'dev', '--yes', '--json'], root));
  const other = start(['deploy', 'reports', '--env', 'dev', '--yes', '--json'], root);
  const results = await Promise.all(runs.map((r) => r.done));
  console.error(`[timing] ten deploys of one pair in ${Date.now() - t0} ms`);
  for (const r of results) assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(new Set(results.map((r) => deploymentId(r.stdout))).size, 10, 'ten deployments');
  const o = await other.done;
  assert.equal(o.code, 0, o.stderr + o.stdout);
  assert.deepEqual(statuses(project, 'billing'), Array(10).fill('succeeded'));
  assert.deepEqual(statuses(project, 'reports'), ['succeeded']);
  const ids = pg
    .psql(`SELECT id FROM flowport_deployments WHERE project = '${project}' AND flow_name = 'billing' ORDER BY seq`)
    .split('\n');
  const times = ids.map(
    (id) => JSON.parse(readFileSync(join(root, 'out', `${id}.times`), 'utf8')) as { start: number; end: number },
  );
  const sorted = [...times].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++)
    assert.ok(
      sorted[i]!.start >= sorted[i - 1]!.end,
      `a deploy started ${sorted[i - 1]!.end - sorted[i]!.start} ms before the one before it ended`,
    );
});

test('state migrate --from local: the local history, logs and lock read the same from the team store; a second copy copies nothing', async () => {
  const root = cliProject({ billing: 'jobs' });
  const local = (args: string[]) => {
    const r = flowport(args, { cwd: root });
    outputs.push({ what: `flowport ${args.join(' ')}`, text: r.stdout + r.stderr });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    return r.stdout;
  };
  local(['deploy', 'billing', '--env', 'dev', '--yes']);
  local(['deploy', 'billing', '--env', 'uat', '--yes']);
  local(['lock', 'prod', '--reason', 'release freeze']);
  const historyBefore = JSON.parse(local(['history', 'billing', '--json'])) as {
    deployments: Array<{ id: string; status: string; env: string }>;
  };
  assert.equal(historyBefore.deployments.length, 2);
  const logsBefore = historyBefore.deployments.map((d) => local(['logs', d.id]));
  const locksBefore = JSON.parse(local(['locks', '--json'])) as { locks: Array<{ env: string; reason: string }> };

  const project = `faults-${randomUUID()}`;
  const migrate = () => {
    const r = cli(['state', 'migrate', '--from', 'local', '--to', url, '--project', project, '--json'], root);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    return (JSON.parse(r.stdout) as { copied: { deployments: number; logs: number; locks: number; skipped: number } })
      .copied;
  };
  const first = migrate();
  assert.equal(first.deployments, 2);
  assert.equal(first.logs, 2);
  assert.equal(first.locks, 1);
  assert.equal(first.skipped, 0);

  writeTree(root, { 'flowport.config.ts': teamConfig(project) });
  commitAll(root, 'the team store');
  const team = (args: string[]) => {
    const r = cli(args, root);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    return r.stdout;
  };
  const historyAfter = JSON.parse(team(['history', 'billing', '--json'])) as typeof historyBefore;
  assert.deepEqual(
    historyAfter.deployments.map((d) => [d.id, d.env, d.status]),
    historyBefore.deployments.map((d) => [d.id, d.env, d.status]),
  );
  assert.deepEqual(
    historyAfter.deployments.map((d) => team(['logs', d.id])),
    logsBefore,
  );
  const locksAfter = JSON.parse(team(['locks', '--json'])) as typeof locksBefore;
  assert.deepEqual(
    locksAfter.locks.map((l) => [l.env, l.reason]),
    locksBefore.locks.map((l) => [l.env, l.reason]),
  );

  const second = migrate();
  assert.equal(second.deployments, 0);
  assert.equal(second.logs, 0);
  assert.equal(second.locks, 0);
  assert.equal(second.skipped, 2);
});

test("one member's connections dropped: that member's watch goes stale while another member's stays live, then it is live again and catches up with the change made meanwhile", async () => {
  const project = `faults-${randomUUID()}`;
  // Each member its own role, so its connections are found (and dropped) by who they are.
  const roles = [`member_a_${randomUUID().slice(0, 8)}`, `member_b_${randomUUID().slice(0, 8)}`] as const;
  for (const role of roles) pg.psql(`CREATE ROLE ${role} LOGIN IN ROLE pg_read_all_data, pg_write_all_data`);
  const member = (role: string) =>
    new PostgresStore({
      url: `postgres://${role}@127.0.0.1:${pg.port}/flowport`,
      root: tempDir(),
      project,
      connectTimeoutMs: 1000,
      warn: () => undefined,
    });
  const [a, b] = [member(roles[0]), member(roles[1])];
  const heardA: LiveEvent[] = [];
  const heardB: LiveEvent[] = [];
  const stopA = a.watch((e) => heardA.push(e));
  const stopB = b.watch((e) => heardB.push(e));
  try {
    const first = await b.create({ flowName: 'shop', env: 'dev', commit: 'c0ffee', ref: 'main' });
    await waitFor(() => heardA.some((e) => e.kind === 'changed' && e.notice?.id === first.id), "A hearing B's deploy");
    assert.equal((await a.findDeployments({ history: true })).length, 1);

    // Only A is cut off, and kept off (NOLOGIN) while B records the deploy's success.
    pg.psql(
      `ALTER ROLE ${roles[0]} NOLOGIN; SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '${roles[0]}'`,
    );
    await waitFor(() => heardA.some((e) => e.kind === 'stale'), "A's watch going stale");
    assert.ok(a.freshness().stale, JSON.stringify(a.freshness()));
    await b.claim(first.id, 5000);
    await b.update(first.id, { status: 'succeeded' });
    const droppedAt = heardA.length;
    pg.psql(`ALTER ROLE ${roles[0]} LOGIN`);

    await waitFor(() => heardA.slice(droppedAt).some((e) => e.kind === 'live'), "A's watch live again");
    // The success was announced while A was not listening: A is told to catch up once it is back.
    const back = heardA.findIndex((e, i) => i >= droppedAt && e.kind === 'live');
    await waitFor(() => heardA.slice(back).some((e) => e.kind === 'changed'), 'A told to catch up');
    assert.equal(a.freshness().stale, undefined);
    assert.deepEqual(
      (await a.findDeployments()).map((d) => [d.id, d.status]),
      [[first.id, 'succeeded']],
    );
    assert.ok(!heardB.some((e) => e.kind === 'stale'), `B was never stale: ${JSON.stringify(heardB)}`);
  } finally {
    stopA();
    stopB();
    await Promise.all([a.close(), b.close()]);
  }
});

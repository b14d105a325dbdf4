/**
 * Several members on one team store: 5 clones of one repository, each driven by its own process
 * (a driver running the real CLI, 20 mixed operations: deploy, promote, deploy to an approval
 * environment, lock (and a deploy of what it locked), unlock, approve, cancel), all at once against
 * a real PostgreSQL server. Each member logs in as its own database role and has its own git
 * identity. Then: every clone reads the same history and state, every deployment a member was
 * told about is there exactly once (and nothing else), no flow × environment ever ran two deploy
 * commands at once (by the commands' own start and end stamps), and every lock was honoured.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { flowport } from '../../helpers/cli.js';
import { startTestPostgres } from '../../helpers/postgres.js';
import { cliPath, linkSdk, tempDir } from '../../helpers/tmp.js';
import { cliProject, git, waitFor } from './fixture.js';

const MEMBERS = 5;
const OPS = 20;
const FLOWS = ['alpha', 'beta'];
/** A deploy command's start may follow a lock taken just after its runner's claim by this much. */
const GRACE_MS = 1500;

/** The deploy command: stamps its start and end (Date.now()) per deployment id into $STAMP_DIR. */
const STAMP_SCRIPT = `
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
const id = process.env.FLOWPORT_DEPLOYMENT_ID;
const file = join(process.env.STAMP_DIR, id + '.stamps');
const stamp = (what) => appendFileSync(file, JSON.stringify({ what, at: Date.now(), flow: process.env.FLOWPORT_FLOW, env: process.env.FLOWPORT_ENV, pid: process.pid }) + '\\n');
stamp('start');
process.on('SIGTERM', () => { stamp('end'); process.exit(143); });
await new Promise((r) => setTimeout(r, Number(process.env.DEPLOY_SLEEP ?? 0)));
stamp('end');
console.log('done');
`;

const CONFIG = [
  `import { defineConfig, commandDeployer, postgresStore } from 'flowport';`,
  `export default defineConfig({`,
  `  environments: ['dev', 'uat', { name: 'prod', approval: { required: 1, notInitiator: true } }],`,
  `  deployments: postgresStore({ url: process.env.FLOWPORT_DATABASE_URL }),`,
  `  deploy: commandDeployer({ command: ['node', 'stamp.mjs', '{flow}', '{env}'], killGraceMs: 500 }),`,
  `});`,
].join('\n');

/**
 * One member's process: 20 operations through the CLI (argv, no shell), each logged as a JSON line
 * (op, args, exit code, its --json output, when it started and ended). The mix is seeded by the
 * member's number; the first six are one of each kind, so every member does every kind.
 */
const DRIVER = `
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
const [cli, member, ops, logFile] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), process.argv[5]];
const flows = ${JSON.stringify(FLOWS)};
const NEW = ${JSON.stringify(['started', 'awaiting-approval', 'queued', 'succeeded', 'failed', 'cancelled', 'interrupted'])};
let seed = member * 7919 + 17;
// An LCG in 32-bit integer arithmetic (Math.imul: a plain product leaves exact integers behind).
const rnd = (n) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 16) % n; };
const pick = (xs) => xs[rnd(xs.length)];
const run = (op, args) => {
  const startedAt = Date.now();
  const r = spawnSync(process.execPath, [cli, ...args, '--json'], { encoding: 'utf8', timeout: 90_000 });
  const endedAt = Date.now();
  let json = null;
  try { json = JSON.parse(r.stdout); } catch {}
  const entry = { member, op, args, code: r.status, json, stderr: (r.stderr ?? '').slice(-600), startedAt, endedAt };
  appendFileSync(logFile, JSON.stringify(entry) + '\\n');
  return entry;
};
const mine = [];   // deployment ids this member was told about
const held = [];   // locks this member holds: { env, flow }
const started = (e) => { for (const r of e.json?.results ?? []) if (r.deployment && NEW.includes(r.outcome)) mine.push(r.deployment.id); };
const kinds = ['deploy', 'promote', 'lock', 'approve', 'prod', 'cancel'];
const first = kinds.map((_, i) => kinds[(i + member) % kinds.length]);
const weighted = ['deploy', 'deploy', 'deploy', 'deploy', 'promote', 'promote', 'prod', 'lock', 'unlock', 'unlock', 'approve', 'approve', 'cancel'];
for (let i = 0; i < ops; i++) {
  let kind = i < first.length ? first[i] : pick(weighted);
  if (kind === 'unlock' && held.length === 0) kind = 'deploy';
  if (kind === 'lock' && held.length > 0) kind = 'unlock';
  const flow = pick(flows);
  if (kind === 'deploy') started(run('deploy', ['deploy', flow, '--env', pick(['dev', 'dev', 'uat']), '--detach']));
  else if (kind === 'prod') started(run('deploy', ['deploy', flow, '--env', 'prod', '--detach']));
  else if (kind === 'promote') {
    const [from, to] = pick([['dev', 'uat'], ['dev', 'uat'], ['uat', 'prod']]);
    started(run('promote', ['promote', flow, '--from', from, '--to', to, '--detach']));
  } else if (kind === 'lock') {
    const env = pick(['dev', 'uat']);
    const e = run('lock', ['lock', env, '--flow', flow, '--reason', 'member ' + member + ' op ' + i]);
    if (e.code === 0 && e.json?.taken) {
      held.push({ env, flow });
      // What it locked is refused at once, to this member as to anyone.
      run('deploy-locked', ['deploy', flow, '--env', env, '--detach']);
    }
  } else if (kind === 'unlock') {
    const { env, flow: f } = held.shift();
    run('unlock', ['unlock', env, '--flow', f, '--yes']);
  } else if (kind === 'approve') {
    const list = run('approvals', ['approvals']);
    const others = (list.json?.requests ?? []).filter((q) => q.request.requestedBy !== 'member' + member);
    if (others.length) run('approve', ['approve', pick(others).deployment.id]);
  } else if (kind === 'cancel') {
    if (mine.length) run('cancel', ['cancel', mine[mine.length - 1], '--timeout', '20']);
  }
}
for (const { env, flow } of held) run('unlock', ['unlock', env, '--flow', flow, '--yes']);
`;

interface Entry {
  member: number;
  op: string;
  args: string[];
  code: number | null;
  json: CliJson | null;
  stderr: string;
  startedAt: number;
  endedAt: number;
}

/** What the driven commands print with --json, as far as the checks read it. */
interface CliJson {
  results?: Array<{ outcome: string; deployment: Deployment | null }>;
  taken?: boolean;
  lock?: { at: string };
}

interface Deployment {
  id: string;
  flowName: string;
  env: string;
  status: string;
  initiator: string;
  createdAt: string;
  updatedAt: string;
  attributes: Record<string, unknown>;
}

const UNFINISHED = ['pending', 'queued', 'running'];

test('five members at once on one team store: one history, nothing lost, one deploy per pair at a time, locks honoured', async () => {
  const t0 = Date.now();
  const pg = await startTestPostgres();
  const origin = cliProject({ alpha: 'a', beta: 'b' }, CONFIG);
  writeFileSync(join(origin, 'stamp.mjs'), STAMP_SCRIPT);
  git(origin, 'add', '-A');
  git(origin, 'commit', '-q', '-m', 'stamping deploy script');

  const work = tempDir('flowport-members-');
  const stamps = join(work, 'stamps');
  mkdirSync(stamps);
  const driver = join(work, 'driver.mjs');
  writeFileSync(driver, DRIVER);

  // The schema, migrated once; then one database role per member (who the team store says each is).
  const admin = { FLOWPORT_DATABASE_URL: pg.url };
  const clones: string[] = [];
  for (let n = 1; n <= MEMBERS; n++) {
    const clone = join(work, `member${n}`);
    git(work, 'clone', '-q', origin, clone);
    linkSdk(clone);
    clones.push(clone);
  }
  const migrated = flowport(['state', 'migrate', '--json'], { cwd: clones[0], env: admin });
  assert.equal(migrated.code, 0, migrated.stderr);
  for (let n = 1; n <= MEMBERS; n++)
    pg.psql(
      `CREATE ROLE member${n} LOGIN; GRANT ALL ON ALL TABLES IN SCHEMA public TO member${n}; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO member${n};`,
    );
  const memberUrl = (n: number) => pg.url.replace('postgres://postgres@', `postgres://member${n}@`);
  const memberEnv = (n: number): NodeJS.ProcessEnv => ({
    ...process.env,
    FLOWPORT_DATABASE_URL: memberUrl(n),
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'user.email',
    GIT_CONFIG_VALUE_0: `member${n}@test`,
    STAMP_DIR: stamps,
    DEPLOY_SLEEP: '400',
  });
  // Every member has something in dev to promote (and the stamps see it too).
  for (const flow of FLOWS) {
    const r = flowport(['deploy', flow, '--env', 'dev', '--json'], { cwd: clones[0], env: memberEnv(1) });
    assert.equal(r.code, 0, r.stderr);
  }

  // 5 processes, 20 operations each, at once.
  const logDir = process.env.FLOWPORT_MEMBERS_LOGS ?? work; // kept there to look at, when set
  const logs = clones.map((_, i) => join(logDir, `member${i + 1}.jsonl`));
  const drivers = clones.map(
    (clone, i) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [driver, cliPath, String(i + 1), String(OPS), logs[i]!], {
          cwd: clone,
          env: memberEnv(i + 1),
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        child.on('close', resolve);
      }),
  );
  assert.deepEqual(await Promise.all(drivers), Array(MEMBERS).fill(0), 'every driver ran to its end');
  const entries: Entry[] = logs.flatMap((f) =>
    existsSync(f)
      ? readFileSync(f, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Entry)
      : [],
  );
  const driven = entries.filter((e) => e.op !== 'approvals' && e.op !== 'deploy-locked');
  assert.ok(driven.length >= MEMBERS * (OPS - 4), `most operations ran: ${driven.length}`);
  for (const kind of ['deploy', 'promote', 'lock', 'unlock', 'approve', 'cancel'])
    assert.ok(
      entries.some((e) => e.op === kind),
      `some member did ${kind}`,
    );

  // No operation met an unreachable store, a crash or a bad-input refusal.
  for (const e of entries) {
    const what = `member${e.member} ${e.args.join(' ')} → ${e.code}: ${e.stderr}`;
    assert.doesNotMatch(e.stderr, /cannot be reached|TypeError|ReferenceError|at .*\.js:\d+/, what);
    if (['deploy', 'promote', 'lock', 'unlock', 'approvals'].includes(e.op))
      assert.ok(e.code === 0 || e.code === 1, what);
    if (e.op === 'unlock') assert.equal(e.code, 0, what);
  }

  // Approve what still waits (as someone other than who asked), then wait for every deployment's end.
  const history = (clone: string, env: NodeJS.ProcessEnv = memberEnv(1)) =>
    FLOWS.flatMap((flow) => {
      const r = flowport(['history', flow, '--json'], { cwd: clone, env });
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { deployments: Deployment[] }).deployments;
    });
  await waitFor(
    () => {
      const all = history(clones[0]!);
      for (const d of all.filter((x) => x.env === 'prod' && x.status === 'queued' && x.attributes.awaiting)) {
        const approver = d.initiator === 'member1' ? 2 : 1;
        flowport(['approve', d.id, '--json'], { cwd: clones[approver - 1], env: memberEnv(approver) });
      }
      return all.every((d) => !UNFINISHED.includes(d.status));
    },
    'every deployment to end',
    90_000,
  );

  // 1. Every clone reads the same history and the same state.
  const seen = clones.map((clone, i) => history(clone, memberEnv(i + 1)));
  for (let i = 1; i < MEMBERS; i++) assert.deepEqual(seen[i], seen[0], `member${i + 1} reads member1's history`);
  const states = clones.map((clone, i) => {
    const r = flowport(['deployments', '--json'], { cwd: clone, env: memberEnv(i + 1) });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as unknown;
  });
  for (let i = 1; i < MEMBERS; i++) assert.deepEqual(states[i], states[0], `member${i + 1} reads member1's state`);

  // 2. Nothing lost, nothing duplicated, nothing made up: the ids the members were told, once each.
  const all = seen[0]!;
  const byId = new Map(all.map((d) => [d.id, d]));
  assert.equal(byId.size, all.length, 'no deployment recorded twice');
  const told: string[] = [];
  for (const e of entries)
    if (e.op === 'deploy' || e.op === 'promote')
      for (const r of e.json?.results ?? [])
        if (r.deployment && r.outcome !== 'unchanged' && r.outcome !== 'refused') told.push(r.deployment.id);
  assert.equal(new Set(told).size, told.length, 'no id handed to two operations');
  const setup = all.length - told.length;
  const missing = told.filter((id) => !byId.has(id));
  assert.deepEqual(missing, [], `every deployment a member was told about is in the history (${all.length} recorded)`);
  assert.equal(setup, FLOWS.length, 'every recorded deployment is one a member was told about (or the setup deploys)');
  for (const d of all)
    assert.ok(
      d.initiator.startsWith('member') || d.initiator.includes('member'),
      `${d.id} was recorded as a member: ${d.initiator}`,
    );

  // 3. One deploy command per flow × environment at a time, by the commands' own stamps.
  interface Run {
    id: string;
    flow: string;
    env: string;
    start: number;
    end: number;
  }
  const runs: Run[] = [];
  for (const file of readdirSync(stamps)) {
    const id = file.replace(/\.stamps$/, '');
    const lines = readFileSync(join(stamps, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { what: string; at: number; flow: string; env: string });
    const starts = lines.filter((l) => l.what === 'start');
    assert.equal(starts.length, 1, `deployment ${id}'s command ran once`);
    const d = byId.get(id);
    assert.ok(d, `the command that ran for ${id} is of a recorded deployment`);
    const end = lines.find((l) => l.what === 'end')?.at ?? Date.parse(d.updatedAt);
    runs.push({ id, flow: starts[0]!.flow, env: starts[0]!.env, start: starts[0]!.at, end });
  }
  for (const d of all.filter((x) => x.status === 'succeeded'))
    assert.ok(
      runs.some((r) => r.id === d.id),
      `succeeded ${d.id} ran its command`,
    );
  const pairs = new Map<string, Run[]>();
  for (const r of runs) pairs.set(`${r.flow}@${r.env}`, [...(pairs.get(`${r.flow}@${r.env}`) ?? []), r]);
  let overlapsChecked = 0;
  for (const [pair, list] of pairs) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 1; i < list.length; i++) {
      overlapsChecked++;
      assert.ok(
        list[i]!.start >= list[i - 1]!.end,
        `${pair}: ${list[i]!.id} started at ${list[i]!.start}, before ${list[i - 1]!.id} ended at ${list[i - 1]!.end}`,
      );
    }
  }
  assert.ok(overlapsChecked >= 10, `enough deploys of one pair in turn to judge: ${overlapsChecked}`);

  // 4. Every lock honoured: held by one member at a time; a deploy of what it holds refused with
  // "is locked"; none recorded and no command started (past the grace of a claim just before it) while it held.
  const locks = entries
    .filter((e) => e.op === 'lock' && e.json?.taken)
    .map((e) => {
      const [, env, , flow] = e.args;
      const unlock = entries.find(
        (u) =>
          u.op === 'unlock' &&
          u.member === e.member &&
          u.args[1] === env &&
          u.args[3] === flow &&
          u.startedAt > e.endedAt,
      );
      assert.ok(unlock, `member${e.member}'s lock of ${flow}@${env} was lifted`);
      return {
        member: e.member,
        env: env!,
        flow: flow!,
        from: Date.parse(e.json!.lock!.at),
        to: unlock.startedAt,
        at: e,
      };
    });
  assert.ok(locks.length >= MEMBERS, `locks were taken: ${locks.length}`);
  for (const a of locks)
    for (const b of locks)
      if (a !== b && a.env === b.env && a.flow === b.flow)
        assert.ok(
          a.to <= b.from || b.to <= a.from,
          `${a.flow}@${a.env} held by member${a.member} and member${b.member} at once`,
        );
  for (const e of entries.filter((x) => x.op === 'deploy-locked')) {
    assert.equal(e.code, 1, `a deploy of what one just locked is refused: ${e.stderr}`);
    assert.match(e.stderr + JSON.stringify(e.json), /is locked/);
  }
  const refusedLocked = entries.filter((e) => e.op === 'deploy' && e.code === 1 && /is locked/.test(e.stderr));
  for (const l of locks) {
    for (const d of all.filter((x) => x.flowName === l.flow && x.env === l.env)) {
      const created = Date.parse(d.createdAt);
      assert.ok(
        !(created > l.from + GRACE_MS && created < l.to),
        `${d.id} recorded while ${l.flow}@${l.env} was locked`,
      );
    }
    for (const r of runs.filter((x) => x.flow === l.flow && x.env === l.env))
      assert.ok(!(r.start > l.from + GRACE_MS && r.start < l.to), `${r.id} ran while ${l.flow}@${l.env} was locked`);
  }

  // 5. Approvals: every prod deploy that ran was approved by someone other than who asked.
  for (const d of all.filter((x) => x.env === 'prod' && x.status === 'succeeded')) {
    const by = d.attributes.approvedBy as string[] | undefined;
    assert.ok(by?.length, `${d.id} ran approved`);
    assert.ok(!by.includes(d.initiator), `${d.id} was not approved by its asker ${d.initiator}`);
  }

  const count = (s: string) => all.filter((d) => d.status === s).length;
  console.error(
    `[members] ${entries.length} CLI runs, ${all.length} deployments (${count('succeeded')} succeeded, ${count('cancelled')} cancelled, ` +
      `${count('failed')} failed, ${count('interrupted')} interrupted), ${runs.length} commands, ${overlapsChecked} turns checked, ` +
      `${locks.length} locks, ${refusedLocked.length} deploys refused by another's lock, in ${Math.round((Date.now() - t0) / 1000)} s`,
  );
});

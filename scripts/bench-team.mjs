#!/usr/bin/env node
// What the team store (PostgreSQL) costs, against a throw-away server of its own
// (scripts/postgres/server.mjs). Medians of --runs N:
//   (a) one deploy's overhead: `flowport deploy x --env dev --yes` on the team store minus the same
//       on the local ledger (same project shape, interleaved so load falls on both alike);
//   (b) a change seen by another member: one process's PostgresStore.create → another process's
//       PostgresStore.watch callback (goal ≤ 1 s);
//   (c) reading 100,000 deployments' current state: 1,000 flows × 5 environments × 20 deploys
//       inserted with SQL (rows copied from one real record), then findDeployments() (goal ≤ 50 ms),
//       and one pair's history;
//   (d) 20 member processes for ~5 s: lock+unlock, and create+claim+update, operations per second.
//
//   npm run bench:team -- [--runs 5] [--check]
//
// --check exits 1 when (b) or (c) misses its goal.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchSetup, repo } from './bench-args.mjs';
import { startPostgres } from './postgres/server.mjs';

const SEEN_GOAL_MS = 1000;
const READ_GOAL_MS = 50;
const MEMBERS = 20;
const LOOP_MS = 5000;
const { runs, check } = benchSetup(5);
const sdkUrl = pathToFileURL(join(repo, 'sdk/dist/index.js')).href;
const { PostgresStore } = await import(sdkUrl);
const cli = join(repo, 'sdk/bin/flowport.js');

const scratch = mkdtempSync(join(tmpdir(), 'flowport-bench-team-'));
const server = await startPostgres({ log: () => {} });
let stopped = false;
const stop = async () => {
  if (stopped) return;
  stopped = true;
  await server.stop();
  rmSync(scratch, { recursive: true, force: true, maxRetries: 5 });
};
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void stop().then(() => process.exit(130)));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const say = (m) => process.stderr.write(`[bench:team] ${m}\n`);
const ms = (x) => `${x.toFixed(1)} ms`;
const store = (project, url = server.url) =>
  new PostgresStore({ url, root: scratch, project, migrate: true, warn: () => {} });
const git = (cwd, ...args) =>
  execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@flowport.invalid', ...args], { cwd });

/** A committed project with one flow `x` and one environment, on the local ledger or the team store. */
function project(name, team) {
  const root = join(scratch, name);
  mkdirSync(join(root, 'src'), { recursive: true });
  mkdirSync(join(root, 'node_modules'));
  symlinkSync(join(repo, 'sdk'), join(root, 'node_modules', 'flowport'), 'dir');
  writeFileSync(join(root, '.gitignore'), 'node_modules\n');
  writeFileSync(join(root, 'deploy.mjs'), '');
  const store = team
    ? `, deployments: postgresStore({ url: process.env.FLOWPORT_DATABASE_URL, project: '${name}' })`
    : '';
  writeFileSync(
    join(root, 'flowport.config.ts'),
    `import { defineConfig, commandDeployer${team ? ', postgresStore' : ''} } from 'flowport';\n` +
      `export default defineConfig({ environments: ['dev']${store}, deploy: commandDeployer({ command: ['node', 'deploy.mjs'] }) });\n`,
  );
  writeFileSync(
    join(root, 'src', 'x.ts'),
    `import { defineFlow } from 'flowport';\nexport const f = defineFlow({ name: 'x' }, async () => 1);\n`,
  );
  git(root, 'init', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'start');
  return root;
}

/** One timed deploy (a new commit first, so there is something to deploy). */
function deployMs(root, n) {
  writeFileSync(
    join(root, 'src', 'x.ts'),
    `import { defineFlow } from 'flowport';\nexport const f = defineFlow({ name: 'x' }, async () => ${n});\n`,
  );
  git(root, 'commit', '-q', '-am', `change ${n}`);
  const t = performance.now();
  const r = spawnSync(process.execPath, [cli, 'deploy', 'x', '--env', 'dev', '--yes'], {
    cwd: root,
    env: { ...process.env, FLOWPORT_DATABASE_URL: server.url },
    encoding: 'utf8',
  });
  const took = performance.now() - t;
  if (r.status !== 0) throw new Error(`deploy in ${root} exited ${r.status}: ${r.stderr}`);
  return took;
}

/** A child process running `body` (an ES module with PostgresStore, URL and ARG in scope); its stdout lines. */
function child(body, arg) {
  const file = join(scratch, `child-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(
    file,
    `import { PostgresStore } from ${JSON.stringify(sdkUrl)};\nconst URL = process.env.BENCH_URL, ARG = process.env.BENCH_ARG;\n${body}`,
  );
  const p = spawn(process.execPath, [file], {
    cwd: scratch,
    env: { ...process.env, BENCH_URL: server.url, BENCH_ARG: String(arg) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = [];
  let waiters = [];
  let tail = '';
  p.stdout.on('data', (c) => {
    if (process.env.BENCH_DEBUG) process.stderr.write('child: ' + c);
    const parts = (tail + c).split('\n');
    tail = parts.pop();
    lines.push(...parts);
    for (const w of waiters) w();
  });
  const closed = new Promise((r) => p.on('close', r));
  const line = (pred) =>
    new Promise((resolve) => {
      const look = () => {
        const found = lines.find(pred);
        if (found === undefined) return false;
        lines.splice(lines.indexOf(found), 1);
        resolve(found);
        return true;
      };
      if (look()) return;
      const waiter = () => look() && (waiters = waiters.filter((w) => w !== waiter));
      waiters.push(waiter);
    });
  return { proc: p, line, closed, lines };
}

say(`server at ${server.url}`);
try {
  await store('setup').findDeployments(); // the schema, migrated once
  say('(a) deploys');
  const local = project('local', false);
  const team = project('team', true);
  deployMs(local, 0);
  deployMs(team, 0); // warm-up: the first connects and fills caches
  const localMs = [];
  const teamMs = [];
  for (let i = 1; i <= runs; i++) {
    localMs.push(deployMs(local, i));
    teamMs.push(deployMs(team, i));
  }
  const overhead = median(teamMs) - median(localMs);

  say('(b) watch');
  const watcher = child(
    `const s = new PostgresStore({ url: URL, root: process.cwd(), project: 'live', migrate: true, warn: () => {} });
     await s.findDeployments();
     s.watch((e) => { if (e.kind === 'changed') console.log('changed ' + Date.now()); });
     setTimeout(() => console.log('ready'), 1000);
     setInterval(() => {}, 1000);`,
    0,
  );
  await watcher.line((l) => l === 'ready');
  const writer = store('live');
  const seenMs = [];
  const init = { flowName: 'x', env: 'dev', commit: 'c'.repeat(40), ref: 'main' };
  await writer.create(init); // warm-up
  await watcher.line((l) => l.startsWith('changed'));
  const drop = () => watcher.lines.splice(0, watcher.lines.length); // one create may notify more than once
  for (let i = 0; i < runs; i++) {
    await new Promise((r) => setTimeout(r, 300));
    drop();
    const t = Date.now();
    await writer.create(init);
    const seen = Number((await watcher.line((l) => l.startsWith('changed'))).split(' ')[1]);
    seenMs.push(seen - t);
  }
  watcher.proc.kill();
  await watcher.closed;

  say('(c) 100,000 deployments');
  const big = store('big');
  const seed = await big.create(init);
  await big.claim(seed.id, 30_000);
  await big.update(seed.id, { status: 'succeeded' });
  const psql = (sql) => {
    const r = spawnSync(join(server.bin, 'psql'), ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-d', server.url, '-c', sql], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };
  const t0 = performance.now();
  psql(`
    INSERT INTO flowport_deployments (project, id, flow_name, env, status, change_seq, record, has_log)
    SELECT 'big', 'bench-' || f || '-' || e || '-' || k, 'flow-' || f, 'env-' || e, 'succeeded', nextval('flowport_change_seq'),
           jsonb_set(jsonb_set(jsonb_set(d.record, '{id}', to_jsonb('bench-' || f || '-' || e || '-' || k)),
             '{flowName}', to_jsonb('flow-' || f)), '{env}', to_jsonb('env-' || e)), false
      FROM flowport_deployments d, generate_series(1, 1000) f, generate_series(1, 5) e, generate_series(1, 20) k
     WHERE d.project = 'big' AND d.id = '${seed.id}'
     ORDER BY k, f, e;
    DELETE FROM flowport_current WHERE project = 'big';
    INSERT INTO flowport_current (project, flow_name, env, deployment_id, change_seq, seq, record)
    SELECT project, flow_name, env, id, change_seq, seq, record::json
      FROM flowport_deployments WHERE project = 'big' AND id LIKE 'bench-%-20';
    ANALYZE;`);
  const insertMs = performance.now() - t0;
  const rows = Number(psql(`SELECT count(*) FROM flowport_deployments WHERE project = 'big'`));
  const reader = store('big');
  const current = await reader.findDeployments(); // warm-up, and the count checked
  if (current.length !== 5000)
    throw new Error(`findDeployments() read ${current.length} current deployments, not 5000`);
  const readMs = [];
  const historyMs = [];
  let historyLength = 0;
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    await reader.findDeployments();
    readMs.push(performance.now() - t);
    t = performance.now();
    historyLength = (await reader.findDeployments({ flows: ['flow-500'], envs: ['env-3'], history: true })).length;
    historyMs.push(performance.now() - t);
  }

  say('(d) 20 members');
  const loop = (op) => `
    const s = new PostgresStore({ url: URL, root: process.cwd(), project: 'ops', migrate: true, warn: () => {} });
    await s.findDeployments();
    const flowName = 'f' + ARG;
    const until = Date.now() + ${LOOP_MS};
    let n = 0;
    const t = Date.now();
    while (Date.now() < until) {
      ${op}
      n++;
    }
    console.log('done ' + n + ' ' + (Date.now() - t));
    process.exit(0);`;
  const opsPerSecond = async (op) => {
    const kids = Array.from({ length: MEMBERS }, (_, i) => child(loop(op), i));
    const done = await Promise.all(kids.map((k) => k.line((l) => l.startsWith('done'))));
    await Promise.all(kids.map((k) => k.closed));
    return done.map((l) => Number(l.split(' ')[1]) / (Number(l.split(' ')[2]) / 1000)).reduce((a, b) => a + b, 0);
  };
  const lockOps = await opsPerSecond(
    `const r = await s.lock({ env: 'dev', flowName, reason: 'bench' }); await s.unlock({ env: 'dev', flowName, lockId: r.lock.id });`,
  );
  const deployOps = await opsPerSecond(
    `const d = await s.create({ flowName, env: 'dev', commit: '${'c'.repeat(40)}', ref: 'main' }); await s.claim(d.id, 30000); await s.update(d.id, { status: 'succeeded' });`,
  );

  const seen = median(seenMs);
  const read = median(readMs);
  console.log(`\nTeam store (PostgreSQL ${psql('SHOW server_version')}), medians of ${runs} runs:`);
  console.log(
    `  (a) one deploy: ${ms(median(teamMs))} on the team store, ${ms(median(localMs))} on the local ledger: overhead ${ms(overhead)}`,
  );
  console.log(
    `  (b) a change seen by another member: ${ms(seen)} (goal ≤ ${SEEN_GOAL_MS} ms) ${seen <= SEEN_GOAL_MS ? 'ok' : 'MISSED'}`,
  );
  console.log(
    `  (c) ${rows.toLocaleString('en')} deployments (inserted in ${ms(insertMs)}): current state of 5,000 pairs read in ${ms(read)} (goal ≤ ${READ_GOAL_MS} ms) ${read <= READ_GOAL_MS ? 'ok' : 'MISSED'}`,
  );
  console.log(`      one pair's history (${historyLength} deployments) in ${ms(median(historyMs))}`);
  console.log(
    `  (d) ${MEMBERS} members for ${LOOP_MS / 1000} s: ${Math.round(lockOps)} lock+unlock/s, ${Math.round(deployOps)} create+claim+update/s (one run each)`,
  );
  console.log(`\nReproduce: npm run bench:team -- --runs ${runs}${check ? ' --check' : ''}`);
  process.exitCode = check && (seen > SEEN_GOAL_MS || read > READ_GOAL_MS) ? 1 : 0;
} finally {
  await stop();
}

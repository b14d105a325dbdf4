#!/usr/bin/env node
// Backend timing benchmark: how long a cancel or a timeout takes to stop a deploy, medians of
// several runs, against the bounds the unit tests used to assert (they check behaviour only now;
// on a shared 2-core machine a wall-clock bound in a unit test fails for reasons of its own).
// Real parts: git repositories in a temp folder, the built SDK, deploy commands as processes,
// the `flowport` CLI as a process.
//
//   npm run bench:backend -- [--runs 5] [--check]
//
// --check exits 1 when a median misses its goal.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchSetup, repo } from './bench-args.mjs';

const cli = join(repo, 'sdk/bin/flowport.js');
const { runs, check: checkGoals } = benchSetup(5);
const sdkUrl = pathToFileURL(join(repo, 'sdk/dist/index.js')).href;
const { commandDeployer, localLedger } = await import(sdkUrl);

const scratch = mkdtempSync(join(tmpdir(), 'flowport-bench-backend-'));
const cleanups = [];
process.on('exit', () => {
  for (const fn of cleanups.reverse()) fn();
  rmSync(scratch, { recursive: true, force: true, maxRetries: 5 });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

// A deploy that runs until stopped; with BENCH_STUBBORN it and a child of its ignore SIGTERM, so
// only the SIGKILL after the grace period stops them.
const DEPLOY = `
import { spawn } from 'node:child_process';
if (process.env.BENCH_STUBBORN) {
  process.on('SIGTERM', () => {});
  spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
}
console.log('running');
setInterval(() => {}, 1000);
`;

let n = 0;
function git(cwd, ...args) {
  execFileSync(
    'git',
    ['-c', 'user.name=Bench', '-c', 'user.email=bench@flowport.invalid', '-c', 'commit.gpgsign=false', ...args],
    { cwd, stdio: 'ignore', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } },
  );
}
/** A committed git repository with the deploy script (and, for the CLI, a config and a flow). */
function project(withCli = false) {
  const root = join(scratch, `p${n++}`);
  mkdirSync(join(root, 'src'), { recursive: true });
  writeFileSync(join(root, 'deploy.mjs'), DEPLOY);
  writeFileSync(join(root, '.gitignore'), 'node_modules\n');
  if (withCli) {
    mkdirSync(join(root, 'node_modules'));
    symlinkSync(join(repo, 'sdk'), join(root, 'node_modules', 'flowport'), 'dir');
    writeFileSync(
      join(root, 'flowport.config.ts'),
      `import { defineConfig, commandDeployer } from 'flowport';\nexport default defineConfig({ environments: ['dev'], deploy: commandDeployer({ command: ['node', 'deploy.mjs'], killGraceMs: 500 }) });\n`,
    );
    writeFileSync(
      join(root, 'src', 'slow.ts'),
      `import { defineFlow } from 'flowport';\nexport const f = defineFlow({ name: 'slow' }, async () => 1);\n`,
    );
  }
  git(root, 'init', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'bench');
  return root;
}
const flow = (name) => ({
  id: `src/${name}.ts#${name}`,
  name,
  description: '',
  sourcePath: `/nowhere/src/${name}.ts`,
  sourceRelative: `src/${name}.ts`,
  line: 1,
  grouping: ['src'],
  attributes: {},
});
const now = () => Number(process.hrtime.bigint() / 1_000_000n);
const exited = (child) => new Promise((resolve) => child.on('exit', (code) => resolve(code)));
async function until(check, what, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Another process asks to cancel: from its start to the runner's watcher hearing of it. */
async function cancelFromAnotherProcess() {
  const root = project();
  const ledger = localLedger({ root });
  const d = await ledger.create({ flowName: 'a', env: 'dev', commit: 'a'.repeat(40), ref: 'HEAD' });
  const heard = new Promise((resolve) => ledger.watchCancel(d.id, () => resolve(now())));
  const script = `const { localLedger } = await import(${JSON.stringify(sdkUrl)});\nawait localLedger({ root: ${JSON.stringify(root)} }).requestCancel(${JSON.stringify(d.id)}, { by: 'bench' });\n`;
  const started = now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
  const code = exited(child);
  const failed = code.then((c) =>
    c === 0 ? new Promise(() => {}) : Promise.reject(new Error(`the cancelling process exited ${c}`)),
  );
  const ms = (await Promise.race([heard, failed])) - started;
  await code;
  return ms;
}

/** A deploy with a 2 s timeout whose command ignores SIGTERM: from the timeout to the settled run. */
async function timeoutStops() {
  const root = project();
  const timeoutMs = 2000;
  const deployer = commandDeployer({
    command: ['node', 'deploy.mjs'],
    root,
    store: localLedger({ root }),
    timeoutMs,
    killGraceMs: 300,
    env: { BENCH_STUBBORN: '1' },
  });
  const started = now();
  const d = await deployer.deploy(
    { flow: flow('slow'), env: 'dev' },
    { log() {}, signal: new AbortController().signal },
  );
  if (d.attributes.timedOut !== true) throw new Error(`expected a timeout, got ${d.status}`);
  return now() - started - timeoutMs;
}

/** Aborting a running deploy whose command ignores SIGTERM: from the abort to `cancelled`. */
async function abortStops() {
  const root = project();
  const deployer = commandDeployer({
    command: ['node', 'deploy.mjs'],
    root,
    store: localLedger({ root }),
    killGraceMs: 300,
    env: { BENCH_STUBBORN: '1' },
  });
  const controller = new AbortController();
  let running = false;
  const run = { log: (line) => (running ||= line === 'running'), signal: controller.signal };
  const pending = deployer.deploy({ flow: flow('slow'), env: 'dev' }, run);
  await until(() => running, 'the deploy command to run');
  const started = now();
  controller.abort();
  const d = await pending;
  if (d.status !== 'cancelled') throw new Error(`expected cancelled, got ${d.status}`);
  return now() - started;
}

/** `flowport cancel <id>` against a `flowport deploy` in another process: until both have exited. */
async function cliCancel() {
  const root = project(true);
  const ledger = localLedger({ root });
  const deploy = spawn(process.execPath, [cli, 'deploy', 'slow', '--env', 'dev'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => deploy.kill('SIGKILL'));
  let out = '';
  deploy.stdout.on('data', (b) => (out += b));
  const deployExited = exited(deploy);
  const d = await until(
    async () =>
      out.includes('running') &&
      (await ledger.findDeployments({ history: true })).find((x) => x.attributes.commandProcess),
    'the deploy command to run',
  );
  const started = now();
  const cancel = spawn(process.execPath, [cli, 'cancel', d.id], { cwd: root, stdio: 'ignore' });
  const [cancelCode, deployCode] = await Promise.all([exited(cancel), deployExited]);
  if (cancelCode !== 0 || deployCode !== 1) throw new Error(`cancel exited ${cancelCode}, deploy ${deployCode}`);
  return now() - started;
}

const cases = [
  ['a cancel from another process reaches the runner (incl. Node start)', cancelFromAnotherProcess, 5000],
  ['a timed-out deploy is stopped and recorded (after the timeout)', timeoutStops, 5000],
  ['an aborted deploy is stopped (TERM ignored, KILL after 0.3 s) and recorded', abortStops, 4000],
  ['flowport cancel <id>: until it and the flowport deploy it cancels have exited', cliCancel, 8000],
];

// The ledger's cancel watch does not keep a process alive (its timers are unref'd): this does.
const keepAlive = setInterval(() => {}, 1000);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let missed = 0;
console.log(`${runs} runs each; times in ms: median (min–max), goal`);
for (const [what, measure, goal] of cases) {
  const times = [];
  for (let i = 0; i < runs; i++) times.push(await measure());
  const m = median(times);
  const ok = m <= goal;
  if (!ok) missed++;
  console.log(`${ok ? 'ok  ' : 'MISS'} ${what}: ${m} (${Math.min(...times)}–${Math.max(...times)}), goal ≤ ${goal}`);
}
clearInterval(keepAlive);
if (checkGoals && missed) {
  console.error(`${missed} goal(s) missed`);
  process.exit(1);
}
process.exit(0);

#!/usr/bin/env node
// What reading the local ledger costs a CLI command once it holds many deploys: `flowport
// deployments` in a project whose ledger is empty and in one whose ledger holds 10,000 deploys,
// interleaved so that the machine's load falls on both alike. Medians of --runs N each; the goal
// is the 10,000-deploy run at most 0.1 s slower than the empty one. Also shown, not checked: the
// same command with the ledger's snapshot removed before each run (a cold replay of the log).
//
//   npm run bench:ledger -- [--runs 7] [--check] [--deploys 10000]
//
// The ledger is written record by record in the ledger's own format (records.ts), as a runner
// writes them: pending (by the CLI), running (the runner's claim), running with the deploy
// command's process, then the outcome with outputs — across 3 flows × 3 environments, one
// deploy a minute. It is checked through the SDK (every record valid, every deploy there) before
// anything is timed. --check exits 1 when the median difference misses the goal.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchSetup, repo } from './bench-args.mjs';

const GOAL_MS = 100;
const cli = join(repo, 'sdk/bin/flowport.js');
// --deploys is ours; benchSetup parses --runs and --check and must not see it.
const deploysAt = process.argv.indexOf('--deploys');
const deploys = deploysAt > 0 ? Number(process.argv.splice(deploysAt, 2)[1]) : 10_000;
if (!Number.isInteger(deploys) || deploys < 1) {
  console.error('--deploys: give a whole number above 0');
  process.exit(2);
}
const { runs, check } = benchSetup(7);
const { LEDGER_FORMAT, localLedger } = await import(pathToFileURL(join(repo, 'sdk/dist/index.js')).href);

const scratch = mkdtempSync(join(tmpdir(), 'flowport-bench-ledger-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true, maxRetries: 5 }));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

const FLOWS = ['billing', 'reports', 'send-invoices'];
const ENVS = ['dev', 'uat', 'prod'];

/** A committed project with the demo's shape: three flows, three environments, the SDK linked. */
function project(name) {
  const root = join(scratch, name);
  mkdirSync(join(root, 'src'), { recursive: true });
  mkdirSync(join(root, 'node_modules'));
  symlinkSync(join(repo, 'sdk'), join(root, 'node_modules', 'flowport'), 'dir');
  writeFileSync(join(root, '.gitignore'), 'node_modules\n');
  writeFileSync(
    join(root, 'flowport.config.ts'),
    `import { defineConfig, commandDeployer } from 'flowport';\nexport default defineConfig({ environments: ${JSON.stringify(ENVS)}, deploy: commandDeployer({ command: ['node', 'deploy.mjs'] }) });\n`,
  );
  for (const flow of FLOWS)
    writeFileSync(
      join(root, 'src', `${flow}.ts`),
      `import { defineFlow } from 'flowport';\nexport const f = defineFlow({ name: '${flow}' }, async () => 1);\n`,
    );
  execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@flowport.invalid', 'init', '-q'], {
    cwd: root,
  });
  return root;
}

/** The records of `count` deploys, as the CLI and each deploy's runner append them. */
function ledgerLines(root, count) {
  const by = 'bench@host';
  const cliProcess = { pid: 4242, host: 'host', startTime: 'boot:1000' };
  const start = Date.parse('2026-01-01T00:00:00.000Z');
  const out = [];
  for (let i = 0; i < count; i++) {
    const flowName = FLOWS[i % FLOWS.length];
    const env = ENVS[Math.floor(i / FLOWS.length) % ENVS.length];
    const t = (ms) => new Date(start + i * 60_000 + ms).toISOString();
    const iso = t(0);
    const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}.${iso.slice(20, 23)}`;
    const id = `${stamp}-${(i * 7919).toString(16).padStart(6, '0').slice(-6)}`;
    const commit = createHash('sha1').update(String(i)).digest('hex');
    const runner = { pid: 10_000 + (i % 50_000), host: 'host', startTime: `boot:${2000 + i}` };
    const deployment = {
      id,
      flowName,
      env,
      commit,
      ref: 'main',
      status: 'pending',
      createdAt: iso,
      updatedAt: iso,
      initiator: by,
      logLocation: join(root, '.flowport', 'logs', `${id}.log`),
      outputs: {},
      attributes: { dirty: false, checkout: 'worktree' },
    };
    const record = (ms, change, withRunner) => {
      Object.assign(deployment, change, { updatedAt: t(ms) });
      const r = { v: LEDGER_FORMAT, type: 'deployment', at: t(ms), by, deployment: structuredClone(deployment) };
      if (withRunner) r.runner = withRunner;
      out.push(JSON.stringify(r));
    };
    record(0, {}, cliProcess);
    record(40, { status: 'running' }, runner);
    const commandProcess = { pid: 20_000 + (i % 40_000), host: 'host', startTime: `boot:${3000 + i}` };
    record(90, { attributes: { ...deployment.attributes, commandProcess } }, runner);
    const failed = i % 17 === 0;
    record(
      4000,
      {
        status: failed ? 'failed' : 'succeeded',
        outputs: failed ? {} : { artifact: `${flowName}@${env}#${i}` },
        attributes: {
          ...deployment.attributes,
          command: ['node', 'deploy.mjs'],
          exitCode: failed ? 1 : 0,
          durationMs: 3900,
          ...(failed ? { reason: 'the deploy command exited with code 1', lastLines: ['error: boom'] } : {}),
        },
      },
      undefined,
    );
  }
  return out;
}

const empty = project('empty');
const full = project('full');
mkdirSync(join(full, '.flowport'), { mode: 0o700 });
writeFileSync(join(full, '.flowport', 'ledger.jsonl'), ledgerLines(full, deploys).join('\n') + '\n', { mode: 0o600 });
{
  // The generated ledger is what the SDK reads as `deploys` deployments, with no record skipped.
  const warnings = [];
  const ledger = localLedger({ root: full, warn: (m) => warnings.push(m) });
  const all = await ledger.findDeployments({ history: true });
  if (warnings.length || all.length !== deploys || all.some((d) => d.status === 'interrupted'))
    throw new Error(`the generated ledger reads back wrong: ${all.length} deployments, ${warnings.join('; ')}`);
}
const snapshot = join(full, '.flowport', 'ledger-snapshot.jsonl');

function timed(root) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, 'deployments'], { cwd: root, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0 || r.stderr) throw new Error(`flowport deployments in ${root} exited ${r.status}: ${r.stderr}`);
  return ms;
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// One untimed run each: the flow cache is written, and the first read of the big ledger leaves
// the snapshot that later runs start from.
timed(empty);
timed(full);
const snapshotSize = statSync(snapshot, { throwIfNoEntry: false })?.size;
if (snapshotSize === undefined) throw new Error(`the first read of the big ledger left no snapshot (${snapshot})`);
const ledgerSize = statSync(join(full, '.flowport', 'ledger.jsonl')).size;
const times = { empty: [], full: [], cold: [] };
for (let i = 0; i < runs; i++) {
  times.empty.push(timed(empty));
  times.full.push(timed(full));
  rmSync(snapshot, { force: true });
  times.cold.push(timed(full));
}
const fmt = (ms) => `${Math.round(ms)} ms`;
const range = (xs) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
const e = median(times.empty);
const f = median(times.full);
const c = median(times.cold);
const diff = f - e;
const ok = diff <= GOAL_MS;
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
console.log(`ledger: ${deploys} deploys, ${deploys * 4} records, ${mb(ledgerSize)}; its snapshot ${mb(snapshotSize)}`);
console.log(`flowport deployments, ${runs} runs each (interleaved), medians (min–max):`);
console.log(`  empty ledger:                     ${fmt(e)} (${range(times.empty)})`);
console.log(`  ${deploys} deploys, with snapshot:  ${fmt(f)} (${range(times.full)})`);
console.log(`  ${deploys} deploys, cold (no snapshot, not checked): ${fmt(c)} (${range(times.cold)})`);
console.log(`${ok ? 'ok  ' : 'MISS'} difference: ${fmt(diff)}, goal ≤ ${GOAL_MS} ms`);
console.log(`reproduce: npm run bench:ledger -- --runs ${runs}${deploys === 10_000 ? '' : ` --deploys ${deploys}`}`);
if (check && !ok) process.exit(1);

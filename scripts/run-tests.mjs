// The project's test command (`npm test`): the typecheck and ESLint, the unit tests on node:test
// (TypeScript through tsx), then the suites that run inside a real VS Code (code-server, installed
// on first use into ~/.cache/flowport). Ends with one summary line over everything: "N passed, M failed".
//
//   npm test                      everything
//   npm test -- --unit            unit tests only (no VS Code)
//   npm test -- test/unit/x.test.ts …   just those files
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensurePostgres } from './postgres/server.mjs';
import { describeInstallFailure } from './vscode-host/install.mjs';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const files = args.filter((a) => !a.startsWith('--'));

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out.sort();
}

/** Runs a command, echoing its output, and counts passes and failures with `count`. */
function run(cmd, cmdArgs, count) {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const totals = { passed: 0, failed: 0 };
    const tails = new Map(); // per stream: a line may arrive in two chunks
    const onData = (stream) => (chunk) => {
      stream.write(chunk);
      const lines = ((tails.get(stream) ?? '') + chunk.toString()).split('\n');
      tails.set(stream, lines.pop() ?? '');
      for (const line of lines) count(line, totals);
    };
    child.stdout.on('data', onData(process.stdout));
    child.stderr.on('data', onData(process.stderr));
    child.on('close', (code) => {
      for (const tail of tails.values()) count(tail, totals);
      // A suite that crashed before reporting still counts as a failure.
      if (code !== 0 && totals.failed === 0) totals.failed = 1;
      resolve(totals);
    });
  });
}

// CLI tests spawn the built `flowport` bin, the VS Code suites load the built extension.
for (const script of ['sdk/build.mjs', 'scripts/build-extension.mjs']) {
  const r = spawnSync(process.execPath, [script, '--no-types'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// Static checks first: the types, and type-checked lint (promise misuse above all). Each is one
// check in the summary. Skipped when only some test files were asked for.
const checks = { passed: 0, failed: 0 };
if (files.length === 0) {
  for (const [name, bin, binArgs] of [
    ['typecheck (tsc)', 'typescript/bin/tsc', ['-p', 'tsconfig.json', '--noEmit']],
    ['lint (eslint)', 'eslint/bin/eslint.js', ['.']],
  ]) {
    console.log(`== ${name}`);
    const r = spawnSync(process.execPath, [join(root, 'node_modules', bin), ...binArgs], {
      cwd: root,
      stdio: 'inherit',
    });
    checks[r.status === 0 ? 'passed' : 'failed']++;
    if (r.status !== 0) console.log(`${name} FAILED`);
  }
}

// The team-store tests run against a real PostgreSQL server: Debian's, installed with apt-get when missing.
try {
  const { bin, version } = await ensurePostgres({ log: (m) => console.log(m) });
  console.log(`== PostgreSQL ${version.replace(/ \((Debian)[^)]*\)/, ' ($1)')} at ${bin}`);
} catch (err) {
  console.log(describeInstallFailure(err));
  process.exit(1);
}

const unit = await run(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-concurrency=2',
    ...(files.length ? files : findTests(join(root, 'test', 'unit'))),
  ],
  (line, t) => {
    const m = /^ℹ (pass|fail) (\d+)$/.exec(line.trim());
    if (m) t[m[1] === 'pass' ? 'passed' : 'failed'] += Number(m[2]);
  },
);
let total = { passed: checks.passed + unit.passed, failed: checks.failed + unit.failed };
if (!unitOnly && files.length === 0) {
  // test-vscode.mjs counts its suites itself (a suite that never started is a failure there):
  // take its closing line rather than re-parsing the suites' output.
  const vscode = await run(process.execPath, [join(root, 'scripts', 'test-vscode.mjs')], (line, t) => {
    const m = /^VS Code tests: (\d+) passed, (\d+) failed\b/.exec(line.trim());
    if (m) Object.assign(t, { passed: Number(m[1]), failed: Number(m[2]) });
  });
  total = { passed: total.passed + vscode.passed, failed: total.failed + vscode.failed };
  console.log(
    `\nchecks: ${checks.passed} passed, ${checks.failed} failed · unit: ${unit.passed} passed, ${unit.failed} failed · ` +
      `VS Code: ${vscode.passed} passed, ${vscode.failed} failed`,
  );
}
console.log(`${total.passed} passed, ${total.failed} failed`);
process.exit(total.failed > 0 ? 1 : 0);

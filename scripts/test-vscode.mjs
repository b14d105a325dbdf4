#!/usr/bin/env node
// Runs the extension's tests inside a real VS Code (code-server, see scripts/vscode-host/), in order:
//   suite       the main integration suite (mocha in the extension host) on a fresh git copy of examples/demo
//   restricted  the Restricted Mode suite on an untrusted copy
//   multi       a multi-root workspace of two demo copies: one SDK host each
//   team        the team-store suite: a demo copy whose config keeps deployments in a real PostgreSQL
//               server (scripts/postgres/server.mjs), started here and passed as FLOWPORT_DATABASE_URL
//   ui          the Playwright UI tests (test/vscode/ui/*.test.mjs, node:test): clicks in the rendered
//               workbench, screenshots in test-output/ui/
// `node scripts/test-vscode.mjs [suite|restricted|multi|ui]` runs one of them; `--build-only` builds the SDK,
// the extension and the suite bundles (out/vscode-tests/*.js) and runs nothing (test-electron.mjs).
// It always builds the SDK (without types) and the extension first. First run installs code-server
// and Node 24 into ~/.cache/flowport. Ends with one line: "VS Code tests: N passed, M failed — …",
// in which a suite that never reported (it did not start, or crashed) counts as one failure.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import {
  CONFIG_THAT_LEAVES_A_MARKER,
  demoWorkspace,
  multiRootWorkspace,
  repoRoot as root,
} from './vscode-host/demo-workspace.mjs';
import { runExtensionTests } from './vscode-host/run-tests.mjs';
import { startPostgres } from './postgres/server.mjs';

const outDir = join(root, 'out', 'vscode-tests');
const NAMES = ['suite', 'restricted', 'multi', 'team', 'ui'];
const args = process.argv.slice(2);
const buildOnly = args.includes('--build-only');
const positional = args.filter((a) => a !== '--build-only');
const only = positional[0];
if (positional.length > 1 || (only !== undefined && !NAMES.includes(only)) || (buildOnly && only)) {
  console.error(
    `usage: node scripts/test-vscode.mjs [${NAMES.join('|')}]   (no argument: all of them, in this order)\n` +
      '       node scripts/test-vscode.mjs --build-only',
  );
  process.exit(2);
}

/**
 * Counts what a suite reports as it prints: mocha's "N passing / N failing" and node:test's
 * "ℹ pass N / ℹ fail N". A suite that ends without reporting anything (it never started, or
 * crashed first) counts as one failure, whatever its exit code: "0 failed" must mean "ran, passed".
 */
function suiteCounter() {
  const counts = { passed: 0, failed: 0, reported: false };
  /** @param {string} text */
  const count = (text) => {
    for (const line of text.split('\n')) {
      const m = /^\s*(\d+) (passing|failing)\b/.exec(line) ?? /^ℹ (pass|fail) (\d+)$/.exec(line.trim());
      if (!m) continue;
      const [n, kind] = /^\d+$/.test(m[1]) ? [Number(m[1]), m[2]] : [Number(m[2]), m[1]];
      counts.reported = true;
      if (kind.startsWith('pass')) counts.passed += n;
      else counts.failed += n;
    }
  };
  /** @param {boolean} ok the suite's own verdict (exit code 0) */
  const finish = (ok) => ({
    passed: counts.passed,
    failed: counts.failed + (!counts.reported || (!ok && counts.failed === 0) ? 1 : 0),
  });
  return { count, finish };
}

/** A mocha suite that runs inside the extension host, on a fresh demo workspace. */
async function extensionSuite(name, folder, trusted, env) {
  console.log(`\n== VS Code suite "${name}" on ${folder}${trusted ? '' : ' (untrusted)'}`);
  const counter = suiteCounter();
  let ok = false;
  try {
    const code = await runExtensionTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: join(outDir, `${name}.js`),
      folder,
      trusted,
      ...(env ? { env } : {}),
      // A guard against a hung suite, not a speed goal: the main suite takes ~3.5 min on an idle
      // two-core machine and grows with the features it covers.
      timeoutMs: 480_000,
      screenshotDir: join(root, 'test-output', name),
      write: (line, isError) => {
        (isError ? process.stderr : process.stdout).write(`${line}\n`);
        counter.count(line);
      },
    });
    ok = code === 0;
  } catch (err) {
    console.error(`VS Code suite "${name}" did not finish:`, err);
  } finally {
    // A workspace file's folder holds its folders too.
    rmSync(folder.endsWith('.code-workspace') ? dirname(folder) : folder, { recursive: true, force: true });
  }
  return counter.finish(ok);
}

/** In the team suite's URL: the suite checks it never shows in the editor. */
const TEAM_PASSWORD = 'pw-never-shown-7f3a';

/** The demo's config with its deployments in the team store (the URL from the environment). */
const TEAM_CONFIG = {
  'flowport.config.ts': `import { commandDeployer, defineConfig, postgresStore } from 'flowport';

export default defineConfig({
  environments: ['dev', 'uat', { name: 'prod', protected: true }],
  flows: { include: ['src/**'] },
  deployments: postgresStore({ url: process.env.FLOWPORT_DATABASE_URL ?? '', project: 'demo-team' }),
  deploy: commandDeployer({ command: [process.execPath, 'scripts/deploy.mjs'], timeoutMs: 120_000 }),
});
`,
};

/**
 * The team suite: a real PostgreSQL server for the suite's extension host (FLOWPORT_DATABASE_URL,
 * with a password-less role on 127.0.0.1), its schema migrated by the CLI as a user would, and a
 * control the suite stops and starts the server with (FLOWPORT_TEST_PG_CONTROL: a local URL with
 * a random token; POST /outage?ms=N stops it, waits N ms, starts it on the same port, and answers
 * when it is back). The server trusts 127.0.0.1, so the URL carries a password only to show that
 * it never reaches the editor.
 */
async function teamSuite() {
  const pg = await startPostgres({ log: (m) => console.log(m) });
  const token = randomBytes(16).toString('hex');
  const control = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://control');
    if (req.method !== 'POST' || url.pathname !== `/${token}/outage`) return void res.writeHead(404).end();
    pg.restart({ downMs: Number(url.searchParams.get('ms') ?? 3000) }).then(
      () => res.writeHead(200).end('ok'),
      (err) => res.writeHead(500).end(String(err)),
    );
  });
  await new Promise((resolve) => control.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (control.address());
  try {
    const folder = demoWorkspace(TEAM_CONFIG);
    const env = {
      FLOWPORT_DATABASE_URL: pg.url.replace('postgres@', `postgres:${TEAM_PASSWORD}@`),
      FLOWPORT_TEST_PG_CONTROL: `http://127.0.0.1:${address.port}/${token}`,
    };
    const migrate = spawnSync(process.execPath, [join(root, 'sdk/dist/cli.js'), 'state', 'migrate'], {
      cwd: folder,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    if (migrate.status !== 0) throw new Error(`flowport state migrate failed: ${migrate.stderr}${migrate.stdout}`);
    return await extensionSuite('team', folder, true, env);
  } finally {
    control.close();
    await pg.stop();
  }
}

/** The Playwright UI tests: plain node:test files, each opening its own workbench. */
async function uiTests() {
  const dir = join(root, 'test', 'vscode', 'ui');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.test.mjs'))
    .sort()
    .map((f) => join(dir, f));
  console.log(`\n== VS Code UI tests (Playwright): ${files.map((f) => f.slice(root.length)).join(', ')}`);
  const counter = suiteCounter();
  // spec reporter even when piped: its "ℹ pass N" / "ℹ fail N" lines are what is counted.
  const child = spawn(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=1', ...files], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let tail = '';
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    const lines = (tail + chunk.toString()).split('\n');
    tail = lines.pop() ?? '';
    counter.count(lines.join('\n'));
  });
  const code = await new Promise((resolve) => child.on('close', (c, signal) => resolve(signal ? 1 : c)));
  counter.count(tail);
  return counter.finish(code === 0);
}

const runs = [
  { name: 'suite', run: () => extensionSuite('suite', demoWorkspace(), true) },
  {
    name: 'restricted',
    // The config leaves a marker when it is evaluated: Restricted Mode must never evaluate it.
    run: () => extensionSuite('restricted', demoWorkspace(CONFIG_THAT_LEAVES_A_MARKER), false),
  },
  { name: 'multi', run: () => extensionSuite('multi', multiRootWorkspace(), true) },
  { name: 'team', run: teamSuite },
  { name: 'ui', run: uiTests },
].filter((r) => !only || r.name === only);

// The extension host loads dist/extension.js, which starts sdk/dist/host.js.
for (const [script, extra] of [
  ['sdk/build.mjs', ['--no-types']],
  ['scripts/build-extension.mjs', []],
]) {
  const r = spawnSync(process.execPath, [join(root, script), ...extra], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\nVS Code tests: FAILED — ${script} did not build`);
    process.exit(r.status ?? 1);
  }
}
if (buildOnly || runs.some((r) => r.name !== 'ui')) {
  await build({
    absWorkingDir: root,
    entryPoints: {
      suite: 'test/vscode/suite/index.ts',
      restricted: 'test/vscode/restricted/index.ts',
      multi: 'test/vscode/multi/index.ts',
      team: 'test/vscode/team/index.ts',
    },
    outdir: outDir,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // esbuild finds its native binary from its own files: it stays a package the bundle requires.
    external: ['vscode', 'mocha', 'esbuild'],
    // The suites import SDK modules (ESM) that read import.meta.url; in this CJS bundle it is the
    // bundle's own file URL, which is what those modules resolve packages from.
    banner: { js: "const __fpImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__fpImportMetaUrl' },
    sourcemap: 'inline',
    logLevel: 'warning',
  });
}

if (buildOnly) process.exit(0);

const started = Date.now();
/** @type {{ name: string, passed: number, failed: number, seconds: string }[]} */
const results = [];
for (const { name, run } of runs) {
  const t0 = Date.now();
  let counts = { passed: 0, failed: 1 };
  try {
    counts = await run();
  } catch (err) {
    console.error(`VS Code ${name}:`, err);
  }
  results.push({ name, ...counts, seconds: ((Date.now() - t0) / 1000).toFixed(1) });
}
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
const summary = results
  .map((r) => `${r.name} ${r.failed ? `FAILED (${r.failed})` : 'passed'} in ${r.seconds} s`)
  .join(', ');
// run-tests.mjs reads this line: keep its "VS Code tests: N passed, M failed" prefix.
console.log(
  `\nVS Code tests: ${passed} passed, ${failed} failed — ${summary}; ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
process.exit(failed ? 1 : 0);

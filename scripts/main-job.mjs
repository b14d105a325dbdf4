#!/usr/bin/env node
// `npm start`: the main job. Builds the SDK and the extension, makes sure the demo project is a
// git repository (deploys record commits), lists its flows, and opens it in a real VS Code with
// the extension loaded: desktop VS Code when `code` is on PATH, otherwise code-server on
// 127.0.0.1 (installed on first run into ~/.cache/flowport), printing the URL to open.
//
//   npm start [-- --port 8080] [-- --check]
//   --check: start it, confirm in chromium that the extension is loaded and lists the demo's flows
//   (a screenshot lands in test-output/main-job.png), stop; exit 1 if not.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkFlowsListed } from './vscode-host/check-workbench.mjs';
import { describeInstallFailure } from './vscode-host/install.mjs';
import { startInstalledWorkbench } from './vscode-host/installed.mjs';

const root = new URL('..', import.meta.url).pathname;
const demo = join(root, 'examples', 'demo');
const { values } = parseArgs({ options: { port: { type: 'string' }, check: { type: 'boolean', default: false } } });

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function ensureGitRepo(dir) {
  const inside = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: dir, encoding: 'utf8' });
  if (inside.stdout.trim() === 'true') return;
  console.log(`Making ${dir} a git repository (deploys record the commit they deploy)…`);
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: 'inherit' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.name=Flowport Demo', '-c', 'user.email=demo@flowport.invalid', 'commit', '-qm', 'Demo project');
}

function onPath(command) {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { encoding: 'utf8' }).status === 0;
}

run(process.execPath, [join(root, 'sdk', 'build.mjs'), '--no-types']);
run(process.execPath, [join(root, 'scripts', 'build-extension.mjs')]);
ensureGitRepo(demo);
console.log(`\n$ flowport flows   (in examples/demo)\n`);
run(process.execPath, [join(root, 'sdk', 'bin', 'flowport.js'), 'flows'], { cwd: demo });
const demoFlows = JSON.parse(
  execFileSync(process.execPath, [join(root, 'sdk', 'bin', 'flowport.js'), 'flows', '--json'], {
    cwd: demo,
    encoding: 'utf8',
  }),
);

if (onPath('code') && !values.check) {
  console.log('\nOpening examples/demo in VS Code with the extension in development mode…');
  run('code', ['--new-window', `--extensionDevelopmentPath=${root}`, demo]);
  process.exit(0);
}

// Installed from a VSIX, as a user's VS Code loads an extension (not through the smoke-test driver,
// which hides every notification).
let started;
try {
  started = await startInstalledWorkbench({
    folder: demo,
    port: values.port ? Number(values.port) : undefined,
    // The demo sits inside this repository: use its git repository without asking.
    userSettings: { 'git.openRepositoryInParentFolders': 'always' },
  });
} catch (err) {
  console.error(`\nnpm start: ${describeInstallFailure(err)}`);
  process.exit(1);
}
const { server, url } = started;
console.log(`\nFlowport is running in VS Code (code-server) on the demo project. Open:\n\n  ${url}\n`);
if (values.check) {
  let ok = false;
  try {
    console.log('Checking it in a real browser (chromium):');
    await checkFlowsListed({ url, flows: demoFlows, screenshot: join(root, 'test-output', 'main-job.png') });
    ok = true;
  } catch (err) {
    console.error(`npm start --check failed: ${/** @type {Error} */ (err).message}`);
  } finally {
    await server.stop();
  }
  console.log(ok ? "npm start --check: the extension is loaded and lists the demo's flows" : '');
  process.exit(ok ? 0 : 1);
}
console.log('Press Ctrl-C to stop.');
const stop = () => void server.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

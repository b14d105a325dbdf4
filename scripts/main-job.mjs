#!/usr/bin/env node
// `npm start`: the main job. Builds the SDK and the extension, makes sure the demo project is a
// git repository (deploys record commits), lists its flows, and opens it in a real VS Code with
// the extension loaded: desktop VS Code when `code` is on PATH, otherwise code-server on
// 127.0.0.1 (installed on first run into ~/.cache/flowport), printing the URL to open.
//
//   npm start [-- --port 8080] [-- --check]   --check: start, check that the workbench answers, stop
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCodeServer } from './vscode-host/server.mjs';
import { workbenchUrl } from './vscode-host/run-tests.mjs';

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

if (onPath('code') && !values.check) {
  console.log('\nOpening examples/demo in VS Code with the extension in development mode…');
  run('code', ['--new-window', `--extensionDevelopmentPath=${root}`, demo]);
  process.exit(0);
}

// The workbench loads a development extension from the URL's payload only with the smoke-test
// driver option on: it is how VS Code's own "Run Extension" works remotely.
const server = await startCodeServer({
  folder: demo,
  port: values.port ? Number(values.port) : undefined,
  smokeTestDriver: true,
  userSettings: { 'workbench.startupEditor': 'none' },
});
const url = workbenchUrl({ authority: new URL(server.url).host, folder: demo, extensionDevelopmentPath: root });
console.log(`\nFlowport is running in VS Code (code-server) on the demo project. Open:\n\n  ${url}\n`);
if (values.check) {
  const res = await fetch(url);
  console.log(`workbench answered ${res.status}`);
  await server.stop();
  process.exit(res.ok ? 0 : 1);
}
console.log('Press Ctrl-C to stop.');
const stop = () => void server.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

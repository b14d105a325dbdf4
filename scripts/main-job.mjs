#!/usr/bin/env node
// `npm start`: the main job. Builds the SDK, makes sure the demo project is a git repository
// (deploys record commits), and shows Flowport on it.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const demo = join(root, 'examples', 'demo');
const cli = join(root, 'sdk', 'bin', 'flowport.js');

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

run(process.execPath, [join(root, 'sdk', 'build.mjs'), '--no-types']);
ensureGitRepo(demo);
console.log(`\n$ flowport flows   (in examples/demo)\n`);
run(process.execPath, [cli, 'flows'], { cwd: demo });

#!/usr/bin/env node
// The path from click to command: what `flowport deploy` adds to its deploy command. The command
// does nothing (an empty Node script); it runs bare (`node noop.mjs`) and through
// `flowport deploy noop --env dev` (CLI start, config, git, the record, a detached runner, its
// claim, the command, the final record, the CLI attached until it ends), interleaved so that the
// machine's load falls on both alike. Medians of --runs N each; the goal is at most 0.3 s added.
//
//   npm run bench:deploy -- [--runs 7] [--check]
//
// --check exits 1 when the median added time misses the goal.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchSetup, repo } from './bench-args.mjs';

const GOAL_MS = 300;
const cli = join(repo, 'sdk/bin/flowport.js');
const { runs, check } = benchSetup(7);

const root = mkdtempSync(join(tmpdir(), 'flowport-bench-deploy-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true, maxRetries: 5 }));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
mkdirSync(join(root, 'src'), { recursive: true });
mkdirSync(join(root, 'node_modules'));
symlinkSync(join(repo, 'sdk'), join(root, 'node_modules', 'flowport'), 'dir');
writeFileSync(join(root, 'noop.mjs'), '');
writeFileSync(join(root, '.gitignore'), 'node_modules\n');
writeFileSync(
  join(root, 'flowport.config.ts'),
  `import { defineConfig, commandDeployer } from 'flowport';\nexport default defineConfig({ environments: ['dev'], deploy: commandDeployer({ command: ['node', 'noop.mjs'] }) });\n`,
);
writeFileSync(
  join(root, 'src', 'noop.ts'),
  `import { defineFlow } from 'flowport';\nexport const f = defineFlow({ name: 'noop' }, async () => 1);\n`,
);
const git = (...args) =>
  execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@flowport.invalid', ...args], {
    cwd: root,
    stdio: 'ignore',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  });
git('init', '-q');
git('add', '-A');
git('commit', '-qm', 'bench');

function timed(args) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}
const bare = () => timed(['noop.mjs']);
const deploy = () => timed([cli, 'deploy', 'noop', '--env', 'dev']);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Once each first: the config's compiled copy and the flow index are then warm, as after the first deploy.
bare();
deploy();
const times = { bare: [], deploy: [] };
for (let i = 0; i < runs; i++) {
  times.bare.push(bare());
  times.deploy.push(deploy());
}
const b = median(times.bare);
const d = median(times.deploy);
const added = d - b;
const fmt = (ms) => `${(ms / 1000).toFixed(3)} s`;
console.log(`bare command        ${fmt(b)}  (median of ${runs}: ${times.bare.map(fmt).join(', ')})`);
console.log(`flowport deploy     ${fmt(d)}  (median of ${runs}: ${times.deploy.map(fmt).join(', ')})`);
console.log(`added by flowport   ${fmt(added)}  (goal: at most ${fmt(GOAL_MS)}) ${added <= GOAL_MS ? 'ok' : 'MISSED'}`);
if (check && added > GOAL_MS) process.exit(1);

#!/usr/bin/env node
// The demo's deploy command, run by Flowport's commandDeployer for one flow and one environment.
// It bundles the flow's source — as of the commit being deployed — into
// .flowport/targets/<env>/<flow>/, where it can be run: node .flowport/targets/dev/<flow>/run.mjs
//
// Set DEMO_FAIL_FLOW=<flow name> to make that flow's deploy fail, to see a failure end to end.
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const {
  FLOWPORT_FLOW: flow,
  FLOWPORT_ENV: env,
  FLOWPORT_COMMIT: commit,
  FLOWPORT_SOURCE: source,
  FLOWPORT_ROOT: root,
} = process.env;
if (!flow || !env || !commit || !source || !root) {
  console.error(
    'deploy.mjs is run by Flowport: it needs FLOWPORT_FLOW, FLOWPORT_ENV, FLOWPORT_COMMIT, FLOWPORT_SOURCE and FLOWPORT_ROOT.',
  );
  process.exit(2);
}
// A name is the project's text: joined into a path unchecked, `../../../src` once led this script
// out of .flowport/targets and it deleted the project's src/. Each must be one plain folder name,
// and the target must stay inside the targets folder.
const targets = resolve(root, '.flowport', 'targets');
for (const [what, value] of [
  ['flow', flow],
  ['environment', env],
]) {
  if (value === '.' || value.includes('..') || /[\\/]/.test(value) || /[\u0000-\u001f\u007f-\u009f]/.test(value)) {
    console.error(
      `deploy.mjs: refusing ${what} name ${JSON.stringify(value)}: it must be one folder name, without "..", "/" or "\\"`,
    );
    process.exit(2);
  }
}
const target = resolve(targets, env, flow);
const inside = relative(targets, target);
if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
  console.error(`deploy.mjs: refusing to deploy to ${target}: it is not inside ${targets}`);
  process.exit(2);
}

const pause = () => sleep(Number(process.env.DEMO_STEP_MS ?? 150)); // so the live log is visible

console.log(`Deploying ${flow} @ ${commit.slice(0, 7)} to ${env}`);
await pause();
if (process.env.DEMO_FAIL_FLOW === flow) {
  console.error(`error: DEMO_FAIL_FLOW=${flow}: failing this deploy on purpose`);
  process.exit(1);
}

// esbuild comes with the flowport package (it compiles flowport.config.ts).
const requireFromFlowport = createRequire(createRequire(join(root, 'package.json')).resolve('flowport/package.json'));
const esbuild = requireFromFlowport('esbuild');

const staging = `${target}.staging`;
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });
console.log(`Bundling ${source}`);
await esbuild.build({
  entryPoints: [source],
  outfile: join(staging, 'index.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The source may come from a temporary worktree of the commit: resolve packages from the project.
  nodePaths: [join(root, 'node_modules')],
  logLevel: 'warning',
  // flowport declares itself free of side effects, so its unused chunks are dropped on purpose.
  logOverride: { 'ignored-bare-import': 'silent' },
});
await pause();
writeFileSync(
  join(staging, 'run.mjs'),
  [
    `// Runs the deployed flow: node run.mjs`,
    `const mod = await import('./index.mjs');`,
    `const name = ${JSON.stringify(flow)};`,
    `const camel = name.replace(/-(\\w)/g, (_, c) => c.toUpperCase());`,
    `const run = Object.values(mod).find((v) => v?.meta?.name === name) ?? mod[name] ?? mod[camel];`,
    `if (typeof run !== 'function') throw new Error('flow ' + name + ' is not exported by this bundle');`,
    `console.log(JSON.stringify(await run()));`,
    ``,
  ].join('\n'),
);
writeFileSync(
  join(staging, 'deployment.json'),
  JSON.stringify({ flow, env, commit, deployedAt: new Date().toISOString() }, null, 2) + '\n',
);

// Check that the bundle loads before it replaces what runs: a broken bundle must not go live.
const exports = Object.keys(await import(join(staging, 'index.mjs')));
console.log(`Bundle loads; exports: ${exports.join(', ') || '(none)'}`);
rmSync(target, { recursive: true, force: true });
mkdirSync(join(target, '..'), { recursive: true });
(await import('node:fs')).renameSync(staging, target);
await pause();

const bytes = statSync(join(target, 'index.mjs')).size;
console.log(`Deployed ${flow} to ${env}: ${target}`);
console.log(`::flowport-output bundle=${join(target, 'index.mjs')}`);
console.log(`::flowport-output bundleBytes=${bytes}`);
// What a flow hands the flows that read it (releases in flowport.config.ts): the api takes db's.
if (flow === 'db')
  console.log(`::flowport-output connection=postgres://app:demo-secret@db.${env}.demo.internal:5432/app`);

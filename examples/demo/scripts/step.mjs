#!/usr/bin/env node
// One step of the api's multi-step deploy on one target, run by Flowport once per target of the
// step's group (releases.api.steps in flowport.config.ts):
//   node scripts/step.mjs migrate <target>
//   node scripts/step.mjs roll-out <target> <schema version from the migrate step>
// It "deploys" by writing .flowport/targets/<env>/api/<target>.json, so each host's state can be seen.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const [step, target, schema] = process.argv.slice(2);
const { FLOWPORT_ENV: env, FLOWPORT_COMMIT: commit, FLOWPORT_ROOT: root, DATABASE_URL: databaseUrl } = process.env;
if (!step || !target || !env || !commit || !root) {
  console.error('step.mjs is run by Flowport: node scripts/step.mjs <migrate|roll-out> <target>');
  process.exit(2);
}
// The target and environment are the config's text, joined into a path: each must stay one plain
// name under .flowport/targets (deploy.mjs was once led out of it by a name holding "..").
for (const [what, value] of [
  ['target', target],
  ['environment', env],
]) {
  if (!/^[A-Za-z0-9._-]+$/.test(value) || value.includes('..')) {
    console.error(`step.mjs: refusing ${what} ${JSON.stringify(value)}: letters, digits, ".", "-" and "_" only`);
    process.exit(2);
  }
}
const pause = () => sleep(Number(process.env.DEMO_STEP_MS ?? 150)); // so the live log is visible
if (process.env.DEMO_FAIL_TARGET === target) {
  console.error(`error: DEMO_FAIL_TARGET=${target}: failing ${step} here on purpose`);
  process.exit(1);
}

if (step === 'migrate') {
  // DATABASE_URL is db's output (a secret by its name): the log shows it masked.
  console.log(`Migrating ${target} through ${databaseUrl ?? '(no DATABASE_URL)'}`);
  await pause();
  console.log('::flowport-output schema=7');
} else if (step === 'roll-out') {
  console.log(`Rolling out api @ ${commit.slice(0, 7)} to ${target} (schema ${schema})`);
  await pause();
  const dir = resolve(root, '.flowport', 'targets', env, 'api');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${target}.json`),
    JSON.stringify({ target, commit, schema, at: new Date().toISOString() }, null, 2) + '\n',
  );
  // The same on every web target, so the deployment records it as its link.
  console.log(`::flowport-output url=http://api.${env}.demo.internal/`);
} else {
  console.error(`step.mjs: unknown step ${JSON.stringify(step)}: migrate or roll-out`);
  process.exit(2);
}

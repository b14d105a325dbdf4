/**
 * What the CLI tells a user to do next: the project it found, the name meant, and the command that
 * fixes it, typed as it works from where the user is. Real CLI processes on real git repositories.
 */
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import type { FlowRunResult } from '../../../sdk/src/index.js';
import type { ErrorOutput } from '../../../sdk/src/cli/main.js';
import { flowport } from '../../helpers/cli.js';
import { linkSdk } from '../../helpers/tmp.js';
import { cliProject, gitRepo } from '../backend/fixture.js';

const flowFile = (name: string) =>
  `import { defineFlow } from 'flowport';\nexport const f = defineFlow({ name: '${name}' }, async () => 1);\n`;

const DEMO_CONFIG = [
  `import { defineConfig, commandDeployer } from 'flowport';`,
  `export default defineConfig({`,
  `  environments: ['dev', 'uat', 'prod'],`,
  `  deploy: commandDeployer({ command: ['node', '../../deploy.mjs', '{flow}', '{env}'] }),`,
  `});`,
].join('\n');

/** A repository without a config at its root, holding examples/demo, a project of its own (as this one). */
function repoWithDemo(): string {
  const root = gitRepo({
    'examples/demo/flowport.config.ts': DEMO_CONFIG,
    'examples/demo/src/reports/weekly.ts': flowFile('weeklyReport'),
    'tools/cleanup.ts': flowFile('cleanup'),
  });
  linkSdk(root);
  linkSdk(join(root, 'examples', 'demo'));
  return root;
}

test('a folder with its own config is its own project for every command; from outside, each names it and the --root that works', () => {
  const root = repoWithDemo();
  const listed = flowport(['flows', '--json'], { cwd: root });
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(
    (JSON.parse(listed.stdout) as Array<{ name: string }>).map((f) => f.name),
    ['cleanup'],
    "the demo's flows are the demo's",
  );
  assert.match(
    listed.stderr,
    /examples\/demo\/flowport\.config\.ts: 1 flow in a project of its own, not listed here: flowport flows --root examples\/demo/,
  );

  const deploy = flowport(['deploy', 'weeklyReport', '--env', 'dev', '--json'], { cwd: root });
  assert.equal(deploy.code, 2, deploy.stderr);
  const { error } = JSON.parse(deploy.stdout) as ErrorOutput;
  assert.match(error.message, /"weeklyReport" is a flow of examples\/demo, a project of its own/);
  assert.match(error.message, /flowport deploy weeklyReport --env dev --root examples\/demo$/);
  assert.deepEqual(error.hint, {
    command: 'deploy',
    args: ['weeklyReport', '--env', 'dev'],
    root: join(root, 'examples', 'demo'),
  });
  // The command it printed works, from where it was printed.
  const again = flowport(['deploy', 'weeklyReport', '--env', 'dev', '--root', 'examples/demo'], { cwd: root });
  assert.equal(again.code, 0, again.stderr);

  // A flow of the root project, with no config there: the nearest config it sees is named.
  const noConfig = flowport(['deploy', 'cleanup', '--env', 'dev'], { cwd: join(root, 'tools') });
  assert.equal(noConfig.code, 2);
  assert.match(
    noConfig.stderr,
    /no flowport\.config\.ts here.*the nearest is examples\/demo\/flowport\.config\.ts below, so pass --root examples\/demo\./,
  );
});

test('did you mean: a flag spelt out (--enviroment), an environment in another case, a flow in another case style', () => {
  const root = cliProject({ weeklyReport: 'reports' });
  const flag = flowport(['deploy', 'weeklyReport', '--enviroment', 'dev'], { cwd: root });
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /unknown option --enviroment for deploy: did you mean --env\?/);

  for (const [args, meant] of [
    [['deploy', 'weeklyReport', '--env', 'Dev'], /--env Dev: no such environment: did you mean dev\?/],
    [
      ['promote', 'weeklyReport', '--from', 'DEV', '--to', 'uat'],
      /--from DEV: no such environment: did you mean dev\?/,
    ],
    [['history', 'weeklyReport', '--env', 'Uat'], /--env Uat: no such environment: did you mean uat\?/],
  ] as const) {
    const r = flowport([...args], { cwd: root });
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, meant);
  }

  for (const typed of ['weekly-report', 'weekly_report', 'WeeklyReport']) {
    const r = flowport(['deploy', typed, '--env', 'dev', '--json'], { cwd: root });
    assert.equal(r.code, 2, typed);
    const { error } = JSON.parse(r.stdout) as ErrorOutput;
    assert.equal(
      error.message,
      `unknown flow "${typed}": did you mean "weeklyReport"? flowport deploy weeklyReport --env dev`,
    );
    assert.deepEqual(error.hint, { command: 'deploy', args: ['weeklyReport', '--env', 'dev'] });
  }
  const history = flowport(['history', 'weekly-report'], { cwd: root });
  assert.match(history.stderr, /did you mean "weeklyReport"\? flowport history weeklyReport$/m);
});

test('nothing to promote from uat while dev runs it: the hint promotes from dev, with --root when run from elsewhere', () => {
  const root = cliProject({ 'compact-events': 'ingest', nightly: 'jobs' });
  assert.equal(flowport(['deploy', 'compact-events', '--env', 'dev'], { cwd: root }).code, 0);

  const here = flowport(['promote', 'compact-events', '--from', 'uat', '--to', 'prod', '--json'], { cwd: root });
  assert.equal(here.code, 1);
  const [result] = (JSON.parse(here.stdout) as { results: FlowRunResult[] }).results;
  assert.equal(result?.outcome, 'refused');
  assert.match(
    result.message,
    /uat has no successful deployment of "compact-events"\. dev runs it: promote it to uat first: flowport promote compact-events --from dev --to uat$/,
  );
  assert.doesNotMatch(result.message, /flowport deploy/);
  assert.deepEqual(result.hint, { command: 'promote', args: ['compact-events', '--from', 'dev', '--to', 'uat'] });

  // Deployed nowhere before uat: deploying there is the fix.
  const never = flowport(['promote', 'nightly', '--from', 'dev', '--to', 'uat'], { cwd: root });
  assert.match(never.stdout, /Deploy it there first: flowport deploy nightly --env dev$/m);

  // From a subfolder the project is found without --root, so the hint needs none.
  const sub = flowport(['promote', 'compact-events', '--from', 'uat', '--to', 'prod'], { cwd: join(root, 'src') });
  assert.match(sub.stdout, /flowport promote compact-events --from dev --to uat$/m);

  // From another folder, it takes --root as the user can type it from there.
  const outside = gitRepo();
  const elsewhere = flowport(['promote', 'compact-events', '--from', 'uat', '--to', 'prod', '--root', root], {
    cwd: outside,
  });
  const rootArg = [relative(outside, root), root].sort((a, b) => a.length - b.length)[0]!;
  assert.ok(
    elsewhere.stdout.includes(`flowport promote compact-events --from dev --to uat --root ${rootArg}\n`),
    elsewhere.stdout,
  );
  // That command works from there.
  const fixed = flowport(['promote', 'compact-events', '--from', 'dev', '--to', 'uat', '--root', rootArg], {
    cwd: outside,
  });
  assert.equal(fixed.code, 0, fixed.stderr + fixed.stdout);
});

test('--no-queue: a refusal naming a deployment to cancel carries the cancel command, with --root from elsewhere', async () => {
  const root = cliProject({ nightly: 'jobs' });
  const { localLedger } = await import('../../../sdk/src/index.js');
  const busy = await localLedger({ root }).create({
    flowName: 'nightly',
    env: 'dev',
    commit: 'c'.repeat(40),
    ref: 'HEAD',
  });
  const outside = gitRepo();
  const r = flowport(['deploy', 'nightly', '--env', 'dev', '--no-queue', '--root', root, '--json'], { cwd: outside });
  assert.equal(r.code, 1, r.stderr);
  const { error } = JSON.parse(r.stdout) as ErrorOutput;
  assert.deepEqual(error.hint, { command: 'cancel', args: [busy.id] });
  const rootArg = [relative(outside, root), root].sort((a, b) => a.length - b.length)[0]!;
  assert.ok(error.message.includes(`flowport cancel ${busy.id} --root ${rootArg}\n`), error.message);
});

/**
 * Multi-step deploys on target groups (issue 16): each target is a real process, a local command
 * (`node target.mjs <step> <target> …`) that appends what it does to a record file, so order,
 * overlap, failures, cancels and a killed runner are read from what really ran.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  commandDeployer,
  DeployError,
  localLedger,
  type DeploymentDetails,
  type DeploymentRecord,
} from '../../../sdk/src/index.js';
import { startCommandRun, type DetachableRun } from '../../../sdk/src/runner/start.js';
import type { DeployStep } from '../../../sdk/src/config/flow-releases.js';
import { planSteps } from '../../../sdk/src/backend/step-plan.js';
import { stepsOf, stepsSummary, type StepProgress } from '../../../sdk/src/runner/step-progress.js';
import { flowport } from '../../helpers/cli.js';
import { cliProject, collectingRun, flowOf, git, gitRepo, killGroup, pidAlive, waitFor } from './fixture.js';

/**
 * A target's command: `node target.mjs <step> <target> [args…]`. It appends `start`, then `end`
 * (or `fail`) with its pid and args to $RECORD, and behaves as the TARGET_* variables say:
 * TARGET_BARRIER=N waits (at most 3 s) until N targets of its step have started; TARGET_FAIL lists
 * `step:target` that exit 3; TARGET_HOLD lists `step:target` that wait until stopped;
 * TARGET_LINGER=ms waits that long more; TARGET_AFTER_FAIL=1 makes the others wait (at most 5 s) until one has failed; TARGET_OUTPUT
 * `name=value` is printed as an output (`{target}` in the value is the target).
 */
const TARGET_SCRIPT = `
import { appendFileSync, readFileSync, existsSync } from 'node:fs';
const [step, target, ...args] = process.argv.slice(2);
const file = process.env.RECORD;
const me = step + ':' + target;
const record = (what) => appendFileSync(file, JSON.stringify({ step, target, what, pid: process.pid, args }) + '\\n');
const events = () => existsSync(file) ? readFileSync(file, 'utf8').trim().split('\\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
const listed = (name) => (process.env[name] ?? '').split(',').includes(me);
const until = async (ok, ms) => { const end = Date.now() + ms; while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 20)); };
record('start');
console.log('hello from ' + target);
console.error('stderr of ' + target);
const barrier = Number(process.env.TARGET_BARRIER ?? 0);
if (barrier) await until(() => events().filter((e) => e.step === step && e.what === 'start').length >= barrier, 3000);
// Then a moment more, in which a target over the limit would start too and show in the record.
if (process.env.TARGET_LINGER) await new Promise((r) => setTimeout(r, Number(process.env.TARGET_LINGER)));
if (process.env.TARGET_OUTPUT) console.log('::flowport-output ' + process.env.TARGET_OUTPUT.replace('{target}', target));
if (listed('TARGET_HOLD')) { console.log('holding'); setInterval(() => {}, 1000); await new Promise(() => {}); }
if (listed('TARGET_FAIL')) { console.log('failing on purpose'); record('fail'); process.exit(3); }
if (process.env.TARGET_AFTER_FAIL) await until(() => events().some((e) => e.what === 'fail'), 5000);
record('end');
`;

interface TargetEvent {
  step: string;
  target: string;
  what: 'start' | 'end' | 'fail';
  pid: number;
  args: string[];
}

/**
 * A git project with target.mjs, and `deploy(run)`: runs flow `api` to `dev` as `steps` on
 * `targets`, through a real runner process, as commandDeployer does once it planned the steps.
 */
function setup(steps: DeployStep[], env: Record<string, string> = {}, targets = TARGETS) {
  const root = gitRepo({ 'target.mjs': TARGET_SCRIPT });
  const recordFile = join(root, 'out-record.jsonl');
  writeFileSync(recordFile, '');
  const store = localLedger({ root, warn: () => undefined });
  const commit = git(root, 'rev-parse', 'HEAD');
  const deploy = (run: DetachableRun) =>
    startCommandRun(store, { flowName: 'api', env: 'dev', commit, ref: 'HEAD' }, run, async (d) => ({
      argv: [],
      cwd: root,
      env: { RECORD: recordFile, ...env },
      localDir: root,
      timeoutMs: 60_000,
      killGraceMs: 300,
      preamble: [`[flowport] deploying api to dev, deployment ${d.id}`],
      steps: planSteps(
        steps,
        { name: 'dev', targets },
        { flow: 'api', env: 'dev', commit, ref: 'HEAD', deploymentId: d.id },
        {},
      ),
    }));
  const events = (): TargetEvent[] =>
    readFileSync(recordFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as TargetEvent);
  return { root, store, deploy, events };
}

const TARGETS = { db: ['db-1'], web: ['w1', 'w2', 'w3', 'w4'] };
const target = (step: string, extra: string[] = []) => ['node', 'target.mjs', step, '{target}', ...extra];

/** The most targets of `step` that ran at once, read from the order of their start and end records. */
function mostAtOnce(events: TargetEvent[], step: string): number {
  let now = 0;
  let most = 0;
  for (const e of events.filter((x) => x.step === step)) {
    now += e.what === 'start' ? 1 : -1;
    most = Math.max(most, now);
  }
  return most;
}

function stepsOfDeployment(d: DeploymentDetails): StepProgress[] {
  const steps = stepsOf(d);
  assert.ok(steps, `no steps on ${JSON.stringify(d.attributes)}`);
  return steps;
}

test(
  'steps run in order, each on its group, targets in parallel up to the limit; outputs reach a later step; each target logs under its prefix',
  { timeout: 120_000 },
  async () => {
    const { store, deploy, events } = setup(
      [
        { name: 'migrate', group: 'db', command: target('migrate') },
        { name: 'roll', group: 'web', command: target('roll', ['{step:migrate:version}']), parallel: 2 },
        { name: 'smoke', group: 'db', command: target('smoke') },
      ],
      { TARGET_BARRIER: '2', TARGET_LINGER: '400', TARGET_OUTPUT: 'version=42' },
    );
    const run = collectingRun();
    const d = await deploy(run);
    assert.equal(d.status, 'succeeded', JSON.stringify(d.attributes));

    const seen = events();
    const order = seen.map((e) => `${e.step} ${e.target} ${e.what}`);
    // Each step's targets all end before the next step's first starts.
    const lastOf = (step: string) => order.map((o) => o.split(' ')[0]).lastIndexOf(step);
    const firstOf = (step: string) => order.map((o) => o.split(' ')[0]).indexOf(step);
    assert.ok(lastOf('migrate') < firstOf('roll') && lastOf('roll') < firstOf('smoke'), order.join('\n'));
    // Targets running at once start in any order.
    assert.deepEqual(
      seen
        .filter((e) => e.what === 'start')
        .map((e) => `${e.step} ${e.target}`)
        .sort(),
      ['migrate db-1', 'roll w1', 'roll w2', 'roll w3', 'roll w4', 'smoke db-1'],
    );
    assert.equal(seen.filter((e) => e.step === 'roll' && e.what === 'start').length, 4);
    assert.equal(mostAtOnce(seen, 'roll'), 2, order.join('\n'));
    // {step:migrate:version}: migrate's output, on every roll target's command line.
    for (const e of seen.filter((x) => x.step === 'roll')) assert.deepEqual(e.args, ['42']);

    // Each target's lines, stdout and stderr, under its step and target, in the log and live.
    const log = readFileSync(d.logLocation!, 'utf8');
    for (const t of ['w1', 'w2', 'w3', 'w4']) {
      assert.ok(log.includes(`[roll ${t}] hello from ${t}\n`), log);
      assert.ok(log.includes(`[roll ${t}] stderr of ${t}\n`), log);
      assert.match(log, new RegExp(`\\[flowport\\] \\[roll ${t}\\] \\$ node target\\.mjs roll ${t} 42\\n`));
    }
    assert.ok(run.lines.includes('[migrate db-1] hello from db-1'));

    const steps = stepsOfDeployment(d);
    assert.deepEqual(
      steps.map((s) => [s.name, s.group, s.status, s.targets.map((t) => `${t.target}:${t.status}:${t.exitCode}`)]),
      [
        ['migrate', 'db', 'succeeded', ['db-1:succeeded:0']],
        ['roll', 'web', 'succeeded', ['w1:succeeded:0', 'w2:succeeded:0', 'w3:succeeded:0', 'w4:succeeded:0']],
        ['smoke', 'db', 'succeeded', ['db-1:succeeded:0']],
      ],
    );
    for (const t of steps.flatMap((s) => s.targets)) {
      assert.ok(t.startedAt && t.endedAt && t.startedAt <= t.endedAt, JSON.stringify(t));
      assert.deepEqual(t.outputs, { version: '42' });
    }
    assert.deepEqual(steps[0]!.outputs, { version: '42' });
    assert.equal(d.outputs.version, '42');

    // Recorded as it went: a snapshot while roll ran, migrate done by then.
    const snapshots = (await store.events())
      .filter((e): e is DeploymentRecord => e.type === 'deployment')
      .map((e) => e.deployment);
    const during = snapshots.find((s) => {
      const st = stepsOf(s);
      return s.status === 'running' && st?.[0]?.status === 'succeeded' && st[1]?.status === 'running';
    });
    assert.ok(during, 'a running snapshot with migrate done and roll running');
    assert.equal(stepsOf(during)![2]!.status, 'pending');
  },
);

test(
  'a target that fails stops the rest: no other target of its step starts, no later step; the failure names the step and the target',
  { timeout: 120_000 },
  async () => {
    const { deploy, events } = setup(
      [
        { name: 'roll', group: 'web', command: target('roll') },
        { name: 'smoke', group: 'db', command: target('smoke') },
      ],
      { TARGET_FAIL: 'roll:w2' },
    );
    const d = await deploy(collectingRun());
    assert.equal(d.status, 'failed');
    assert.equal(d.attributes.reason, 'step "roll" failed on w2: its command exited with code 3');
    assert.equal(d.attributes.failedStep, 'roll');
    assert.equal(d.attributes.failedTarget, 'w2');
    assert.ok(
      (d.attributes.lastLines as string[]).includes('[roll w2] failing on purpose'),
      String(d.attributes.lastLines),
    );
    assert.deepEqual(
      events()
        .filter((e) => e.what === 'start')
        .map((e) => `${e.step} ${e.target}`),
      ['roll w1', 'roll w2'],
    );
    const steps = stepsOfDeployment(d);
    assert.deepEqual(
      steps.map((s) => [s.status, s.targets.map((t) => `${t.target}:${t.status}`)]),
      [
        ['failed', ['w1:succeeded', 'w2:failed', 'w3:skipped', 'w4:skipped']],
        ['skipped', ['db-1:skipped']],
      ],
    );
    assert.equal(steps[0]!.targets[1]!.exitCode, 3);
    assert.equal(steps[0]!.targets[2]!.startedAt, undefined);
    assert.deepEqual(stepsSummary(steps), [
      'roll (web) failed: w1 succeeded, w2 failed (exit 3), w3 skipped, w4 skipped',
      'smoke (db) skipped: db-1 skipped',
    ]);
  },
);

test(
  'a failure while other targets of the step run: those finish and are recorded, none starts after it',
  { timeout: 120_000 },
  async () => {
    const { deploy, events } = setup([{ name: 'roll', group: 'web', command: target('roll'), parallel: 2 }], {
      TARGET_BARRIER: '2',
      TARGET_FAIL: 'roll:w1',
      TARGET_AFTER_FAIL: '1',
    });
    const d = await deploy(collectingRun());
    assert.equal(d.status, 'failed');
    assert.match(String(d.attributes.reason), /^step "roll" failed on w1: /);
    const seen = events();
    assert.deepEqual(seen.map((e) => `${e.target} ${e.what}`).sort(), ['w1 fail', 'w1 start', 'w2 end', 'w2 start']);
    assert.deepEqual(
      stepsOfDeployment(d)[0]!.targets.map((t) => `${t.target}:${t.status}`),
      ['w1:failed', 'w2:succeeded', 'w3:skipped', 'w4:skipped'],
    );
  },
);

test(
  'cancel mid-step stops the running step on every target and records which had finished',
  { timeout: 120_000 },
  async () => {
    const { deploy, events } = setup(
      [
        { name: 'roll', group: 'web', command: target('roll'), parallel: 2 },
        { name: 'smoke', group: 'db', command: target('smoke') },
      ],
      { TARGET_HOLD: 'roll:w2,roll:w3' },
    );
    const controller = new AbortController();
    const run = collectingRun(controller.signal);
    const deploying = deploy(run);
    const holding = await waitFor(() => {
      const held = events().filter((e) => e.what === 'start' && (e.target === 'w2' || e.target === 'w3'));
      return held.length === 2 && run.lines.filter((l) => l.endsWith('] holding')).length === 2 ? held : undefined;
    }, 'w2 and w3 to hold');
    controller.abort();
    const d = await deploying;
    try {
      assert.equal(d.status, 'cancelled', JSON.stringify(d.attributes));
      for (const e of holding) assert.ok(!pidAlive(e.pid), `${e.target}'s process is stopped`);
      assert.equal(
        d.attributes.reason,
        'cancelled during step "roll": finished on w1; stopped on w2, w3; not started on w4',
      );
      const steps = stepsOfDeployment(d);
      assert.deepEqual(
        steps.map((s) => [s.status, s.targets.map((t) => `${t.target}:${t.status}`)]),
        [
          ['cancelled', ['w1:succeeded', 'w2:cancelled', 'w3:cancelled', 'w4:skipped']],
          ['skipped', ['db-1:skipped']],
        ],
      );
      assert.ok(!events().some((e) => e.target === 'w4' || e.step === 'smoke'));
      const log = readFileSync(d.logLocation!, 'utf8');
      assert.match(log, /\[flowport\] \[roll w2\] cancelling: stopping the command/);
      assert.match(log, /\[flowport\] \[roll w3\] cancelling: stopping the command/);
    } finally {
      for (const e of holding) killGroup(e.pid);
    }
  },
);

test(
  'kill -9 of the runner mid-step: no target process is left running (each has its watchdog)',
  { timeout: 120_000 },
  async () => {
    const { root, deploy, events } = setup([{ name: 'roll', group: 'web', command: target('roll'), parallel: 3 }], {
      TARGET_HOLD: 'roll:w1,roll:w2,roll:w3',
    });
    const detached = { ...collectingRun(), detach: true }; // left at once: the runner goes on alone
    const d = await deploy(detached);
    const holding = await waitFor(() => {
      const started = events().filter((e) => e.what === 'start');
      return started.length === 3 ? started : undefined;
    }, 'three targets to hold');
    const lease = JSON.parse(readFileSync(join(root, '.flowport', 'leases', `${d.id}.json`), 'utf8')) as {
      holder: { pid: number };
    };
    try {
      for (const e of holding) assert.ok(pidAlive(e.pid));
      process.kill(lease.holder.pid, 'SIGKILL');
      for (const e of holding) await waitFor(() => !pidAlive(e.pid), `${e.target}'s process to be gone`, 10_000);
    } finally {
      for (const e of holding) killGroup(e.pid);
    }
  },
);

test(
  'targets that report an output with different values: a later step reading it fails before it starts, naming them',
  { timeout: 120_000 },
  async () => {
    const { deploy, events } = setup(
      [
        { name: 'migrate', group: 'web', command: target('migrate'), parallel: 4 },
        { name: 'smoke', group: 'db', command: target('smoke', ['{step:migrate:version}']) },
      ],
      { TARGET_OUTPUT: 'version={target}' },
    );
    const d = await deploy(collectingRun());
    assert.equal(d.status, 'failed');
    assert.match(
      String(d.attributes.reason),
      /^step "smoke" failed on db-1: \{step:migrate:version\}: the targets of step "migrate" reported different values of "version" \(w1, w2, w3, w4\)/,
    );
    assert.ok(!events().some((e) => e.step === 'smoke'), 'smoke never ran');
    const steps = stepsOfDeployment(d);
    assert.deepEqual(steps[0]!.conflicts, ['version']);
    assert.equal(d.outputs.version, undefined, 'an ambiguous output is not the deployment’s');
  },
);

test(
  'a secret output of a step is masked in the log and the recorded steps, and reaches a later step in clear',
  { timeout: 120_000 },
  async () => {
    const { deploy, events } = setup(
      [
        { name: 'migrate', group: 'db', command: target('migrate') },
        { name: 'smoke', group: 'db', command: target('smoke', ['{step:migrate:token}']) },
      ],
      { TARGET_OUTPUT: 'token=s3cr3t-value-123' },
    );
    const d = await deploy(collectingRun());
    assert.equal(d.status, 'succeeded', JSON.stringify(d.attributes));
    assert.deepEqual(events().find((e) => e.step === 'smoke')!.args, ['s3cr3t-value-123']);
    const log = readFileSync(d.logLocation!, 'utf8');
    assert.ok(!log.includes('s3cr3t-value-123'), log);
    assert.ok(!JSON.stringify(d.attributes).includes('s3cr3t-value-123'));
    assert.equal(stepsOfDeployment(d)[0]!.outputs.token, '•••');
  },
);

test('the plan: one argv per target of the group with {target} and the deploy placeholders filled, {step:…} left for the runner', () => {
  const values = { flow: 'api', env: 'dev', commit: 'c0ffee', ref: 'main', deploymentId: 'd1' };
  const [step] = planSteps(
    [
      {
        name: 'roll',
        group: 'web',
        command: ['ssh', '{target}', 'deploy', '{flow}@{commit}', '{input:URL}', '{step:m:v}'],
      },
    ],
    { name: 'dev', targets: { web: ['w1', 'w2'] } },
    values,
    { URL: 'postgres://db' },
  );
  assert.equal(step!.parallel, 1);
  assert.deepEqual(
    step!.targets.map((t) => t.argv),
    [
      ['ssh', 'w1', 'deploy', 'api@c0ffee', 'postgres://db', '{step:m:v}'],
      ['ssh', 'w2', 'deploy', 'api@c0ffee', 'postgres://db', '{step:m:v}'],
    ],
  );
  assert.deepEqual(step!.targets[1]!.env, {
    FLOWPORT_STEP: 'roll',
    FLOWPORT_TARGET_GROUP: 'web',
    FLOWPORT_TARGET: 'w2',
  });
  assert.throws(
    () => planSteps([{ name: 'roll', group: 'cache', command: ['x'] }], { name: 'dev', targets: {} }, values, {}),
    (e: unknown) => e instanceof DeployError && /environment "dev" has no targets for it/.test(e.message),
  );
  // A target that looks like a step placeholder would be filled by the runner: refused.
  assert.throws(
    () =>
      planSteps(
        [{ name: 'roll', group: 'web', command: ['{target}'] }],
        { name: 'dev', targets: { web: ['{step:a:b}'] } },
        values,
        {},
      ),
    /holds "\{step:"/,
  );
});

test(
  "commandDeployer bound to a project deploys a release of steps on the environment's targets instead of its command",
  { timeout: 120_000 },
  async () => {
    const root = gitRepo({ 'target.mjs': TARGET_SCRIPT });
    const recordFile = join(root, 'out-record.jsonl');
    writeFileSync(recordFile, '');
    const store = localLedger({ root, warn: () => undefined });
    const head = git(root, 'rev-parse', 'HEAD');
    const deployer = commandDeployer({
      command: ['node', 'deploy.mjs', '{flow}', '{env}'],
      killGraceMs: 300,
      env: { RECORD: recordFile },
    }).forProject({
      root,
      environments: [
        { name: 'dev', targets: { web: ['w1', 'w2'] } },
        { name: 'prod', targets: { web: ['p1'] } },
      ],
      allowSkippingEnvironments: false,
      store,
      deployments: store,
      releases: { api: { steps: [{ name: 'roll', group: 'web', command: target('roll', ['{flow}@{commit}']) }] } },
    });
    const d = await deployer.deploy({ flow: flowOf('api'), env: 'dev' }, collectingRun());
    assert.equal(d.status, 'succeeded', JSON.stringify(d.attributes));
    const seen = readFileSync(recordFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TargetEvent);
    assert.deepEqual(
      seen.filter((e) => e.what === 'start').map((e) => [e.target, ...e.args]),
      [
        ['w1', `api@${head}`],
        ['w2', `api@${head}`],
      ],
    );
    assert.ok(!existsSync(join(root, 'out', `${d.id}.json`)), "the deployer's own command did not run");
    assert.deepEqual(
      stepsOfDeployment(d)[0]!.targets.map((t) => t.target),
      ['w1', 'w2'],
    );
  },
);

test(
  'flowport logs and history show a deploy of steps per step and per target (the built CLI)',
  { timeout: 120_000 },
  () => {
    const roll = `['node', '-e', "console.log('rolled ' + process.argv[1]); if (process.argv[1] === 'w2') process.exit(4)", '{target}']`;
    const root = cliProject(
      { api: 'api' },
      [
        `import { defineConfig, commandDeployer } from 'flowport';`,
        `export default defineConfig({`,
        `  environments: [{ name: 'dev', targets: { web: ['w1', 'w2'], db: ['d1'] } }],`,
        `  deploy: commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'] }),`,
        `  releases: { api: { steps: [`,
        `    { name: 'roll', group: 'web', command: ${roll} },`,
        `    { name: 'smoke', group: 'db', command: ['node', '-e', ''] },`,
        `  ] } },`,
        `});`,
      ].join('\n'),
    );
    const deployed = flowport(['deploy', 'api', '--env', 'dev'], { cwd: root });
    assert.equal(deployed.code, 1, deployed.stdout + deployed.stderr);
    assert.match(deployed.stdout, /\[roll w1\] rolled w1/);
    const history = flowport(['history', 'api', '--json'], { cwd: root });
    const [d] = (JSON.parse(history.stdout) as { deployments: DeploymentDetails[] }).deployments;
    assert.equal(d!.attributes.reason, 'step "roll" failed on w2: its command exited with code 4');

    const logs = flowport(['logs', d!.id], { cwd: root });
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /^\[roll w2\] rolled w2$/m);
    assert.ok(
      logs.stdout.endsWith(
        `Steps of ${d!.id}:\n  roll (web) failed: w1 succeeded, w2 failed (exit 4)\n  smoke (db) skipped: d1 skipped\n`,
      ),
      logs.stdout,
    );
    const table = flowport(['history', 'api'], { cwd: root });
    assert.match(table.stdout, /0\/2 steps, roll failed on w2/);
  },
);

/**
 * Preflight (backend/preflight.ts): what the CLI and the editor ask before a deploy or promote,
 * in-process on a real project (config, git, ledger, deploy script). "Preflight counts only flows
 * that would really change": `sending` decides whether a protected environment asks for a yes.
 * The same through the built CLI: test/unit/cli/noop-promote.test.ts.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { preflight, type PlannedRun } from '../../../sdk/src/backend/preflight.js';
import {
  deployFlows,
  flowportErrorKind,
  localLedger,
  openFlowSource,
  projectBackend,
  promoteFlows,
  type FlowDetails,
  type Project,
} from '../../../sdk/src/index.js';
import { cliProject, collectingRun, git } from './fixture.js';

/** The refusals of a flow still deploying are --no-queue's: by default such a deploy waits its turn (queue.test.ts). */
const NO_QUEUE = { queue: false };
const environments = `environments: ['dev', 'uat', { name: 'prod', protected: true }],`;
const deployer = `deploy: commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'] }),`;
const config = (...lines: string[]) =>
  [
    `import { defineConfig, commandDeployer, output } from 'flowport';`,
    `export default defineConfig({`,
    ...lines,
    `});`,
  ].join('\n');

async function projectOf(flows: string[], body = config(environments, deployer)) {
  const root = cliProject(Object.fromEntries(flows.map((f) => [f, 'jobs'])), body);
  // What openProject does, with the backend from this file's own imports: openProject loads it with
  // import(), which tsx gives a second copy of the modules, and preflight's `instanceof
  // MissingDeployer` would then never match (the bundled SDK has one copy).
  const source = await openFlowSource(root, { cache: false });
  const project: Project = { ...source, ...projectBackend(source) };
  const all = await project.flows.findFlows();
  const pick = (...names: string[]) => names.map((n) => all.find((f) => f.name === n)!);
  return { root, project, pick };
}

const names = (flows: FlowDetails[]) => flows.map((f) => f.name);

async function deploy(project: Project, flows: FlowDetails[], env: string) {
  const results = await deployFlows(project.deployer, flows, { env }, collectingRun());
  assert.deepEqual(
    results.map((r) => r.outcome),
    flows.map(() => 'succeeded'),
  );
}

async function promote(project: Project, flows: FlowDetails[], from: string, to: string) {
  return promoteFlows(project.promoter, flows, { from, to }, collectingRun());
}

const promoting = (from: string, to: string): PlannedRun => ({ action: 'promote', from, to });

test('a promote sends only the flows that would change: not those already there, not those with nothing to promote', async () => {
  const { project, pick } = await projectOf(['nightly', 'weekly', 'monthly']);
  const [nightly, weekly, monthly] = pick('nightly', 'weekly', 'monthly');
  await deploy(project, [nightly!, weekly!], 'dev');
  assert.deepEqual(names((await preflight(project, promoting('dev', 'uat'), [nightly!, weekly!], NO_QUEUE)).sending), [
    'nightly',
    'weekly',
  ]);

  await promote(project, [nightly!], 'dev', 'uat');
  // nightly: uat runs what dev runs. monthly: nothing in dev. Only weekly would change.
  const mixed = await preflight(project, promoting('dev', 'uat'), [nightly!, weekly!, monthly!], NO_QUEUE);
  assert.deepEqual(mixed, { sending: [weekly] });

  await promote(project, [weekly!], 'dev', 'uat');
  assert.deepEqual(await preflight(project, promoting('dev', 'uat'), [nightly!, weekly!, monthly!], NO_QUEUE), {
    sending: [],
  });

  // The same up to protected prod: once prod runs both, a promote there has nothing to confirm.
  assert.deepEqual(names((await preflight(project, promoting('uat', 'prod'), [nightly!, weekly!], NO_QUEUE)).sending), [
    'nightly',
    'weekly',
  ]);
  await promote(project, [nightly!, weekly!], 'uat', 'prod');
  assert.deepEqual(await preflight(project, promoting('uat', 'prod'), [nightly!, weekly!], NO_QUEUE), { sending: [] });
  const results = await promote(project, [nightly!, weekly!], 'uat', 'prod');
  assert.deepEqual(
    results.map((r) => [r.flow, r.outcome]),
    [
      ['nightly', 'unchanged'],
      ['weekly', 'unchanged'],
    ],
  );
});

test('a flow whose source moved on is sent again; one still deploying to the target refuses the whole promote', async () => {
  const { root, project, pick } = await projectOf(['nightly', 'weekly']);
  const [nightly, weekly] = pick('nightly', 'weekly');
  await deploy(project, [nightly!, weekly!], 'dev');
  await promote(project, [nightly!, weekly!], 'dev', 'uat');
  git(root, 'commit', '-q', '--allow-empty', '-m', 'v2');
  await deploy(project, [nightly!], 'dev');
  assert.deepEqual(await preflight(project, promoting('dev', 'uat'), [nightly!, weekly!], NO_QUEUE), {
    sending: [nightly],
  });

  // This process holds a deploy of nightly to uat: the promote is refused, naming it.
  const busy = await project.store.create({ flowName: 'nightly', env: 'uat', commit: 'c'.repeat(40), ref: 'HEAD' });
  const refused = await preflight(project, promoting('dev', 'uat'), [nightly!, weekly!], NO_QUEUE);
  assert.deepEqual(refused.sending, [nightly]);
  assert.equal(flowportErrorKind(refused.refusal), 'DeployError');
  assert.match(refused.refusal!.message, new RegExp(`^"nightly" is already deploying to uat: deployment ${busy.id}`));
  assert.match(refused.refusal!.message, /\nNothing was started\.$/, 'weekly is not sent, so not "included"');

  // weekly, unchanged in uat, is not refused for a deploy it would not start.
  const held = await project.store.create({ flowName: 'weekly', env: 'uat', commit: 'c'.repeat(40), ref: 'HEAD' });
  await project.store.update(busy.id, { status: 'cancelled' });
  assert.deepEqual(await preflight(project, promoting('dev', 'uat'), [nightly!, weekly!], NO_QUEUE), {
    sending: [nightly],
  });
  await project.store.update(held.id, { status: 'cancelled' });
});

test('a deploy sends every flow; one still deploying to the target refuses them all, and says how many others', async () => {
  const { project, pick } = await projectOf(['a', 'b', 'c']);
  const [a, b, c] = pick('a', 'b', 'c');
  const deploying = (env: string): PlannedRun => ({ action: 'deploy', env });
  assert.deepEqual(await preflight(project, deploying('dev'), [a!, b!, c!], NO_QUEUE), { sending: [a, b, c] });

  const first = await project.store.create({ flowName: 'a', env: 'dev', commit: 'c'.repeat(40), ref: 'HEAD' });
  // A second unfinished deployment of the same pair (another store could hold one): named once, the first.
  const second = await project.store.create({ flowName: 'a', env: 'dev', commit: 'd'.repeat(40), ref: 'HEAD' });
  const three = await preflight(project, deploying('dev'), [a!, b!, c!], NO_QUEUE);
  assert.deepEqual(three.sending, [a, b, c]);
  const lines = three.refusal!.message.split('\n');
  assert.equal(lines.length, 2, three.refusal!.message);
  assert.match(lines[0]!, new RegExp(`^"a" is already deploying to dev: deployment ${first.id} \\(pending, ccccccc, `));
  assert.match(lines[0]!, /started by .+ at \d{4}-\d\d-\d\dT/);
  assert.match(lines[0]!, new RegExp(`cancel ${first.id}`));
  assert.doesNotMatch(lines[0]!, new RegExp(second.id));
  assert.equal(lines[1], 'Nothing was started (2 other flows included).');
  // The editor offers the way out as an action: cancel the deployment that holds the flow.
  assert.deepEqual(three.refusal!.hint, { command: 'cancel', args: [first.id] });
  // Queued by default: a flow still deploying refuses nothing, its deploy waits its turn.
  assert.deepEqual(await preflight(project, deploying('dev'), [a!, b!, c!]), { sending: [a, b, c] });
  assert.equal(
    (await preflight(project, deploying('dev'), [a!, b!], NO_QUEUE)).refusal!.message.split('\n')[1],
    'Nothing was started (1 other flow included).',
  );

  // Another environment, or a finished deployment, holds nothing.
  assert.deepEqual(await preflight(project, deploying('uat'), [a!, b!], NO_QUEUE), { sending: [a, b] });
  await project.store.update(first.id, { status: 'failed' });
  const stillSecond = await preflight(project, deploying('dev'), [a!], NO_QUEUE);
  assert.match(stillSecond.refusal!.message, new RegExp(`deployment ${second.id} `));
  await project.store.update(second.id, { status: 'succeeded' });
  assert.deepEqual(await preflight(project, deploying('dev'), [a!, b!], NO_QUEUE), { sending: [a, b] });

  // Two flows held: both named, in the order recorded, and no "others".
  const holdB = await project.store.create({ flowName: 'b', env: 'dev', commit: 'e'.repeat(40), ref: 'HEAD' });
  const holdA = await project.store.create({ flowName: 'a', env: 'dev', commit: 'f'.repeat(40), ref: 'HEAD' });
  await project.store.update(holdA.id, { status: 'running' });
  const both = (await preflight(project, deploying('dev'), [a!, b!], NO_QUEUE)).refusal!.message.split('\n');
  assert.equal(both.length, 3);
  assert.match(both[0]!, new RegExp(`^"b" is already deploying to dev: deployment ${holdB.id} \\(pending,`));
  assert.match(both[1]!, new RegExp(`^"a" is already deploying to dev: deployment ${holdA.id} \\(running,`));
  assert.equal(both[2], 'Nothing was started.');
});

// Changed with the runner's lease (issue 12): a runner on another host was judged by its host
// name and needed `cancel --force`; now its lease holds the flow, and its runner carries out the cancel.
test('a deployment held by a runner on another host: its live lease holds the flow; once it runs out the flow is free', async () => {
  const { root, project, pick } = await projectOf(['a']);
  const [a] = pick('a');
  const ledger = localLedger({ root });
  const d = await ledger.create({ flowName: 'a', env: 'dev', commit: 'c'.repeat(40), ref: 'HEAD' });
  // Rewrite its runner as one on another machine (as a shared folder would hold it), with a lease.
  const [line] = readFileSync(ledger.file, 'utf8').trimEnd().split('\n');
  const record = JSON.parse(line!) as { runner: { host: string; pid: number }; deployment: { status: string } };
  record.runner = { ...record.runner, host: 'elsewhere.invalid', pid: 1 };
  record.deployment.status = 'running';
  appendFileSync(ledger.file, JSON.stringify(record) + '\n');
  const leaseFor = (ms: number) => {
    mkdirSync(ledger.leasesDir, { recursive: true });
    writeFileSync(
      join(ledger.leasesDir, `${d.id}.json`),
      JSON.stringify({ holder: record.runner, until: new Date(Date.now() + ms).toISOString(), renewedAt: 'x' }),
    );
  };
  leaseFor(60_000);
  const { refusal } = await preflight(project, { action: 'deploy', env: 'dev' }, [a!], NO_QUEUE);
  assert.match(refusal!.message, new RegExp(`"a" is already deploying to dev: deployment ${d.id} \\(running,`));
  assert.match(refusal!.message, new RegExp(`cancel it: flowport cancel ${d.id}`));
  assert.deepEqual(refusal!.hint, { command: 'cancel', args: [d.id] });
  leaseFor(-1);
  assert.equal((await preflight(project, { action: 'deploy', env: 'dev' }, [a!], NO_QUEUE)).refusal, undefined);
});

test('no deploy command: a deploy, and a promote through the default promoter, are refused only when something would be sent', async () => {
  const { root, project, pick } = await projectOf(['a', 'b'], config(environments));
  const [a, b] = pick('a', 'b');
  const deploy = await preflight(project, { action: 'deploy', env: 'dev' }, [a!], NO_QUEUE);
  assert.deepEqual(deploy.sending, [a]);
  assert.equal(flowportErrorKind(deploy.refusal), 'ConfigError');
  assert.match(deploy.refusal!.message, /no deploy command is configured/);

  // Nothing anywhere yet: a promote would send nothing, so there is nothing to refuse.
  assert.deepEqual(await preflight(project, promoting('dev', 'uat'), [a!, b!], NO_QUEUE), { sending: [] });
  // a in dev (recorded by someone with a deploy command): it would be sent, and cannot be.
  const commit = git(root, 'rev-parse', 'HEAD');
  const d = await project.store.create({ flowName: 'a', env: 'dev', commit, ref: 'HEAD' });
  await project.store.update(d.id, { status: 'succeeded' });
  const promote = await preflight(project, promoting('dev', 'uat'), [a!, b!], NO_QUEUE);
  assert.deepEqual(promote.sending, [a]);
  assert.equal(flowportErrorKind(promote.refusal), 'ConfigError');
});

test('a promoter of the config’s own: every flow is sent (it cannot plan), and a promote needs no deploy command (a deploy does)', async () => {
  const promoter = `promote: { async promote() { throw new Error('not in this test'); } },`;
  const { project, pick } = await projectOf(['a', 'b'], config(environments, promoter));
  const [a, b] = pick('a', 'b');
  assert.deepEqual(await preflight(project, promoting('dev', 'uat'), [a!, b!], NO_QUEUE), { sending: [a, b] });
  // A deploy still needs the deploy command, and says so before anything starts.
  const deploy = await preflight(project, { action: 'deploy', env: 'dev' }, [a!], NO_QUEUE);
  assert.equal(flowportErrorKind(deploy.refusal), 'ConfigError');
  assert.match(deploy.refusal!.message, /no deploy command is configured/);
  // Its flows are still refused while one deploys to the target.
  await project.store.create({ flowName: 'b', env: 'uat', commit: 'c'.repeat(40), ref: 'HEAD' });
  const { refusal } = await preflight(project, promoting('dev', 'uat'), [a!, b!], NO_QUEUE);
  assert.match(
    refusal!.message,
    /^"b" is already deploying to uat: .*\nNothing was started \(1 other flow included\)\.$/s,
  );
});

test('a route no flow may take is thrown, not counted as nothing to send', async () => {
  const { project, pick } = await projectOf(['a']);
  const [a] = pick('a');
  await deploy(project, [a!], 'dev');
  for (const [from, to, pattern] of [
    ['dev', 'prod', /the next environment after dev is uat/],
    ['uat', 'dev', /promotion goes forward/],
    ['dev', 'staging', /environment "staging" is not configured/],
  ] as const) {
    await assert.rejects(preflight(project, promoting(from, to), [a!], NO_QUEUE), (e: unknown) => {
      assert.equal(flowportErrorKind(e), 'UsageError');
      assert.match((e as Error).message, pattern);
      return true;
    });
  }
});

test('a promote of a flow with its dependency sends both, the dependency first, though the dependency is not in the target yet', async () => {
  const releases = `releases: { db: {}, api: { inputs: { DB: output('db', 'url') } } },`;
  const { project, pick } = await projectOf(['api', 'db'], config(environments, deployer, releases));
  await deploy(project, pick('db'), 'dev');
  await deploy(project, pick('api'), 'dev');
  // Asked api first: the plan sends db before it, and api is not held back by db's absence in uat.
  const { sending, refusal } = await preflight(project, promoting('dev', 'uat'), pick('api', 'db'));
  assert.equal(refusal, undefined);
  assert.deepEqual(names(sending), ['db', 'api']);
  // Alone, api waits for db: nothing of it is sent.
  assert.deepEqual(names((await preflight(project, promoting('dev', 'uat'), pick('api'))).sending), []);
});

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { Methods } from '../../../sdk/src/host/protocol.js';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  localLedger,
  type DeploymentDetails,
  type DeploymentRecord,
  type FlowRunResult,
} from '../../../sdk/src/index.js';
import { flowport } from '../../helpers/cli.js';
import {
  cliProject,
  commitAll,
  held,
  killGroup,
  ledgerInConfig,
  pidAlive,
  release,
  scriptRecord,
  startCli,
  waitFor,
} from './fixture.js';
import { smallTmpfs, stopAtEnd, tempDir, writeTree } from '../../helpers/tmp.js';

const hostScript = new URL('../../../sdk/dist/host.js', import.meta.url).pathname;

const ID = /\d{8}-\d{6}\.\d{3}-[0-9a-f]{6}/;

interface MatrixJson {
  environments: string[];
  flows: Array<{
    flow: string;
    inSource: boolean;
    environments: Record<string, { current: DeploymentDetails | null; latest: DeploymentDetails | null }>;
  }>;
}

test('without deploy in the config, deploy fails with what to write (exit 2); bad input exits 2', () => {
  const root = cliProject({ billing: 'billing' }, `export default { environments: ['dev', 'uat'] };\n`);
  const r = flowport(['deploy', 'billing', '--env', 'dev'], { cwd: root });
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /flowport\.config\.ts: no deploy command is configured\. Add deploy: commandDeployer\(\{ command: \[/,
  );
  assert.equal(flowport(['deploy', 'billing'], { cwd: root }).code, 2, 'no --env');
  assert.equal(flowport(['deploy', '--env', 'dev'], { cwd: root }).code, 2, 'no flow');
  assert.equal(flowport(['deploy', 'billing', '--env', 'dev', '--bogus'], { cwd: root }).code, 2);

  // No config at all: said so, with the ways out (a file that does not exist is not named).
  rmSync(join(root, 'flowport.config.ts'));
  const bare = flowport(['deploy', 'billing', '--env', 'dev'], { cwd: root });
  assert.equal(bare.code, 2, bare.stderr);
  assert.match(
    bare.stderr,
    /: no flowport\.config\.ts here, so nothing can deploy\. Create one .+ or pass --root to it\./,
  );
  assert.doesNotMatch(bare.stderr, /flowport\.config\.ts: /);
});

test('deploy, promote, deployments, history and logs: output, --json shapes and exit codes', () => {
  const root = cliProject({ billing: 'billing', invoices: 'billing', weekly: 'reports', broken: 'reports' });
  const env = { DEPLOY_FAIL: 'broken' };

  const first = flowport(['deploy', 'billing', '--env', 'dev'], { cwd: root, env });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^\[flowport\] deploying billing to dev: [0-9a-f]{12} \(HEAD\)/);
  assert.match(first.stdout, /^deploying billing to dev$/m, 'the command output is streamed');
  assert.match(first.stdout, new RegExp(`^billing [0-9a-f]{12} is now in dev — deployment ${ID.source}$`, 'm'));

  // A group, one flow of which fails: each flow has its own result; exit 1; --json keeps stdout clean.
  const group = flowport(['deploy', '--group', 'reports', '--env', 'dev', '--json'], { cwd: root, env });
  assert.equal(group.code, 1);
  const deployed = JSON.parse(group.stdout) as { results: FlowRunResult[] };
  assert.deepEqual(
    deployed.results.map((r) => [r.flow, r.env, r.outcome]),
    [
      ['weekly', 'dev', 'succeeded'],
      ['broken', 'dev', 'failed'],
    ],
  );
  assert.equal(deployed.results[1]!.deployment!.attributes.exitCode, 3);
  assert.match(group.stderr, /^\[broken\] deploy of broken failed on purpose$/m, 'logs go to stderr with --json');

  const promoted = flowport(['promote', 'billing', 'weekly', '--from', 'dev', '--to', 'uat'], { cwd: root, env });
  assert.equal(promoted.code, 0, promoted.stderr);
  const table = promoted.stdout.trimEnd().split('\n').slice(-3);
  assert.match(table[0]!, /^FLOW\s+ENV\s+RESULT\s+COMMIT\s+DEPLOYMENT\s+MESSAGE$/);
  assert.equal(table[1]!.indexOf('succeeded'), table[0]!.indexOf('RESULT'));

  const again = flowport(['promote', 'billing', '--from', 'dev', '--to', 'uat', '--json'], { cwd: root, env });
  assert.equal(again.code, 0);
  const unchanged = (JSON.parse(again.stdout) as { results: FlowRunResult[] }).results[0]!;
  assert.equal(unchanged.outcome, 'unchanged');
  assert.match(unchanged.message, /uat already runs [0-9a-f]{12}, the commit dev runs; nothing to promote/);

  const skip = flowport(['promote', 'billing', '--from', 'dev', '--to', 'prod'], { cwd: root });
  assert.equal(skip.code, 2);
  assert.match(skip.stderr, /cannot promote "billing" from dev to prod: the next environment after dev is uat/);
  const nothing = flowport(['promote', 'invoices', '--from', 'dev', '--to', 'uat'], { cwd: root });
  assert.equal(nothing.code, 1);
  assert.match(nothing.stdout, /dev has no successful deployment of "invoices"/);

  // The matrix: every flow in the source, every environment, current and latest attempt.
  const matrix = flowport(['deployments', '--json'], { cwd: root });
  assert.equal(matrix.code, 0);
  const m = JSON.parse(matrix.stdout) as MatrixJson;
  assert.deepEqual(m.environments, ['dev', 'uat', 'prod']);
  const cell = (flow: string, e: string) => m.flows.find((f) => f.flow === flow)!.environments[e]!;
  assert.deepEqual(m.flows.map((f) => f.flow).sort(), ['billing', 'broken', 'invoices', 'weekly']);
  assert.equal(cell('billing', 'uat').current!.promotedFrom!.env, 'dev');
  assert.equal(cell('broken', 'dev').current, null);
  assert.equal(cell('broken', 'dev').latest!.status, 'failed');
  assert.deepEqual(cell('invoices', 'dev'), {
    current: null,
    latest: null,
    lock: null,
    queued: [],
    awaitingApproval: [],
  });
  const human = flowport(['deployments', '--env', 'dev', '--env', 'uat'], { cwd: root }).stdout.trimEnd().split('\n');
  assert.match(human[0]!, /^FLOW\s+DEV\s+UAT$/);
  const billingRow = human.find((l) => l.startsWith('billing'))!;
  assert.match(billingRow, /^billing\s+[0-9a-f]{7} succeeded \d+s\s+[0-9a-f]{7} succeeded \d+s$/);
  assert.equal(billingRow.lastIndexOf(' succeeded') - 7, human[0]!.indexOf('UAT'));
  assert.match(
    human.find((l) => l.startsWith('broken'))!,
    /[0-9a-f]{7} failed \d+s/,
  );
  assert.match(
    human.find((l) => l.startsWith('invoices'))!,
    /^invoices\s+-\s+-$/,
  );
  assert.equal(flowport(['deployments', '--flow', 'nope'], { cwd: root }).code, 2);

  const history = flowport(['history', 'billing', '--json'], { cwd: root });
  assert.equal(history.code, 0);
  const h = JSON.parse(history.stdout) as { flow: string; env: string | null; deployments: DeploymentDetails[] };
  assert.equal(h.flow, 'billing');
  assert.equal(h.env, null);
  assert.deepEqual(
    h.deployments.map((d) => d.env),
    ['uat', 'dev'],
    'newest first',
  );
  const humanHistory = flowport(['history', 'billing', '--env', 'uat'], { cwd: root }).stdout.trimEnd().split('\n');
  // OUTPUTS last, as the deploy reported some (secret ones would read •••).
  assert.match(humanHistory[0]!, /^DEPLOYMENT\s+ENV\s+STATUS\s+COMMIT\s+REF\s+AGE\s+BY\s+NOTE\s+OUTPUTS$/);
  assert.match(humanHistory[1]!, /succeeded.*promoted from dev\s+\S+=/);
  assert.equal(flowport(['history', 'nope'], { cwd: root }).code, 2);
  assert.match(flowport(['history', 'invoices'], { cwd: root }).stdout, /No deployments of invoices yet/);

  // logs: the whole log, by full id or by the unique random suffix.
  const id = h.deployments[1]!.id;
  const logs = flowport(['logs', id], { cwd: root });
  assert.equal(logs.code, 0);
  assert.equal(logs.stdout, readFileSync(h.deployments[1]!.logLocation!, 'utf8'));
  assert.equal(flowport(['logs', id.slice(-6)], { cwd: root }).stdout, logs.stdout);
  assert.equal(flowport(['logs', 'nope'], { cwd: root }).code, 2);
  assert.equal(flowport(['logs', '../../etc/passwd'], { cwd: root }).code, 2);

  // Bad input: unknown flow, unknown environment, refs that are no refs.
  for (const args of [
    ['deploy', 'nope', '--env', 'dev'],
    ['deploy', 'billing', '--env', '$(whoami)'],
    ['deploy', 'billing', '--env', 'dev', '--ref', '$(whoami)'],
    ['deploy', 'billing', '--env', 'dev', '--ref=--output=pwned'],
    ['promote', 'billing', '--from', 'dev', '--to', 'dev'],
  ]) {
    const r = flowport(args, { cwd: root });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
  }
  assert.deepEqual(
    readdirSync(root).filter((f) => f.includes('pwned')),
    [],
  );
});

test('flow names with shell syntax are deployed literally through the CLI', () => {
  const names = ['x; rm -rf ~', '$(touch pwned)', '`touch pwned2`'];
  const root = cliProject(Object.fromEntries(names.map((n, i) => [n, `g${i}`])));
  const r = flowport(['deploy', ...names, '--env', 'dev', '--json'], { cwd: root });
  assert.equal(r.code, 0, r.stderr);
  const results = (JSON.parse(r.stdout) as { results: FlowRunResult[] }).results;
  assert.deepEqual(
    results.map((x) => x.flow),
    names,
  );
  for (const x of results) assert.deepEqual(scriptRecord(root, x.deployment!.id).argv, [x.flow, 'dev']);
  assert.deepEqual(
    readdirSync(root).filter((f) => f.includes('pwned')),
    [],
  );
});

test('cancel from another process stops the deploy and its children; the deploy exits 1', async () => {
  const root = cliProject({ slow: 'ops', quick: 'ops' });
  const ledger = localLedger({ root });
  const deploy = startCli(['deploy', 'slow', '--env', 'dev'], {
    cwd: root,
    env: { DEPLOY_SLEEP: '60000', DEPLOY_SPAWN_CHILD: '1' },
  });
  const running = await waitFor(
    async () => (await ledger.findDeployments({ history: true })).find((d) => d.status === 'running'),
    'the deploy to run',
  );
  await waitFor(() => deploy.stdout().includes('sleeping'), 'the command to start');
  const { pid } = scriptRecord(root, running.id);
  const grandchild = Number(readFileSync(join(root, 'out', `${running.id}.child`), 'utf8'));

  const cancel = startCli(['cancel', running.id], { cwd: root });
  const cancelled = await cancel.done;
  const result = await deploy.done;
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.match(
    cancelled.stdout,
    new RegExp(`Cancel requested for ${running.id} \\(slow → dev\\)\\.\\nCancelled ${running.id}`),
  );
  assert.equal(result.code, 1);
  assert.match(result.stdout, /cancel requested by .*@/);
  assert.match(result.stdout, /slow in dev was cancelled by /);
  const d = await ledger.getDeployment(running.id);
  assert.equal(d!.status, 'cancelled');
  assert.equal(pidAlive(pid), false);
  await waitFor(() => !pidAlive(grandchild), 'the grandchild to be killed (it ignores SIGTERM)');

  const twice = flowport(['cancel', running.id, '--json'], { cwd: root });
  assert.equal(twice.code, 0);
  assert.deepEqual(JSON.parse(twice.stdout) as object, {
    id: running.id,
    requested: false,
    status: 'cancelled',
    deployment: d,
  });
  assert.equal(flowport(['deploy', 'quick', '--env', 'dev'], { cwd: root }).code, 0);
  const quick = (await ledger.findDeployments({ flows: ['quick'] }))[0]!;
  const done = flowport(['cancel', quick.id], { cwd: root });
  assert.equal(done.code, 2);
  assert.match(done.stderr, /already succeeded; there is nothing to cancel/);
});

test('10 concurrent deploys from separate processes: every record intact', async (t) => {
  const flows = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`flow-${i}`, `g${i % 3}`]));
  const root = cliProject(flows);
  // Compile the config once first: concurrent first loads race in the config loader (reported
  // separately); this test is about the ledger.
  assert.equal(flowport(['flows'], { cwd: root }).code, 0);
  const started = Date.now();
  const runs = Object.keys(flows).map((f) => startCli(['deploy', f, '--env', 'dev'], { cwd: root }));
  const results = await Promise.all(runs.map((r) => r.done));
  const ms = Date.now() - started;
  assert.deepEqual(
    results.map((r) => r.code),
    Array(10).fill(0),
    results.map((r) => r.stderr).join('\n'),
  );
  const raw = readFileSync(join(root, '.flowport', 'ledger.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean);
  const records = raw.map((l) => JSON.parse(l) as DeploymentRecord);
  assert.equal(records.length, 40);
  for (const flow of Object.keys(flows)) {
    assert.deepEqual(
      records.filter((r) => r.deployment.flowName === flow).map((r) => r.deployment.status),
      ['pending', 'running', 'running', 'succeeded'], // the second running names the command's process
      flow,
    );
  }
  const current = await localLedger({ root }).findDeployments();
  assert.equal(current.length, 10);
  for (const d of current)
    assert.equal(
      readFileSync(d.logLocation!, 'utf8')
        .split('\n')
        .filter((l) => l === `deploying ${d.flowName} to dev`).length,
      1,
    );
  t.diagnostic(`10 CLI deploys at once: ${ms} ms wall, 30 records, 0 damaged`);
});

// Changed with the runner (issue 12): the command used to be the CLI's child, and a killed CLI
// left it "orphaned" (then a cancel signalled the pid the ledger named) or, at its next line of
// output, dead of EPIPE with its outcome lost. Now its runner, not the CLI, owns it.
test('kill -9 of the CLI mid-deploy: a command that prints every 0.2 s ends succeeded with its outputs; logs -f re-attaches', async () => {
  const root = cliProject({ victim: 'ops' });
  const ledger = localLedger({ root });
  const deploy = startCli(['deploy', 'victim', '--env', 'dev'], { cwd: root, env: { DEPLOY_TICKS: '15' } });
  await waitFor(() => deploy.stdout().includes('tick 1'), 'the command to print');
  deploy.child.kill('SIGKILL');
  await deploy.done;
  const [running] = await ledger.findDeployments({ history: true });
  assert.equal(running!.status, 'running', JSON.stringify(running));
  const follow = startCli(['logs', '-f', running!.id], { cwd: root });
  const followed = await follow.done;
  assert.equal(followed.code, 0, followed.stderr);
  assert.match(followed.stdout, /tick 14\n/);
  assert.match(followed.stdout, /\[flowport\] succeeded in /);
  const d = (await ledger.getDeployment(running!.id))!;
  assert.equal(d.status, 'succeeded', JSON.stringify(d));
  assert.deepEqual(d.outputs, { artifact: 'victim@dev', url: 'https://deploy.test/dev' });
  const promoted = flowport(['promote', 'victim', '--from', 'dev', '--to', 'uat'], { cwd: root });
  assert.equal(promoted.code, 0, promoted.stderr);
});

test('kill -9 of the runner: interrupted within one lease, and its command’s process group is gone', async () => {
  const root = cliProject({ victim: 'ops' });
  const ledger = localLedger({ root });
  const leaseMs = 3000;
  const env = {
    DEPLOY_SLEEP: '60000',
    DEPLOY_SPAWN_CHILD: '1',
    FLOWPORT_LEASE_MS: String(leaseMs),
    FLOWPORT_HEARTBEAT_MS: '500',
  };
  const deploy = startCli(['deploy', 'victim', '--env', 'dev'], { cwd: root, env });
  await waitFor(() => deploy.stdout().includes('sleeping'), 'the command to start');
  const [running] = await ledger.findDeployments({ history: true });
  const runner = leaseOf(root, running!.id).holder.pid;
  const command = scriptRecord(root, running!.id).pid;
  const grandchild = Number(readFileSync(join(root, 'out', `${running!.id}.child`), 'utf8'));
  try {
    process.kill(runner, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor(
      async () => (await ledger.getDeployment(running!.id))!.status === 'interrupted',
      'the deployment to read as interrupted',
      leaseMs,
    );
    assert.ok(Date.now() - killedAt <= leaseMs, 'within one lease');
    await waitFor(() => !groupAlive(command), 'the command’s process group to be gone', 5000);
    await waitFor(() => !pidAlive(grandchild), 'the grandchild (same group) to be gone', 5000);
    const result = await deploy.done;
    assert.equal(result.code, 1);
    assert.match(result.stdout, /victim in dev was interrupted: its runner \(pid \d+ on .+\) stopped/);
    const cancel = flowport(['cancel', running!.id], { cwd: root });
    assert.equal(cancel.code, 2);
    assert.match(cancel.stderr, /its runner is gone \(interrupted\)/);
  } finally {
    killGroup(command);
  }
});

test('SIGTERM to the runner (the machine shutting down): it stops its command and records cancelled', async () => {
  const root = cliProject({ term: 'ops' });
  const ledger = localLedger({ root });
  const deploy = startCli(['deploy', 'term', '--env', 'dev'], { cwd: root, env: { DEPLOY_SLEEP: '60000' } });
  await waitFor(() => deploy.stdout().includes('sleeping'), 'the command to start');
  const [running] = await ledger.findDeployments({ history: true });
  const command = scriptRecord(root, running!.id).pid;
  process.kill(leaseOf(root, running!.id).holder.pid, 'SIGTERM');
  assert.equal((await deploy.done).code, 1);
  const d = (await ledger.getDeployment(running!.id))!;
  assert.equal(d.status, 'cancelled', JSON.stringify(d));
  assert.equal(groupAlive(command), false);
});

test('logs --follow prints the log as it grows and returns when the deployment ends', async () => {
  const root = cliProject({ slow: 'ops' });
  const ledger = localLedger({ root });
  const deploy = startCli(['deploy', 'slow', '--env', 'dev'], { cwd: root, env: { DEPLOY_HOLD: '1' } });
  const running = await waitFor(
    async () => (await ledger.findDeployments({ history: true })).find((d) => d.status === 'running'),
    'the deploy to run',
  );
  const follow = startCli(['logs', running.id, '--follow'], { cwd: root });
  await waitFor(() => follow.stdout().includes('holding'), 'the follower to print the first lines');
  assert.equal(follow.child.exitCode, null, 'still following while the deploy is held');
  release(root);
  const [followed, deployed] = await Promise.all([follow.done, deploy.done]);
  assert.equal(deployed.code, 0);
  assert.equal(followed.code, 0);
  assert.equal(followed.stdout, readFileSync(running.logLocation!, 'utf8'));
  assert.match(followed.stdout, /\[flowport\] succeeded in .*\n$/);
});

test('--no-queue: two CLI deploys of one flow to one environment at once: one runs, the other says which runs', async () => {
  const root = cliProject({ billing: 'billing' });
  // The command that runs holds until released, so the two overlap however slowly each starts.
  const env = { DEPLOY_HOLD: '1' };
  const runs = [
    startCli(['deploy', 'billing', '--env', 'dev', '--no-queue'], { cwd: root, env }),
    startCli(['deploy', 'billing', '--env', 'dev', '--no-queue'], { cwd: root, env }),
  ];
  let ended = 0;
  for (const r of runs) void r.done.then(() => ended++);
  await waitFor(() => ended > 0 || held(root).length > 1, 'one deploy to be refused (or both to run)');
  assert.equal(ended, 1, 'one deploy ended while the other one holds');
  await waitFor(() => held(root).length === 1, 'the other deploy to run its command');
  release(root);
  const results = await Promise.all(runs.map((r) => r.done));
  const codes = results.map((r) => r.code).sort();
  assert.deepEqual(codes, [0, 1], results.map((r) => r.stderr).join('\n'));
  const loser = results.find((r) => r.code === 1)!;
  assert.match(
    loser.stdout + loser.stderr,
    /"billing" is already deploying to dev: deployment \S+ \((pending|running),/,
  );
  const history = await localLedger({ root }).findDeployments({ history: true });
  assert.equal(history.filter((d) => d.status === 'succeeded').length, 1, 'the command ran once');
  assert.equal(readdirSync(join(root, 'out')).filter((f) => f.endsWith('.json')).length, 1);
});

test('groups: a folder, a folder path or a defineFlow group; a name defined twice is refused', () => {
  const root = cliProject({ billing: 'billing', invoices: 'billing', weekly: 'reports' });
  writeTree(root, {
    'src/reports/nightly.ts': `import { defineFlow } from 'flowport';\nexport const n = defineFlow({ name: 'nightly-rollup', group: ['nightly'] }, async () => 1);\n`,
  });
  commitAll(root, 'a grouped flow');
  const flowsOf = (args: string[]) => {
    const r = flowport(['deploy', ...args, '--env', 'dev', '--json'], { cwd: root });
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { results: FlowRunResult[] }).results.map((x) => x.flow).sort();
  };
  assert.deepEqual(flowsOf(['--group', 'nightly']), ['nightly-rollup'], 'the group of defineFlow');
  assert.deepEqual(flowsOf(['--group', 'src/billing']), ['billing', 'invoices'], 'a folder path');
  assert.deepEqual(flowsOf(['--group', 'reports']), ['nightly-rollup', 'weekly'], 'a folder');

  writeTree(root, {
    'src/other/again.ts': `import { defineFlow } from 'flowport';\nexport const w = defineFlow({ name: 'weekly' }, async () => 2);\n`,
  });
  commitAll(root, 'a second weekly');
  const twice = flowport(['deploy', 'weekly', '--env', 'dev'], { cwd: root });
  assert.equal(twice.code, 2, twice.stderr);
  assert.match(
    twice.stderr,
    /flow name "weekly" is defined 2 times \(src\/other\/again\.ts:2, src\/reports\/flow2\.ts:2\): rename all but one/,
  );
});

// Changed with the runner (issue 12): a hang-up used to cancel the deploy like Ctrl+C. A closed
// terminal is not a decision to stop a deploy: the CLI detaches, the runner goes on.
test('a hang-up (the terminal closed, one signal or two) only detaches: the deploy goes on and ends succeeded', async () => {
  const root = cliProject({ hup: 'ops' });
  const deploy = startCli(['deploy', 'hup', '--env', 'dev'], { cwd: root, env: { DEPLOY_TICKS: '10' } });
  await waitFor(() => deploy.stdout().includes('tick 1'), 'the command to print');
  deploy.child.kill('SIGHUP');
  deploy.child.kill('SIGHUP');
  assert.equal((await deploy.done).code, 129);
  const [d] = await localLedger({ root }).findDeployments({ history: true });
  const done = await waitFor(async () => {
    const now = (await localLedger({ root }).getDeployment(d!.id))!;
    return now.status === 'succeeded' ? now : undefined;
  }, 'the deploy to succeed');
  assert.equal(done.outputs.url, 'https://deploy.test/dev');
});

test('Ctrl+C asks the runner to cancel: recorded cancelled, its command stopped; a second Ctrl+C stops waiting, the cancel goes on', async () => {
  for (const twice of [false, true]) {
    const root = cliProject({ stop: 'ops' });
    const deploy = startCli(['deploy', 'stop', '--env', 'dev'], {
      cwd: root,
      // Ignoring TERM, it takes the kill grace (0.5 s) to stop: a second Ctrl+C comes before that.
      env: { DEPLOY_SLEEP: '60000', ...(twice ? { DEPLOY_IGNORE_TERM: '1' } : {}) },
    });
    await waitFor(() => deploy.stdout().includes('sleeping'), 'the command to start');
    const [d] = await localLedger({ root }).findDeployments({ history: true });
    const command = scriptRecord(root, d!.id).pid;
    deploy.child.kill('SIGINT');
    if (twice) {
      await waitFor(() => deploy.stderr().includes('cancelling'), 'the first Ctrl+C to be taken');
      deploy.child.kill('SIGINT');
    }
    const ended = await deploy.done;
    assert.equal(ended.code, twice ? 130 : 1, ended.stderr);
    const after = await waitFor(async () => {
      const now = (await localLedger({ root }).getDeployment(d!.id))!;
      return now.status === 'cancelled' ? now : undefined;
    }, 'the runner to record the cancel');
    assert.match(String(after.attributes.cancelledBy), /@/);
    await waitFor(() => !groupAlive(command), 'the command to be stopped', 10_000);
  }
});

test('`flowport deploy x | head -1`: the closed pipe only stops the output; the deploy ends succeeded', async () => {
  const root = cliProject({ piped: 'ops' });
  const deploy = startCli(['deploy', 'piped', '--env', 'dev'], { cwd: root, env: { DEPLOY_TICKS: '10' } });
  // What head -1 does: read one line, then close the pipe.
  await waitFor(() => deploy.stdout().includes('\n'), 'a first line');
  deploy.child.stdout!.destroy();
  const ended = await deploy.done;
  assert.doesNotMatch(ended.stderr, /EPIPE|Unhandled/);
  assert.equal(ended.code, 0, ended.stderr);
  const [d] = await localLedger({ root }).findDeployments({ history: true });
  assert.equal(d!.status, 'succeeded', JSON.stringify(d));
});

test('--detach starts the deploy and returns at once with its id, held by its runner; logs -f follows it to the end', async () => {
  const root = cliProject({ bg: 'ops' });
  // A runner slow to start (a loaded machine): 1.5 s before its code runs. Until it has claimed
  // the run, only the CLI holds the pending record, and once the CLI has exited a reader judged
  // it gone (interrupted).
  const slow = join(tempDir(), 'slow-runner.mjs');
  writeFileSync(
    slow,
    'if (process.env.FLOWPORT_RUN_SPEC) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);\n',
  );
  const r = flowport(['deploy', 'bg', '--env', 'dev', '--detach', '--json'], {
    cwd: root,
    env: { DEPLOY_TICKS: '10', NODE_OPTIONS: `--import ${pathToFileURL(slow).href}` },
  });
  assert.equal(r.code, 0, r.stderr);
  const [result] = (JSON.parse(r.stdout) as { results: FlowRunResult[] }).results;
  assert.equal(result!.outcome, 'started');
  const id = result!.deployment!.id;
  assert.equal((await localLedger({ root }).getDeployment(id))!.status, 'running', 'held by its runner, still going');
  const human = flowport(['logs', id, '-f'], { cwd: root });
  assert.match(human.stdout, /tick 9\n/);
  assert.equal((await localLedger({ root }).getDeployment(id))!.status, 'succeeded');

  const promoted = flowport(['promote', 'bg', '--from', 'dev', '--to', 'uat', '--detach', '--json'], {
    cwd: root,
    env: { DEPLOY_TICKS: '10' },
  });
  assert.equal(promoted.code, 0, promoted.stderr);
  const [started] = (JSON.parse(promoted.stdout) as { results: FlowRunResult[] }).results;
  assert.equal(started!.outcome, 'started');
  assert.equal(flowport(['logs', started!.deployment!.id, '-f'], { cwd: root }).code, 0);
  assert.equal((await localLedger({ root }).getDeployment(started!.deployment!.id))!.status, 'succeeded');
});

// Changed with the runner (issue 12): --force used to record as cancelled any deployment whose
// runner did not answer in time, while a hung runner's command ran on (and a second deploy of the
// flow could start beside it). Now it is recorded so only once the runner's lease ran out.
test('cancel --force on a runner alive but hung: not recorded cancelled while its lease lasts, only once it ran out; resumed, the runner stops its command', async () => {
  const root = cliProject({ hung: 'ops' });
  const env = { DEPLOY_SLEEP: '60000', FLOWPORT_LEASE_MS: '3000', FLOWPORT_HEARTBEAT_MS: '500' };
  const deploy = startCli(['deploy', 'hung', '--env', 'dev'], { cwd: root, env });
  await waitFor(() => deploy.stdout().includes('sleeping'), 'the command to start');
  const [d] = await localLedger({ root }).findDeployments({ history: true });
  const runner = leaseOf(root, d!.id).holder.pid;
  const command = scriptRecord(root, d!.id).pid;
  process.kill(runner, 'SIGSTOP');
  try {
    const early = flowport(['cancel', d!.id, '--timeout', '1', '--force'], { cwd: root });
    assert.equal(early.code, 1, early.stdout + early.stderr);
    assert.match(early.stdout, /still running after 1 s: .*--force or not: its command may still run/);
    assert.ok(pidAlive(command), 'its command runs on');
    await waitFor(
      async () => (await localLedger({ root }).getDeployment(d!.id))!.status === 'interrupted',
      'its lease to run out',
      10_000,
    );
    const late = flowport(['cancel', d!.id, '--timeout', '1', '--force'], { cwd: root });
    assert.equal(late.code, 0, late.stderr);
    assert.match(late.stdout, /Recorded .* as cancelled \(--force\): its runner was gone/);
    const after = (await localLedger({ root }).getDeployment(d!.id))!;
    assert.equal(after.status, 'cancelled');
    assert.equal(after.attributes.forced, true);
    // Running again, the runner finds its deployment recorded as cancelled: it stops its command.
    process.kill(runner, 'SIGCONT');
    await waitFor(() => !groupAlive(command), 'the resumed runner to stop its command', 15_000);
    assert.equal((await localLedger({ root }).getDeployment(d!.id))!.status, 'cancelled');
  } finally {
    if (pidAlive(runner)) process.kill(runner, 'SIGKILL'); // its watchdog then ends the command's group
    await waitFor(() => !groupAlive(command), 'the command to go with its runner', 10_000);
  }
});

test('a forged record naming a bystander: cancel, cancel --force, deployments and the host signal nothing', async () => {
  const root = cliProject({ forged: 'ops', stale: 'ops' });
  const ledger = localLedger({ root });
  const bystander = spawn('sleep', ['60'], { stdio: 'ignore', detached: true });
  stopAtEnd(bystander);
  const pid = bystander.pid!;
  const forge = async (flowName: string, leaseMs: number) => {
    const d = await ledger.create({ flowName, env: 'dev', commit: 'a'.repeat(40), ref: 'HEAD' });
    const who = { pid, host: hostname(), startTime: null };
    const record = {
      v: 1,
      type: 'deployment',
      at: new Date().toISOString(),
      by: 'mallory@elsewhere',
      deployment: { ...d, status: 'running', attributes: { commandProcess: who } },
      runner: who,
    };
    appendFileSync(ledger.file, JSON.stringify(record) + '\n');
    writeLease(root, d.id, who, leaseMs);
    return d;
  };
  const live = await forge('forged', 60_000);
  const stale = await forge('stale', -1);
  assert.equal((await ledger.getDeployment(live.id))!.status, 'running');
  const asked = flowport(['cancel', live.id, '--timeout', '1'], { cwd: root });
  assert.equal(asked.code, 1, asked.stderr);
  const forced = flowport(['cancel', live.id, '--timeout', '1', '--force'], { cwd: root });
  assert.equal(forced.code, 1, forced.stderr);
  assert.equal(flowport(['cancel', stale.id, '--force'], { cwd: root }).code, 0);
  assert.equal(flowport(['deployments'], { cwd: root }).code, 0);
  assert.equal(flowport(['history', 'forged', '--json'], { cwd: root }).code, 0);
  // The editor's view of them: the host reads (and judges) both, and signals nothing either.
  const host = spawn(process.execPath, [hostScript, '--root', root], { stdio: ['pipe', 'pipe', 'inherit'] });
  stopAtEnd(host);
  const connection = createMessageConnection(new StreamMessageReader(host.stdout), new StreamMessageWriter(host.stdin));
  connection.listen();
  const seen = await connection.sendRequest(Methods.deployments, { history: true });
  assert.deepEqual(
    seen.map((d) => [d.flowName, d.status]),
    [
      ['forged', 'running'],
      ['stale', 'cancelled'],
    ],
  );
  connection.dispose();
  host.stdin.end();
  assert.ok(pidAlive(pid), 'the bystander lives');
  assert.equal(bystander.signalCode, null);
});

test('a read-only or full state folder: the deploy fails at once with the reason, and nothing ran', async (t) => {
  for (const [how, options, code] of [
    ['read-only', 'size=64k', 'EROFS'],
    ['full', 'size=16k', 'ENOSPC'],
  ] as const) {
    const state = smallTmpfs(options);
    if (!state) return void t.skip('mounting a small tmpfs needs root');
    // A state folder as a deploy finds it: made before, its logs folder there.
    mkdirSync(join(state, 'logs'));
    if (how === 'read-only') assert.equal(spawnSync('mount', ['-o', 'remount,ro', state]).status, 0);
    if (how === 'full') {
      try {
        writeFileSync(join(state, 'filler'), Buffer.alloc(64 * 1024, 1));
      } catch {
        // full: as meant
      }
    }
    const root = cliProject({ stuck: 'ops' }, ledgerInConfig(state));
    const r = flowport(['deploy', 'stuck', '--env', 'dev'], { cwd: root });
    assert.equal(r.code, 1, `${how}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, new RegExp(`nothing was run: the deploy could not be recorded \\(${code}`), how);
    assert.equal(existsSync(join(root, 'out')), false, `${how}: the deploy command never ran`);
  }
});

test('history --limit N shows the newest N (of the environment asked for), newest first; a bad N exits 2', async () => {
  const root = cliProject({ billing: 'billing' });
  const ledger = localLedger({ root });
  const made: DeploymentDetails[] = [];
  for (const [env, ref] of [
    ['dev', 'one'],
    ['dev', 'two'],
    ['dev', 'three'],
    ['uat', 'four'],
  ] as const) {
    const d = await ledger.create({ flowName: 'billing', env, commit: 'a'.repeat(40), ref });
    made.push(await ledger.update(d.id, { status: 'succeeded' }));
  }
  const historyOf = (...args: string[]) => {
    const r = flowport(['history', 'billing', ...args, '--json'], { cwd: root });
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { deployments: DeploymentDetails[] }).deployments.map((d) => d.ref);
  };
  assert.deepEqual(historyOf(), ['four', 'three', 'two', 'one']);
  assert.deepEqual(historyOf('--limit', '2'), ['four', 'three']);
  assert.deepEqual(
    historyOf('--env', 'dev', '--limit', '2'),
    ['three', 'two'],
    'the environment first, then the limit',
  );
  assert.deepEqual(historyOf('--limit', '9'), ['four', 'three', 'two', 'one']);
  const human = flowport(['history', 'billing', '--limit', '1'], { cwd: root });
  assert.equal(human.code, 0, human.stderr);
  const rows = human.stdout.trimEnd().split('\n');
  assert.equal(rows.length, 2, human.stdout);
  assert.match(rows[1]!, new RegExp(`^${made[3]!.id}\\s+uat\\s+succeeded\\s`));
  for (const bad of ['0', '-1', '1.5', 'two']) {
    const r = flowport(['history', 'billing', `--limit=${bad}`], { cwd: root });
    assert.equal(r.code, 2, `--limit ${bad}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`--limit ${bad.replace('.', '\\.')}: give a whole number above 0`));
  }
});

test('cancel --no-wait returns once the request is recorded, without waiting for the runner; the runner then stops the deploy', async () => {
  const root = cliProject({ remote: 'ops', slow: 'ops' });
  const ledger = localLedger({ root });
  // A runner on another host that holds a live lease and never answers.
  const d = await ledger.create({ flowName: 'remote', env: 'dev', commit: 'a'.repeat(40), ref: 'HEAD' });
  const line = readFileSync(ledger.file, 'utf8').trimEnd().split('\n').at(-1)!;
  const record = JSON.parse(line) as DeploymentRecord;
  record.runner = { pid: 1, host: 'elsewhere.invalid', startTime: null };
  writeFileSync(ledger.file, readFileSync(ledger.file, 'utf8').replace(line, JSON.stringify(record)));
  writeLease(root, d.id, record.runner, 120_000); // its lease renewed there: it is judged alive

  // Waiting would take the default 30 s and end in exit 1: --no-wait answers at once, exit 0.
  const json = flowport(['cancel', d.id, '--no-wait', '--json'], { cwd: root });
  assert.equal(json.code, 0, json.stderr);
  const out = JSON.parse(json.stdout) as { id: string; requested: boolean; status: string };
  assert.deepEqual([out.id, out.requested, out.status], [d.id, true, 'pending']);
  const requests = (await localLedger({ root }).events()).filter(
    (e) => e.type === 'cancel-request' && e.deploymentId === d.id,
  );
  assert.equal(requests.length, 1, 'the request is in the ledger for the runner to act on');
  assert.equal((await localLedger({ root }).getDeployment(d.id))!.status, 'pending', 'nothing recorded in its stead');

  // A runner here acts on it: the deploy ends cancelled after the CLI has returned.
  const deploy = startCli(['deploy', 'slow', '--env', 'dev'], { cwd: root, env: { DEPLOY_HOLD: '1' } });
  await waitFor(() => held(root).length === 1, 'the deploy command to run');
  const running = (await ledger.findDeployments({ flows: ['slow'], history: true }))[0]!;
  const human = flowport(['cancel', running.id, '--no-wait'], { cwd: root });
  assert.equal(human.code, 0, human.stderr);
  assert.equal(
    human.stdout,
    `Cancel requested for ${running.id} (slow → dev).\nIts runner stops it shortly; "flowport history slow --env dev" shows when.\n`,
  );
  assert.equal((await deploy.done).code, 1);
  assert.equal((await localLedger({ root }).getDeployment(running.id))!.status, 'cancelled');
});

/** The lease of a deployment's runner, as the local ledger keeps it. */
function leaseOf(root: string, id: string): { holder: { pid: number }; until: string } {
  return JSON.parse(readFileSync(join(root, '.flowport', 'leases', `${id}.json`), 'utf8')) as {
    holder: { pid: number };
    until: string;
  };
}

/** Writes (forges) the lease of `id`: held by `holder` for `ms` from now (negative: ran out). */
function writeLease(
  root: string,
  id: string,
  holder: { pid: number; host: string; startTime: string | null },
  ms: number,
) {
  mkdirSync(join(root, '.flowport', 'leases'), { recursive: true });
  writeFileSync(
    join(root, '.flowport', 'leases', `${id}.json`),
    JSON.stringify({ holder, until: new Date(Date.now() + ms).toISOString(), renewedAt: new Date().toISOString() }),
  );
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

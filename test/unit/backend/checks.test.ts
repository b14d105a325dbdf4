/**
 * Pre-deploy checks (backend/checks.ts, run by preflight): real git (a bare remote to push to),
 * real check commands, the built CLI and SDK host as a user runs them. A failing check refuses
 * with its output and records nothing; `--override-checks "reason"` lets it through, recorded.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CheckResult, DeploymentDetails, FlowRunResult } from '../../../sdk/src/index.js';
import { Methods } from '../../../sdk/src/host/protocol.js';
import { flowport, type CliResult } from '../../helpers/cli.js';
import { startHost } from '../../helpers/host.js';
import { tempDir } from '../../helpers/tmp.js';
import { cliProject, commitAll, git, pidAlive, startCli, waitFor } from './fixture.js';

/** A project whose prod runs `checks` (config source text); dev has none. `files` are committed with it. */
function projectWithChecks(
  checks: string,
  files: Record<string, string> = {},
  flows: Record<string, string> = { billing: 'billing' },
) {
  const root = cliProject(
    flows,
    [
      `import { defineConfig, commandDeployer, cleanTree, pushed, check } from 'flowport';`,
      `export default defineConfig({`,
      `  environments: ['dev', { name: 'prod', checks: [${checks}] }],`,
      `  deploy: commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'], killGraceMs: 500 }),`,
      `});`,
    ].join('\n'),
  );
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  if (Object.keys(files).length > 0) commitAll(root, 'check scripts');
  return root;
}

interface RefusedJson {
  error: { kind: string; message: string };
  checks: CheckResult[];
}
interface ResultsJson {
  results: FlowRunResult[];
  checks?: CheckResult[];
  checksOverridden?: { by: string; reason: string; failed: Array<{ name: string; flow?: string }> };
}

function recorded(root: string): DeploymentDetails[] {
  const r = flowport(['history', 'billing', '--json'], { cwd: root });
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { deployments: DeploymentDetails[] }).deployments;
}

function refused(r: CliResult): RefusedJson {
  assert.equal(r.code, 1, `${r.stderr}\n${r.stdout}`);
  const doc = JSON.parse(r.stdout) as RefusedJson;
  assert.equal(doc.error.kind, 'DeployError');
  return doc;
}

function succeeded(r: CliResult): ResultsJson {
  assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
  const doc = JSON.parse(r.stdout) as ResultsJson;
  assert.deepEqual(
    doc.results.map((x) => x.outcome),
    doc.results.map(() => 'succeeded'),
  );
  return doc;
}

/** A remote to push to: a bare repository, set as origin with main's upstream. */
function pushToBareRemote(root: string): string {
  const remote = join(tempDir('flowport-remote-'), 'origin.git');
  git(root, 'init', '-q', '--bare', remote);
  git(root, 'remote', 'add', 'origin', remote);
  git(root, 'push', '-q', '-u', 'origin', 'main');
  return remote;
}

test('cleanTree: a dirty tree is refused naming the file, nothing recorded; once clean it passes', () => {
  const root = projectWithChecks('cleanTree()');
  writeFileSync(join(root, 'notes.txt'), 'not committed\n');

  const r = flowport(['deploy', 'billing', '--env', 'prod', '--json'], { cwd: root });
  const { error, checks } = refused(r);
  assert.deepEqual(
    checks.map((c) => [c.name, c.ok]),
    [['clean tree', false]],
  );
  assert.match(checks[0]!.message, /1 uncommitted change \(notes\.txt\)/);
  assert.deepEqual(checks[0]!.output, ['notes.txt']);
  assert.match(error.message, /check "clean tree" failed for prod: nothing was sent/);
  assert.match(error.message, /--override-checks "<reason>"/);
  // The list on stderr, before the refusal: ✗, the name, the file.
  assert.match(r.stderr, /Checks for prod:\n {2}✗ clean tree \([^)]+\): 1 uncommitted change \(notes\.txt\)/);
  assert.match(r.stderr, /\| notes\.txt/);
  assert.deepEqual(recorded(root), [], 'nothing was recorded');

  rmSync(join(root, 'notes.txt'));
  const ok = succeeded(flowport(['deploy', 'billing', '--env', 'prod', '--json'], { cwd: root }));
  assert.deepEqual(
    ok.checks!.map((c) => [c.name, c.ok, c.message]),
    [['clean tree', true, 'no uncommitted changes']],
  );
  assert.equal(ok.checksOverridden, undefined);
  assert.equal(recorded(root)[0]!.attributes.checksOverridden, undefined, 'nothing overridden, nothing recorded of it');
});

test('pushed: passes once pushed to a real bare remote, fails for an unpushed commit, and without an upstream says so', () => {
  const root = projectWithChecks('pushed()');
  const noUpstream = refused(flowport(['deploy', 'billing', '--env', 'prod', '--json'], { cwd: root }));
  assert.match(noUpstream.checks[0]!.message, /^no upstream: branch main has none/);
  assert.match(noUpstream.checks[0]!.message, /git push -u <remote> main/);

  pushToBareRemote(root);
  const head = git(root, 'rev-parse', 'HEAD');
  const ok = succeeded(flowport(['deploy', 'billing', '--env', 'prod', '--json'], { cwd: root }));
  assert.deepEqual(
    ok.checks!.map((c) => [c.name, c.ok, c.commit]),
    [['pushed', true, head]],
  );
  assert.match(ok.checks![0]!.message, /is in origin\/main$/);

  writeFileSync(join(root, 'version.txt'), 'v2\n');
  const unpushed = commitAll(root, 'v2, not pushed');
  const notPushed = refused(flowport(['deploy', 'billing', '--env', 'prod', '--json'], { cwd: root }));
  assert.equal(notPushed.checks[0]!.commit, unpushed);
  assert.match(notPushed.checks[0]!.message, new RegExp(`^${unpushed.slice(0, 12)} is not in origin/main: push it`));
  // The pushed commit, named with --ref, is still fine: the check looks at what is deployed.
  succeeded(flowport(['deploy', 'billing', '--env', 'prod', '--ref', head, '--json'], { cwd: root }));

  // A ref that names nothing is refused as the deployer would refuse it, before any check.
  const unknown = flowport(['deploy', 'billing', '--env', 'prod', '--ref', 'no-such-branch', '--json'], { cwd: root });
  assert.equal(unknown.code, 2, unknown.stderr);
  assert.match((JSON.parse(unknown.stdout) as RefusedJson).error.message, /^unknown ref "no-such-branch"/);

  git(root, 'push', '-q');
  succeeded(flowport(['deploy', 'billing', '--env', 'prod', '--json'], { cwd: root }));
  git(root, 'checkout', '-q', '--detach');
  const detached = refused(flowport(['deploy', 'billing', '--env', 'prod', '--json'], { cwd: root }));
  assert.match(detached.checks[0]!.message, /^no upstream: HEAD is detached/);
});

const failingTests = `console.log('running 3 tests');\nconsole.error('not ok 2 - totals add up');\nprocess.exit(1);\n`;

test('a failing command check refuses with its output; --override-checks "hotfix" lets it through, recorded by/reason/failed', () => {
  const root = projectWithChecks(`cleanTree(), check({ name: 'tests', command: ['node', 'tests.mjs', '{env}'] })`, {
    'tests.mjs': failingTests,
  });
  const r = flowport(['deploy', 'billing', '--env', 'prod', '--json'], { cwd: root });
  const { checks, error } = refused(r);
  assert.deepEqual(
    checks.map((c) => [c.name, c.ok]),
    [
      ['clean tree', true],
      ['tests', false],
    ],
  );
  assert.equal(checks[1]!.message, 'exited with code 1');
  assert.deepEqual(checks[1]!.output, ['running 3 tests', 'not ok 2 - totals add up']);
  assert.match(error.message, /^check "tests" failed for prod: nothing was sent\./);
  assert.match(
    r.stderr,
    / {2}✓ clean tree \(\d+ ms\)\n {2}✗ tests \([^)]+\): exited with code 1\n {6}\| running 3 tests\n {6}\| not ok 2/,
  );
  assert.deepEqual(recorded(root), []);
  // Without --json, the same list and a refusal, exit 1.
  const text = flowport(['deploy', 'billing', '--env', 'prod'], { cwd: root });
  assert.equal(text.code, 1);
  assert.match(
    text.stderr,
    /✗ tests [^\n]*\n[\s\S]*\| not ok 2 - totals add up\nflowport: check "tests" failed for prod/,
  );
  assert.equal(text.stdout, '');

  const over = flowport(['deploy', 'billing', '--env', 'prod', '--override-checks', 'hotfix', '--json'], { cwd: root });
  const doc = succeeded(over);
  const by = doc.checksOverridden!.by;
  assert.match(by, /.@./, 'who overrode: user@host');
  assert.deepEqual(doc.checksOverridden, { by, reason: 'hotfix', failed: [{ name: 'tests' }] });
  assert.equal(doc.checks!.length, 2);
  assert.match(over.stderr, /checks overridden by .* \(tests\): "hotfix"/);
  const [deployment] = recorded(root);
  assert.equal(deployment!.id, doc.results[0]!.deployment!.id);
  assert.deepEqual(deployment!.attributes.checksOverridden, { by, reason: 'hotfix', failed: ['tests'] });

  // A reason is required: it is what is recorded.
  const empty = flowport(['deploy', 'billing', '--env', 'prod', '--override-checks', ' '], { cwd: root });
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /--override-checks needs a reason/);
});

test('promote and rollback run the target checks too, and record an override on the deployment', () => {
  const root = projectWithChecks(`check({ name: 'tests', command: ['node', 'tests.mjs'] })`, {
    'tests.mjs': failingTests,
  });
  const deployTo = (env: string) => succeeded(flowport(['deploy', 'billing', '--env', env, '--json'], { cwd: root }));
  const promote = ['promote', 'billing', '--from', 'dev', '--to', 'prod', '--json'];
  assert.equal(deployTo('dev').checks, undefined, 'dev has no checks: none ran, none in the document');
  assert.equal(refused(flowport(promote, { cwd: root })).checks[0]!.name, 'tests');
  succeeded(flowport([...promote, '--override-checks', 'first release'], { cwd: root }));
  writeFileSync(join(root, 'version.txt'), 'v2\n');
  commitAll(root, 'v2');
  deployTo('dev');
  const promoted = succeeded(flowport([...promote, '--override-checks', 'release train'], { cwd: root }));
  assert.deepEqual(promoted.results[0]!.deployment!.attributes.checksOverridden, {
    by: promoted.checksOverridden!.by,
    reason: 'release train',
    failed: ['tests'],
  });

  const rollback = ['rollback', 'billing', '--env', 'prod', '--json'];
  assert.equal(refused(flowport(rollback, { cwd: root })).checks[0]!.name, 'tests');
  const rolled = succeeded(flowport([...rollback, '--override-checks', 'bad release'], { cwd: root }));
  const attributes = rolled.results[0]!.deployment!.attributes;
  assert.ok(attributes.rollback, 'recorded as a rollback');
  assert.deepEqual(attributes.checksOverridden, {
    by: rolled.checksOverridden!.by,
    reason: 'bad release',
    failed: ['tests'],
  });
});

/**
 * Writes its pid and its children's (one that ignores SIGTERM, one in a session of its own), then
 * waits: it would pass after 20 s, so a timeout that is not enforced shows as a passing check.
 */
const hangingCheck = [
  `import { spawn } from 'node:child_process';`,
  `import { writeFileSync } from 'node:fs';`,
  `const stubborn = 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)';`,
  `const child = spawn(process.execPath, ['-e', stubborn], { stdio: 'ignore' });`,
  `const away = spawn(process.execPath, ['-e', stubborn], { stdio: 'ignore', detached: true });`,
  `writeFileSync('pids.txt', [process.pid, child.pid, away.pid].join(' '));`,
  `console.log('waiting for CI');`,
  `setTimeout(() => process.exit(0), 20_000);`,
].join('\n');

function pidsOf(root: string): number[] {
  return readFileSync(join(root, 'pids.txt'), 'utf8').split(' ').map(Number);
}

test('a check that hangs is stopped at its timeout, with the processes it started', async () => {
  const root = projectWithChecks(
    `check({ name: 'ci', command: ['node', 'hang.mjs'], timeoutMs: 1000, killGraceMs: 300 })`,
    {
      'hang.mjs': hangingCheck,
      '.gitignore': 'node_modules\nout\npids.txt\n',
    },
  );
  const r = flowport(['deploy', 'billing', '--env', 'prod', '--json'], { cwd: root });
  const [ci] = refused(r).checks;
  assert.equal(ci!.message, 'timed out after 1.0 s: stopped, with the processes it started');
  assert.deepEqual(ci!.output, ['waiting for CI']);
  const pids = pidsOf(root);
  assert.equal(pids.length, 3);
  // The CLI has exited: whatever the check started is gone by then (at most reaped a moment later).
  await waitFor(() => pids.every((p) => !pidAlive(p)), 'the check and its children to be gone', 5000);
  assert.deepEqual(recorded(root), []);
});

test('a CLI interrupted (Ctrl+C) while a check runs leaves none of its processes behind', async () => {
  const root = projectWithChecks(`check({ name: 'ci', command: ['node', 'hang.mjs'], timeoutMs: 0 })`, {
    'hang.mjs': hangingCheck,
    '.gitignore': 'node_modules\nout\npids.txt\n',
  });
  const cli = startCli(['deploy', 'billing', '--env', 'prod'], { cwd: root });
  await waitFor(() => existsSync(join(root, 'pids.txt')) && pidsOf(root).length === 3, 'the check to start');
  const pids = pidsOf(root);
  cli.child.kill('SIGINT');
  const done = await cli.done;
  assert.equal(done.signal, 'SIGINT', 'the CLI ends as an interrupted process does');
  await waitFor(() => pids.every((p) => !pidAlive(p)), 'the check and its children to be gone', 5000);
  assert.deepEqual(recorded(root), []);
});

test('checks run once per batch, once per flow with {flow}; an environment without checks runs none', () => {
  const root = projectWithChecks(
    `check({ name: 'once', command: ['node', 'count.mjs', 'once'] }), check({ name: 'lint', command: ['node', 'count.mjs', '{flow}'] })`,
    {
      'count.mjs': `import { appendFileSync } from 'node:fs';\nappendFileSync('runs.txt', process.argv[2] + ' ' + process.env.FLOWPORT_ENV + '\\n');\n`,
      '.gitignore': 'node_modules\nout\nruns.txt\n',
    },
    { billing: 'billing', invoices: 'billing' },
  );
  const runs = () => (existsSync(join(root, 'runs.txt')) ? readFileSync(join(root, 'runs.txt'), 'utf8') : '');
  succeeded(flowport(['deploy', '--group', 'billing', '--env', 'dev', '--json'], { cwd: root }));
  assert.equal(runs(), '', 'dev has no checks');

  const doc = succeeded(flowport(['deploy', '--group', 'billing', '--env', 'prod', '--json'], { cwd: root }));
  assert.equal(doc.results.length, 2);
  assert.deepEqual(runs().trim().split('\n').sort(), ['billing prod', 'invoices prod', 'once prod']);
  assert.deepEqual(
    doc.checks!.map((c) => [c.label, c.flow ?? null]),
    [
      ['once', null],
      ['lint (billing)', 'billing'],
      ['lint (invoices)', 'invoices'],
    ],
  );
});

test('a check run per flow that fails for one flow is recorded, when overridden, on that flow only', () => {
  const root = projectWithChecks(
    `check({ name: 'lint', command: ['node', 'lint.mjs', '{flow}'] })`,
    {
      'lint.mjs': `process.exit(process.argv[2] === 'invoices' ? 1 : 0);\n`,
    },
    { billing: 'billing', invoices: 'billing' },
  );
  const doc = succeeded(
    flowport(['deploy', '--group', 'billing', '--env', 'prod', '--override-checks', 'known lint', '--json'], {
      cwd: root,
    }),
  );
  assert.deepEqual(doc.checksOverridden!.failed, [{ name: 'lint', flow: 'invoices' }]);
  const byFlow = Object.fromEntries(doc.results.map((r) => [r.flow, r.deployment!.attributes.checksOverridden]));
  assert.equal(byFlow.billing, undefined, 'billing passed its lint: nothing overridden for it');
  assert.deepEqual(byFlow.invoices, { by: doc.checksOverridden!.by, reason: 'known lint', failed: ['lint'] });
});

test('the SDK host preflight carries the results: a refusal with the output, or passing checks', async () => {
  const root = projectWithChecks(`check({ name: 'tests', command: ['node', 'tests.mjs'] })`, {
    'tests.mjs': failingTests,
  });
  const { connection } = startHost(root);
  const { flows } = await connection.sendRequest(Methods.flows, {});
  const flowIds = flows.map((f) => f.id);
  const result = await connection.sendRequest(Methods.preflight, { action: 'deploy', flowIds, env: 'prod' });
  assert.deepEqual(result.sending, ['billing']);
  assert.match(
    result.refusal!,
    /^check "tests" failed for prod: nothing was sent\.\ntests: exited with code 1\n {2}\| running 3 tests/,
  );
  assert.deepEqual(
    result.checks!.map((c) => [c.name, c.ok, c.output]),
    [['tests', false, ['running 3 tests', 'not ok 2 - totals add up']]],
  );
  assert.deepEqual(await connection.sendRequest(Methods.preflight, { action: 'deploy', flowIds, env: 'dev' }), {
    sending: ['billing'],
  });
});

test('a bad check in the config is a ConfigError at its line', () => {
  const cases: Array<[string, RegExp]> = [
    [`'npm test'`, /environments\[1\]\.checks\[0\]: each check must be cleanTree\(\), pushed\(\) or check/],
    [
      `check({ name: 'a', command: ['true'] }),\n    check({ name: 'a', command: ['false'] })`,
      /checks\[1\]: two checks are named "a"/,
    ],
    [`check({ command: [] })`, /check: command must be a non-empty array of strings/],
    [`check({ command: ['npm', '{branch}'] })`, /unknown placeholder \{branch\}/],
  ];
  for (const [checks, message] of cases) {
    const root = cliProject(
      { billing: 'billing' },
      [
        `import { defineConfig, check } from 'flowport';`,
        `export default defineConfig({`,
        `  environments: ['dev', { name: 'prod', checks: [`,
        `    ${checks}`,
        `  ] }],`,
        `});`,
      ].join('\n'),
    );
    const r = flowport(['deploy', 'billing', '--env', 'prod', '--json'], { cwd: root });
    assert.equal(r.code, 2, r.stderr);
    const { error } = JSON.parse(r.stdout) as { error: { kind: string; message: string; line?: number } };
    assert.equal(error.kind, 'ConfigError');
    assert.match(error.message, message);
    assert.ok(error.line === 4 || error.line === 5, `at the check's line: ${error.line}`);
  }
});

test("cleanTree and pushed run nothing the repository's git config names (core.fsmonitor)", () => {
  const root = projectWithChecks('cleanTree(), pushed()');
  pushToBareRemote(root);
  const outside = tempDir();
  const marks = join(outside, 'marks');
  const program = join(outside, 'fsmonitor.sh');
  writeFileSync(program, `#!/bin/sh\necho fsmonitor >> '${marks}'\nexit 0\n`);
  chmodSync(program, 0o755);
  git(root, 'config', 'core.fsmonitor', program);
  // The mark is real: git itself runs it.
  git(root, 'status', '--porcelain');
  assert.match(readFileSync(marks, 'utf8'), /fsmonitor/);
  writeFileSync(marks, '');

  const doc = succeeded(flowport(['deploy', 'billing', '--env', 'prod', '--json'], { cwd: root }));
  assert.deepEqual(
    doc.checks!.map((c) => [c.name, c.ok]),
    [
      ['clean tree', true],
      ['pushed', true],
    ],
  );
  assert.equal(readFileSync(marks, 'utf8'), '', 'nothing the repository configured ran');
});

test('a promote sending two commits runs pushed() for each; an override is recorded on the flow whose commit failed', () => {
  const root = projectWithChecks('pushed()', {}, { billing: 'billing', invoices: 'billing' });
  pushToBareRemote(root);
  const pushedCommit = git(root, 'rev-parse', 'HEAD');
  succeeded(flowport(['deploy', 'billing', '--env', 'dev', '--json'], { cwd: root }));
  writeFileSync(join(root, 'version.txt'), 'v2\n');
  const unpushed = commitAll(root, 'v2, not pushed');
  succeeded(flowport(['deploy', 'invoices', '--env', 'dev', '--json'], { cwd: root }));

  const promote = ['promote', '--group', 'billing', '--from', 'dev', '--to', 'prod', '--json'];
  const { checks } = refused(flowport(promote, { cwd: root }));
  assert.deepEqual(
    checks.map((c) => [c.label, c.ok, c.commit]),
    [
      [`pushed (${pushedCommit.slice(0, 7)})`, true, pushedCommit],
      [`pushed (${unpushed.slice(0, 7)})`, false, unpushed],
    ],
  );

  const doc = succeeded(flowport([...promote, '--override-checks', 'v2 is on its way'], { cwd: root }));
  assert.deepEqual(doc.checksOverridden!.failed, [{ name: 'pushed', flow: 'invoices' }]);
  const byFlow = Object.fromEntries(doc.results.map((r) => [r.flow, r.deployment!.attributes.checksOverridden]));
  assert.equal(byFlow.billing, undefined, "billing's commit is pushed: nothing overridden for it");
  assert.deepEqual(byFlow.invoices, { by: doc.checksOverridden!.by, reason: 'v2 is on its way', failed: ['pushed'] });
});

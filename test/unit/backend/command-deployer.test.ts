import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  commandDeployer,
  DeployError,
  localLedger,
  UsageError,
  type CommandDeployerOptions,
  type DeploymentStore,
  type DeploymentRecord,
  type QueueableRun,
  type RunContext,
} from '../../../sdk/src/index.js';
import { tempDir, writeTree } from '../../helpers/tmp.js';
import { collectingRun, commitAll, flowOf, git, gitRepo, pidAlive, release, scriptRecord, waitFor } from './fixture.js';

const deployScript = ['node', 'deploy.mjs', '{flow}', '{env}', '{commit}', '{ref}', '{deploymentId}'];

function setup(options: Partial<CommandDeployerOptions> = {}, root = gitRepo()) {
  const warnings: string[] = [];
  const store = localLedger({ root, warn: (m) => warnings.push(m) });
  const deployer = commandDeployer({ command: deployScript, killGraceMs: 300, ...options, root, store });
  return { root, store, deployer, warnings };
}

test('success: argv placeholders, FLOWPORT_* variables, live lines, log file, outputs, pending → running → succeeded', async () => {
  const { root, store, deployer } = setup(
    { env: { EXTRA: 'for {flow} in {env}' } },
    gitRepo({ 'package.json': '{ "version": "2.3.4" }' }),
  );
  const head = git(root, 'rev-parse', 'HEAD');
  const run = collectingRun();
  const d = await deployer.deploy({ flow: flowOf('billing', 'src/billing/run.ts'), env: 'dev' }, run);
  assert.equal(d.status, 'succeeded');
  assert.equal(d.commit, head);
  assert.equal(d.ref, 'HEAD');
  assert.equal(d.packageVersion, '2.3.4');
  assert.deepEqual(d.outputs, { artifact: 'billing@dev', url: 'https://deploy.test/dev' });
  assert.equal(d.url, 'https://deploy.test/dev');
  assert.equal(d.attributes.exitCode, 0);
  assert.equal(d.attributes.dirty, false);

  const seen = scriptRecord(root, d.id);
  assert.deepEqual(seen.argv, ['billing', 'dev', head, 'HEAD', d.id]);
  assert.equal(seen.cwd, root);
  assert.deepEqual(seen.env, {
    EXTRA: 'for billing in dev',
    FLOWPORT_FLOW: 'billing',
    FLOWPORT_ENV: 'dev',
    FLOWPORT_COMMIT: head,
    FLOWPORT_REF: 'HEAD',
    FLOWPORT_DEPLOYMENT_ID: d.id,
    FLOWPORT_SOURCE: join(root, 'src/billing/run.ts'),
    FLOWPORT_ROOT: root,
    FLOWPORT_WORKDIR: root,
    FLOWPORT_DIRTY: '0',
    FLOWPORT_PROMOTED_FROM: '',
  });

  // The command's lines, stdout and stderr, reach the run and the log file alike.
  for (const line of ['deploying billing to dev', 'a line on stderr', 'done'])
    assert.ok(run.lines.includes(line), line);
  assert.match(run.lines[0]!, /^\[flowport\] deploying billing to dev: [0-9a-f]{12} \(HEAD\)/);
  assert.equal(readFileSync(d.logLocation!, 'utf8'), run.lines.join('\n') + '\n');

  const snapshots = (await store.events())
    .filter((e): e is DeploymentRecord => e.type === 'deployment')
    .map((e) => e.deployment);
  assert.deepEqual(
    snapshots.map((s) => s.status),
    ['pending', 'running', 'running', 'succeeded'],
  );
  // The second running snapshot names the command's process, for when this runner dies.
  const command = snapshots[2]!.attributes.commandProcess as { pid: number };
  assert.equal(command.pid, scriptRecord(root, d.id).pid);
});

test('failure: a non-zero exit is failed, with the exit code and the last lines', async () => {
  const { deployer } = setup({ env: { DEPLOY_FAIL: 'billing' } });
  const run = collectingRun();
  const d = await deployer.deploy({ flow: flowOf('billing'), env: 'dev' }, run);
  assert.equal(d.status, 'failed');
  assert.equal(d.attributes.exitCode, 3);
  assert.equal(d.attributes.reason, 'the deploy command exited with code 3');
  const last = d.attributes.lastLines as string[];
  assert.ok(last.includes('deploy of billing failed on purpose'));
  assert.deepEqual(d.outputs, { artifact: 'billing@dev' });
  assert.equal(run.lines.at(-1), '[flowport] failed: the deploy command exited with code 3');
});

test('timeout: the run fails as timed out and its process tree is stopped', async () => {
  // The timeout runs from the command's start: on a loaded machine 2 s can end the script before
  // it has spawned its child. Then it is tried again with twice the time, until there was a tree to stop.
  for (let timeoutMs = 2000; ; timeoutMs *= 2) {
    const { root, deployer } = setup({ timeoutMs, env: { DEPLOY_SLEEP: '30000', DEPLOY_SPAWN_CHILD: '1' } });
    const d = await deployer.deploy({ flow: flowOf('slow'), env: 'dev' }, collectingRun());
    assert.equal(d.status, 'failed');
    assert.equal(d.attributes.timedOut, true);
    assert.equal(d.attributes.reason, `timed out after ${(timeoutMs / 1000).toFixed(1)} s`);
    const childFile = join(root, 'out', `${d.id}.child`);
    if (!existsSync(childFile) && timeoutMs < 32_000) continue;
    const grandchild = Number(readFileSync(childFile, 'utf8'));
    // The grandchild ignores SIGTERM: it is gone only because SIGKILL followed after the grace period.
    await waitFor(() => !pidAlive(grandchild), 'the grandchild to be killed');
    return;
  }
});

test('cancel: aborting the run kills the whole tree, TERM then KILL, and records cancelled', async () => {
  const { root, deployer } = setup({
    env: { DEPLOY_SLEEP: '30000', DEPLOY_SPAWN_CHILD: '1', DEPLOY_IGNORE_TERM: '1' },
  });
  const controller = new AbortController();
  const run = collectingRun(controller.signal);
  const pending = deployer.deploy({ flow: flowOf('slow'), env: 'dev' }, run);
  await waitFor(() => run.lines.includes('sleeping'), 'the command to start');
  controller.abort();
  const d = await pending;
  assert.equal(d.status, 'cancelled');
  assert.equal(d.attributes.signal, 'SIGKILL', 'the command ignored SIGTERM, so it was killed');
  assert.ok(run.lines.includes('ignoring SIGTERM'));
  const { pid } = scriptRecord(root, d.id);
  const grandchild = Number(readFileSync(join(root, 'out', `${d.id}.child`), 'utf8'));
  assert.equal(pidAlive(pid), false);
  await waitFor(() => !pidAlive(grandchild), 'the grandchild to be killed');
});

test('refusals: outside git, no commits yet, unknown ref, a ref that looks like an option', async () => {
  const plain = tempDir();
  writeTree(plain, { 'deploy.mjs': '' });
  const outside = commandDeployer({
    command: ['node', 'deploy.mjs'],
    root: plain,
    store: localLedger({ root: plain }),
  });
  await assert.rejects(
    outside.deploy({ flow: flowOf('a'), env: 'dev' }, collectingRun()),
    (e: unknown) => e instanceof DeployError && /is not inside a git repository.*git init/.test(e.message),
  );

  const empty = tempDir();
  git(empty, 'init', '-q');
  const fresh = commandDeployer({ command: ['node', 'deploy.mjs'], root: empty, store: localLedger({ root: empty }) });
  await assert.rejects(fresh.deploy({ flow: flowOf('a'), env: 'dev' }, collectingRun()), /has no commits yet/);

  const { root, deployer, store } = setup();
  for (const ref of ['no-such-branch', '$(whoami)', '`id`', 'x; rm -rf ~']) {
    await assert.rejects(
      deployer.deploy({ flow: flowOf('a'), env: 'dev', ref }, collectingRun()),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message === `unknown ref "${ref}": no branch, tag or commit of that name in ${root}`,
    );
  }
  for (const ref of ['--output=pwned', '-h', '--exec-path']) {
    await assert.rejects(deployer.deploy({ flow: flowOf('a'), env: 'dev', ref }, collectingRun()), /starts with "-"/);
  }
  await assert.rejects(deployer.deploy({ flow: flowOf('a'), env: 'dev', ref: 'a\nb' }, collectingRun()), UsageError);
  assert.equal(existsSync(join(root, 'pwned')), false);
  assert.deepEqual(await store.findDeployments({ history: true }), [], 'a refused deploy leaves no record');
});

test('a branch, a tag and a short SHA resolve to the full commit; the ref is kept as asked', async () => {
  const { root, deployer } = setup();
  const first = git(root, 'rev-parse', 'HEAD');
  git(root, 'tag', 'v1');
  const d = await deployer.deploy({ flow: flowOf('a'), env: 'dev', ref: 'v1' }, collectingRun());
  assert.equal(d.commit, first);
  assert.equal(d.ref, 'v1');
  const short = await deployer.deploy({ flow: flowOf('a'), env: 'dev', ref: first.slice(0, 8) }, collectingRun());
  assert.equal(short.commit, first);
});

test('uncommitted changes are reported and recorded as dirty', async () => {
  const { root, deployer } = setup();
  writeFileSync(join(root, 'version.txt'), 'v1-edited\n');
  writeFileSync(join(root, 'new-file.ts'), 'x');
  const run = collectingRun();
  const d = await deployer.deploy({ flow: flowOf('a'), env: 'dev' }, run);
  assert.equal(d.status, 'succeeded');
  assert.equal(d.attributes.dirty, true);
  assert.equal(d.attributes.changedFiles, 2);
  assert.ok(
    run.lines.some((l) => /^\[flowport\] warning: 2 uncommitted change\(s\) .*recorded as dirty/.test(l)),
    run.lines.join('\n'),
  );
  const seen = scriptRecord(root, d.id);
  assert.equal(seen.env.FLOWPORT_DIRTY, '1');
  assert.equal(seen.version, 'v1-edited', 'HEAD with changes runs in the working tree, as the user sees it');
});

test('a commit other than HEAD runs from a temporary worktree of exactly that commit', async () => {
  const { root, deployer } = setup();
  const v1 = git(root, 'rev-parse', 'HEAD');
  writeFileSync(join(root, 'version.txt'), 'v2\n');
  commitAll(root, 'v2');
  const d = await deployer.deploy({ flow: flowOf('a', 'src/a.ts'), env: 'uat', ref: v1 }, collectingRun());
  assert.equal(d.status, 'succeeded');
  assert.equal(d.attributes.checkout, 'worktree');
  const seen = scriptRecord(root, d.id);
  assert.equal(seen.version, 'v1');
  assert.equal(seen.env.FLOWPORT_ROOT, root);
  assert.equal(seen.cwd, join(root, '.flowport', 'worktrees', d.id));
  assert.equal(seen.env.FLOWPORT_SOURCE, join(root, '.flowport', 'worktrees', d.id, 'src/a.ts'));
  // Removed afterwards, from disk and from git.
  assert.equal(existsSync(seen.cwd), false);
  assert.equal(git(root, 'worktree', 'list').split('\n').length, 1);
  assert.equal(git(root, 'status', '--porcelain'), '', 'the state folder never shows in git status');
});

test('names with shell syntax reach the command literally; no shell ever runs them', async () => {
  const home = readdirSync(homedir()).length;
  const { root, deployer } = setup({ env: { EXTRA: '{flow}' } });
  const names = [
    'x; rm -rf ~',
    '$(touch pwned-subst)',
    '`touch pwned-tick`',
    "a' && touch pwned-quote '",
    'x | touch pwned-pipe',
    '{env}',
  ];
  for (const name of names) {
    const d = await deployer.deploy({ flow: flowOf(name), env: 'dev' }, collectingRun());
    assert.equal(d.status, 'succeeded', name);
    assert.equal(d.flowName, name);
    const seen = scriptRecord(root, d.id);
    assert.equal(seen.argv[0], name, 'one argv element, unchanged');
    assert.equal(seen.env.FLOWPORT_FLOW, name);
    assert.equal(seen.env.EXTRA, name, 'a value that looks like a placeholder is not replaced again');
  }
  assert.deepEqual(
    readdirSync(root).filter((f) => f.startsWith('pwned')),
    [],
  );
  assert.equal(readdirSync(homedir()).length, home);
  await assert.rejects(
    deployer.deploy({ flow: flowOf('bad\u0000name'), env: 'dev' }, collectingRun()),
    /control characters/,
  );
});

test('bad options are refused when the config is loaded; a missing program is a failed deployment', async () => {
  assert.throws(() => commandDeployer({ command: [] }), /non-empty array of strings/);
  assert.throws(() => commandDeployer({ command: 'node deploy.mjs' as unknown as string[] }), /non-empty array/);
  assert.throws(() => commandDeployer({ command: ['node', '{flowName}'] }), /unknown placeholder \{flowName\}/);
  assert.throws(() => commandDeployer({ command: ['node'], timeoutMs: -1 }), /timeoutMs/);
  const { deployer } = setup({ command: ['flowport-no-such-program', '{flow}'] });
  const d = await deployer.deploy({ flow: flowOf('a'), env: 'dev' }, collectingRun());
  assert.equal(d.status, 'failed');
  assert.match(String(d.attributes.reason), /could not start "flowport-no-such-program".*Check the deploy command/);
});

test('--no-queue: one deploy of a flow to an environment at a time: a second is refused while the first runs', async () => {
  // The first holds until released: it still runs however long the rest takes.
  const { root, store, deployer } = setup({ env: { DEPLOY_HOLD: '1' } });
  const run = collectingRun();
  const first = deployer.deploy({ flow: flowOf('billing'), env: 'dev' }, run);
  await waitFor(() => run.lines.includes('holding'), 'the first deploy to run');
  const running = (await store.findDeployments({ history: true }))[0]!;
  await assert.rejects(
    deployer.deploy({ flow: flowOf('billing'), env: 'dev' }, noQueue(collectingRun())),
    (err: unknown) =>
      err instanceof DeployError &&
      err.message.includes(`"billing" is already deploying to dev: deployment ${running.id} (running,`) &&
      err.message.endsWith(`Wait for it to finish, or cancel it: flowport cancel ${running.id}`),
  );
  // Another environment, and another flow, are not held up.
  const quick = setup({}, store.root); // no sleep
  const [otherEnv, otherFlow] = await Promise.all([
    quick.deployer.deploy({ flow: flowOf('billing'), env: 'uat' }, collectingRun()),
    quick.deployer.deploy({ flow: flowOf('reports'), env: 'dev' }, collectingRun()),
  ]);
  assert.deepEqual([otherEnv.status, otherFlow.status], ['succeeded', 'succeeded']);
  release(root);
  assert.equal((await first).status, 'succeeded');
  const again = await quick.deployer.deploy({ flow: flowOf('billing'), env: 'dev' }, collectingRun());
  assert.equal(again.status, 'succeeded', 'free again once the first finished');
  assert.equal((await store.findDeployments({ history: true })).length, 4, 'the refused deploy left no record');
});

test('--no-queue: two deploys that start together: the one recorded first runs, the other stops as cancelled', async () => {
  const { store } = setup();
  // The other process's record lands between this deploy's check and its own record.
  const other = await store.create({ flowName: 'billing', env: 'dev', commit: 'a'.repeat(40), ref: 'HEAD' });
  let checks = 0;
  const blindOnce = Object.create(store) as typeof store;
  blindOnce.findDeployments = async (q) => (checks++ === 0 ? [] : store.findDeployments(q));
  const late = commandDeployer({ command: deployScript, root: store.root, store: blindOnce });
  const run = noQueue(collectingRun());
  const d = await late.deploy({ flow: flowOf('billing'), env: 'dev' }, run);
  assert.equal(d.status, 'cancelled');
  assert.match(String(d.attributes.reason), new RegExp(`already deploying to dev: deployment ${other.id} \\(pending,`));
  assert.ok(!run.lines.some((l) => l.startsWith('deploying')), 'the command never ran');
});

test('a store that cannot record the run as running: nothing runs, and the deploy fails at once with the reason', async () => {
  const root = gitRepo();
  const ledger = localLedger({ root });
  // A store of one's own (not the local ledger: its runner runs in this process) whose disk is full.
  const full: DeploymentStore = {
    findDeployments: (q) => ledger.findDeployments(q),
    create: (init) => ledger.create(init),
    update: (id, change) => ledger.update(id, change),
    getDeployment: (id) => ledger.getDeployment(id),
    requestCancel: (id, request) => ledger.requestCancel(id, request),
    watchCancel: (id, onCancel) => ledger.watchCancel(id, onCancel),
    openLog: (id) => ledger.openLog(id),
    readLog: (id, from) => ledger.readLog(id, from),
    claim: () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })),
  };
  const deployer = commandDeployer({ command: deployScript, root, store: full });
  await assert.rejects(
    deployer.deploy({ flow: flowOf('billing'), env: 'dev' }, collectingRun()),
    (err: unknown) =>
      err instanceof DeployError && /^nothing was run: the deploy could not be recorded \(ENOSPC/.test(err.message),
  );
  assert.equal(existsSync(join(root, 'out')), false, 'the deploy command never ran');
  const [d] = await ledger.findDeployments({ history: true });
  assert.equal(d!.status, 'failed');
});

test('a deployment recorded as finished by someone else while it runs (cancel --force after its lease ran out): its runner stops its command', async () => {
  process.env.FLOWPORT_HEARTBEAT_MS = '200';
  try {
    const { root, store, deployer } = setup({ env: { DEPLOY_SLEEP: '60000' } });
    const run = collectingRun();
    const deploying = deployer.deploy({ flow: flowOf('slow'), env: 'dev' }, run);
    await waitFor(() => run.lines.includes('sleeping'), 'the command to start');
    const [d] = await store.findDeployments({ history: true });
    const { pid } = scriptRecord(root, d!.id);
    // No cancel request: only the record says it is over.
    await store.update(d!.id, { status: 'cancelled', attributes: { forced: true } });
    await waitFor(() => !pidAlive(pid), 'the runner to stop its command', 10_000);
    assert.equal((await deploying).status, 'cancelled', 'the starter follows the record');
    await waitFor(
      () => readFileSync(d!.logLocation!, 'utf8').includes('it was recorded as cancelled while this runner'),
      'the runner to say why in the log',
      10_000,
    );
  } finally {
    delete process.env.FLOWPORT_HEARTBEAT_MS;
  }
});

/** A run that is refused, not queued, while the flow still deploys there (`--no-queue`). */
function noQueue<T extends RunContext>(run: T): T & QueueableRun {
  return { ...run, queue: false };
}

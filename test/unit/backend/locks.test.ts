/** Environment locks across real CLI processes on one local ledger. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { LockOutput } from '../../../sdk/src/cli/lock.js';
import type { LocksOutput } from '../../../sdk/src/cli/locks.js';
import type { UnlockOutput } from '../../../sdk/src/cli/unlock.js';
import { bindToProject, commandDeployer, deployFlows, localLedger, DeployError } from '../../../sdk/src/index.js';
import { foldLocks } from '../../../sdk/src/backend/locks.js';
import { cliPath } from '../../helpers/tmp.js';
import { flowport } from '../../helpers/cli.js';
import { cliProject, collectingRun, flowOf } from './fixture.js';

const deploymentIds = (root: string) => {
  let text = '';
  try {
    text = readFileSync(join(root, '.flowport', 'ledger.jsonl'), 'utf8');
  } catch {
    return new Set<string>();
  }
  return new Set(
    text
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { deployment?: { id: string } }).deployment?.id)
      .filter(Boolean),
  );
};

test('a lock taken in one process refuses deploy, promote and rollback in others, saying who, why and since when; nothing is recorded', () => {
  const root = cliProject({ billing: 'jobs', reports: 'jobs' });
  assert.equal(flowport(['deploy', 'billing', '--env', 'dev'], { cwd: root }).code, 0);
  const lock = flowport(['lock', 'uat', '--reason', 'release freeze', '--json'], { cwd: root });
  assert.equal(lock.code, 0, lock.stderr);
  const { lock: taken } = JSON.parse(lock.stdout) as LockOutput;
  assert.equal(taken.env, 'uat');
  assert.equal(taken.reason, 'release freeze');
  const before = deploymentIds(root).size;

  for (const args of [
    ['deploy', 'billing', '--env', 'uat'],
    ['promote', 'billing', '--from', 'dev', '--to', 'uat'],
    ['rollback', 'billing', '--env', 'uat'],
  ]) {
    const r = flowport(args, { cwd: root });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    const said = r.stdout + r.stderr;
    assert.match(
      said,
      new RegExp(`uat is locked by ${taken.by.replace(/[.]/g, '\\.')} since ${taken.at}: "release freeze"`),
    );
    assert.match(said, /Nothing was queued\..*flowport unlock uat/s);
  }
  assert.equal(deploymentIds(root).size, before, 'a refused deploy records nothing');
  // Other environments take deploys.
  assert.equal(flowport(['deploy', 'billing', '--env', 'prod', '--yes'], { cwd: root }).code, 0);

  const unlock = flowport(['unlock', 'uat', '--json'], { cwd: root });
  assert.equal(unlock.code, 0, unlock.stderr);
  assert.equal((JSON.parse(unlock.stdout) as UnlockOutput).unlocked.id, taken.id);
  assert.equal(flowport(['promote', 'billing', '--from', 'dev', '--to', 'uat'], { cwd: root }).code, 0);
});

test('a lock of one flow refuses that flow only, and a batch holding it is refused whole', () => {
  const root = cliProject({ billing: 'jobs', reports: 'jobs' });
  assert.equal(flowport(['lock', 'dev', '--flow', 'billing', '--reason', 'schema migration'], { cwd: root }).code, 0);
  const batch = flowport(['deploy', 'reports', 'billing', '--env', 'dev'], { cwd: root });
  assert.equal(batch.code, 1);
  assert.match(batch.stderr, /"billing" in dev is locked by .*: "schema migration"/);
  assert.equal(deploymentIds(root).size, 0, 'reports was not deployed either');
  assert.equal(flowport(['deploy', 'reports', '--env', 'dev'], { cwd: root }).code, 0);
  const locks = JSON.parse(flowport(['locks', '--json'], { cwd: root }).stdout) as LocksOutput;
  assert.deepEqual(
    locks.locks.map((l) => [l.env, l.flowName]),
    [['dev', 'billing']],
  );
  const unknown = flowport(['lock', 'dev', '--flow', 'nope', '--reason', 'x'], { cwd: root });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown flow "nope"/);
  const noReason = flowport(['lock', 'dev'], { cwd: root });
  assert.equal(noReason.code, 2);
  assert.match(noReason.stderr, /--reason/);
});

test('deploying through the SDK is refused by a lock too, whatever skipped the preflight', async () => {
  const root = cliProject({ billing: 'jobs' });
  const store = localLedger({ root });
  await store.lock({ env: 'prod', reason: 'incident 42' });
  const deployer = bindToProject(commandDeployer({ command: ['node', 'deploy.mjs'] }), {
    root,
    environments: [{ name: 'dev' }, { name: 'prod' }],
    allowSkippingEnvironments: false,
    store,
    deployments: store,
  });
  const [result] = await deployFlows(deployer, [flowOf('billing')], { env: 'prod' }, collectingRun());
  assert.equal(result!.outcome, 'refused');
  assert.match(result!.message, /prod is locked by .*: "incident 42"/);
  await assert.rejects(
    deployer.deploy({ flow: flowOf('billing'), env: 'prod' }, collectingRun()),
    (err: unknown) => err instanceof DeployError,
  );
  assert.equal(deploymentIds(root).size, 0);
});

test('two processes lock one environment at once: one holds it, the other is told who does', async () => {
  const root = cliProject({ billing: 'jobs' });
  const run = (reason: string) =>
    new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [cliPath, 'lock', 'prod', '--reason', reason, '--json'], { cwd: root });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('close', (code) => resolve({ code, stdout }));
    });
  const results = await Promise.all(['first', 'second', 'third', 'fourth'].map(run));
  const outputs = results.map((r) => JSON.parse(r.stdout) as LockOutput);
  assert.equal(outputs.filter((o) => o.taken).length, 1, 'exactly one lock taken');
  const holder = outputs.find((o) => o.taken)!.lock;
  for (const [i, o] of outputs.entries()) {
    assert.equal(results[i]!.code, o.taken ? 0 : 1);
    assert.equal(o.lock.id, holder.id, 'every process reads the same holder');
  }
  const locks = JSON.parse(flowport(['locks', '--json'], { cwd: root }).stdout) as LocksOutput;
  assert.deepEqual(
    locks.locks.map((l) => l.id),
    [holder.id],
  );
});

test("someone else's lock needs --yes to unlock without a terminal, and the unlock records who did it; a forged lock record is skipped", () => {
  const root = cliProject({ billing: 'jobs' });
  assert.equal(flowport(['locks'], { cwd: root }).stdout.trim(), 'No locks: every environment takes deploys.');
  const ledger = join(root, '.flowport', 'ledger.jsonl');
  flowport(['lock', 'dev', '--reason', 'mine'], { cwd: root });
  const at = new Date().toISOString();
  appendFileSync(
    ledger,
    JSON.stringify({
      v: 1,
      type: 'lock',
      at,
      by: 'alice@elsewhere',
      lockId: 'lock-alice',
      env: 'prod',
      reason: 'audit',
    }) +
      '\n' +
      JSON.stringify({ v: 1, type: 'lock', at, by: 'mallory@elsewhere', lockId: 7, env: 'uat' }) +
      '\n',
  );
  const listed = flowport(['locks'], { cwd: root });
  assert.match(listed.stdout, /prod\s+\(every flow\)\s+alice@elsewhere/);
  assert.doesNotMatch(listed.stdout, /mallory/);
  assert.match(listed.stderr, /skipped a damaged record \(a lock record without a valid lockId/);

  const refused = flowport(['unlock', 'prod'], { cwd: root });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /prod is locked by alice@elsewhere .*"audit", not by you .*pass --yes/);
  const unlocked = flowport(['unlock', 'prod', '--yes', '--json'], { cwd: root });
  assert.equal(unlocked.code, 0, unlocked.stderr);
  const out = JSON.parse(unlocked.stdout) as UnlockOutput;
  assert.equal(out.unlocked.by, 'alice@elsewhere');
  const last = JSON.parse(readFileSync(ledger, 'utf8').trim().split('\n').at(-1)!) as Record<string, unknown>;
  assert.deepEqual([last.type, last.lockId, last.by], ['unlock', 'lock-alice', out.by]);

  // Mine needs no --yes; nothing locked is bad input.
  assert.equal(flowport(['unlock', 'dev'], { cwd: root }).code, 0);
  const none = flowport(['unlock', 'dev'], { cwd: root });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /dev is not locked/);
});

test('the first lock recorded of a target holds: a later one lost the race, and its unlock lifts nothing', () => {
  const rec = (type: 'lock' | 'unlock', lockId: string, by: string, flowName?: string) => ({
    v: 1 as const,
    type,
    at: '2026-12-01T10:00:00.000Z',
    by,
    lockId,
    env: 'prod',
    ...(flowName ? { flowName } : {}),
    reason: type === 'lock' ? `by ${by}` : undefined,
  });
  const ids = (records: Parameters<typeof foldLocks>[0]) => foldLocks(records).map((l) => l.id);
  assert.deepEqual(ids([rec('lock', 'a', 'alice'), rec('lock', 'b', 'bob')]), ['a']);
  assert.deepEqual(ids([rec('lock', 'a', 'alice'), rec('lock', 'b', 'bob'), rec('unlock', 'b', 'bob')]), ['a']);
  assert.deepEqual(ids([rec('lock', 'a', 'alice'), rec('unlock', 'a', 'bob'), rec('lock', 'b', 'bob')]), ['b']);
  // The environment's lock and one flow's lock in it are two targets.
  assert.deepEqual(ids([rec('lock', 'a', 'alice'), rec('lock', 'f', 'bob', 'billing')]), ['a', 'f']);
});

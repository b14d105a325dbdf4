import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  DeployError,
  localLedger,
  newDeploymentId,
  type DeploymentRecord,
  type LedgerEvent,
} from '../../../sdk/src/index.js';
import { stopAtEnd, tempDir } from '../../helpers/tmp.js';
import { sdkDistUrl, waitFor } from './fixture.js';

const base = { commit: 'a'.repeat(40), ref: 'HEAD' };

function ledgerIn(root: string) {
  const warnings: string[] = [];
  return { ledger: localLedger({ root, warn: (m) => warnings.push(m) }), warnings };
}

function lines(root: string): string[] {
  return readFileSync(join(root, '.flowport', 'ledger.jsonl'), 'utf8').split('\n');
}

test('a deployment moves pending → running → final; a later failure leaves current at the success before it, history keeps all', async () => {
  const root = tempDir();
  const { ledger, warnings } = ledgerIn(root);
  const first = await ledger.create({ flowName: 'billing', env: 'dev', ...base });
  assert.equal(first.status, 'pending');
  assert.match(first.id, /^\d{8}-\d{6}\.\d{3}-[0-9a-f]{6}$/);
  assert.equal(first.logLocation, join(root, '.flowport', 'logs', `${first.id}.log`));
  await ledger.update(first.id, { status: 'running' });
  await ledger.update(first.id, { status: 'succeeded', outputs: { url: 'u' }, attributes: { exitCode: 0 } });
  const second = await ledger.create({ flowName: 'billing', env: 'dev', ...base, commit: 'b'.repeat(40) });
  await ledger.update(second.id, { status: 'failed', attributes: { reason: 'exit 1' } });
  const other = await ledger.create({ flowName: 'reports', env: 'uat', ...base });
  await ledger.update(other.id, { status: 'succeeded' });

  const current = await ledger.findDeployments();
  assert.deepEqual(
    current.map((d) => [d.flowName, d.env, d.id, d.status]),
    [
      ['billing', 'dev', first.id, 'succeeded'],
      ['reports', 'uat', other.id, 'succeeded'],
    ],
  );
  assert.deepEqual(current[0]!.outputs, { url: 'u' });
  const history = await ledger.findDeployments({ flows: ['billing'], history: true });
  assert.deepEqual(
    history.map((d) => [d.id, d.status]),
    [
      [first.id, 'succeeded'],
      [second.id, 'failed'],
    ],
  );
  assert.deepEqual(await ledger.findDeployments({ envs: ['prod'] }), []);

  // A finished deployment is final.
  await assert.rejects(ledger.update(first.id, { status: 'failed' }), DeployError);
  // Every record is one line, versioned, typed, and the state folder ignores itself.
  const records = lines(root)
    .filter(Boolean)
    .map((l) => JSON.parse(l) as DeploymentRecord);
  assert.equal(records.length, 7);
  assert.ok(records.every((r) => r.v === 1 && r.type === 'deployment' && typeof r.at === 'string'));
  assert.equal(records[0]!.runner?.pid, process.pid);
  assert.equal(records[0]!.runner?.host, hostname());
  assert.equal(records.at(-1)!.runner, undefined, 'a final record has no runner');
  assert.match(readFileSync(join(root, '.flowport', '.gitignore'), 'utf8'), /^\*$/m);
  assert.deepEqual(warnings, []);
});

test('ids sort by creation time and do not collide, even many made in one millisecond', () => {
  const t = new Date('2025-06-11T09:30:12.345Z');
  assert.match(newDeploymentId(t), /^20250611-093012\.345-[0-9a-f]{6}$/);
  assert.ok(newDeploymentId(t) < newDeploymentId(new Date(t.getTime() + 1)));
  assert.ok(newDeploymentId(new Date(t.getTime() + 1)) < newDeploymentId(new Date(t.getTime() + 2)));
  const ids = Array.from({ length: 5000 }, () => newDeploymentId(t));
  assert.equal(new Set(ids).size, ids.length, 'no id twice');
  assert.deepEqual([...ids].sort(), ids, 'in the order they were made');
});

test('a torn last line is skipped with a warning; later appends stay readable', async () => {
  const root = tempDir();
  const { ledger } = ledgerIn(root);
  const kept = await ledger.create({ flowName: 'billing', env: 'dev', ...base });
  await ledger.update(kept.id, { status: 'succeeded' });
  // A writer killed in the middle of its write leaves half a record and no newline.
  const half = JSON.stringify({ v: 1, type: 'deployment', at: 'x', by: 'y', deployment: { id: 'torn' } }).slice(0, 40);
  appendFileSync(join(root, '.flowport', 'ledger.jsonl'), half);

  const fresh = ledgerIn(root);
  assert.deepEqual(
    (await fresh.ledger.findDeployments()).map((d) => d.id),
    [kept.id],
  );
  assert.equal(fresh.warnings.length, 1);
  assert.match(fresh.warnings[0]!, /incomplete last record/);
  // The warning is given once per torn tail, not on every read.
  await fresh.ledger.findDeployments();
  assert.equal(fresh.warnings.length, 1);

  // The next writer ends the torn line first, so its own record is whole.
  const after = await fresh.ledger.create({ flowName: 'reports', env: 'dev', ...base });
  await fresh.ledger.update(after.id, { status: 'succeeded' });
  const file = lines(root);
  assert.equal(file[2], half, 'the torn line stays as it was, on its own line');
  assert.doesNotThrow(() => JSON.parse(file[3]!));

  const third = ledgerIn(root);
  assert.deepEqual(
    (await third.ledger.findDeployments()).map((d) => d.flowName),
    ['billing', 'reports'],
  );
  assert.equal(third.warnings.length, 1);
  assert.match(third.warnings[0]!, /ledger\.jsonl:3: skipped a damaged record/);
});

test('records of unknown types are kept for events(); newer formats are skipped with one warning', async () => {
  const root = tempDir();
  const { ledger } = ledgerIn(root);
  const d = await ledger.create({ flowName: 'billing', env: 'dev', ...base });
  const file = join(root, '.flowport', 'ledger.jsonl');
  appendFileSync(
    file,
    JSON.stringify({ v: 1, type: 'lock', at: 'now', by: 'me', lockId: 'l1', env: 'prod', reason: 'freeze' }) + '\n',
  );
  appendFileSync(file, JSON.stringify({ v: 1, type: 'future-thing', at: 'now', by: 'me', x: 1 }) + '\n');
  appendFileSync(file, JSON.stringify({ v: 2, type: 'deployment', at: 'now', by: 'me' }) + '\n');
  appendFileSync(file, JSON.stringify({ v: 2, type: 'other', at: 'now', by: 'me' }) + '\n');
  const reader = ledgerIn(root);
  const events: LedgerEvent[] = await reader.ledger.events();
  assert.deepEqual(
    events.map((e) => e.type),
    ['deployment', 'lock', 'future-thing'],
  );
  assert.deepEqual(
    (await reader.ledger.findDeployments({ history: true })).map((x) => x.id),
    [d.id],
  );
  assert.equal(reader.warnings.length, 1);
  assert.match(reader.warnings[0]!, /newer Flowport \(format 2/);
});

// Changed with the runner's lease (issue 12): a runner on another host used to be "trusted" as
// running for ever, so a renamed host kept every crashed deploy "running on another host". Now
// the lease decides, wherever the runner is; a local pid check only answers sooner.
test('a running deployment whose runner is gone reads as interrupted; a reused pid is told apart; another host is judged by its lease', async () => {
  const root = tempDir();
  const { ledger } = ledgerIn(root);
  const mine = await ledger.create({ flowName: 'a', env: 'dev', ...base });
  await ledger.update(mine.id, { status: 'running' });
  const file = join(root, '.flowport', 'ledger.jsonl');
  const record = (id: string, runner: DeploymentRecord['runner']) =>
    JSON.stringify({
      v: 1,
      type: 'deployment',
      at: 'now',
      by: 'me',
      deployment: { ...(JSON.parse(lines(root)[1]!) as DeploymentRecord).deployment, id, flowName: id },
      runner,
    }) + '\n';
  const lease = (id: string, host: string, untilMs: number) =>
    writeFileSync(
      join(root, '.flowport', 'leases', `${id}.json`),
      JSON.stringify({
        holder: { pid: 1, host, startTime: 'x' },
        until: new Date(Date.now() + untilMs).toISOString(),
        renewedAt: new Date().toISOString(),
      }),
    );
  // Same pid as this test, but another start time: the pid was reused after the runner died.
  appendFileSync(file, record('reused', { pid: process.pid, host: hostname(), startTime: 'boot:0' }));
  // Another machine's runner with no lease (an older Flowport, a renamed host): nothing holds it.
  appendFileSync(file, record('elsewhere', { pid: 1, host: 'another-host.invalid', startTime: 'x' }));
  // Another machine's runner whose lease is live, and one whose lease ran out.
  mkdirSync(join(root, '.flowport', 'leases'), { recursive: true });
  appendFileSync(file, record('leased', { pid: 1, host: 'another-host.invalid', startTime: 'x' }));
  lease('leased', 'another-host.invalid', 60_000);
  appendFileSync(file, record('expired', { pid: 1, host: 'another-host.invalid', startTime: 'x' }));
  lease('expired', 'another-host.invalid', -1000);
  const all = await localLedger({ root }).findDeployments({ history: true });
  const status = Object.fromEntries(all.map((d) => [d.flowName, d.status]));
  assert.deepEqual(status, {
    a: 'running',
    reused: 'interrupted',
    elsewhere: 'interrupted',
    leased: 'running',
    expired: 'interrupted',
  });
  assert.match(
    String(all.find((d) => d.flowName === 'reused')!.attributes.reason),
    /runner \(pid \d+ on .*\) stopped while it was running/,
  );
  assert.match(
    String(all.find((d) => d.flowName === 'expired')!.attributes.reason),
    /stopped renewing its lease while it was running; the lease ran out at /,
  );
  assert.equal(all.find((d) => d.flowName === 'leased')!.attributes.runnerHost, undefined);
});

test('a runner claims its deployment under a lease it renews; the final record ends the lease', async () => {
  const root = tempDir();
  const { ledger } = ledgerIn(root);
  const d = await ledger.create({ flowName: 'a', env: 'dev', ...base });
  const running = await ledger.claim(d.id, 300);
  assert.equal(running.status, 'running');
  const leaseFile = join(root, '.flowport', 'leases', `${d.id}.json`);
  assert.equal((JSON.parse(readFileSync(leaseFile, 'utf8')) as { holder: { pid: number } }).holder.pid, process.pid);
  // This process is alive, but a lease not renewed runs out: a hung runner does not hold the flow.
  await new Promise((r) => setTimeout(r, 400));
  assert.equal((await ledger.getDeployment(d.id))!.status, 'interrupted');
  await ledger.renewLease(d.id, 60_000);
  assert.equal((await ledger.getDeployment(d.id))!.status, 'running');
  await ledger.update(d.id, { status: 'succeeded' });
  assert.equal(existsSync(leaseFile), false);
  await assert.rejects(ledger.claim(d.id, 1000), /already succeeded/);
});

test('interrupted after kill -9 of the runner process', async () => {
  const root = tempDir();
  const script = join(root, 'runner.mjs');
  writeFileSync(
    script,
    `const { localLedger } = await import(${JSON.stringify(sdkDistUrl)});
     const ledger = localLedger({ root: ${JSON.stringify(root)} });
     const d = await ledger.create({ flowName: 'victim', env: 'dev', commit: '${base.commit}', ref: 'HEAD' });
     await ledger.update(d.id, { status: 'running' });
     console.log('running');
     setInterval(() => {}, 1000);`,
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  await waitFor(() => out.includes('running'), 'the runner to record running');
  const ledger = localLedger({ root });
  assert.equal((await ledger.findDeployments({ history: true }))[0]!.status, 'running');
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGKILL');
  await exited;
  const [d] = await ledger.findDeployments({ history: true });
  assert.equal(d!.status, 'interrupted');
  assert.equal(await ledger.getDeployment(d!.id).then((x) => x?.status), 'interrupted');
});

test('a runner that records its outcome and exits between a read and the judgement of its pid reads as finished, not interrupted', async () => {
  for (const read of ['getDeployment', 'findDeployments'] as const) {
    const root = tempDir();
    const script = join(root, 'runner.mjs');
    writeFileSync(
      script,
      `const { localLedger } = await import(${JSON.stringify(sdkDistUrl)});
       const ledger = localLedger({ root: ${JSON.stringify(root)} });
       const d = await ledger.create({ flowName: 'quick', env: 'dev', commit: '${base.commit}', ref: 'HEAD' });
       await ledger.claim(d.id, 60000);
       console.log(d.id);
       process.stdin.once('data', async () => { await ledger.update(d.id, { status: 'succeeded' }); process.exit(0); });`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
    stopAtEnd(child);
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const id = await waitFor(() => out.trim(), 'the runner to claim');
    const exited = new Promise((r) => child.on('exit', r));
    const reader = localLedger({ root });
    assert.equal((await reader.getDeployment(id))!.status, 'running');
    // The window: this reader has read the ledger; the runner then records its outcome and exits
    // before the reader checks its pid.
    const internals = reader as unknown as { refresh: () => Promise<void> };
    const refresh = internals.refresh.bind(reader);
    let first = true;
    internals.refresh = async () => {
      await refresh();
      if (!first) return;
      first = false;
      child.stdin.write('finish\n');
      await exited;
    };
    const seen =
      read === 'getDeployment'
        ? await reader.getDeployment(id)
        : (await reader.findDeployments({ history: true })).find((d) => d.id === id);
    assert.equal(seen!.status, 'succeeded', read);
  }
});

test('10 processes appending at once lose and interleave nothing', async (t) => {
  const root = tempDir();
  const script = join(root, 'writer.mjs');
  const perProcess = 20;
  writeFileSync(
    script,
    `const { localLedger } = await import(${JSON.stringify(sdkDistUrl)});
     const ledger = localLedger({ root: ${JSON.stringify(root)} });
     const who = process.argv[2];
     for (let i = 0; i < ${perProcess}; i++) {
       const d = await ledger.create({ flowName: who, env: 'dev', commit: '${base.commit}', ref: String(i), attributes: { pad: 'x'.repeat(2000) } });
       await ledger.update(d.id, { status: 'running' });
       await ledger.update(d.id, { status: 'succeeded', outputs: { i: String(i) } });
     }`,
  );
  const started = Date.now();
  const codes = await Promise.all(
    Array.from(
      { length: 10 },
      (_, p) =>
        new Promise<number | null>((res) =>
          spawn(process.execPath, [script, `w${p}`], { stdio: 'inherit' }).on('exit', res),
        ),
    ),
  );
  const ms = Date.now() - started;
  assert.deepEqual(codes, Array(10).fill(0));
  const raw = lines(root).filter(Boolean);
  assert.equal(raw.length, 10 * perProcess * 3);
  for (const line of raw) assert.doesNotThrow(() => JSON.parse(line), `a damaged line: ${line.slice(0, 80)}`);
  const { ledger, warnings } = ledgerIn(root);
  const history = await ledger.findDeployments({ history: true });
  assert.equal(history.length, 10 * perProcess);
  assert.ok(history.every((d) => d.status === 'succeeded'));
  assert.equal((await ledger.findDeployments()).length, 10);
  assert.deepEqual(warnings, []);
  t.diagnostic(
    `10 processes × ${perProcess} deployments × 3 fsynced records (${raw.length} lines, ~2.5 KB each): ${ms} ms including process start`,
  );
});

test('a cancel requested from another process reaches the watcher; logs are read in whole lines', async () => {
  const root = tempDir();
  const { ledger } = ledgerIn(root);
  const d = await ledger.create({ flowName: 'a', env: 'dev', ...base });
  const got = new Promise<string>((res) => ledger.watchCancel(d.id, (r) => res(r.by)));
  const script = join(root, 'cancel.mjs');
  writeFileSync(
    script,
    `const { localLedger } = await import(${JSON.stringify(sdkDistUrl)});
     await localLedger({ root: ${JSON.stringify(root)} }).requestCancel(${JSON.stringify(d.id)}, { by: 'someone@else' });`,
  );
  const child = spawn(process.execPath, [script], { stdio: 'inherit' });
  stopAtEnd(child);
  const exitCode = new Promise((res) => child.on('exit', res));
  assert.equal(await got, 'someone@else');
  assert.equal(await exitCode, 0, 'the other process recorded its cancel and ended');
  // A watch set up after the request fires at once.
  assert.equal(await new Promise<string>((res) => ledger.watchCancel(d.id, (r) => res(r.by))), 'someone@else');

  const log = await ledger.openLog(d.id);
  log.line('one');
  log.line('two ü');
  await log.close();
  appendFileSync(log.location, 'partial');
  const chunk = await ledger.readLog(d.id);
  assert.deepEqual(chunk, { text: 'one\ntwo ü\n', next: Buffer.byteLength('one\ntwo ü\n') });
  appendFileSync(log.location, ' line\nthree\n');
  assert.deepEqual(await ledger.readLog(d.id, chunk.next), {
    text: 'partial line\nthree\n',
    next: Buffer.byteLength('one\ntwo ü\npartial line\nthree\n'),
  });
  assert.equal(await ledger.readLog('20250101-000000.000-000000'), undefined);
  assert.throws(() => ledger.logPath('../../etc/passwd'), /not a deployment id/);
});

test('a ledger removed while a cancel is recorded: the cancel says what happened and what to do; the next write makes the folder again', async () => {
  const root = tempDir();
  const { ledger } = ledgerIn(root);
  const d = await ledger.create({ flowName: 'billing', env: 'dev', ...base });
  await ledger.update(d.id, { status: 'running' });
  // Right after the cancel request lands, the state folder goes (ignored files cleaned, say).
  const append = ledger.append.bind(ledger);
  ledger.append = async (record) => {
    await append(record);
    if (record.type === 'cancel-request') rmSync(ledger.dir, { recursive: true, force: true });
  };
  await assert.rejects(
    ledger.requestCancel(d.id),
    (e: unknown) =>
      e instanceof DeployError &&
      e.message.startsWith(`deployment ${d.id} is no longer in ${ledger.file}: the ledger was removed or replaced`) &&
      e.message.includes('If billing still deploys to dev, stop it where it runs') &&
      e.message.endsWith('"flowport history billing" shows what the ledger holds now.'),
  );

  const again = await ledger.create({ flowName: 'billing', env: 'dev', ...base });
  const log = await ledger.openLog(again.id);
  log.line('one');
  await log.close();
  assert.deepEqual(
    (await localLedger({ root }).findDeployments({ history: true })).map((x) => x.id),
    [again.id],
  );
  assert.equal(readFileSync(log.location, 'utf8'), 'one\n');
});

/** The team store's contract through the SDK, against a real PostgreSQL server (no mock of the database). */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { PoolClient } from 'pg';
import { PostgresStore } from '../../../sdk/src/index.js';
import { migrate, SCHEMA_VERSION } from '../../../sdk/src/backend/postgres/schema.js';
import { startPostgres } from '../../../scripts/postgres/server.mjs';
import { cliPath, tempDir } from '../../helpers/tmp.js';
import { waitFor } from './fixture.js';

let pg: Awaited<ReturnType<typeof startPostgres>> & { psql(sql: string): string };

// One server for the file, stopped in after() (helpers/postgres.ts registers its stop with onCleanup,
// whose cleanups every test's tempDir runs at that test's end: the server would be gone after the first).
before(async () => {
  const server = await startPostgres({ log: () => undefined });
  pg = Object.assign(server, {
    psql(sql: string): string {
      const r = spawnSync(
        join(server.bin, 'psql'),
        ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-d', server.url, '-c', sql],
        {
          encoding: 'utf8',
        },
      );
      if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
      return r.stdout.trim();
    },
  });
});
after(() => pg?.stop());

/** A store of a project of its own (one database serves many projects), closed when the test ends. */
function storeOf(project = `p-${randomUUID()}`, warnings: string[] = []): PostgresStore {
  const store = new PostgresStore({ url: pg.url, root: tempDir(), project, warn: (m) => warnings.push(m) });
  return store;
}

const init = (flowName: string, env = 'dev') => ({ flowName, env, commit: 'c0ffee', ref: 'main' });

/** `node sdk/dist/cli.js state migrate` as its own process; resolves to its exit code and output. */
function migrateProcess(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [cliPath, 'state', 'migrate', '--to', pg.url, '--json', '--root', tempDir()],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    child.on('close', (code) => resolve({ code, out }));
  });
}

test('a database never migrated is refused with what to run; two migrations at once apply the schema once', async () => {
  const store = storeOf();
  await assert.rejects(store.findDeployments(), /has no Flowport schema yet.*flowport state migrate/);
  await assert.rejects(store.create(init('a')), /flowport state migrate/);
  const [a, b] = await Promise.all([migrateProcess(), migrateProcess()]);
  assert.equal(a.code, 0, a.out);
  assert.equal(b.code, 0, b.out);
  const applied = [a, b].map((r) => (JSON.parse(r.out) as { schema: { applied: number[] } }).schema.applied);
  assert.deepEqual(
    applied.flat(),
    [1, 2],
    `one process applied versions 1 and 2, the other nothing: ${JSON.stringify(applied)}`,
  );
  assert.equal(pg.psql('SELECT count(*) FROM flowport_schema'), '2');
  assert.deepEqual(await store.findDeployments(), []);
  await store.close();
});

test('deployments: created, updated, read current and in history in the order recorded; a finished one does not change', async () => {
  const store = storeOf();
  const first = await store.create(init('shop'));
  assert.equal(first.status, 'pending');
  const running = await store.claim(first.id, 5000);
  assert.equal(running.status, 'running');
  const done = await store.update(first.id, {
    status: 'succeeded',
    outputs: { url: 'https://x' },
    attributes: { exitCode: 0 },
  });
  assert.equal(done.status, 'succeeded');
  const second = await store.create(init('shop'));
  await store.claim(second.id, 5000);
  await store.update(second.id, { status: 'failed' });
  const other = await store.create(init('cart', 'uat'));
  await store.claim(other.id, 5000);
  await store.update(other.id, { status: 'succeeded' });

  const got = await store.getDeployment(first.id);
  assert.equal(got?.status, 'succeeded');
  assert.deepEqual(got?.outputs, { url: 'https://x' });
  assert.equal(got?.attributes.exitCode, 0);
  assert.equal(await store.getDeployment('nope'), undefined);

  const history = await store.findDeployments({ history: true });
  assert.deepEqual(
    history.map((d) => d.id),
    [first.id, second.id, other.id],
  );
  const shopHistory = await store.findDeployments({ history: true, flows: ['shop'] });
  assert.deepEqual(
    shopHistory.map((d) => [d.id, d.status]),
    [
      [first.id, 'succeeded'],
      [second.id, 'failed'],
    ],
  );
  // Current: the last success per pair, not the failure after it.
  const current = await store.findDeployments();
  assert.deepEqual(
    current.map((d) => d.id),
    [first.id, other.id],
  );
  assert.deepEqual(
    (await store.findDeployments({ envs: ['uat'] })).map((d) => d.id),
    [other.id],
  );

  await assert.rejects(store.update(first.id, { status: 'failed' }));
  await assert.rejects(store.update(first.id, { attributes: { late: true } }));
  assert.equal((await store.getDeployment(first.id))?.status, 'succeeded');
  assert.equal((await store.getDeployment(first.id))?.attributes.late, undefined);
  await store.close();
});

test('a log is written in chunks and read whole or from any byte offset, multi-byte UTF-8 included', async () => {
  const store = storeOf();
  const d = await store.create(init('shop'));
  await store.claim(d.id, 5000);
  assert.equal(await store.readLog(d.id), undefined, 'no log before it is opened');
  const log = await store.openLog(d.id);
  const lines = ['start', 'grüße aus Köln ✓', '日本語のログ', 'emoji 🚀 done'];
  log.line(lines[0]!);
  log.line(lines[1]!);
  await new Promise((r) => setTimeout(r, 400)); // a chunk flushed on its own
  log.line(lines[2]!);
  log.line(lines[3]!);
  await log.close();
  const whole = lines.map((l) => `${l}\n`).join('');
  const all = await store.readLog(d.id);
  assert.equal(all?.text, whole);
  assert.equal(all?.next, Buffer.byteLength(whole, 'utf8'));
  // From the middle: right after the second line (a chunk boundary), and inside the first chunk.
  const afterTwo = Buffer.byteLength(`${lines[0]}\n${lines[1]}\n`, 'utf8');
  assert.equal((await store.readLog(d.id, afterTwo))?.text, `${lines[2]}\n${lines[3]}\n`);
  const afterOne = Buffer.byteLength(`${lines[0]}\n`, 'utf8');
  assert.equal((await store.readLog(d.id, afterOne))?.text, whole.slice(`${lines[0]}\n`.length));
  const end = await store.readLog(d.id, all.next);
  assert.deepEqual(end, { text: '', next: all.next });
  assert.ok(Number(pg.psql(`SELECT count(*) FROM flowport_log_chunks WHERE deployment_id = '${d.id}'`)) >= 2);
  await store.close();
});

test('a cancel requested through one store instance is seen by watchCancel in another (another connection)', async () => {
  const project = `p-${randomUUID()}`;
  const runner = storeOf(project);
  const other = storeOf(project);
  const d = await runner.create(init('shop'));
  await runner.claim(d.id, 5000);
  const seen: unknown[] = [];
  const stop = runner.watchCancel(d.id, (req) => seen.push(req));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(seen.length, 0);
  await other.requestCancel(d.id, { reason: 'wrong commit' });
  await waitFor(() => seen.length > 0, 'the cancel to be seen', 5000);
  stop();
  assert.equal(seen.length, 1);
  assert.match(JSON.stringify(seen[0]), new RegExp(`"deploymentId":"${d.id}".*"reason":"wrong commit"`));
  await assert.rejects(other.requestCancel('missing'), /no deployment missing/);
  await runner.close();
  await other.close();
});

test('locks: the second lock of a target is not taken; unlock by lockId lifts only that lock', async () => {
  const project = `p-${randomUUID()}`;
  const a = storeOf(project);
  const b = storeOf(project);
  const [x, y] = await Promise.all([
    a.lock({ env: 'prod', reason: 'freeze' }),
    b.lock({ env: 'prod', reason: 'mine' }),
  ]);
  assert.deepEqual([x.taken, y.taken].sort(), [false, true]);
  assert.equal(x.lock.id, y.lock.id, 'both answers name the lock that holds');
  const flowLock = await a.lock({ env: 'prod', flowName: 'shop', reason: 'shop only' });
  assert.equal(flowLock.taken, true);
  assert.equal((await b.locks()).length, 2);
  // A stale lockId lifts nothing.
  assert.equal(await b.unlock({ env: 'prod', lockId: 'lock-stale' }), undefined);
  assert.equal((await b.locks()).length, 2);
  const lifted = await b.unlock({ env: 'prod', lockId: x.lock.id });
  assert.equal(lifted?.id, x.lock.id);
  assert.deepEqual(
    (await a.locks()).map((l) => l.id),
    [flowLock.lock.id],
  );
  const again = await b.lock({ env: 'prod', reason: 'after' });
  assert.equal(again.taken, true);
  await a.close();
  await b.close();
});

test('decisions are recorded in order, and refused on a finished deployment', async () => {
  const store = storeOf();
  const d = await store.create(init('shop', 'prod'));
  const first = await store.decide({ deploymentId: d.id, decision: 'approved', by: 'someone-else', comment: 'ok' });
  assert.equal(first.by, 'postgres', 'recorded as the database role, whatever the caller claims');
  await store.decide({ deploymentId: d.id, decision: 'rejected', by: 'x' });
  assert.deepEqual(
    (await store.decisions(d.id)).map((x) => [x.decision, x.comment]),
    [
      ['approved', 'ok'],
      ['rejected', undefined],
    ],
  );
  await store.claim(d.id, 5000);
  await store.update(d.id, { status: 'cancelled' });
  await assert.rejects(store.decide({ deploymentId: d.id, decision: 'approved', by: 'x' }));
  assert.equal((await store.decisions(d.id)).length, 2);
  await store.close();
});

test('a forged row written straight into the database is left out with a warning, and reads go on', async () => {
  const project = `p-${randomUUID()}`;
  const warnings: string[] = [];
  const store = storeOf(project, warnings);
  const good = await store.create(init('shop'));
  await store.claim(good.id, 5000);
  await store.update(good.id, { status: 'succeeded' });
  pg.psql(
    `INSERT INTO flowport_deployments (project, id, flow_name, env, status, change_seq, record)
     VALUES ('${project}', 'forged-1', 'shop', 'dev', 'succeeded', nextval('flowport_change_seq'), '{"id":"forged-1","status":"succeeded","hacked":true}');
     INSERT INTO flowport_deployments (project, id, flow_name, env, status, change_seq, record)
     VALUES ('${project}', 'forged-2', 'shop', 'dev', 'running', nextval('flowport_change_seq'), '42');
     UPDATE flowport_current SET deployment_id = 'forged-1' WHERE project = '${project}'`,
  );
  const history = await store.findDeployments({ history: true });
  assert.deepEqual(
    history.map((d) => d.id),
    [good.id],
  );
  assert.deepEqual(await store.findDeployments(), []);
  assert.equal(await store.getDeployment('forged-1'), undefined);
  assert.ok(warnings.length >= 2, warnings.join('\n'));
  assert.match(warnings[0]!, /not valid; it is left out/);
  await store.close();
});

test('a database at schema version 1 migrates to 2: each pair current before reads the same after, from its own copy', async () => {
  const db = `v1_${randomUUID().replaceAll('-', '')}`;
  pg.psql(`CREATE DATABASE ${db}`);
  const url = pg.url.replace(/\/flowport$/, `/${db}`);
  const { default: pgLib } = await import('pg');
  const client = new pgLib.Client({ connectionString: url });
  await client.connect();
  try {
    await migrate(client as unknown as PoolClient, 1);
    const record = {
      id: 'old-1',
      flowName: 'shop',
      env: 'dev',
      commit: 'c0ffee',
      ref: 'main',
      status: 'succeeded',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:01.000Z',
      initiator: 'alice',
      outputs: {},
      attributes: {},
    };
    await client.query(
      `INSERT INTO flowport_deployments (project, id, flow_name, env, status, change_seq, record) VALUES ('old', 'old-1', 'shop', 'dev', 'succeeded', 1, $1)`,
      [record],
    );
    await client.query(
      `INSERT INTO flowport_current (project, flow_name, env, deployment_id, change_seq) VALUES ('old', 'shop', 'dev', 'old-1', 1)`,
    );
    const store = new PostgresStore({ url, root: tempDir(), project: 'old', migrate: true, warn: () => undefined });
    assert.deepEqual(await store.findDeployments(), [record]);
    assert.equal(
      (await client.query<{ v: number }>('SELECT max(version) AS v FROM flowport_schema')).rows[0]!.v,
      SCHEMA_VERSION,
    );
    await store.close();
  } finally {
    await client.end();
  }
});

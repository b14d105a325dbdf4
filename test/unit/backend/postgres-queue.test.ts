/**
 * The queue's wait on the team store (runner/queue.ts awaitTurn with a real PostgresStore, against
 * a real server): it reads only the unfinished deployments ahead, and it wakes on the change that
 * ends its wait (NOTIFY) instead of looking again every 100 ms.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import { PostgresStore } from '../../../sdk/src/index.js';
import { awaitTurn } from '../../../sdk/src/runner/queue.js';
import { startTestPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { tempDir } from '../../helpers/tmp.js';
import { waitFor } from './fixture.js';

let pg: TestPostgres;
before(async () => {
  pg = await startTestPostgres({ scope: 'file', log: () => undefined });
});

const storeOf = (project: string) =>
  new PostgresStore({ url: pg.url, root: tempDir(), project, migrate: true, warn: () => undefined });
const init = (flowName: string, env = 'dev') => ({ flowName, env, commit: 'c0ffee', ref: 'main' });

test('unfinishedAhead: only the unfinished deployments of the pair recorded before, one whose lease ran out not among them', async () => {
  const store = storeOf(`q-${randomUUID()}`);
  try {
    const done = await store.create(init('shop'));
    await store.claim(done.id, 5000);
    await store.update(done.id, { status: 'succeeded' });
    const running = await store.create(init('shop'));
    await store.claim(running.id, 60_000);
    const vanished = await store.create(init('shop'));
    await store.claim(vanished.id, 60_000).catch(() => undefined); // not its turn: stays pending, lease of its creator
    pg.psql(`UPDATE flowport_deployments SET lease_until = now() - interval '1 s' WHERE id = '${vanished.id}'`);
    await store.create(init('shop', 'prod')); // another pair
    const own = await store.create(init('shop'));
    const later = await store.create(init('shop'));
    assert.deepEqual(
      (await store.unfinishedAhead(own)).map((d) => [d.id, d.status]),
      [[running.id, 'running']],
    );
    assert.deepEqual(
      (await store.unfinishedAhead(later)).map((d) => d.id),
      [running.id, own.id],
    );
  } finally {
    await store.close();
  }
});

test('a queued wait ends when the deployment ahead finishes in another process, heard, not at its next heartbeat', async () => {
  const project = `q-${randomUUID()}`;
  const [mine, theirs] = [storeOf(project), storeOf(project)];
  const controller = new AbortController();
  try {
    const ahead = await theirs.create(init('shop'));
    await theirs.claim(ahead.id, 60_000);
    const own = await mine.create(init('shop'));
    const places: string[] = [];
    let turn: boolean | undefined;
    // A heartbeat far beyond the test's patience: only the change can end the wait in time.
    void awaitTurn(mine, own, controller.signal, { leaseMs: 600_000, heartbeatMs: 300_000 }, (p) =>
      places.push(p),
    ).then((t) => (turn = t));
    await waitFor(() => places.length > 0, 'the wait to say its place');
    assert.match(places[0]!, new RegExp(`^2nd in line, behind ${ahead.id} \\(running\\)`));
    await theirs.update(ahead.id, { status: 'succeeded' });
    await waitFor(() => turn !== undefined, 'its turn', 20_000);
    assert.equal(turn, true);
  } finally {
    controller.abort();
    await Promise.all([mine.close(), theirs.close()]);
  }
});

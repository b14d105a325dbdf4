// What the tree, the board and CodeLens show of the safe operations, from the view model alone:
// a queued deploy's place, a deploy waiting for approval, a lock, what blocks a Promote, and which
// history entries are releases that can be rolled back to. Plain Node, no VS Code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGroups, describeQueueSpot, isActiveStatus } from '../../../extension/src/model/matrix.js';
import { lockLookup } from '../../../extension/src/model/locks.js';
import { buildBoardFolder, historyEntries, promoteSlot } from '../../../extension/src/board/snapshot.js';
import type { EnvLock } from '../../../sdk/src/backend/locks.js';
import { deploymentOf as dep, flowAt as flow } from '../../helpers/records.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const envs = [{ name: 'dev' }, { name: 'uat' }, { name: 'prod' }];
const invoices = flow('send-invoices', 'src/billing/invoices.ts');
const cells = (deployments: Parameters<typeof buildGroups>[2], locks: EnvLock[] = []) =>
  buildGroups([invoices], envs, deployments, lockLookup({ locks }))[0]!.rows[0]!.cells;

test('every status but the final ones is active, queued too', () => {
  assert.deepEqual(
    (['pending', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted', 'never'] as const).filter(
      isActiveStatus,
    ),
    ['pending', 'queued', 'running'],
  );
});

test("a queued deploy knows its place and whom it waits behind, in the store's order", () => {
  const running = dep('send-invoices', 'dev', A, 'running', '2026-01-01T00:00:01Z');
  const second = dep('send-invoices', 'dev', B, 'queued', '2026-01-01T00:00:02Z');
  const third = dep('send-invoices', 'dev', B, 'queued', '2026-01-01T00:00:03Z');
  const [dev] = cells([running, second, third]);
  assert.equal(dev!.status, 'queued');
  assert.equal(dev!.queued?.place, 3);
  assert.equal(dev!.queued?.behind.id, running.id);
  assert.equal(describeQueueSpot(dev!.queued), `queued, 3rd behind ${running.id}`);
  assert.deepEqual(
    dev!.unfinished.map((d) => d.id),
    [running.id, second.id, third.id],
  );
});

test('a deploy waiting for approval carries its request; one without a well-formed request does not', () => {
  const approval = { required: 1, notInitiator: true, expiresAt: null, requestedBy: 'ann@x' };
  const waiting = dep('send-invoices', 'prod', A, 'queued', '2026-01-01T00:00:01Z', {
    attributes: { awaiting: 'approval', approval },
  });
  const [, , prod] = cells([waiting]);
  assert.equal(prod!.awaiting?.deployment.id, waiting.id);
  assert.equal(prod!.awaiting?.request.requestedBy, 'ann@x');
  const broken = dep('send-invoices', 'prod', A, 'queued', '2026-01-01T00:00:01Z', {
    attributes: { awaiting: 'approval', approval: { required: 0 } },
  });
  assert.equal(cells([broken])[2]!.awaiting, undefined);
});

test("a lock holds a cell: the environment's for every flow, a flow's only for that flow", () => {
  const at = '2026-01-01T00:00:00Z';
  const locks: EnvLock[] = [
    { id: 'l1', env: 'uat', reason: 'freeze', by: 'ann@x', at },
    { id: 'l2', env: 'prod', flowName: 'other', reason: 'not ours', by: 'ann@x', at },
  ];
  const [dev, uat, prod] = cells([], locks);
  assert.equal(dev!.lock, undefined);
  assert.equal(uat!.lock?.id, 'l1');
  assert.equal(prod!.lock, undefined);
  const board = buildBoardFolder(
    { key: 'k', name: 'n', environments: envs, flows: [invoices], deployments: [], lockFor: lockLookup({ locks }) },
    () => undefined,
  ).folder;
  assert.deepEqual(board.groups[0]!.rows[0]!.cells[1]!.lock, { by: 'ann@x', at, reason: 'freeze' });
});

test('the Promote arrow says what blocks it on the target: a lock, then an approval, then a queue', () => {
  const at = '2026-01-01T00:00:00Z';
  const devRuns = dep('send-invoices', 'dev', A, 'succeeded', at);
  const approval = { required: 1, notInitiator: true, expiresAt: null, requestedBy: 'ann@x' };
  const waiting = dep('send-invoices', 'uat', B, 'queued', '2026-01-01T00:00:02Z', {
    attributes: { awaiting: 'approval', approval },
  });
  const lock: EnvLock = { id: 'l', env: 'uat', reason: 'freeze', by: 'bob@x', at };
  let [dev, uat] = cells([devRuns, waiting], [lock]);
  assert.equal(promoteSlot(dev!, uat!).blockedBy, 'lock');
  assert.match(promoteSlot(dev!, uat!).reason!, /uat is locked by bob@x since .*"freeze"/);
  [dev, uat] = cells([devRuns, waiting]);
  assert.equal(promoteSlot(dev!, uat!).blockedBy, 'approval');
  assert.match(promoteSlot(dev!, uat!).reason!, /waits for approval \(asked by ann@x\)/);
  const running = dep('send-invoices', 'uat', B, 'running', '2026-01-01T00:00:03Z');
  const queued = dep('send-invoices', 'uat', B, 'queued', '2026-01-01T00:00:04Z');
  [dev, uat] = cells([devRuns, running, queued]);
  assert.equal(promoteSlot(dev!, uat!).blockedBy, 'queue');
  assert.match(promoteSlot(dev!, uat!).reason!, new RegExp(`queued, 2nd behind ${running.id}`));
  [dev, uat] = cells([devRuns, running]);
  assert.deepEqual(
    [promoteSlot(dev!, uat!).blockedBy, promoteSlot(dev!, uat!).reason],
    ['running', 'A deploy to uat is running'],
  );
});

test('history entries that are releases say so; a rollback names the release it restored', () => {
  const first = dep('send-invoices', 'dev', A, 'succeeded', '2026-01-01T00:00:01Z');
  const second = dep('send-invoices', 'dev', B, 'succeeded', '2026-01-01T00:00:02Z');
  const failed = dep('send-invoices', 'dev', B, 'failed', '2026-01-01T00:00:03Z');
  const back = dep('send-invoices', 'dev', A, 'succeeded', '2026-01-01T00:00:04Z', {
    attributes: { rollback: { restores: first.id, replaces: second.id } },
  });
  const entries = historyEntries([first, second, failed, back], 'send-invoices', 'dev');
  assert.deepEqual(
    entries.map((e) => [e.id, e.release, e.rollbackOf]),
    [
      [back.id, 'current', first.id],
      [failed.id, undefined, undefined],
      [second.id, 'rolled back', undefined],
      [first.id, 'superseded', undefined],
    ],
  );
});

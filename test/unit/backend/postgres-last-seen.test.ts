/** The team store's last state seen (last-seen.ts): what a process that cannot reach the database answers with. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LastSeen } from '../../../sdk/src/backend/postgres/last-seen.js';
import { tempDir } from '../../helpers/tmp.js';

const where = 'postgres://alice@db.example:5432/flowport';

test('with a fingerprint, a changed state reaches the file for the next process; an unchanged one is not written again', () => {
  const root = tempDir();
  const key = '["deployments"]';
  const first = new LastSeen(root, where, () => 'shop');
  first.remember(key, [{ id: 'a' }], 'a');
  assert.deepEqual(new LastSeen(root, where, () => 'shop').recall(key)?.value, [{ id: 'a' }]);

  // Another process: same fingerprint, so the value it was given is not written (nothing changed).
  const second = new LastSeen(root, where, () => 'shop');
  second.remember(key, [{ id: 'a', same: 'rows' }], 'a');
  assert.deepEqual(new LastSeen(root, where, () => 'shop').recall(key)?.value, [{ id: 'a' }]);

  // A new fingerprint is a new state: written, in this process and the next.
  second.remember(key, [{ id: 'b' }], 'b');
  assert.deepEqual(second.recall(key)?.value, [{ id: 'b' }]);
  assert.deepEqual(new LastSeen(root, where, () => 'shop').recall(key)?.value, [{ id: 'b' }]);
  first.remember(key, [{ id: 'c' }], 'c');
  assert.deepEqual(new LastSeen(root, where, () => 'shop').recall(key)?.value, [{ id: 'c' }]);
});

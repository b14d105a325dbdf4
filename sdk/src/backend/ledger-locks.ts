/**
 * Locks in the local ledger: a `lock` or `unlock` record appended like any other, and the rule of
 * locks.ts replayed over them in file order. O_APPEND puts two processes' locks of one target in
 * one order, so both read the same holder: the first.
 */
import { randomUUID } from 'node:crypto';
import { foldLocks, type EnvLock, type LockRequest, type LockResult, type UnlockRequest } from './locks.js';
import { currentInitiator } from './processes.js';
import { LEDGER_FORMAT, type LedgerRecord, type LockRecord } from './records.js';

/** What of the ledger the locks need: its records in file order, and an append. */
export interface LockLedger {
  events(): Promise<ReadonlyArray<{ type: string }>>;
  append(record: LedgerRecord): Promise<void>;
}

export async function ledgerLocks(ledger: LockLedger): Promise<EnvLock[]> {
  const records = (await ledger.events()).filter((e): e is LockRecord => e.type === 'lock' || e.type === 'unlock');
  return foldLocks(records);
}

export async function takeLedgerLock(ledger: LockLedger, request: LockRequest): Promise<LockResult> {
  const held = holding(await ledgerLocks(ledger), request);
  if (held) return { lock: held, taken: false };
  const lockId = `lock-${randomUUID()}`;
  await ledger.append({
    v: LEDGER_FORMAT,
    type: 'lock',
    at: new Date().toISOString(),
    by: currentInitiator(),
    lockId,
    env: request.env,
    ...(request.flowName === undefined ? {} : { flowName: request.flowName }),
    reason: request.reason,
  });
  // Another process may have locked it between the read and the append: the first record holds.
  const now = holding(await ledgerLocks(ledger), request)!;
  return { lock: now, taken: now.id === lockId };
}

export async function liftLedgerLock(ledger: LockLedger, request: UnlockRequest): Promise<EnvLock | undefined> {
  const held = holding(await ledgerLocks(ledger), request);
  if (!held || (request.lockId !== undefined && held.id !== request.lockId)) return undefined;
  await ledger.append({
    v: LEDGER_FORMAT,
    type: 'unlock',
    at: new Date().toISOString(),
    by: currentInitiator(),
    lockId: held.id,
    env: held.env,
    ...(held.flowName === undefined ? {} : { flowName: held.flowName }),
  });
  return held;
}

function holding(locks: readonly EnvLock[], target: { env: string; flowName?: string }): EnvLock | undefined {
  return locks.find((l) => l.env === target.env && l.flowName === target.flowName);
}

/**
 * Environment locks: a lock on an environment (or on one flow in it) refuses every deploy,
 * promote and rollback there until it is unlocked, from any process. Which lock holds is decided
 * by the store's order of records: of two locks of one target taken at once, the one recorded
 * first holds, and the other taker is told who holds it. This module is that rule, kept apart from
 * any engine so that each one (the local ledger, a team store) decides it the same way.
 */
import { DeployError } from '../errors.js';
import { withHint, type CommandHint } from '../hint.js';
import type { LockRecord } from './records.js';

/** A lock as it holds now. */
export interface EnvLock {
  /** Unique per lock taken. */
  id: string;
  env: string;
  /** Only this flow in `env`; absent: every flow there. */
  flowName?: string;
  reason: string;
  /** Who took it (`user@host` locally; the member's identity in a team store). */
  by: string;
  /** When it was taken (ISO 8601). */
  at: string;
}

/** What asking for a lock gave. */
export interface LockResult {
  /** The lock that holds the target now: the one asked for, or one taken before it. */
  lock: EnvLock;
  /** False when another lock held the target already (then nothing changed). */
  taken: boolean;
}

export interface LockRequest {
  env: string;
  flowName?: string;
  reason: string;
}

/** What an unlock is asked for: the target, and the lock the asker saw (so a newer one is not lifted by mistake). */
export interface UnlockRequest {
  env: string;
  flowName?: string;
  /** Lift only this lock; without it, whichever holds the target. */
  lockId?: string;
}

const key = (env: string, flowName: string | undefined) => `${env}\0${flowName ?? ''}`;

/**
 * The locks that hold after `records`, in the order the store keeps them: a lock of a target
 * already held is one that lost the race, and changes nothing; an unlock lifts the lock it names.
 */
export function foldLocks(records: Iterable<LockRecord>): EnvLock[] {
  const held = new Map<string, EnvLock>();
  for (const r of records) {
    const k = key(r.env, r.flowName);
    if (r.type === 'lock') {
      if (held.has(k)) continue;
      held.set(k, {
        id: r.lockId,
        env: r.env,
        ...(r.flowName === undefined ? {} : { flowName: r.flowName }),
        reason: r.reason ?? '',
        by: r.by,
        at: r.at,
      });
    } else if (held.get(k)?.id === r.lockId) {
      held.delete(k);
    }
  }
  return [...held.values()];
}

/** The lock that stops a deploy of `flowName` to `env`: the environment's, else the flow's there. */
export function lockOn(locks: readonly EnvLock[], flowName: string, env: string): EnvLock | undefined {
  return (
    locks.find((l) => l.env === env && l.flowName === undefined) ??
    locks.find((l) => l.env === env && l.flowName === flowName)
  );
}

/** What a lock is, for a person: `prod (every flow) is locked by … since …: "reason"`. */
export function describeLock(lock: EnvLock): string {
  const what = lock.flowName === undefined ? lock.env : `"${lock.flowName}" in ${lock.env}`;
  return `${what} is locked by ${lock.by} since ${lock.at}${lock.reason ? `: "${lock.reason}"` : ''}`;
}

/** The refusal of `action` on `flowName` in `env` while `lock` holds, with the unlock that clears it. */
export function lockedError(lock: EnvLock, action: string, flowName: string): DeployError {
  const hint = unlockHint(lock);
  const { message } = withHint(
    `cannot ${action} "${flowName}" to ${lock.env}: ${describeLock(lock)}. Nothing was queued. When it may go ahead, unlock it`,
    hint,
  );
  return new DeployError(message, { hint });
}

export function unlockHint(lock: EnvLock): CommandHint {
  return { command: 'unlock', args: [lock.env, ...(lock.flowName === undefined ? [] : ['--flow', lock.flowName])] };
}

/**
 * The lock that holds a flow in an environment, for the views: locks.ts's one rule over a folder's
 * locks. Apart from matrix.ts, which the webview bundles and which takes no Node module.
 */
import { lockOn, type EnvLock } from '../../../sdk/src/backend/locks';
import type { LockLookup } from './matrix';

/** The lock that refuses a deploy of a flow to an environment of the folder (none before any were read). */
export function lockLookup(state: { locks?: readonly EnvLock[] }): LockLookup {
  const locks = state.locks ?? [];
  return (flowName, env) => lockOn(locks, flowName, env);
}

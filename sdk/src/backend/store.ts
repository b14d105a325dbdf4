/**
 * The write side of deployments: what a Deployer or Promoter records through. The embedded local
 * ledger is one implementation; a shared store (e.g. on the team's git remote) is another, so
 * nothing outside `ledger.ts` may assume files.
 */
import { DeployError } from '../errors.js';
import type { DeploymentDetails, DeploymentFinder, DeploymentStatus, JsonValue } from '../model.js';
import type { ApprovalDecision } from './approvals.js';
import type { EnvLock, LockRequest, LockResult, UnlockRequest } from './locks.js';
import type { RunnerIdentity } from './records.js';

/** What a new deployment starts with; the store adds id, status `pending`, times and runner. */
export interface NewDeployment {
  flowName: string;
  env: string;
  commit: string;
  ref: string;
  packageVersion?: string;
  /** Default: `user@host` of this process. */
  initiator?: string;
  promotedFrom?: { env: string; deploymentId: string };
  attributes?: Record<string, JsonValue>;
}

/** A change to a deployment. `attributes` and `outputs` are merged into what is there. */
export interface DeploymentChange {
  status?: DeploymentStatus;
  outputs?: Record<string, string>;
  attributes?: Record<string, JsonValue>;
  url?: string;
}

/** A cancel request as the runner receives it. */
export interface CancelRequest {
  deploymentId: string;
  by: string;
  at: string;
  reason?: string;
}

/** Appends to one deployment's log. Lines are written in order; `close()` makes them durable. */
export interface LogWriter {
  /** Where the log is: a path for the local ledger. */
  readonly location: string;
  line(text: string): void;
  /** Flushes and syncs; call before recording the final status. */
  close(): Promise<void>;
}

/**
 * A runner's proof that it is alive: renewed every few seconds. A `running` deployment whose lease
 * has run out reads as `interrupted`, whichever machine its runner was on.
 */
export interface Lease {
  holder: RunnerIdentity;
  /** ISO 8601: after this, the runner counts as gone. */
  until: string;
  renewedAt: string;
}

/** A slice of a log, for reading it whole or following it. */
export interface LogChunk {
  text: string;
  /** Pass back as `from` to read what was written after this chunk. */
  next: number;
}

export interface DeploymentStore extends DeploymentFinder {
  /** Records a new deployment as `pending`, run by this process, and returns it once durable. */
  create(init: NewDeployment): Promise<DeploymentDetails>;
  /**
   * Records a change made by the deployment's runner and returns the deployment after it, once
   * durable. Final statuses are final: changing a finished deployment throws.
   */
  update(id: string, change: DeploymentChange): Promise<DeploymentDetails>;
  /** One deployment as it is now (a `running` one whose runner is gone reads as `interrupted`). */
  getDeployment(id: string): Promise<DeploymentDetails | undefined>;
  /**
   * The runner takes `id` over: records it `running`, held by this process under a lease of
   * `leaseMs`, and returns once that is durable. Throws (and nothing may run) when it cannot be
   * made durable, or `id` is finished already. A store without it runs deploys in the process
   * that starts them.
   */
  claim?(id: string, leaseMs: number): Promise<DeploymentDetails>;
  /** Extends the lease of the runner of `id` to `leaseMs` from now. */
  renewLease?(id: string, leaseMs: number): Promise<void>;
  /**
   * The unfinished deployments of `d`'s flow and environment recorded before it, oldest first, as
   * {@link getDeployment} reads them (one whose lease ran out reads interrupted: not among them).
   * What a runner waiting for its turn asks; a store without it is read whole (the pair's history).
   */
  unfinishedAhead?(d: DeploymentDetails): Promise<DeploymentDetails[]>;
  /**
   * Calls `onChange` whenever another process may have written (the team store: its NOTIFY, and
   * once after a reconnect); returns the stop. A waiting runner sleeps until then (or its next
   * heartbeat) instead of looking every 100 ms, as it does on a store without it.
   */
  onChanges?(onChange: () => void): () => void;
  /** Asks the runner of `id`, in whatever process it is, to cancel it. Signals nothing itself. */
  requestCancel(id: string, request?: { by?: string; reason?: string }): Promise<void>;
  /**
   * Calls `onCancel` once when a cancel of `id` is requested from anywhere (at once, if it already
   * was). Returns a function that stops watching.
   */
  watchCancel(id: string, onCancel: (request: CancelRequest) => void): () => void;
  /** Opens the log of a deployment this process runs. */
  openLog(id: string): Promise<LogWriter>;
  /** The log from byte `from` (default 0), or undefined when the deployment has no log. */
  readLog(id: string, from?: number): Promise<LogChunk | undefined>;
  /**
   * Locks an environment (or one flow in it) for this process's user, once durable. Of two locks
   * of one target asked for at once, the first recorded holds: the other caller gets it back with
   * `taken: false`. A store without locks cannot be locked, and refuses nothing for them.
   */
  lock?(request: LockRequest): Promise<LockResult>;
  /** Lifts the lock of a target (only `lockId`, when given), recorded with who did; the lock lifted, if one held. */
  unlock?(request: UnlockRequest): Promise<EnvLock | undefined>;
  /** Every lock that holds now. */
  locks?(): Promise<EnvLock[]>;
  /**
   * Records a decision on a deployment that waits for approval, once durable. The rules (who may
   * approve, expiry) are approvals.ts's, applied by the caller and again by the waiting runner.
   */
  decide?(decision: Omit<ApprovalDecision, 'at'>): Promise<ApprovalDecision>;
  /**
   * Who this process is, as the store vouches for it: a store that knows (the team store: its
   * database role) records every deployment, lock, cancel and decision under it, whatever the
   * caller claims. Without it, identity is git's user.email, which the local machine trusts.
   */
  identity?(): Promise<string>;
  /** The decisions on `deploymentId` (on every deployment without it), in the order recorded. */
  decisions?(deploymentId?: string): Promise<ApprovalDecision[]>;
}

/**
 * A claim refused because a deployment of the same flow and environment recorded before it is not
 * finished (a store that decides turns in its claim, as the team store does): the runner waits
 * its turn again. Known by `code`: the config's copy of the package may not be this one.
 */
export class NotYourTurn extends Error {
  readonly code = 'FLOWPORT_NOT_YOUR_TURN';
  constructor(id: string, aheadId: string, aheadStatus: string) {
    super(`${id} waits: ${aheadId} (${aheadStatus}) was recorded before it and has not finished`);
  }
}

export function isNotYourTurn(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 'FLOWPORT_NOT_YOUR_TURN';
}

/** A lease that cannot be renewed: the deployment was recorded finished (interrupted, say) meanwhile, so its command must stop. */
export class LeaseLost extends DeployError {
  readonly code = 'FLOWPORT_LEASE_LOST';
  constructor(id: string) {
    super(`the lease of ${id} is lost: the store records it as finished (interrupted after its lease ran out, say)`);
  }
}

export function isLeaseLost(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 'FLOWPORT_LEASE_LOST';
}

/** Whether a configured `deployments` is also a store deploys can be recorded in. */
export function isDeploymentStore(x: unknown): x is DeploymentStore {
  const s = x as Partial<Record<keyof DeploymentStore, unknown>> | undefined;
  return (
    typeof s?.findDeployments === 'function' &&
    typeof s.create === 'function' &&
    typeof s.update === 'function' &&
    typeof s.getDeployment === 'function' &&
    typeof s.requestCancel === 'function' &&
    typeof s.watchCancel === 'function' &&
    typeof s.openLog === 'function' &&
    typeof s.readLog === 'function'
  );
}

/** The methods of a full store: what a config's unbound stand-in (`localLedger()`, `postgresStore()`) answers for. */
export const STORE_METHODS = [
  'findDeployments',
  'create',
  'update',
  'getDeployment',
  'claim',
  'renewLease',
  'requestCancel',
  'watchCancel',
  'openLog',
  'readLog',
  'lock',
  'unlock',
  'locks',
  'decide',
  'decisions',
] as const;

/** The `pending` deployment a store records for `init`, with the id, initiator and log location it chose. */
export function pendingDeployment(
  init: NewDeployment,
  made: { id: string; at: string; initiator: string; logLocation: string },
): DeploymentDetails {
  return {
    id: made.id,
    flowName: init.flowName,
    env: init.env,
    commit: init.commit,
    ref: init.ref,
    ...(init.packageVersion === undefined ? {} : { packageVersion: init.packageVersion }),
    status: 'pending',
    createdAt: made.at,
    updatedAt: made.at,
    initiator: made.initiator,
    ...(init.promotedFrom === undefined ? {} : { promotedFrom: init.promotedFrom }),
    logLocation: made.logLocation,
    outputs: {},
    attributes: init.attributes ?? {},
  };
}

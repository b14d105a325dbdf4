/**
 * One owner for a run's life, in the runner: it claims the deployment (recorded `running` under a
 * lease, durably, before anything runs), renews the lease, writes the log, carries out a cancel
 * requested from anywhere, and records the outcome. The work itself (a deploy command) is handed
 * in; this module knows no processes but its own.
 */
import { DeployError } from '../errors.js';
import { FINAL_STATUSES, type DeploymentDetails, type JsonValue, type RunContext } from '../model.js';
import { alreadyDeploying, cancelHint, unfinishedDeployments } from '../backend/in-progress.js';
import { describeLock, lockedError, lockOn, type EnvLock } from '../backend/locks.js';
import { awaitApproval, awaitTurn } from './queue.js';
import { currentInitiator, processIdentity } from '../backend/processes.js';
import { COMMAND_PROCESS } from '../backend/records.js';
import {
  isLeaseLost,
  isNotYourTurn,
  type DeploymentStore,
  type LogWriter,
  type NewDeployment,
} from '../backend/store.js';
import { leaseTimes, type LeaseTimes } from './spec.js';

/** What the work of a recorded run gets. */
export interface ActiveRun {
  /** The deployment as recorded when it started running: its `id` is final. */
  deployment: DeploymentDetails;
  /** One line to the deployment's log file and to the caller's live log. */
  log(line: string): void;
  /** Aborted when the caller aborts or a cancel of this deployment is requested from anywhere. */
  signal: AbortSignal;
  /**
   * Records the process that does the work when it is not this one (a deploy command), for
   * people reading the record. Nothing acts on it: liveness is the runner's lease, and only the
   * runner signals its command.
   */
  recordProcess(pid: number): Promise<void>;
}

/** How the work ended. */
export interface RunOutcome {
  status: 'succeeded' | 'failed' | 'cancelled';
  outputs?: Record<string, string>;
  url?: string;
  /** Merged into the deployment's attributes: exit code, reason, … */
  attributes?: Record<string, JsonValue>;
}

/** A change in a run's life, as recorded: what notifications (notify.ts) are sent on. */
export interface RunEvent {
  kind: 'queued' | 'started' | 'succeeded' | 'failed' | 'cancelled' | 'awaiting-approval';
  /** The deployment as recorded with that change. */
  deployment: DeploymentDetails;
}

/** Hears a run's events; it must not throw or block (runClaimed does not wait for it). */
export type RunEventListener = (event: RunEvent) => void;

/** Lines Flowport itself writes into a deployment's log start with this. */
export const LOG_PREFIX = '[flowport]';

/** How often the final record is tried again when the store fails to take it (a full disk). */
const FINAL_TRIES = 5;
const FINAL_RETRY_MS = 1000;

/**
 * Records `init` as a pending deployment, then runs it in this process as {@link runClaimed}
 * does. For a deployer of one's own that records locally; `commandDeployer` starts a runner
 * process instead.
 *
 * One flow deploys to one environment at a time: while another deployment of it there is pending
 * or running (its lease live), this throws a {@link DeployError} naming it, and records nothing.
 * Two runs that start at the same moment are told apart after both are recorded: the store lists
 * deployments in the order they were recorded, so the later one sees the earlier and stops as
 * `cancelled` without running anything.
 */
export async function runRecorded(
  store: DeploymentStore,
  init: NewDeployment,
  run: QueueableRun,
  work: (active: ActiveRun) => Promise<RunOutcome>,
): Promise<DeploymentDetails> {
  const created = await createRecorded(store, init, run.queue !== false);
  if (created.status !== 'pending') return created;
  return runClaimed(store, created.id, run, work, leaseTimes());
}

/** A run that may wait its turn behind the deploys of its flow and environment before it (the default), or not. */
export interface QueueableRun extends RunContext {
  /** False: refused while another deploy of the flow to the environment is unfinished (`--no-queue`). */
  queue?: boolean;
}

/**
 * The start every run shares: refused while a lock holds the flow in the environment, then recorded
 * `pending` (a store that cannot record it throws a {@link DeployError}: nothing runs); its runner
 * then waits its turn (queue.ts). With `queue` false, refused while the flow is busy there instead,
 * and `cancelled` at once when another run was recorded just before.
 */
export async function createRecorded(
  store: DeploymentStore,
  init: NewDeployment,
  queue = true,
  /** Told `cancelled` when a `--no-queue` run lost the race (its runner never starts to say it). */
  onEvent: RunEventListener = () => undefined,
): Promise<DeploymentDetails> {
  const lock = await lockOf(store, init);
  if (lock) throw lockedError(lock, actionOf(init), init.flowName);
  if (!queue) {
    const busy = await unfinishedBefore(store, init, undefined);
    if (busy) throw new DeployError(alreadyDeploying(busy), { hint: cancelHint(busy) });
  }
  let created: DeploymentDetails;
  try {
    created = await store.create(init);
  } catch (err) {
    // A team store that cannot be reached says so itself, with what to do (no disk to free here).
    if ((err as { code?: unknown }).code === 'FLOWPORT_STORE_UNREACHABLE') throw err;
    throw new DeployError(notRecorded(err));
  }
  if (queue) return created;
  const raced = await unfinishedBefore(store, init, created.id);
  if (raced) {
    const cancelled = await store.update(created.id, {
      status: 'cancelled',
      attributes: { reason: alreadyDeploying(raced) },
    });
    onEvent({ kind: 'cancelled', deployment: cancelled });
    return cancelled;
  }
  return created;
}

/** Why nothing ran: the deploy could not be recorded. */
export function notRecorded(err: unknown): string {
  return `nothing was run: the deploy could not be recorded (${messageOf(err)}). A deploy runs only once its record is on disk; free some space or make the state folder writable, then run it again.`;
}

/**
 * Runs the pending deployment `id`: claims it (`running`, durably, under a lease renewed every
 * `heartbeatMs`), then `work`, then records the outcome. `work` throwing records `failed` with its
 * message, or `cancelled` when the run was cancelled. Throws {@link NotClaimed} when the claim
 * cannot be made durable: then nothing ran.
 */
export async function runClaimed(
  store: DeploymentStore,
  id: string,
  run: RunContext,
  work: (active: ActiveRun) => Promise<RunOutcome>,
  lease: LeaseTimes,
  onEvent: RunEventListener = () => undefined,
): Promise<DeploymentDetails> {
  const tell = (kind: RunEvent['kind'], deployment: DeploymentDetails) => {
    try {
      onEvent({ kind, deployment });
    } catch {
      // a listener's failure is never the run's
    }
  };
  let log: LogWriter;
  try {
    log = await store.openLog(id);
  } catch (err) {
    return store.update(id, {
      status: 'failed',
      attributes: { reason: `could not open the deployment log: ${messageOf(err)}` },
    });
  }
  const emit = (line: string) => {
    log.line(line);
    try {
      run.log(line);
    } catch {
      // a broken listener must not break the deploy
    }
  };

  const controller = new AbortController();
  let cancelledBy: string | undefined;
  let cancelReason: string | undefined;
  const cancel = (by: string, reason?: string) => {
    if (controller.signal.aborted) return;
    cancelledBy = by;
    cancelReason = reason;
    emit(`${LOG_PREFIX} cancel requested by ${by}${reason ? ` (${reason})` : ''}`);
    controller.abort(new Error(`cancelled by ${by}`));
  };
  const stopWatching = store.watchCancel(id, (request) => cancel(request.by, request.reason));
  const onCallerAbort = () => cancel(currentInitiator());
  if (run.signal.aborted) onCallerAbort();
  else run.signal.addEventListener('abort', onCallerAbort, { once: true });

  const stop = async () => {
    stopWatching();
    run.signal.removeEventListener('abort', onCallerAbort);
    await log.close().catch(() => undefined);
  };
  let running: DeploymentDetails;
  try {
    // One at a time per flow × environment: wait for the ones recorded before this one to end.
    const asked = await store.getDeployment(id);
    if (!asked) throw new DeployError(`deployment ${id} is not in the store`);
    let told = false;
    const onPlace = (place: string) => {
      emit(`${LOG_PREFIX} queued: ${place}; it starts by itself when the ones before it end`);
      if (!told) tell('queued', { ...asked, status: 'queued' });
      told = true;
    };
    const onWaiting = (what: string) => {
      emit(`${LOG_PREFIX} ${what}. Approve it with: flowport approve ${id}`);
      tell('awaiting-approval', { ...asked, status: 'queued' });
    };
    // A store that decides turns in its claim (the team store) can refuse it: someone's deploy
    // recorded earlier took its turn first. Then this one waits again.
    for (;;) {
      const notRun =
        (await awaitApproval(store, asked, controller.signal, lease, onWaiting, (what) =>
          emit(`${LOG_PREFIX} ${what}`),
        )) ??
        (!(await awaitTurn(store, asked, controller.signal, lease, onPlace))
          ? 'cancelled while it was queued; nothing ran'
          : await lockedWhileQueued(store, asked));
      if (notRun) {
        emit(`${LOG_PREFIX} ${notRun}`);
        await stop();
        const cancelled = await store.update(id, {
          status: 'cancelled',
          attributes: { reason: notRun, ...(cancelledBy ? { cancelledBy } : {}) },
        });
        tell('cancelled', cancelled);
        return cancelled;
      }
      try {
        running = store.claim ? await store.claim(id, lease.leaseMs) : await store.update(id, { status: 'running' });
        break;
      } catch (err) {
        if (!isNotYourTurn(err)) throw err;
      }
    }
    tell('started', running);
  } catch (err) {
    await stop();
    throw new NotClaimed(err);
  }
  // The lease as this runner last made it: a beat after it ran out means this process was stopped
  // (a suspended machine) long enough for readers to call the run interrupted and let the next
  // deploy of the flow start, so the command must not go on.
  let leaseUntil = Date.now() + lease.leaseMs;
  // Each beat renews the lease, unless the deployment was recorded as finished by someone else
  // meanwhile (cancel --force, once this runner's lease had run out: it was stopped, say, and is
  // running again): then its command must not run on, so it is cancelled.
  const lapsed = () =>
    cancel('flowport', `its lease ran out at ${new Date(leaseUntil).toISOString()} while this runner was stopped`);
  const beat = async () => {
    const now = await store.getDeployment(id);
    if (now && FINAL_STATUSES.includes(now.status) && now.status !== 'interrupted') {
      cancel('flowport', `it was recorded as ${now.status} while this runner did not renew its lease`);
      return;
    }
    // Checked right before renewing: a stop anywhere before here (the read above included) shows.
    const renewing = Date.now();
    if (renewing > leaseUntil) {
      lapsed();
      return;
    }
    try {
      await store.renewLease!(id, lease.leaseMs);
    } catch (err) {
      // Recorded finished meanwhile (interrupted by the next deploy's claim, its lease having run out): stop.
      if (isLeaseLost(err)) cancel('flowport', messageOf(err));
      throw err;
    }
    // A stop between that check and the renewal being written shows only now: the old lease ran
    // out before the new one was durable, so a reader may have judged the run gone meanwhile.
    if (Date.now() > leaseUntil) {
      lapsed();
      return;
    }
    leaseUntil = renewing + lease.leaseMs;
  };
  const heartbeat = store.renewLease
    ? setInterval(() => {
        beat().catch((err: unknown) => {
          emit(`${LOG_PREFIX} warning: could not renew this run's lease: ${messageOf(err)}`);
        });
      }, lease.heartbeatMs)
    : undefined;
  heartbeat?.unref();

  const started = Date.now();
  let outcome: RunOutcome;
  try {
    if (controller.signal.aborted) {
      outcome = { status: 'cancelled', attributes: { reason: 'cancelled before it started' } };
    } else {
      const recordProcess = async (pid: number) => {
        await store.update(id, { attributes: { [COMMAND_PROCESS]: { ...processIdentity(pid) } } });
      };
      outcome = await work({ deployment: running, log: emit, signal: controller.signal, recordProcess });
    }
  } catch (err) {
    const reason = messageOf(err);
    outcome = controller.signal.aborted
      ? { status: 'cancelled', attributes: { reason } }
      : { status: 'failed', attributes: { reason } };
    emit(`${LOG_PREFIX} ${outcome.status}: ${reason}`);
  } finally {
    stopWatching();
    run.signal.removeEventListener('abort', onCallerAbort);
  }
  const attributes: Record<string, JsonValue> = { ...outcome.attributes, durationMs: Date.now() - started };
  if (outcome.status === 'cancelled' && cancelledBy && attributes.cancelledBy === undefined)
    attributes.cancelledBy = cancelledBy;
  // Why it was cancelled, when the cancel said (Flowport's own, say): after how the work stopped.
  if (outcome.status === 'cancelled' && cancelReason)
    attributes.reason = `${typeof attributes.reason === 'string' ? attributes.reason : 'cancelled'}: ${cancelReason}`;
  // The log is durable before the record that points at it says the run is over.
  await log.close();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const ended = await store.update(id, {
          status: outcome.status,
          attributes,
          ...(outcome.outputs ? { outputs: outcome.outputs } : {}),
          ...(outcome.url === undefined ? {} : { url: outcome.url }),
        });
        tell(outcome.status, ended);
        return ended;
      } catch (err) {
        // A store that refuses the final record (the disk filled up meanwhile): the lease still
        // holds, so try again for a while before the run is left to read as interrupted.
        if (attempt >= FINAL_TRIES || err instanceof DeployError) throw err;
        await new Promise((r) => setTimeout(r, FINAL_RETRY_MS));
      }
    }
  } finally {
    if (heartbeat) clearInterval(heartbeat);
  }
}

/** Why a deployment whose turn came must not run: a lock taken while it was queued. */
async function lockedWhileQueued(store: DeploymentStore, d: DeploymentDetails): Promise<string | undefined> {
  const lock = await lockOf(store, d);
  return lock && `not run: ${describeLock(lock)} (locked while it was queued). Deploy it again once it is unlocked.`;
}

/** The lock, if one holds, that refuses deploying `init`'s flow to its environment. */
async function lockOf(
  store: DeploymentStore,
  init: Pick<NewDeployment, 'flowName' | 'env'>,
): Promise<EnvLock | undefined> {
  return lockOn((await store.locks?.()) ?? [], init.flowName, init.env);
}

/** What a deployment is, in a refusal's words. */
function actionOf(init: NewDeployment): string {
  if (init.attributes?.rollback) return 'roll back';
  return init.promotedFrom ? 'promote' : 'deploy';
}

/** The first unfinished deployment of the same flow and environment recorded before `id` (any, without an id). */
async function unfinishedBefore(
  store: DeploymentStore,
  init: NewDeployment,
  id: string | undefined,
): Promise<DeploymentDetails | undefined> {
  const all = await store.findDeployments({ flows: [init.flowName], envs: [init.env], history: true });
  const own = id === undefined ? -1 : all.findIndex((d) => d.id === id);
  return unfinishedDeployments(own === -1 ? all : all.slice(0, own), [init.flowName], init.env)[0];
}

/** The run could not be recorded as running, so nothing ran; `cause` is the store's error (ENOSPC, EROFS, …). */
export class NotClaimed extends Error {
  constructor(override readonly cause: unknown) {
    super(messageOf(cause));
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

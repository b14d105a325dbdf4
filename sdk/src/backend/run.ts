/**
 * The runner: gives one deploy a record in a store and moves it pending → running → final, with
 * its log in the store and a cancel that works from the caller's signal or from any process.
 * `commandDeployer` is built on it; a deployer of your own that records locally can be too.
 */
import { DeployError } from '../errors.js';
import type { DeploymentDetails, JsonValue, RunContext } from '../model.js';
import { alreadyDeploying, cancelHint, unfinishedDeployments } from './in-progress.js';
import { currentInitiator, processIdentity } from './processes.js';
import { COMMAND_PROCESS } from './records.js';
import type { DeploymentStore, LogWriter, NewDeployment } from './store.js';

/** What the work of a recorded run gets. */
export interface ActiveRun {
  /** The deployment as recorded when it started running: its `id` is final. */
  deployment: DeploymentDetails;
  /** One line to the deployment's log file and to the caller's live log. */
  log(line: string): void;
  /** Aborted when the caller aborts or a cancel of this deployment is requested from anywhere. */
  signal: AbortSignal;
  /**
   * Records the process that does the work when it is not this one (a deploy command). Should
   * this runner die, the deployment then reads as running while that process still runs, no
   * other deploy of the flow to the environment starts, and a cancel stops it.
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

/** Lines Flowport itself writes into a deployment's log start with this. */
export const LOG_PREFIX = '[flowport]';

/**
 * Records `init` as a pending deployment, marks it running (durably) before `work` starts, and
 * records the outcome. `work` throwing records `failed` with its message, or `cancelled` when the
 * run was cancelled. Returns the final deployment; never throws once the record exists, except
 * when the store itself fails.
 *
 * One flow deploys to one environment at a time: while another deployment of it there is pending
 * or running (its runner alive), this throws a {@link DeployError} naming it, and records nothing.
 * Two runs that start at the same moment are told apart after both are recorded: the store lists
 * deployments in the order they were recorded, so the later one sees the earlier and stops as
 * `cancelled` without running anything.
 */
export async function runRecorded(
  store: DeploymentStore,
  init: NewDeployment,
  run: RunContext,
  work: (active: ActiveRun) => Promise<RunOutcome>,
): Promise<DeploymentDetails> {
  const busy = await unfinishedBefore(store, init, undefined);
  if (busy) throw new DeployError(alreadyDeploying(busy), { hint: cancelHint(busy) });
  const created = await store.create(init);
  const id = created.id;
  const raced = await unfinishedBefore(store, init, id);
  if (raced) return store.update(id, { status: 'cancelled', attributes: { reason: alreadyDeploying(raced) } });
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
  const cancel = (by: string, reason?: string) => {
    if (controller.signal.aborted) return;
    cancelledBy = by;
    emit(`${LOG_PREFIX} cancel requested by ${by}${reason ? ` (${reason})` : ''}`);
    controller.abort(new Error(`cancelled by ${by}`));
  };
  const stopWatching = store.watchCancel(id, (request) => cancel(request.by, request.reason));
  const onCallerAbort = () => cancel(currentInitiator());
  if (run.signal.aborted) onCallerAbort();
  else run.signal.addEventListener('abort', onCallerAbort, { once: true });

  const started = Date.now();
  let outcome: RunOutcome;
  try {
    if (controller.signal.aborted) {
      outcome = { status: 'cancelled', attributes: { reason: 'cancelled before it started' } };
    } else {
      const running = await store.update(id, { status: 'running' });
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
  // The log is durable before the record that points at it says the run is over.
  await log.close();
  return store.update(id, {
    status: outcome.status,
    attributes,
    ...(outcome.outputs ? { outputs: outcome.outputs } : {}),
    ...(outcome.url === undefined ? {} : { url: outcome.url }),
  });
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

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

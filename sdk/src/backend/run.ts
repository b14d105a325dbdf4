/**
 * The runner: gives one deploy a record in a store and moves it pending → running → final, with
 * its log in the store and a cancel that works from the caller's signal or from any process.
 * `commandDeployer` is built on it; a deployer of your own that records locally can be too.
 */
import type { DeploymentDetails, JsonValue, RunContext } from '../model.js';
import { currentInitiator } from './processes.js';
import type { DeploymentStore, LogWriter, NewDeployment } from './store.js';

/** What the work of a recorded run gets. */
export interface ActiveRun {
  /** The deployment as recorded when it started running: its `id` is final. */
  deployment: DeploymentDetails;
  /** One line to the deployment's log file and to the caller's live log. */
  log(line: string): void;
  /** Aborted when the caller aborts or a cancel of this deployment is requested from anywhere. */
  signal: AbortSignal;
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
 */
export async function runRecorded(
  store: DeploymentStore,
  init: NewDeployment,
  run: RunContext,
  work: (active: ActiveRun) => Promise<RunOutcome>,
): Promise<DeploymentDetails> {
  const created = await store.create(init);
  const id = created.id;
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
      outcome = await work({ deployment: running, log: emit, signal: controller.signal });
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

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

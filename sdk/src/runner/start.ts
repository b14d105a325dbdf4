/**
 * The starter's side (the CLI, the SDK host): record the deploy, start its runner as a detached
 * process of its own, and attach to it — follow its log and its status in the store until it
 * ends. The starter can die or be closed at any point after the runner started: the runner goes
 * on, and anyone may attach again (`flowport logs -f <id>`, the next editor window).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DeployError } from '../errors.js';
import { FINAL_STATUSES, type DeploymentDetails, type RunContext } from '../model.js';
import { removeWorktree } from '../backend/git.js';
import { createNotifier } from '../notify/notifier.js';
import type { WebhookTarget } from '../notify/webhook.js';
import type { DeploymentStore, NewDeployment } from '../backend/store.js';
import { runDeploy } from './steps.js';
import { createRecorded, messageOf, NotClaimed, notRecorded, runClaimed, type QueueableRun } from './life.js';
import {
  CLAIM_FAILURES,
  leaseTimes,
  RUN_SPEC_VARIABLE,
  type CommandSpec,
  type RunnerStore,
  type RunSpec,
} from './spec.js';

/** A run the caller may leave at once (`flowport deploy --detach`): the deployment is returned as soon as its runner started. */
export interface DetachableRun extends QueueableRun {
  detach?: boolean;
  /**
   * Follow a deploy that waits for approval until it ends, instead of returning it as it starts
   * to wait: a plan of promotes runs its next deploy only once the first, which holds the plan's
   * one approval request, has run.
   */
  holdForApproval?: boolean;
}

/**
 * Records `init` and runs the command `prepare` describes for it under a runner of its own. A
 * store a runner can open again (the local ledger, the team store) gets a detached runner process;
 * any other store, a runner in this process (a
 * store of one's own cannot be opened from another process without the config). `notify`'s
 * webhooks are told of the run's events by whichever runs it.
 */
export async function startCommandRun(
  store: DeploymentStore,
  init: NewDeployment,
  run: DetachableRun,
  prepare: (pending: DeploymentDetails) => Promise<CommandSpec>,
  notify: readonly WebhookTarget[] = [],
): Promise<DeploymentDetails> {
  // Not awaited: this process goes on (the SDK host), or its event loop lets the last POST end (the CLI).
  // Until a runner claims the run, this process is the one to tell how it ended before it started.
  const notifier = createNotifier(notify, store);
  const pending = await createRecorded(store, init, run.queue !== false, notifier.onEvent);
  if (pending.status !== 'pending') return pending;
  const id = pending.id;
  /** Ended before any runner started: recorded, and told to the webhooks, which no runner will tell. */
  const ended = async (patch: { status: 'failed' | 'cancelled'; reason: string }) => {
    const d = await store.update(id, { status: patch.status, attributes: { reason: patch.reason } });
    notifier.onEvent({ kind: patch.status, deployment: d });
    return d;
  };
  if (run.signal.aborted) return ended({ status: 'cancelled', reason: 'cancelled before it started' });
  let command: CommandSpec;
  try {
    command = await prepare(pending);
  } catch (err) {
    return ended({ status: 'failed', reason: messageOf(err) });
  }
  const times = leaseTimes();
  const reopenable = runnerStoreOf(store);
  if (!reopenable || process.platform === 'win32') {
    try {
      return await runClaimed(store, id, run, (active) => runDeploy(command, active, store), times, notifier.onEvent);
    } catch (err) {
      if (!(err instanceof NotClaimed)) throw err;
      const reason = notRecorded(err.cause);
      await store.update(id, { status: 'failed', attributes: { reason } }).catch(() => undefined);
      throw new DeployError(reason);
    }
  }
  const spec: RunSpec = {
    v: 1,
    store: reopenable,
    deploymentId: id,
    command,
    ...times,
    ...(notify.length ? { notify: [...notify] } : {}),
  };
  const { script, execArgv } = runnerEntry();
  let runner;
  try {
    runner = spawn(process.execPath, [...execArgv, script], {
      // Its own session and process group, no pipe to this process: it outlives the starter, and
      // neither a Ctrl+C in the terminal nor a closed window reaches it.
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, [RUN_SPEC_VARIABLE]: JSON.stringify(spec) },
      windowsHide: true,
    });
  } catch (err) {
    if (command.worktree) await removeWorktree(command.worktree.topLevel, command.worktree.dir);
    return ended({ status: 'failed', reason: `could not start its runner: ${messageOf(err)}` });
  }
  runner.unref();
  const runnerEnded = new Promise<{ code: number | null; error?: string }>((resolve) => {
    runner.once('exit', (code) => resolve({ code }));
    runner.once('error', (err) => resolve({ code: null, error: err.message }));
  });
  // A runner that ends before it claimed the run (it could not be spawned, or record it) tells no one.
  const onUnclaimed = (d: DeploymentDetails) => notifier.onEvent({ kind: 'failed', deployment: d });
  // Left at once, but not before the runner holds the run: until it has claimed it, the pending
  // record is held only by this process, and a reader after this one exits would judge it gone.
  if (run.detach) return untilClaimed(store, id, runnerEnded, onUnclaimed);
  return attach(store, id, run, runnerEnded, onUnclaimed);
}

/** Waits for the runner to claim deployment `id` (or to end without it): the deployment then. */
async function untilClaimed(
  store: DeploymentStore,
  id: string,
  runnerEnded: Promise<{ code: number | null; error?: string }>,
  onUnclaimed: (d: DeploymentDetails) => void,
): Promise<DeploymentDetails> {
  let ended: { code: number | null; error?: string } | undefined;
  void runnerEnded.then((e) => (ended = e));
  for (;;) {
    const d = await store.getDeployment(id);
    if (!d) throw new DeployError(`deployment ${id} is no longer in the store: it was removed as it started`);
    if (d.status !== 'pending') return d;
    if (ended) return notClaimed(store, id, ended, onUnclaimed);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

/** A runner that ended before it claimed the run failed to record it: nothing ran. */
async function notClaimed(
  store: DeploymentStore,
  id: string,
  ended: { code: number | null; error?: string },
  onUnclaimed: (d: DeploymentDetails) => void = () => undefined,
): Promise<DeploymentDetails> {
  const why =
    ended.error ??
    (ended.code !== null ? CLAIM_FAILURES[ended.code] : undefined) ??
    `its runner exited (code ${ended.code})`;
  const reason = `nothing was run: the deploy could not be recorded as running: ${why}`;
  const failed = await store.update(id, { status: 'failed', attributes: { reason } }).catch(() => {
    throw new DeployError(reason);
  });
  onUnclaimed(failed);
  return failed;
}

/** How long an attached process follows a deployment through an unreachable store before it gives up. */
const FOLLOW_PATIENCE_MS = 60_000;

/**
 * Follows deployment `id` until it ends: its log lines to `run.log`, a cancel (the run's signal)
 * to the store as a request its runner carries out. `runnerEnded`, when this process started the
 * runner, settles when it exits: a runner that ended before it claimed the run failed to record
 * it, and nothing ran.
 */
export async function attach(
  store: DeploymentStore,
  id: string,
  run: RunContext,
  runnerEnded?: Promise<{ code: number | null; error?: string }>,
  /** Told of the failure recorded when the runner ended before it claimed the run. */
  onUnclaimed?: (d: DeploymentDetails) => void,
): Promise<DeploymentDetails> {
  let offset = 0;
  let wake: (() => void) | undefined;
  let ended: { code: number | null; error?: string } | undefined;
  void runnerEnded?.then((e) => {
    ended = e;
    wake?.();
  });
  let cancelAsked = false;
  const onAbort = () => {
    if (cancelAsked) return;
    cancelAsked = true;
    store
      .requestCancel(id)
      .catch((err: unknown) => run.log(`flowport: could not ask for the cancel: ${messageOf(err)}`));
  };
  if (run.signal.aborted) onAbort();
  else run.signal.addEventListener('abort', onAbort, { once: true });
  const follow = async () => {
    const chunk = await store.readLog(id, offset);
    if (!chunk?.text) return;
    offset = chunk.next;
    for (const line of chunk.text.slice(0, -1).split('\n')) {
      try {
        run.log(line);
      } catch {
        // a broken listener must not stop the following
      }
    }
  };
  const startedAt = Date.now();
  // The team store gone for a moment (a restart, a network blip) does not end the run, which its
  // runner goes on with: this process keeps following, and gives up only after FOLLOW_PATIENCE_MS.
  let unreachableSince: number | undefined;
  try {
    for (;;) {
      let d: DeploymentDetails | undefined;
      try {
        d = await store.getDeployment(id);
        await follow();
        unreachableSince = undefined;
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'FLOWPORT_STORE_UNREACHABLE') throw err;
        if (unreachableSince === undefined) {
          unreachableSince = Date.now();
          run.log(`[flowport] ${messageOf(err)} Still following ${id}: its runner goes on.`);
        } else if (Date.now() - unreachableSince > FOLLOW_PATIENCE_MS) throw err;
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      if (!d) throw new DeployError(`deployment ${id} is no longer in the store: it was removed while it ran`);
      if (FINAL_STATUSES.includes(d.status)) {
        await follow();
        return d;
      }
      // Waiting for someone else's approval, which may take a day: the caller is told, not held.
      const awaiting = d.status === 'queued' && d.attributes.awaiting === 'approval';
      if (awaiting && !(run as DetachableRun).holdForApproval) return d;
      if (ended && d.status === 'pending') return await notClaimed(store, id, ended, onUnclaimed);
      // Quick at first (a short deploy ends in a moment), then at a pace that costs nothing.
      const waited = Date.now() - startedAt;
      const pause = awaiting ? 250 : waited < 1000 ? 15 : waited < 5000 ? 50 : 200;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    run.signal.removeEventListener('abort', onAbort);
  }
}

/** How a runner process opens `store` again, when it can: the local ledger's folder, or the team store's own description. */
function runnerStoreOf(store: DeploymentStore): RunnerStore | undefined {
  const s = store as DeploymentStore & { root?: unknown; dir?: unknown; runnerStore?: () => RunnerStore };
  // By shape: a config's store comes from the project's copy of the flowport package.
  if (typeof s.runnerStore === 'function') return s.runnerStore();
  return typeof s.root === 'string' && typeof s.dir === 'string' && typeof s.claim === 'function'
    ? { root: s.root, dir: s.dir }
    : undefined;
}

/** The runner's script: the bundle next to this one, or the source through tsx when running from source (tests). */
function runnerEntry(): { script: string; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const tsx = join(dirname(createRequire(here).resolve('tsx/package.json')), 'dist', 'loader.mjs');
    return { script: fileURLToPath(new URL('./main.ts', here)), execArgv: ['--import', pathToFileURL(tsx).href] };
  }
  return { script: fileURLToPath(new URL('./runner.js', here)), execArgv: [] };
}

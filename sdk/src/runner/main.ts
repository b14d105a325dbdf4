/**
 * The runner process: one per deployment, started detached by the CLI or the SDK host with its
 * spec in FLOWPORT_RUN_SPEC. It claims the deployment in the local ledger (nothing runs unless
 * that `running` record is durable; exit codes in CLAIM_FAILURES say why not), runs the deploy
 * command, and records its outcome, whatever became of the process that started it.
 */
import { appendFileSync } from 'node:fs';
import { LocalLedger } from '../backend/ledger.js';
import { PostgresStore } from '../backend/postgres/store.js';
import type { DeploymentStore } from '../backend/store.js';
import { createNotifier } from '../notify/notifier.js';
import { runDeploy } from './steps.js';
import { LOG_PREFIX, messageOf, NotClaimed, runClaimed } from './life.js';
import { claimFailureCode, RUN_SPEC_VARIABLE, type RunSpec } from './spec.js';

async function main(): Promise<number> {
  let spec: RunSpec;
  try {
    spec = JSON.parse(process.env[RUN_SPEC_VARIABLE] ?? '') as RunSpec;
    if (spec.v !== 1 || typeof spec.deploymentId !== 'string' || !Array.isArray(spec.command?.argv)) throw new Error();
  } catch {
    return 26;
  }
  delete process.env[RUN_SPEC_VARIABLE];
  // Warnings have no terminal here (stdio is /dev/null): the log is where a reader looks.
  const store: DeploymentStore =
    spec.store.kind === 'team'
      ? new PostgresStore({ ...spec.store, warn: () => undefined })
      : new LocalLedger({ root: spec.store.root, dir: spec.store.dir, warn: () => undefined });
  // Held open until the outcome is recorded: the lease and cancel timers do not hold it.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const notifier = createNotifier(spec.notify, store);
  try {
    await runClaimed(
      store,
      spec.deploymentId,
      { log: () => undefined, signal: stopped.signal },
      (active) => runDeploy(spec.command, active, store),
      spec,
      notifier.onEvent,
    );
    return 0;
  } catch (err) {
    // Not claimed: nothing ran, and the code says why. Otherwise the final record failed (after
    // its retries): the run reads as interrupted once this process is gone.
    if (err instanceof NotClaimed) return claimFailureCode(err.cause);
    try {
      // The one place a reader looks: the deployment's log.
      const line = `${LOG_PREFIX} the runner could not record the outcome: ${messageOf(err)}`;
      if (store instanceof LocalLedger) appendFileSync(store.logPath(spec.deploymentId), `${line}\n`);
      else {
        const log = await store.openLog(spec.deploymentId);
        log.line(line);
        await log.close();
      }
    } catch {
      // nowhere left to say it
    }
    return 25;
  } finally {
    // The last notification leaves once the outcome is recorded: waiting for it delays no one.
    await notifier.settled();
    clearInterval(keepAlive);
  }
}

// A terminal's hang-up or Ctrl+C is not for this process (it has its own session); a stray one
// must not end a deploy halfway. A SIGTERM (the machine shutting down, say) cancels the run as a
// cancel request would: the command is stopped and the deployment recorded as cancelled.
for (const signal of ['SIGHUP', 'SIGINT'] as const) process.on(signal, () => undefined);
const stopped = new AbortController();
process.on('SIGTERM', () => stopped.abort(new Error('the runner got SIGTERM')));
void main().then((code) => process.exit(code));

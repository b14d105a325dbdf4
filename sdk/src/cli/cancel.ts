import { publicDeployment } from '../secrets.js';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import { FINAL_STATUSES, type DeploymentDetails } from '../model.js';
import { currentInitiator } from '../backend/processes.js';
import { openProject } from '../project.js';
import type { CommandIO } from './main.js';
import { commandHere, rootOption, type FlagSpecs } from './options.js';
import { USAGE } from './usage.js';
import { findDeployment, positiveInt } from './run-output.js';

/** The `--json` output of `flowport cancel`. */
export interface CancelOutput {
  id: string;
  /** False when the deployment was already cancelled and nothing was asked. */
  requested: boolean;
  /** `cancelled` when it stopped; another final status when it ended otherwise; `pending`/`running` when still going (`--no-wait`, or the wait timed out). */
  status: DeploymentDetails['status'];
  deployment: DeploymentDetails;
}

/** Every flag `flowport cancel` takes; `--help` lists each (test/unit/cli/usage.test.ts checks). */
export const OPTIONS = {
  'no-wait': { type: 'boolean', default: false },
  timeout: { type: 'string' },
  force: { type: 'boolean', default: false },
  root: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies FlagSpecs;

/**
 * `flowport cancel <deploymentId>`: writes a cancel request to the store for the deployment's
 * runner, in whatever process or machine it runs, then waits until it is recorded as cancelled.
 * Nothing is signalled from here. Exit 0 once cancelled, 1 when it ended otherwise or did not stop
 * in time, 2 when it had already finished. `--force` records as `cancelled` a deployment whose
 * runner is gone (its lease ran out: `interrupted`); one whose lease is still renewed is never
 * recorded so, since its command may still run.
 */
export async function cancelCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError(`name one deployment: ${USAGE.cancel}`);
  const timeoutMs = positiveInt(values.timeout, '--timeout', 30) * 1000;
  const project = await openProject(rootOption(values.root));
  const store = project.store;
  let deployment = await findDeployment(store, positionals[0]!);
  const what = `${deployment.id} (${deployment.flowName} → ${deployment.env})`;
  const done = (requested: boolean, code: number, message: string) => {
    if (values.json)
      io.out(
        JSON.stringify(
          {
            id: deployment.id,
            requested,
            status: deployment.status,
            deployment: publicDeployment(deployment),
          } satisfies CancelOutput,
          null,
          2,
        ),
      );
    else io.out(message);
    return code;
  };
  if (deployment.status === 'cancelled') return done(false, 0, `${what} is already cancelled.`);
  const forced = async () => {
    const by = currentInitiator();
    // Asked too, so that a runner that was only stopped (and is running again) stops its command.
    await store.requestCancel(deployment.id).catch(() => undefined);
    deployment = await store.update(deployment.id, {
      status: 'cancelled',
      attributes: {
        cancelledBy: by,
        forced: true,
        reason: `recorded as cancelled by ${by} with --force: its runner was gone (its lease had run out)`,
      },
    });
    return done(true, 0, `Recorded ${what} as cancelled (--force): its runner was gone.`);
  };
  if (deployment.status === 'interrupted' && values.force) return forced();
  if (FINAL_STATUSES.includes(deployment.status)) {
    throw new UsageError(
      `${what} already ${deployment.status === 'interrupted' ? 'stopped: its runner is gone (interrupted)' : deployment.status}; there is nothing to cancel.`,
    );
  }
  await store.requestCancel(deployment.id);
  if (!values.json) io.out(`Cancel requested for ${what}.`);
  if (values['no-wait'])
    return done(
      true,
      0,
      `Its runner stops it shortly; "${commandHere({ command: 'history', args: [deployment.flowName, '--env', deployment.env] })}" shows when.`,
    );
  const deadline = Date.now() + timeoutMs;
  while (!FINAL_STATUSES.includes(deployment.status) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    deployment = (await store.getDeployment(deployment.id)) ?? deployment;
  }
  if (deployment.status === 'cancelled') return done(true, 0, `Cancelled ${what}.`);
  if (deployment.status === 'interrupted' && values.force) return forced();
  if (deployment.status === 'interrupted')
    return done(true, 1, `${what} stopped without recording the cancel: its runner is gone (interrupted).`);
  if (FINAL_STATUSES.includes(deployment.status))
    return done(true, 1, `${what} ${deployment.status} before the cancel took effect.`);
  return done(
    true,
    1,
    `${what} is still ${deployment.status} after ${timeoutMs / 1000} s: its runner renews its lease but has not carried out the cancel yet. ` +
      `It stays ${deployment.status} while that lease lasts${values.force ? ', --force or not: its command may still run' : ''}; ` +
      `should its runner be gone for good, the lease runs out within seconds and the flow is free.`,
  );
}

/**
 * One flow deploys to one environment at a time. These helpers tell which of the flows a deploy
 * or promote would touch are still deploying there, so that the CLI and the editor refuse before
 * they ask about a protected environment, not after the yes. (runRecorded refuses each deploy
 * again when it starts: another process may have started one since.)
 */
import { DeployError } from '../errors.js';
import { FINAL_STATUSES, type DeploymentDetails } from '../model.js';
import type { DeploymentStore } from './store.js';

/**
 * Refuses the whole batch while one of its flows is still deploying to `env` in `store` (the store
 * deploys are recorded in, which runRecorded checks too). Nothing has started when it throws.
 */
export async function refuseInProgress(
  store: DeploymentStore,
  flowNames: readonly string[],
  env: string,
): Promise<void> {
  if (flowNames.length === 0) return;
  const recorded = await store.findDeployments({ flows: [...flowNames], envs: [env], history: true });
  const busy = unfinishedDeployments(recorded, flowNames, env);
  if (busy.length === 0) return;
  const others = flowNames.length - busy.length;
  const included = others > 0 ? ` (${others} other flow${others === 1 ? '' : 's'} included)` : '';
  throw new DeployError(`${busy.map(alreadyDeploying).join('\n')}\nNothing was started${included}.`);
}

/** The first unfinished deployment (in `deployments`' order) of each of `flowNames` to `env`. */
export function unfinishedDeployments(
  deployments: readonly DeploymentDetails[],
  flowNames: readonly string[],
  env: string,
): DeploymentDetails[] {
  const wanted = new Set(flowNames);
  const seen = new Set<string>();
  const out: DeploymentDetails[] = [];
  for (const d of deployments) {
    if (d.env !== env || !wanted.has(d.flowName) || seen.has(d.flowName) || FINAL_STATUSES.includes(d.status)) continue;
    seen.add(d.flowName);
    out.push(d);
  }
  return out;
}

/** Why a deploy of `d`'s flow to `d`'s environment cannot start now, and what to do. */
export function alreadyDeploying(d: DeploymentDetails): string {
  const what =
    `"${d.flowName}" is already deploying to ${d.env}: deployment ${d.id} (${d.status}, ` +
    `${d.commit.slice(0, 7)}, started by ${d.initiator} at ${d.createdAt}).`;
  const host = d.attributes.runnerHost;
  if (typeof host === 'string') {
    // Its runner is another machine's process (a shared folder, a rebuilt container): it may be long gone.
    return (
      `${what} Its runner is on ${host}, which this machine cannot check. Wait for it to finish, ` +
      `or cancel it there; if that runner is gone, flowport cancel ${d.id} --force frees the flow.`
    );
  }
  return `${what} Wait for it to finish, or cancel it: flowport cancel ${d.id}`;
}

/**
 * One flow deploys to one environment at a time. These helpers tell which of the flows a deploy
 * or promote would touch are still deploying there, so that the CLI and the editor refuse before
 * they ask about a protected environment, not after the yes. (runRecorded refuses each deploy
 * again when it starts: another process may have started one since.) Pure: no I/O.
 */
import { FINAL_STATUSES, type DeploymentDetails } from '../model.js';

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
  return (
    `"${d.flowName}" is already deploying to ${d.env}: deployment ${d.id} (${d.status}, ` +
    `${d.commit.slice(0, 7)}, started by ${d.initiator} at ${d.createdAt}). ` +
    `Wait for it to finish, or cancel it: flowport cancel ${d.id}`
  );
}

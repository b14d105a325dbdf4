/**
 * One flow deploys to one environment at a time. These helpers tell which deployments still hold
 * a flow there, and why another cannot start: runRecorded refuses with them as a deploy starts,
 * and preflight.ts before anything starts.
 */
import { FINAL_STATUSES, type DeploymentDetails } from '../model.js';
import { commandLine, type CommandHint } from '../hint.js';

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
  return `${what} Wait for it to finish, or cancel it: ${commandLine(cancelHint(d))}`;
}

/**
 * The command that frees the flow `d` holds: cancel it. Its runner carries the cancel out, on
 * whichever machine it runs; a runner that is gone lets its lease run out, and that frees the flow.
 */
export function cancelHint(d: DeploymentDetails): CommandHint {
  return { command: 'cancel', args: [d.id] };
}

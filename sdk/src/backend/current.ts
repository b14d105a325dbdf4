import type { DeploymentDetails } from '../model.js';

/**
 * The current deployment of `flow` in `env` among `found` (as a DeploymentFinder returns them, in
 * the order recorded): its latest success, as every view counts it.
 */
export function currentAmong(
  found: readonly DeploymentDetails[],
  flow: string,
  env: string,
): DeploymentDetails | undefined {
  return found.filter((d) => d.flowName === flow && d.env === env && d.status === 'succeeded').at(-1);
}

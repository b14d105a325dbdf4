/** FlowDetails and DeploymentDetails as the SDK reports them, for view-model tests. */
import type { DeploymentDetails, FlowDetails } from '../../sdk/src/model.js';

/** A flow defined at `rel` (its folders are its grouping). */
export function flowAt(name: string, rel: string, extra: Partial<FlowDetails> = {}): FlowDetails {
  return {
    id: `${rel}#${name}`,
    name,
    description: `does ${name}`,
    sourcePath: `/p/${rel}`,
    sourceRelative: rel,
    line: 3,
    grouping: rel.split('/').slice(0, -1),
    attributes: {},
    ...extra,
  };
}

let seq = 0;

/** A deployment created and last updated at `at`; ids increase with every call. */
export function deploymentOf(
  flowName: string,
  env: string,
  commit: string,
  status: DeploymentDetails['status'],
  at: string,
  extra: Partial<DeploymentDetails> = {},
): DeploymentDetails {
  return {
    id: `d${String(seq++).padStart(3, '0')}`,
    flowName,
    env,
    commit,
    ref: 'HEAD',
    status,
    createdAt: at,
    updatedAt: at,
    initiator: 'me@host',
    outputs: {},
    attributes: {},
    ...extra,
  };
}

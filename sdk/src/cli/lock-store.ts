/** What the lock commands share: a store that keeps locks, and a flow name checked against the source. */
import type { DeploymentStore } from '../backend/store.js';
import { DeployError, UsageError } from '../errors.js';
import type { Project } from '../project.js';

export type LockingStore = DeploymentStore & Required<Pick<DeploymentStore, 'lock' | 'unlock' | 'locks'>>;

/** The project's store, when it keeps locks (the local ledger does); a clear error otherwise. */
export function lockingStore(store: DeploymentStore): LockingStore {
  if (typeof store.lock === 'function' && typeof store.unlock === 'function' && typeof store.locks === 'function')
    return store as LockingStore;
  throw new DeployError(
    'the configured deployments store keeps no locks: use localLedger() (the default) or a store that implements lock, unlock and locks',
  );
}

/** A lock of a flow the source does not have would hold nothing anyone could deploy: refused. */
export async function knownFlow(project: Project, name: string): Promise<void> {
  const flows = await project.flows.findFlows();
  if (!flows.some((f) => f.name === name))
    throw new UsageError(`unknown flow "${name}": "flowport flows" lists the flows.`);
}

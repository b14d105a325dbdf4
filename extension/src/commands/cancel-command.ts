/**
 * Cancel of a running deployment, in one click from its tree row or the board: a request in the
 * store (the SDK host's `flowport/cancelDeployment`), which the deployment's runner carries out,
 * whoever started it (this window's task, an earlier window, the CLI). The tree and the board show
 * `cancelled` once the runner has recorded it.
 */
import * as vscode from 'vscode';
import { Methods } from '../../../sdk/src/host/protocol';
import type { DeploymentDetails } from '../../../sdk/src/model';
import { hostError } from '../host/host-client';
import { isActive } from '../logs/follow';
import type { FlowportStore, FolderState } from '../store';
import { EnvItem } from '../tree/nodes';
import { showMessage } from './prompts';

export function registerCancelCommand(context: vscode.ExtensionContext, store: FlowportStore): void {
  context.subscriptions.push(
    // From a row's inline ⏹ and context menu (its node), or the board (a deployment id).
    vscode.commands.registerCommand('flowport.cancelDeployment', (target: EnvItem | string) => {
      const found = target instanceof EnvItem ? runningIn(target) : findDeployment(store, target);
      if (!found) {
        void showMessage('info', 'Flowport: that deployment is not running any more: nothing to cancel.');
        return Promise.resolve(false);
      }
      return cancelDeployment(store, found.state, found.deployment);
    }),
  );
}

function runningIn(node: EnvItem): { state: FolderState; deployment: DeploymentDetails } | undefined {
  const latest = node.cell.latest;
  return latest && isActive(latest) ? { state: node.state, deployment: latest } : undefined;
}

/** A running or pending deployment by id, in whichever folder has it. */
export function findDeployment(
  store: FlowportStore,
  id: string,
): { state: FolderState; deployment: DeploymentDetails } | undefined {
  for (const state of store.folders) {
    const deployment = state.deployments.find((d) => d.id === id);
    if (deployment && isActive(deployment)) return { state, deployment };
  }
  return undefined;
}

/** Asks the deployment's runner to cancel it; resolves true once the request is in the store. */
export async function cancelDeployment(
  store: FlowportStore,
  state: FolderState,
  deployment: DeploymentDetails,
): Promise<boolean> {
  const what = `${deployment.flowName} → ${deployment.env}`;
  try {
    const connection = await state.client.connect();
    await connection.sendRequest(Methods.cancelDeployment, { deploymentId: deployment.id });
  } catch (err) {
    const error = hostError(err);
    store.log.error(`cancel ${deployment.id}: ${error.message}`);
    void showMessage('error', `Flowport could not cancel ${what}: ${error.message}`, {}, 'Show Details').then(
      (choice) => choice && store.log.show(),
    );
    return false;
  }
  store.log.info(`cancel of ${deployment.id} (${what}) asked for: its runner stops the deploy`);
  vscode.window.setStatusBarMessage(`Flowport: cancelling ${what}…`, 5000);
  return true;
}

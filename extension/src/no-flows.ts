/**
 * What a command says when it has no flows to offer. A config that does not load, or an SDK host
 * that failed, is said as such with the way out: it is not "no flows".
 */
import * as vscode from 'vscode';
import type { FlowportStore } from './store';

export function showNoFlows(store: FlowportStore): void {
  const reason = store.noFlowsReason();
  switch (reason.kind) {
    case 'configProblem':
      void vscode.window
        .showErrorMessage(`Flowport could not load the config: ${reason.message}`, 'Open the Config at the Error')
        .then((choice) => choice && vscode.commands.executeCommand('flowport.openConfig'));
      return;
    case 'hostFailed':
      void vscode.window
        .showErrorMessage(
          `The Flowport SDK host of ${reason.state.folder.name} failed: ${reason.message}`,
          'Restart the SDK Host',
        )
        .then((choice) => choice && vscode.commands.executeCommand('flowport.restartHost'));
      return;
    case 'noConfig':
    case 'noFlows':
      void vscode.window
        .showInformationMessage(
          'Flowport found no flows in this workspace. Mark one with a /** @flow */ tag or defineFlow from flowport.',
          'Mark a Flow',
        )
        .then((choice) => choice && vscode.commands.executeCommand('flowport.markFlow'));
      return;
  }
}

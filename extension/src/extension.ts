/**
 * Flowport for VS Code. `activate()` only registers things: the SDK hosts start when a view or a
 * command first needs data, so activation stays within a few milliseconds.
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { registerBoard } from './board/board-panel';
import { registerCodeLens } from './codelens/flow-codelens';
import { registerCancelCommand } from './commands/cancel-command';
import { registerCompareCommand } from './commands/compare';
import { registerConfigCommands } from './commands/config-commands';
import { registerRunCommands } from './commands/run-commands';
import { registerSafeOpsCommands } from './commands/safe-ops';
import { registerViewCommands } from './commands/view-commands';
import { registerDiagnostics } from './diagnostics';
import { LiveLogs } from './logs/log-terminal';
import { FlowportStore } from './store';
import { registerStoreStatus, type StoreStatusBar } from './store-status';
import { registerTaskProvider } from './tasks/flowport-task';
import type { FlowsTreeProvider } from './tree/flows-tree';
import { registerFlowsView } from './tree/register';
import { registerWalkthrough } from './walkthrough';
import { registerWatchers } from './watchers';

/** What `activate()` returns: used by the integration tests to read the views' data. */
export interface FlowportApi {
  store: FlowportStore;
  flowsTree: FlowsTreeProvider;
  /** The terminals following running deployments' logs (Show Log). */
  logs: LiveLogs;
  /** The status bar item of the store in use (local or team, live or stale). */
  storeStatus: StoreStatusBar;
  /** How long activate() took, in ms (also in the log). */
  activationMs: number;
}

export function activate(context: vscode.ExtensionContext): FlowportApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Flowport', { log: true });
  const store = new FlowportStore(hostScript(context), log);
  const logs = new LiveLogs(store);
  context.subscriptions.push(log, store, logs);

  const storeStatus = registerStoreStatus(context, store);
  const flowsTree = registerFlowsView(context, store, storeStatus);
  registerRunCommands(context, store);
  registerViewCommands(context, store, logs);
  registerCancelCommand(context, store);
  registerSafeOpsCommands(context, store);
  registerConfigCommands(context, store);
  registerCompareCommand(context);
  registerTaskProvider(context, store);
  registerCodeLens(context, store, storeStatus);
  registerDiagnostics(context, store);
  registerWatchers(context, store);
  registerBoard(context, store, logs, storeStatus);
  registerWalkthrough(context, store);

  const activationMs = performance.now() - started;
  log.info(`Flowport activated in ${activationMs.toFixed(1)} ms`);
  // Returned for the integration tests, which read the view model through it.
  return { store, flowsTree, logs, storeStatus, activationMs };
}

/** From a checkout, the SDK's own build (always fresh); from a VSIX, the bundled host. */
function hostScript(context: vscode.ExtensionContext): string {
  const fromCheckout = context.asAbsolutePath('sdk/dist/host.js');
  return existsSync(fromCheckout) ? fromCheckout : context.asAbsolutePath('dist/host/host.mjs');
}

export function deactivate(): void {
  // Subscriptions dispose the store, which stops every SDK host.
}

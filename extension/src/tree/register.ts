/** The Flows view, its welcome states (`flowport.state`) and "reveal in view". */
import * as vscode from 'vscode';
import type { FlowportStore } from '../store';
import { FLOWS_VIEW_ID, FlowsTreeProvider } from './flows-tree';

/** Drives the welcome views (package.json `viewsWelcome`), shown while the tree is empty. */
export type ViewState = 'loading' | 'untrusted' | 'noConfig' | 'problem' | 'noFlows' | 'ready';

export function registerFlowsView(context: vscode.ExtensionContext, store: FlowportStore): FlowsTreeProvider {
  const provider = new FlowsTreeProvider(store);
  const view = vscode.window.createTreeView(FLOWS_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  const update = () => {
    const state = viewState(store);
    void vscode.commands.executeCommand('setContext', 'flowport.state', state);
  };
  update();
  const ticker = setInterval(() => provider.refresh(), 60_000);
  context.subscriptions.push(
    { dispose: () => clearInterval(ticker) },
    view,
    store.onDidChange(update),
    vscode.workspace.onDidGrantWorkspaceTrust(update),
    vscode.commands.registerCommand('flowport.revealFlow', async (flowId: string) => {
      await vscode.commands.executeCommand(`${FLOWS_VIEW_ID}.focus`);
      const found = store.findFlow(flowId);
      if (!found) return;
      const items = await provider.findFlowItem(found.flow.id);
      if (items) await view.reveal(items, { select: true, focus: true, expand: true });
    }),
  );
  return provider;
}

function viewState(store: FlowportStore): ViewState {
  if (!vscode.workspace.isTrusted) return 'untrusted';
  const folders = store.folders;
  if (folders.length === 0) return 'loading';
  // Problems are tree items of their own (message + the click that fixes it).
  if (folders.some((s) => s.project?.configProblem || s.error)) return 'problem';
  if (folders.every((s) => !s.project)) return 'loading';
  if (folders.every((s) => !s.project?.configFile)) return 'noConfig';
  if (folders.some((s) => s.flows.length > 0)) return 'ready';
  return 'noFlows';
}

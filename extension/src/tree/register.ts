/** The Flows view, its welcome states (`flowport.state`) and "reveal in view". */
import * as vscode from 'vscode';
import type { FlowportStore } from '../store';
import { FLOWS_VIEW_ID, FlowsTreeProvider } from './flows-tree';

export type ViewState = 'loading' | 'untrusted' | 'noConfig' | 'configError' | 'noFlows' | 'ready' | 'hostError';

export function registerFlowsView(context: vscode.ExtensionContext, store: FlowportStore): FlowsTreeProvider {
  const provider = new FlowsTreeProvider(store);
  const view = vscode.window.createTreeView(FLOWS_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  const update = () => {
    const state = viewState(store);
    void vscode.commands.executeCommand('setContext', 'flowport.state', state);
    const problem = store.folders.find((s) => s.project?.configProblem)?.project?.configProblem;
    const hostError = store.folders.find((s) => s.error)?.error;
    view.message = problem ? problem.message : hostError ? `The Flowport SDK host failed: ${hostError}` : undefined;
  };
  update();
  context.subscriptions.push(
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
  if (folders.some((s) => s.project?.configProblem)) return 'configError';
  if (folders.some((s) => s.error)) return 'hostError';
  if (folders.every((s) => !s.project)) return 'loading';
  if (folders.some((s) => s.flows.length > 0)) return 'ready';
  if (folders.every((s) => !s.project?.configFile)) return 'noConfig';
  return 'noFlows';
}

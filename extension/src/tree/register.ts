/** The Flows view, its welcome states (`flowport.state`), its row actions and "reveal in view". */
import * as vscode from 'vscode';
import { pickRef } from '../commands/pickers';
import type { FlowportStore } from '../store';
import { staleNote, type StoreStatusBar } from '../store-status';
import { FLOWS_VIEW_ID, FlowsTreeProvider } from './flows-tree';
import { EnvItem, FlowItem } from './nodes';

/** Drives the welcome views (package.json `viewsWelcome`), shown while the tree is empty. */
export type ViewState = 'loading' | 'untrusted' | 'noConfig' | 'problem' | 'noFlows' | 'ready';

export function registerFlowsView(
  context: vscode.ExtensionContext,
  store: FlowportStore,
  storeStatus?: StoreStatusBar,
): FlowsTreeProvider {
  const provider = new FlowsTreeProvider(store);
  const view = vscode.window.createTreeView(FLOWS_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  const update = () => {
    const state = viewState(store);
    void vscode.commands.executeCommand('setContext', 'flowport.state', state);
  };
  update();
  // A team store that cannot be reached: the header says the rows are the last state seen.
  // Set only when it changes: the view re-renders its header for each assignment.
  let shownNote: string | undefined;
  const markStale = () => {
    const note = storeStatus && staleNote(storeStatus);
    if (note === shownNote) return;
    shownNote = note;
    view.description = note ? 'stale: last state seen' : undefined;
    view.message = note ? `Flowport ${note}.` : undefined;
  };
  if (storeStatus) context.subscriptions.push(storeStatus.onDidChange(markStale));
  const ticker = setInterval(() => provider.refresh(), 60_000);
  context.subscriptions.push(
    { dispose: () => clearInterval(ticker) },
    view,
    view.onDidExpandElement((e) => provider.setExpanded(e.element, true)),
    view.onDidCollapseElement((e) => provider.setExpanded(e.element, false)),
    store.onDidChange(update),
    vscode.workspace.onDidGrantWorkspaceTrust(update),
    vscode.commands.registerCommand('flowport.revealFlow', async (flowId: string) => {
      await vscode.commands.executeCommand(`${FLOWS_VIEW_ID}.focus`);
      await store.ensureLoaded();
      const found = store.findFlow(flowId);
      if (!found) return;
      const items = await provider.findFlowItem(found.flow.id);
      if (items) await view.reveal(items, { select: true, focus: true, expand: true });
    }),
    ...registerRowActions(),
  );
  return provider;
}

/**
 * An environment row's actions run at once, so their titles carry no ellipsis: Deploy HEAD to that
 * environment, Promote it to the next one. "Deploy a Version…" asks which ref. They run the same
 * commands (and tasks) as the palette.
 */
function registerRowActions(): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('flowport.deployHead', (node: EnvItem) =>
      vscode.commands.executeCommand<number | undefined>('flowport.deploy', node),
    ),
    vscode.commands.registerCommand('flowport.deployVersion', async (node: EnvItem) => {
      const ref = await pickRef(`Deploy ${node.flow.name} to ${node.cell.env}: which version?`);
      if (!ref) return undefined;
      return vscode.commands.executeCommand<number | undefined>('flowport.deploy', node.flow.id, node.cell.env, ref);
    }),
    // From the row's inline → and context menu (its node), or the row tooltip's link (flow id, env).
    vscode.commands.registerCommand('flowport.promoteNext', (target: EnvItem | string, env?: string) =>
      target instanceof EnvItem
        ? vscode.commands.executeCommand<number | undefined>('flowport.promote', target)
        : vscode.commands.executeCommand<number | undefined>('flowport.promote', target, env),
    ),
    vscode.commands.registerCommand('flowport.openFlowSource', (node: FlowItem) =>
      vscode.commands.executeCommand('flowport.openFlow', node.flow),
    ),
  ];
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

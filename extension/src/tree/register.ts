/** The Flows view, its welcome states (`flowport.state`), its row actions and "reveal in view". */
import * as vscode from 'vscode';
import { pickRef } from '../commands/pickers';
import type { FlowportStore } from '../store';
import { staleNote, type StoreStatusBar } from '../store-status';
import { FLOWS_VIEW_ID, FlowsTreeProvider } from './flows-tree';
import { EnvItem, FlowItem } from './nodes';
import { failedChecks } from '../model/failed-checks';
import type { FailedCheck } from '../model/matrix';
import { rerunChecks, runTask, TASK_TYPE, type FlowportTaskDefinition } from '../tasks/flowport-task';
import { showMessage } from '../commands/prompts';

/** Drives the welcome views (package.json `viewsWelcome`), shown while the tree is empty. */
export type ViewState = 'loading' | 'untrusted' | 'noConfig' | 'problem' | 'noFlows' | 'ready';

export function registerFlowsView(
  context: vscode.ExtensionContext,
  store: FlowportStore,
  storeStatus?: StoreStatusBar,
): FlowsTreeProvider {
  const provider = new FlowsTreeProvider(store);
  // Many rows at once: promote (or deploy) several flows together, as a plan in dependency order.
  const view = vscode.window.createTreeView(FLOWS_VIEW_ID, {
    treeDataProvider: provider,
    showCollapseAll: true,
    canSelectMany: true,
  });
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
    ...registerFailedCheckActions(store),
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
    // With several rows selected, VS Code passes them all as the second argument.
    vscode.commands.registerCommand('flowport.deployHead', (node: EnvItem, selected?: unknown) =>
      vscode.commands.executeCommand<number | undefined>('flowport.deploy', node, selected),
    ),
    vscode.commands.registerCommand('flowport.deployVersion', async (node: EnvItem) => {
      const ref = await pickRef(`Deploy ${node.flow.name} to ${node.cell.env}: which version?`);
      if (!ref) return undefined;
      return vscode.commands.executeCommand<number | undefined>('flowport.deploy', node.flow.id, node.cell.env, ref);
    }),
    // From the row's inline → and context menu (its node), or the row tooltip's link (flow id, env).
    vscode.commands.registerCommand('flowport.promoteNext', (target: EnvItem | string, env?: unknown) =>
      target instanceof EnvItem
        ? vscode.commands.executeCommand<number | undefined>('flowport.promote', target, env)
        : vscode.commands.executeCommand<number | undefined>('flowport.promote', target, env),
    ),
    vscode.commands.registerCommand('flowport.openFlowSource', (node: FlowItem) =>
      vscode.commands.executeCommand('flowport.openFlow', node.flow),
    ),
  ];
}

/** The run a failed check refused, again: the same action, flow and environments, as a task definition. */
export function refusedRun(flowName: string, env: string, run: FailedCheck['run']): FlowportTaskDefinition {
  const base = { type: TASK_TYPE, action: run.action, flow: flowName } as const;
  if (run.action === 'promote') return { ...base, from: run.from, to: env };
  return {
    ...base,
    env,
    ...(run.to === undefined ? {} : { to: run.to }),
    ...(run.ref === undefined ? {} : { ref: run.ref }),
  };
}

/**
 * A failed check's actions, from the env row (its node) or the board and the row's tooltip (flow
 * id, env): Override Checks… runs the refused deploy, promote or rollback again, asking for the
 * reason at once; Run Checks Again runs only the preflight, which clears the mark when they pass.
 */
function registerFailedCheckActions(store: FlowportStore): vscode.Disposable[] {
  const targetOf = (target: EnvItem | string, env?: string) => {
    const found =
      target instanceof EnvItem
        ? { state: target.state, flow: target.flow, env: target.cell.env }
        : (() => {
            const f = typeof target === 'string' ? store.findFlow(target) : undefined;
            return f && env ? { ...f, env } : undefined;
          })();
    if (!found) return undefined;
    const mark = failedChecks.get(found.state.folder.uri.toString(), found.flow.name, found.env);
    if (!mark) {
      void showMessage('info', `Flowport: no check failed for ${found.flow.name} in ${found.env}.`);
      return undefined;
    }
    return { state: found.state, def: refusedRun(found.flow.name, found.env, mark.run), env: found.env };
  };
  return [
    vscode.commands.registerCommand('flowport.overrideFailedCheck', async (target: EnvItem | string, env?: string) => {
      const found = targetOf(target, env);
      if (!found) return undefined;
      return runTask(store, found.state, found.def, { overrideFirst: true });
    }),
    vscode.commands.registerCommand('flowport.rerunChecks', async (target: EnvItem | string, env?: string) => {
      const found = targetOf(target, env);
      if (!found) return undefined;
      const checks = await vscode.window.withProgress({ location: { viewId: FLOWS_VIEW_ID } }, () =>
        rerunChecks(found.state, found.def),
      );
      const failing = checks.filter((c) => !c.ok);
      const flow = Array.isArray(found.def.flow) ? found.def.flow.join(', ') : found.def.flow;
      void showMessage(
        failing.length ? 'warning' : 'info',
        failing.length
          ? `Flowport: ${flow} in ${found.env}: check ${failing.map((c) => `"${c.label}"`).join(', ')} still fails: ${failing[0]!.message}`
          : `Flowport: ${flow} in ${found.env}: the checks pass now.`,
      );
      return checks;
    }),
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

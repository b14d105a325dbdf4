/** Deploy and Promote from the palette and the tree; both run as flowport tasks. */
import * as vscode from 'vscode';
import { Methods } from '../../../sdk/src/host/protocol';
import type { FlowDetails } from '../../../sdk/src/model';
import type { FlowportStore, FolderState } from '../store';
import { runTask, TASK_TYPE } from '../tasks/flowport-task';
import { EnvItem, FlowItem, GroupItem, type FlowportNode } from '../tree/nodes';
import { deployTargets, promoteSources, promoteTargets } from './choices';
import { pickEnvironment, pickFlows, pickRef } from './pickers';
import { registerTestPrompts, showMessage } from './prompts';

/** A tree node, a flow id (CodeLens, the board, keybindings) or flow ids (a refusal's fix). */
type Target = FlowportNode | string | string[];

/**
 * The Flows view hands a context-menu or inline command the clicked node, then every selected one
 * (it allows selecting many): several rows mean the flows of all of them.
 */
function treeSelection(clicked: Target | undefined, second: unknown): Target | undefined {
  if (!Array.isArray(second) || second.length < 2) return clicked;
  const nodes = (second as unknown[]).filter(
    (n): n is EnvItem | FlowItem | GroupItem => n instanceof EnvItem || n instanceof FlowItem || n instanceof GroupItem,
  );
  const state = nodes[0]?.state;
  if (!state || nodes.some((n) => n.state !== state)) return clicked;
  const ids = [
    ...new Set(nodes.flatMap((n) => (n instanceof GroupItem ? n.group.rows.map((r) => r.flow.id) : [n.flow.id]))),
  ];
  return ids;
}

/** The one environment every selected row is in (so a promote goes from there), if they share one. */
function selectedEnv(second: unknown): string | undefined {
  if (!Array.isArray(second) || second.length < 2) return undefined;
  const rows = second as unknown[];
  if (!rows.every((n): n is EnvItem => n instanceof EnvItem)) return undefined;
  const envs = new Set(rows.map((n) => n.cell.env));
  return envs.size === 1 ? [...envs][0] : undefined;
}

export function registerRunCommands(context: vscode.ExtensionContext, store: FlowportStore): void {
  registerTestPrompts(context);
  context.subscriptions.push(
    // Also callable with arguments (flow id, environment, ref): CodeLens, the board, keybindings.
    vscode.commands.registerCommand('flowport.deploy', (target?: Target, env?: unknown, ref?: string) =>
      Array.isArray(env)
        ? deploy(store, treeSelection(target, env), selectedEnv(env))
        : deploy(store, target, env as string | undefined, ref),
    ),
    vscode.commands.registerCommand('flowport.promote', (target?: Target, from?: unknown) =>
      Array.isArray(from)
        ? promote(store, treeSelection(target, from), selectedEnv(from))
        : promote(store, target, from as string | undefined),
    ),
  );
}

/** Targets from a tree node or flow ids; undefined to ask; null for ids not found (said so). */
function flowsOf(
  store: FlowportStore,
  node: Target | undefined,
): { state: FolderState; flows: FlowDetails[] } | null | undefined {
  if (typeof node === 'string') node = [node];
  if (Array.isArray(node)) {
    const found = node.map((id) => store.findFlow(id));
    const state = found[0]?.state;
    if (!state || found.some((f) => !f || f.state !== state)) {
      void showMessage('warning', `Flowport: no flow ${node.join(', ')} in this workspace. Run "Flowport: Refresh".`);
      return null;
    }
    return { state, flows: found.map((f) => f!.flow) };
  }
  if (node instanceof FlowItem) return { state: node.state, flows: [node.flow] };
  if (node instanceof GroupItem) return { state: node.state, flows: node.group.rows.map((r) => r.flow) };
  if (node instanceof EnvItem) return { state: node.state, flows: [node.flow] };
  return undefined;
}

async function deploy(
  store: FlowportStore,
  node?: Target,
  presetEnv?: string,
  presetRef?: string,
): Promise<number | undefined> {
  if (!trusted()) return undefined;
  // A flow id (a keybinding, tasks run early) may come before anything is loaded.
  if (typeof node === 'string' || Array.isArray(node)) await store.ensureLoaded();
  const given = flowsOf(store, node);
  const target = given === undefined ? await pickFlows(store, 'Flowport: Deploy') : given;
  if (!target) return undefined;
  const { state, flows } = target;
  const env =
    presetEnv ??
    (node instanceof EnvItem
      ? node.cell.env
      : await pickEnvironment('Deploy to', deployTargets(state, flows), state.project?.environments[0]?.name));
  if (!env) return undefined;
  // From the tree or with an environment given, the version is HEAD; from the palette, ask.
  const fromTree = node instanceof EnvItem || node instanceof FlowItem || node instanceof GroupItem;
  const ref = presetRef ?? (fromTree || presetEnv ? 'HEAD' : await pickRef('Deploy which version?'));
  if (!ref) return undefined;
  if (ref === 'HEAD' && !(await confirmDirty(state))) return undefined;
  return runTask(store, state, { type: TASK_TYPE, action: 'deploy', flow: flows.map((f) => f.name), env, ref });
}

async function promote(store: FlowportStore, node?: Target, presetFrom?: string): Promise<number | undefined> {
  if (!trusted()) return undefined;
  // A flow id (a keybinding, tasks run early) may come before anything is loaded.
  if (typeof node === 'string' || Array.isArray(node)) await store.ensureLoaded();
  const given = flowsOf(store, node);
  const target = given === undefined ? await pickFlows(store, 'Flowport: Promote') : given;
  if (!target) return undefined;
  const { state, flows } = target;
  const envs = state.project?.environments ?? [];
  const from =
    node instanceof EnvItem
      ? node.cell.env
      : (presetFrom ?? (await pickEnvironment('Promote from', promoteSources(state, flows))));
  if (!from) return undefined;
  const next = envs[envs.findIndex((e) => e.name === from) + 1]?.name;
  // From a row or with the source given, the target is the next environment (the host says when
  // that cannot work, and what to do instead).
  const to =
    (node instanceof EnvItem || presetFrom) && next
      ? next
      : await pickEnvironment(`Promote from ${from} to`, promoteTargets(state, flows, from), next);
  if (!to) return undefined;
  return runTask(store, state, { type: TASK_TYPE, action: 'promote', flow: flows.map((f) => f.name), from, to });
}

/** Restricted Mode runs nothing of the project: say so, rather than that there are no flows. */
function trusted(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void showMessage('info', 'Flowport deploys nothing in Restricted Mode: trust this workspace to deploy and promote.');
  return false;
}

/** Uncommitted changes are not in HEAD: say so before deploying HEAD. */
async function confirmDirty(state: FolderState): Promise<boolean> {
  const status = await (await state.client.connect()).sendRequest(Methods.gitStatus);
  if (!status.dirty) return true;
  const answer = await showMessage(
    'warning',
    'You have uncommitted changes. A deploy takes the committed HEAD, without them.',
    { modal: true },
    'Deploy HEAD',
  );
  return answer === 'Deploy HEAD';
}

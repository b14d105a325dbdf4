/** Deploy and Promote from the palette and the tree; both run as flowport tasks. */
import * as vscode from 'vscode';
import { Methods } from '../../../sdk/src/host/protocol';
import type { FlowDetails } from '../../../sdk/src/model';
import type { FlowportStore, FolderState } from '../store';
import { runTask, TASK_TYPE } from '../tasks/flowport-task';
import { EnvItem, FlowItem, GroupItem, type FlowportNode } from '../tree/nodes';
import { pickEnvironment, pickFlows, pickRef } from './pickers';

export function registerRunCommands(context: vscode.ExtensionContext, store: FlowportStore): void {
  context.subscriptions.push(
    // Also callable with arguments (flow id, environment, ref): CodeLens, the board, keybindings.
    vscode.commands.registerCommand('flowport.deploy', (target?: FlowportNode | string, env?: string, ref?: string) =>
      deploy(store, target, env, ref),
    ),
    vscode.commands.registerCommand('flowport.promote', (target?: FlowportNode | string, from?: string) =>
      promote(store, target, from),
    ),
  );
}

/** Targets from a tree node or a flow id (CodeLens, board), or undefined to ask. */
function flowsOf(
  store: FlowportStore,
  node: FlowportNode | string | undefined,
): { state: FolderState; flows: FlowDetails[] } | undefined {
  if (typeof node === 'string') {
    const found = store.findFlow(node);
    return found && { state: found.state, flows: [found.flow] };
  }
  if (node instanceof FlowItem) return { state: node.state, flows: [node.flow] };
  if (node instanceof GroupItem) return { state: node.state, flows: node.group.rows.map((r) => r.flow) };
  if (node instanceof EnvItem) return { state: node.state, flows: [node.flow] };
  return undefined;
}

async function deploy(
  store: FlowportStore,
  node?: FlowportNode | string,
  presetEnv?: string,
  presetRef?: string,
): Promise<number | undefined> {
  const target = flowsOf(store, node) ?? (await pickFlows(store, 'Flowport: Deploy'));
  if (!target) return undefined;
  const { state, flows } = target;
  const env =
    presetEnv ??
    (node instanceof EnvItem
      ? node.cell.env
      : await pickEnvironment(state, 'Deploy to', state.project?.environments[0]?.name));
  if (!env) return undefined;
  // From the tree or with an environment given, the version is HEAD; from the palette, ask.
  const fromTree = node instanceof EnvItem || node instanceof FlowItem || node instanceof GroupItem;
  const ref = presetRef ?? (fromTree || presetEnv ? 'HEAD' : await pickRef('Deploy which version?'));
  if (!ref) return undefined;
  if (ref === 'HEAD' && !(await confirmDirty(state))) return undefined;
  return runTask(store, state, { type: TASK_TYPE, action: 'deploy', flow: flows.map((f) => f.name), env, ref });
}

async function promote(
  store: FlowportStore,
  node?: FlowportNode | string,
  presetFrom?: string,
): Promise<number | undefined> {
  const target = flowsOf(store, node) ?? (await pickFlows(store, 'Flowport: Promote'));
  if (!target) return undefined;
  const { state, flows } = target;
  const envs = state.project?.environments ?? [];
  const from =
    node instanceof EnvItem
      ? node.cell.env
      : (presetFrom ?? (await pickEnvironment(state, 'Promote from', envs[0]?.name)));
  if (!from) return undefined;
  const next = envs[envs.findIndex((e) => e.name === from) + 1]?.name;
  const to =
    (node instanceof EnvItem || presetFrom) && next
      ? next
      : await pickEnvironment(state, `Promote from ${from} to`, next, from);
  if (!to) return undefined;
  return runTask(store, state, { type: TASK_TYPE, action: 'promote', flow: flows.map((f) => f.name), from, to });
}

/** Uncommitted changes are not in HEAD: say so before deploying HEAD. */
async function confirmDirty(state: FolderState): Promise<boolean> {
  const status = await (await state.client.connect()).sendRequest(Methods.gitStatus);
  if (!status.dirty) return true;
  const answer = await vscode.window.showWarningMessage(
    'You have uncommitted changes. A deploy takes the committed HEAD, without them.',
    { modal: true },
    'Deploy HEAD',
  );
  return answer === 'Deploy HEAD';
}

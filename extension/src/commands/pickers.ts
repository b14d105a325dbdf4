/** QuickPicks shared by the palette commands. */
import * as vscode from 'vscode';
import type { FlowDetails } from '../../../sdk/src/model';
import { showNoFlows } from '../no-flows';
import type { FlowportStore, FolderState } from '../store';

export interface PickedFlows {
  state: FolderState;
  flows: FlowDetails[];
}

/** Pick one or more flows (of one folder: a run belongs to one project). */
export async function pickFlows(store: FlowportStore, title: string): Promise<PickedFlows | undefined> {
  await store.ensureLoaded();
  const states = store.folders.filter((s) => s.flows.length > 0);
  if (states.length === 0) {
    showNoFlows(store);
    return undefined;
  }
  type Item = vscode.QuickPickItem & { state: FolderState; flow: FlowDetails };
  const items: Item[] = states.flatMap((state) =>
    state.flows.map((flow) => ({
      label: flow.name,
      description: `${flow.sourceRelative}:${flow.line}${states.length > 1 ? ` — ${state.folder.name}` : ''}`,
      detail: flow.description || undefined,
      state,
      flow,
    })),
  );
  const picked = await vscode.window.showQuickPick(items, {
    title,
    canPickMany: true,
    matchOnDescription: true,
    placeHolder: 'Flows to run',
  });
  if (!picked?.length) return undefined;
  const state = picked[0]!.state;
  if (picked.some((p) => p.state !== state)) {
    void vscode.window.showWarningMessage('Pick flows of one workspace folder at a time.');
    return undefined;
  }
  return { state, flows: picked.map((p) => p.flow) };
}

export async function pickEnvironment(
  state: FolderState,
  title: string,
  preset?: string,
  exclude?: string,
): Promise<string | undefined> {
  const envs = (state.project?.environments ?? []).filter((e) => e.name !== exclude);
  const items = envs.map((e) => ({
    label: e.name,
    description: e.protected ? 'protected' : undefined,
    picked: e.name === preset,
  }));
  if (preset) items.sort((a, b) => (a.label === preset ? -1 : b.label === preset ? 1 : 0));
  return (await vscode.window.showQuickPick(items, { title, placeHolder: 'Environment' }))?.label;
}

export async function pickRef(title: string): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title,
    value: 'HEAD',
    prompt: 'Branch, tag or commit to deploy',
    validateInput: (v) =>
      v.trim() === ''
        ? 'Enter a ref, e.g. HEAD or main'
        : v.startsWith('-')
          ? 'A ref cannot start with "-"'
          : undefined,
  });
}

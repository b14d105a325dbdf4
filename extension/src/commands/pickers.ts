/** QuickPicks shared by the palette commands. */
import * as vscode from 'vscode';
import type { FlowDetails } from '../../../sdk/src/model';
import { showNoFlows } from '../no-flows';
import type { FlowportStore, FolderState } from '../store';
import { input, pick, showMessage, type PickItem } from './prompts';

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

/** An environment a picker lists: one that can work, or, with `reason`, one that cannot and why. */
export interface EnvChoice {
  env: string;
  description?: string;
  /** Why it cannot be picked: shown under "Not available", and not accepted. */
  reason?: string;
}

/**
 * Offers the environments that can work; those that cannot are listed under them with their
 * reason, and cannot be picked. With none that can work, a message says why instead of a picker
 * with nothing to pick.
 */
export async function pickEnvironment(
  title: string,
  choices: readonly EnvChoice[],
  preset?: string,
): Promise<string | undefined> {
  const available = choices.filter((c) => c.reason === undefined);
  const unavailable = choices.filter((c) => c.reason !== undefined);
  if (available.length === 0) {
    void showMessage(
      'info',
      `${title}: nothing can work here. ${unavailable.map((c) => `${c.env}: ${c.reason}`).join('; ')}.`,
    );
    return undefined;
  }
  type Item = PickItem & { env?: string };
  const items: Item[] = available.map((c) => ({
    label: c.env,
    ...(c.description ? { description: c.description } : {}),
    env: c.env,
  }));
  if (preset) items.sort((a, b) => (a.env === preset ? -1 : b.env === preset ? 1 : 0));
  if (unavailable.length > 0) {
    items.push({ label: 'Not available', kind: vscode.QuickPickItemKind.Separator });
    for (const c of unavailable) items.push({ label: c.env, unavailable: c.reason! });
  }
  return (await pick(items, { title, placeHolder: 'Environment' }))?.env;
}

export async function pickRef(title: string): Promise<string | undefined> {
  return input({
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

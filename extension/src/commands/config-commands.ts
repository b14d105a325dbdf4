/** Open the config (at an error's line when there is one) or write a starter config. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { starterConfigText } from '../../../sdk/src/config/starter';
import type { FlowportStore, FolderState } from '../store';

export function registerConfigCommands(context: vscode.ExtensionContext, store: FlowportStore): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowport.openConfig', () => openConfig(store)),
    vscode.commands.registerCommand('flowport.createConfig', () => createConfig(store)),
  );
}

async function openConfig(store: FlowportStore): Promise<void> {
  await store.ensureLoaded();
  const state = store.folders.find((s) => s.project?.configProblem) ?? store.folders.find((s) => s.project?.configFile);
  if (!state?.project?.configFile) {
    const create = await vscode.window.showInformationMessage(
      'This workspace has no flowport.config.ts yet.',
      'Create flowport.config.ts',
    );
    if (create) await createConfig(store);
    return;
  }
  // At the error, which may be in a file the config imports.
  const problem = state.project.configProblem;
  const line = Math.max(0, (problem?.line ?? 1) - 1);
  const position = new vscode.Position(line, 0);
  await vscode.window.showTextDocument(vscode.Uri.file(problem?.file ?? state.project.configFile), {
    selection: new vscode.Range(position, position),
  });
}

/**
 * A starter config: default environments, and the flows found so far listed in a comment, each
 * name and path encoded so that nothing they hold can leave the comment and run.
 */
export function starterConfig(state: FolderState): string {
  return starterConfigText(state.flows);
}

async function createConfig(store: FlowportStore): Promise<void> {
  await store.ensureLoaded();
  const state = store.folders.find((s) => !s.project?.configFile) ?? store.folders[0];
  if (!state) return;
  const file = join(state.folder.uri.fsPath, 'flowport.config.ts');
  try {
    await writeFile(file, starterConfig(state), { flag: 'wx' }); // never overwrite a config
  } catch {
    void vscode.window.showWarningMessage(`${file} already exists.`);
  }
  await vscode.window.showTextDocument(vscode.Uri.file(file));
}

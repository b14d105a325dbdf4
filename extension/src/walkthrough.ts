/**
 * The "Get Started with Flowport" walkthrough (package.json `contributes.walkthroughs`): the
 * context keys that check its steps off, and the one command it needs that the rest does not
 * have, Mark a Flow. Each key says what happened in the workspace, not what was clicked:
 *
 * - `flowport.hasFlows`      some folder has a flow
 * - `flowport.hasConfig`     every workspace folder has a flowport.config.* (Create is hidden then)
 * - `flowport.hasDeployed`   a flow was deployed (any outcome)
 * - `flowport.hasPromoted`   a flow was promoted
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { FlowportStore } from './store';

/** Where a folder's config may be (the SDK's CONFIG_FILE_NAMES, as in activationEvents). */
const CONFIG_NAMES = ['flowport.config.ts', 'flowport.config.mts', 'flowport.config.js', 'flowport.config.mjs'];

const SOURCE_LANGUAGES = new Set(['typescript', 'typescriptreact', 'javascript', 'javascriptreact']);

export function registerWalkthrough(context: vscode.ExtensionContext, store: FlowportStore): void {
  const keys = new Map<string, boolean>();
  const set = (key: string, value: boolean) => {
    if (keys.get(key) === value) return;
    keys.set(key, value);
    void vscode.commands.executeCommand('setContext', key, value);
  };
  const update = () => {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    // Read from the disk, so it is right before any SDK host has started (the store is lazy).
    set(
      'flowport.hasConfig',
      folders.length > 0 && folders.every((f) => CONFIG_NAMES.some((n) => existsSync(join(f.uri.fsPath, n)))),
    );
    const states = store.folders;
    set(
      'flowport.hasFlows',
      states.some((s) => s.flows.length > 0),
    );
    set(
      'flowport.hasDeployed',
      states.some((s) => s.deployments.length > 0),
    );
    set(
      'flowport.hasPromoted',
      states.some((s) => s.deployments.some((d) => d.promotedFrom)),
    );
  };
  update();
  const configs = vscode.workspace.createFileSystemWatcher('**/flowport.config.{ts,mts,js,mjs}', false, true, false);
  context.subscriptions.push(
    configs,
    configs.onDidCreate(update),
    configs.onDidDelete(update),
    store.onDidChange(update),
    vscode.workspace.onDidChangeWorkspaceFolders(update),
    vscode.commands.registerCommand('flowport.markFlow', () => markFlow(store)),
  );
}

/** A flow marked with a JSDoc tag: found statically, and it needs no import. */
const FLOW_SNIPPET = [
  '/**',
  ' * ${2:What this flow does}.',
  ' * @flow ${1:my-flow}',
  ' */',
  'export async function ${3:myFlow}(): Promise<void> {',
  '\t$0',
  '}',
  '',
].join('\n');

/**
 * In a TypeScript or JavaScript editor: a `@flow` function at the cursor. Otherwise: asks for a
 * name and writes a new file with one under `src/`.
 */
async function markFlow(store: FlowportStore): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor && SOURCE_LANGUAGES.has(editor.document.languageId) && editor.document.uri.scheme === 'file') {
    await editor.insertSnippet(new vscode.SnippetString(FLOW_SNIPPET));
    return;
  }
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file');
  if (!folder) {
    void vscode.window.showInformationMessage('Open a folder first: Flowport finds flows in its files.');
    return;
  }
  const name = await vscode.window.showInputBox({
    title: 'Mark a Flow',
    prompt: 'The new flow’s name; its file goes to src/',
    value: 'hello-flow',
    validateInput: (v) => (/^[A-Za-z][\w-]*$/.test(v) ? undefined : 'Letters, digits, - and _, starting with a letter'),
  });
  if (!name) return;
  const dir = join(folder.uri.fsPath, 'src');
  const file = join(dir, `${name}.ts`);
  const fn = name.replace(/[-_]+(\w)/g, (_, c: string) => c.toUpperCase());
  const text = `/**\n * What this flow does.\n * @flow ${name}\n */\nexport async function ${fn}(): Promise<void> {\n  // …\n}\n`;
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(file, text, { flag: 'wx' }); // never over a file
  } catch {
    void vscode.window.showWarningMessage(`${file} already exists.`);
  }
  await vscode.window.showTextDocument(vscode.Uri.file(file));
  // The host lists the new file by its watcher; loading here makes the step check off without the view.
  await store.ensureLoaded();
}

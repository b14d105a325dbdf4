/**
 * Keeps the views current: source changes go to the host's incremental index, a changed config
 * (or a file it imports) restarts the host, and workspace folder and trust changes are followed.
 */
import * as vscode from 'vscode';
import { Methods } from '../../sdk/src/host/protocol';
import type { FlowportStore } from './store';

const SOURCE_GLOB = '**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}';
const CONFIG_GLOB = '**/flowport.config.{ts,mts,js,mjs}';
/** Never scanned: events there are noise. `.git/info/exclude` holds ignore rules, so it counts. */
const SKIPPED = /[\\/](node_modules|\.flowport|\.git(?![\\/]info[\\/]exclude$))([\\/]|$)/;

export function registerWatchers(context: vscode.ExtensionContext, store: FlowportStore): void {
  const pending = new Map<string, Set<string>>();
  let timer: NodeJS.Timeout | undefined;
  // Batches a burst of saves (a branch switch, a formatter) into one update per folder.
  const queue = (uri: vscode.Uri) => {
    const state = store.stateFor(uri);
    if (!state || SKIPPED.test(uri.fsPath)) return;
    // A file the config imports (or the file its error names): the config loads again.
    if (state.project?.configSources.includes(uri.fsPath)) return restart(uri);
    const key = state.folder.uri.toString();
    pending.set(key, (pending.get(key) ?? new Set()).add(uri.fsPath));
    clearTimeout(timer);
    timer = setTimeout(() => {
      for (const s of store.folders) {
        const paths = pending.get(s.folder.uri.toString());
        if (paths) void s.client.connect().then((c) => c.sendNotification(Methods.filesChanged, { paths: [...paths] }));
      }
      pending.clear();
    }, 100);
  };
  // Changes only: creates and deletes come from `entries` below.
  const changes = (glob: string) => vscode.workspace.createFileSystemWatcher(glob, true, false, true);
  const sources = changes(SOURCE_GLOB);
  const gitignores = changes('**/.gitignore');
  const gitExcludes = changes('**/.git/info/exclude');
  for (const w of [sources, gitignores, gitExcludes]) w.onDidChange(queue);
  // Creates and deletes of anything, files and folders alike: a folder deleted, created or renamed
  // is reported as the folder alone, which SOURCE_GLOB does not match. The host drops what was
  // under a deleted path, lists a new folder, and passes over files it does not consider.
  const entries = vscode.workspace.createFileSystemWatcher('**/*', false, true, false);
  entries.onDidCreate(queue);
  entries.onDidDelete(queue);
  const configs = vscode.workspace.createFileSystemWatcher(CONFIG_GLOB);
  const restart = (uri: vscode.Uri) => {
    const state = store.stateFor(uri);
    // The config watcher and the source watcher both see a save: the store makes it one reload.
    if (state && uri.fsPath.startsWith(state.folder.uri.fsPath))
      void store.reloadProject(state, `${uri.fsPath} changed`);
  };
  configs.onDidChange(restart);
  configs.onDidCreate(restart);
  configs.onDidDelete(restart);

  context.subscriptions.push(
    sources,
    gitignores,
    gitExcludes,
    entries,
    configs,
    vscode.workspace.onDidChangeWorkspaceFolders(() => void store.refreshAll()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void store.refreshAll()),
    { dispose: () => clearTimeout(timer) },
  );
}

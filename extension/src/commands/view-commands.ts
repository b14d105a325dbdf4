/** Commands that look rather than change: refresh, open, copy, show log, restart the host. */
import * as vscode from 'vscode';
import type { FlowDetails } from '../../../sdk/src/model';
import type { FlowportStore } from '../store';
import { DetailItem, EnvItem, FlowItem, FolderNode, GroupItem, type FlowportNode } from '../tree/nodes';
import { withViewProgress } from '../tree/flows-tree';
import { openExternal } from './prompts';

export function registerViewCommands(context: vscode.ExtensionContext, store: FlowportStore): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowport.refresh', (node?: FlowportNode) => refresh(store, node)),
    vscode.commands.registerCommand('flowport.restartHost', () => withViewProgress(() => store.restartHosts())),
    vscode.commands.registerCommand('flowport.openFlow', (flow: FlowDetails) => openFlow(flow)),
    vscode.commands.registerCommand('flowport.copyValue', (node: DetailItem) => copy(node)),
    vscode.commands.registerCommand('flowport.openUrl', (node: EnvItem | DetailItem) => openUrl(node)),
    vscode.commands.registerCommand('flowport.showLog', (node: EnvItem) => showLog(node)),
  );
}

async function refresh(store: FlowportStore, node?: FlowportNode): Promise<void> {
  await withViewProgress(async () => {
    if (node instanceof FolderNode || node instanceof GroupItem || node instanceof FlowItem) {
      await store.refreshFolder(node.state);
    } else {
      await store.refreshAll();
    }
  });
}

export async function openFlow(flow: FlowDetails): Promise<void> {
  const position = new vscode.Position(Math.max(0, flow.line - 1), 0);
  await vscode.window.showTextDocument(vscode.Uri.file(flow.sourcePath), {
    selection: new vscode.Range(position, position),
  });
}

async function copy(node: DetailItem): Promise<void> {
  await vscode.env.clipboard.writeText(node.value);
  vscode.window.setStatusBarMessage(`Copied ${node.label}`, 2000);
}

async function openUrl(node: EnvItem | DetailItem): Promise<void> {
  const url = node instanceof DetailItem ? node.value : (node.cell.current ?? node.cell.latest)?.url;
  if (url && /^https?:\/\//.test(url)) await openExternal(vscode.Uri.parse(url));
}

async function showLog(node: EnvItem): Promise<void> {
  const log = node.cell.latest?.logLocation;
  if (log) await openLogLocation(log);
}

/** A deployment's log: a URL opens in the browser, a file path in an editor. */
export async function openLogLocation(log: string): Promise<void> {
  if (/^https?:\/\//.test(log)) {
    await openExternal(vscode.Uri.parse(log));
    return;
  }
  await vscode.window.showTextDocument(vscode.Uri.file(log), { preview: true });
}

/** Commands that look rather than change: refresh, open, copy, show log, restart the host. */
import { realpath } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DeploymentDetails, FlowDetails } from '../../../sdk/src/model';
import { revealOutput } from '../../../sdk/src/secrets';
import { isActive } from '../logs/follow';
import type { LiveLogs } from '../logs/log-terminal';
import type { FlowportStore, FolderState } from '../store';
import { DetailItem, EnvItem, FlowItem, FolderNode, GroupItem, type FlowportNode } from '../tree/nodes';
import { withViewProgress } from '../tree/flows-tree';
import { openExternal, showMessage } from './prompts';

export function registerViewCommands(context: vscode.ExtensionContext, store: FlowportStore, logs: LiveLogs): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowport.refresh', (node?: FlowportNode) => refresh(store, node)),
    vscode.commands.registerCommand('flowport.restartHost', () => withViewProgress(() => store.restartHosts())),
    vscode.commands.registerCommand('flowport.openFlow', (flow: FlowDetails) => openFlow(flow)),
    vscode.commands.registerCommand('flowport.copyValue', (node: DetailItem) => copy(node)),
    vscode.commands.registerCommand('flowport.openUrl', (node: EnvItem | DetailItem) => openUrl(node)),
    vscode.commands.registerCommand('flowport.showLog', (node: EnvItem) => showLog(logs, node)),
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
  if (node.secret) {
    await copySecret(node, node.secret);
    return;
  }
  await vscode.env.clipboard.writeText(node.value);
  vscode.window.setStatusBarMessage(`Copied ${node.label}`, 2000);
}

/**
 * A secret output goes to the clipboard only once the user says so (other apps and clipboard
 * histories can read it there); it is decrypted then, and never shown.
 */
async function copySecret(node: DetailItem, secret: NonNullable<DetailItem['secret']>): Promise<void> {
  const { deployment, output } = secret;
  const choice = await showMessage(
    'warning',
    `Copy the secret output "${output}" to the clipboard?`,
    {
      modal: true,
      detail: `It is shown as ${node.value} because it is secret. On the clipboard, other applications and clipboard histories can read it.`,
    },
    'Copy Secret',
  );
  if (choice !== 'Copy Secret') return;
  let value: string | undefined;
  try {
    value = revealOutput(deployment, output);
  } catch (err) {
    await showMessage('error', `Cannot copy "${output}": ${(err as Error).message}`);
    return;
  }
  if (value === undefined) {
    await showMessage(
      'error',
      `"${output}" of deployment ${deployment.id} was recorded in clear by an older Flowport and is shown masked; it has no encrypted copy to reveal.`,
    );
    return;
  }
  await vscode.env.clipboard.writeText(value);
  vscode.window.setStatusBarMessage(`Copied ${node.label} (secret)`, 2000);
}

async function openUrl(node: EnvItem | DetailItem): Promise<void> {
  const url = node instanceof DetailItem ? node.value : (node.cell.current ?? node.cell.latest)?.url;
  if (url && /^https?:\/\//i.test(url)) await openRecordedUrl(url, 'URL');
}

async function showLog(logs: LiveLogs, node: EnvItem): Promise<void> {
  const latest = node.cell.latest;
  if (latest) await showDeploymentLog(logs, node.state, latest);
}

/**
 * A running deployment's log in a terminal that follows it until it ends; a finished one's log
 * file (or URL) as it is. A log kept in the store itself (the team store records
 * `flowport logs <id>`: chunks in the database, written on whichever machine ran it) is read
 * through the host in that terminal too, running or finished.
 */
export async function showDeploymentLog(
  logs: LiveLogs,
  state: FolderState,
  deployment: DeploymentDetails,
): Promise<void> {
  if (isActive(deployment) || isStoreLog(deployment.logLocation)) {
    logs.show(state, deployment);
    return;
  }
  if (deployment.logLocation) await openLogLocation(deployment.logLocation, state.folder.uri);
}

/**
 * A deployment's log. Its location comes from a record anyone who can write the store can forge,
 * so a file opens only from inside the project's state folder (after links are resolved), and a
 * URL only once the user has seen it and said so.
 */
export async function openLogLocation(log: string, folder: vscode.Uri): Promise<void> {
  if (isStoreLog(log)) {
    // Not a file: showDeploymentLog reads it through the host.
    await showMessage('info', `This log is kept in the team store: run "${log}" in a terminal, or use Show Log.`);
    return;
  }
  if (/^https?:\/\//i.test(log)) {
    await openRecordedUrl(log, 'log');
    return;
  }
  const stateDir = path.join(folder.fsPath, '.flowport');
  const real = await realpath(log).catch(() => undefined);
  if (!real) {
    await showMessage('error', `The log ${log} is not there (removed, or never written).`);
    return;
  }
  const realStateDir = await realpath(stateDir).catch(() => stateDir);
  const rel = path.relative(realStateDir, real);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) {
    await showMessage(
      'error',
      `Flowport opens a log only from the project's state folder (${stateDir}); this deployment's record points at ${log}.`,
    );
    return;
  }
  await vscode.window.showTextDocument(vscode.Uri.file(real), { preview: true });
}

/** A log location that is the command reading the log from the store (`flowport logs <id>`), not a file or URL. */
export function isStoreLog(log: string | undefined): boolean {
  return log !== undefined && /^flowport logs [\w.:-]+$/.test(log);
}

/** Opens a URL a deployment record holds, once the user has seen where it goes. */
async function openRecordedUrl(url: string, what: 'URL' | 'log'): Promise<void> {
  const uri = vscode.Uri.parse(url);
  const choice = await showMessage(
    'warning',
    `Open ${uri.authority} in your browser?`,
    { modal: true, detail: `The deployment's ${what} is ${url}` },
    'Open',
  );
  if (choice === 'Open') await openExternal(uri);
}

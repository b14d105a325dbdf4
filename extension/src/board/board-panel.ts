/**
 * The board's host side: one "Flowport Board" panel. It sends the webview the store's state (only
 * after the webview said `ready`, and again on every store change), checks every message the
 * webview sends, and runs the same commands as the tree and the palette.
 */
import { randomBytes } from 'node:crypto';
import { isAbsolute, relative } from 'node:path';
import * as vscode from 'vscode';
import { Methods, type CommitDistance, type CommitPair } from '../../../sdk/src/host/protocol';
import type { BoardConfigError, BoardFolder, BoardState, HostMessage, WebviewMessage } from '../../../webview/protocol';
import { cancelDeployment } from '../commands/cancel-command';
import { lock, unlock } from '../commands/safe-ops';
import { showDeploymentLog } from '../commands/view-commands';
import { isActive } from '../logs/follow';
import type { LiveLogs } from '../logs/log-terminal';
import { staleNote, type StoreStatusBar } from '../store-status';
import { lockLookup } from '../model/locks';
import { failedChecks } from '../model/failed-checks';
import type { FlowportStore, FolderState } from '../store';
import { EnvItem, FlowItem, type FlowportNode } from '../tree/nodes';
import { boardHtml } from './html';
import { buildBoardFolder, historyEntries, pairKey } from './snapshot';
import { checkMessage } from './validate';

export const BOARD_VIEW_TYPE = 'flowport.board';

export function registerBoard(
  context: vscode.ExtensionContext,
  store: FlowportStore,
  logs: LiveLogs,
  storeStatus?: StoreStatusBar,
): void {
  let board: BoardPanel | undefined;
  const forget = () => (board = undefined);
  context.subscriptions.push(
    // From the palette and the view title (no argument), a flow's context menu (its tree node),
    // or code (a flow id): opens the board, or brings it forward, and shows that flow.
    vscode.commands.registerCommand('flowport.showBoard', (target?: FlowportNode | string) => {
      board ??= new BoardPanel(context.extensionUri, store, logs, storeStatus, forget);
      board.show(flowIdOf(target));
    }),
    // A board open when the window reloaded comes back in its tab; the webview restores its own
    // filter, collapsed groups and scroll from the state it saved with setState().
    vscode.window.registerWebviewPanelSerializer(BOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel) => {
        board?.dispose();
        board = new BoardPanel(context.extensionUri, store, logs, storeStatus, forget, panel);
      },
    }),
    { dispose: () => board?.dispose() },
  );
}

function flowIdOf(target: FlowportNode | string | undefined): string | undefined {
  if (typeof target === 'string') return target;
  if (target instanceof FlowItem || target instanceof EnvItem) return target.flow.id;
  return undefined;
}

class BoardPanel implements vscode.Disposable {
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  /** The webview has loaded and asked for data; false again while it is hidden (it is unloaded). */
  private ready = false;
  private revealFlow: string | undefined;
  private postTimer: NodeJS.Timeout | undefined;
  private readonly distances = new Map<string, CommitDistance | null>();
  private readonly counting = new Set<string>();

  /** `restored` is a panel VS Code brought back after a reload; otherwise a new one is opened. */
  constructor(
    extensionUri: vscode.Uri,
    private readonly store: FlowportStore,
    private readonly logs: LiveLogs,
    private readonly storeStatus: StoreStatusBar | undefined,
    private readonly onDispose: () => void,
    restored?: vscode.WebviewPanel,
  ) {
    const assets = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    const options = { enableScripts: true, localResourceRoots: [assets] };
    if (restored) restored.webview.options = options;
    this.panel =
      restored ??
      vscode.window.createWebviewPanel(BOARD_VIEW_TYPE, 'Flowport Board', vscode.ViewColumn.Active, options);
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'flowport.svg');
    const { webview } = this.panel;
    webview.html = boardHtml({
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(assets, 'board.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(assets, 'board.css')).toString(),
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
    });
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)),
      this.panel.onDidChangeViewState(() => {
        if (!this.panel.visible) this.ready = false;
      }),
      this.panel.onDidDispose(() => this.dispose()),
      this.store.onDidChange(() => this.schedulePost()),
      ...(this.storeStatus ? [this.storeStatus.onDidChange(() => this.schedulePost())] : []),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.schedulePost()),
    );
    void this.store.ensureLoaded();
  }

  show(flowId: string | undefined): void {
    this.panel.reveal();
    if (!flowId) return;
    this.revealFlow = flowId;
    if (this.ready) this.postReveal();
  }

  private post(message: HostMessage): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private postReveal(): void {
    if (!this.revealFlow) return;
    this.post({ type: 'reveal', flowId: this.revealFlow });
    this.revealFlow = undefined;
  }

  /** Store changes come in bursts (flows, then deployments): one post for the burst. */
  private schedulePost(): void {
    clearTimeout(this.postTimer);
    this.postTimer = setTimeout(() => this.postState(), 30);
  }

  private postState(): void {
    if (!this.ready) return;
    const folders: BoardFolder[] = [];
    for (const state of this.store.folders) {
      const { folder, missing } = buildBoardFolder(
        {
          key: state.folder.uri.toString(),
          name: state.folder.name,
          environments: state.project?.environments ?? [],
          flows: state.flows,
          deployments: state.deployments,
          lockFor: lockLookup(state),
          failedCheckFor: failedChecks.lookup(state.folder.uri.toString()),
          dependencies: state.project?.dependencies,
          configError: configErrorOf(state),
          problem: hostProblemOf(state),
        },
        (pair) => this.distances.get(pairKey(pair)),
      );
      folders.push(folder);
      void this.countCommits(state, missing);
    }
    const board: BoardState = { folders };
    // A team store that cannot be reached: the header says the board is the last state seen.
    const stale = this.storeStatus && staleNote(this.storeStatus);
    const notice = this.noticeFor(folders) ?? (stale ? `Flowport ${stale}.` : undefined);
    if (notice) board.notice = notice;
    this.post({ type: 'state', state: board });
  }

  private noticeFor(folders: BoardFolder[]): string | undefined {
    if (!vscode.workspace.isTrusted) {
      return 'Flowport is off in Restricted Mode: it would run this project’s flowport.config.ts. Trust the workspace to see and deploy flows.';
    }
    if (folders.length === 0) return 'Open a folder with flows to see them here.';
    if (this.store.folders.every((s) => !s.project && !s.error)) return 'Loading flows…';
    // A config that does not load (or a failed host) is the folder's problem, shown as such: not "no flows".
    if (folders.some((f) => f.problem)) return undefined;
    // A folder whose config is broken, or whose host failed, shows that instead: its flows are
    // unknown, not absent.
    const empty = folders.filter((f) => f.groups.length === 0);
    if (empty.length === folders.length && empty.every((f) => !f.configError && !f.problem)) {
      return 'No flows found in this workspace.';
    }
    return undefined;
  }

  /** Asks the folder's SDK host for the commit counts not known yet, then posts them. */
  private async countCommits(state: FolderState, pairs: CommitPair[]): Promise<void> {
    const wanted = pairs.filter((p) => !this.counting.has(pairKey(p)));
    if (wanted.length === 0) return;
    for (const p of wanted) this.counting.add(pairKey(p));
    try {
      const connection = await state.client.connect();
      const counts = await connection.sendRequest(Methods.commitDistances, { pairs: wanted });
      wanted.forEach((p, i) => this.distances.set(pairKey(p), counts[i] ?? null));
      this.schedulePost();
    } catch (err) {
      this.store.log.warn(`[board] could not count commits: ${String(err)}`);
    } finally {
      for (const p of wanted) this.counting.delete(pairKey(p));
    }
  }

  private onMessage(raw: unknown): void {
    const checked = checkMessage(
      raw,
      (flowId) => {
        const found = this.store.findFlow(flowId);
        return (
          found && {
            envs: (found.state.project?.environments ?? []).map((e) => e.name),
            folder: found.state.folder.uri.toString(),
          }
        );
      },
      (key) => this.store.folders.some((s) => s.folder.uri.toString() === key),
    );
    if (!checked.ok) {
      this.store.log.warn(`[board] rejected a message from the webview: ${checked.error}`);
      return;
    }
    void this.handle(checked.message).catch((err: unknown) =>
      this.store.log.error(
        `[board] ${checked.message.type} failed: ${err instanceof Error ? err.message : String(err)}`,
      ),
    );
  }

  private async handle(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.postState();
        this.postReveal();
        return;
      case 'refresh':
        await vscode.commands.executeCommand('flowport.refresh');
        return;
      case 'deploy':
        await vscode.commands.executeCommand('flowport.deploy', message.flowId, message.env, message.ref);
        return;
      case 'promote':
        // The command promotes to the environment after `from`; `to` was checked to be that one.
        await vscode.commands.executeCommand('flowport.promote', message.flowId, message.from);
        return;
      case 'promoteGroup':
        // The tree's multi-select path: the host's preflight gives the plan (dependency order,
        // versions, gates), shown before anything runs; then one task promotes them in that order.
        await vscode.commands.executeCommand('flowport.promote', message.flowIds, message.from);
        return;
      case 'openFlow':
        await vscode.commands.executeCommand('flowport.openFlow', this.store.findFlow(message.flowId)!.flow);
        return;
      case 'openConfig':
        await this.openConfig(message.folder);
        return;
    }
    const { state, flow } = this.store.findFlow(message.flowId)!;
    if (message.type === 'history') {
      const entries = historyEntries(state.deployments, flow.name, message.env);
      this.post({ type: 'history', requestId: message.requestId, flowId: flow.id, env: message.env, entries });
      return;
    }
    if (message.type === 'overrideChecks' || message.type === 'rerunChecks') {
      const command = message.type === 'overrideChecks' ? 'flowport.overrideFailedCheck' : 'flowport.rerunChecks';
      await vscode.commands.executeCommand(command, flow.id, message.env);
      return;
    }
    if (message.type === 'lock') {
      await lock(this.store, { state, env: message.env });
      return;
    }
    if (message.type === 'unlock') {
      const held = lockLookup(state)(flow.name, message.env);
      if (!held) {
        this.store.log.warn(`[board] rejected unlock: ${flow.name} in ${message.env} is not locked`);
        return;
      }
      await unlock(this.store, { state, lock: held });
      return;
    }
    const deployment = state.deployments.find(
      (d) => d.id === message.deploymentId && d.flowName === flow.name && d.env === message.env,
    );
    if (message.type === 'approve' || message.type === 'reject') {
      if (!deployment || !isActive(deployment)) {
        this.store.log.warn(
          `[board] rejected ${message.type}: ${message.deploymentId} waits for nothing in ${message.env}`,
        );
        return;
      }
      await vscode.commands.executeCommand(
        message.type === 'approve' ? 'flowport.approveDeployment' : 'flowport.rejectDeployment',
        deployment.id,
      );
      return;
    }
    if (message.type === 'rollback') {
      if (deployment?.status !== 'succeeded') {
        this.store.log.warn(
          `[board] rejected rollback: ${message.deploymentId} is not a release of ${flow.name} in ${message.env}`,
        );
        return;
      }
      await vscode.commands.executeCommand('flowport.rollback', flow.id, message.env, deployment.id);
      return;
    }
    if (message.type === 'cancel') {
      if (!deployment || !isActive(deployment)) {
        this.store.log.warn(
          `[board] rejected cancel: ${message.deploymentId} is not a running deploy of ${flow.name} in ${message.env}`,
        );
        return;
      }
      await cancelDeployment(this.store, state, deployment);
      return;
    }
    if (!deployment || (!deployment.logLocation && !isActive(deployment))) {
      this.store.log.warn(
        `[board] rejected openLog: no log of ${message.deploymentId} for ${flow.name} in ${message.env}`,
      );
      return;
    }
    await showDeploymentLog(this.logs, state, deployment);
  }

  /** Opens the folder's config at its error (which may be in a file the config imports). */
  private async openConfig(folderKey: string): Promise<void> {
    const state = this.store.folders.find((s) => s.folder.uri.toString() === folderKey);
    const problem = state?.project?.configProblem;
    if (!problem) {
      await vscode.commands.executeCommand('flowport.openConfig');
      return;
    }
    const position = new vscode.Position(Math.max(0, problem.line - 1), 0);
    await vscode.window.showTextDocument(vscode.Uri.file(problem.file), {
      selection: new vscode.Range(position, position),
    });
  }

  dispose(): void {
    clearTimeout(this.postTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
    this.onDispose();
  }
}

function configErrorOf(state: FolderState): BoardConfigError | undefined {
  const problem = state.project?.configProblem;
  if (!problem) return undefined;
  const rel = relative(state.folder.uri.fsPath, problem.file);
  const file = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split('\\').join('/') : problem.file;
  // The message starts with where (an absolute path): the board shows that as the location.
  let message = problem.message;
  for (const prefix of [`${problem.file}:${problem.line}`, `${file}:${problem.line}`]) {
    if (message.startsWith(prefix)) {
      message = message.slice(prefix.length).replace(/^(:\d+)?:\s*/, '');
      break;
    }
  }
  return { message: message || problem.message, location: `${file}:${problem.line}` };
}

function hostProblemOf(state: FolderState): string | undefined {
  if (state.project?.configProblem) return undefined; // shown as the config error
  return state.error ? `The Flowport SDK host failed: ${state.error}` : undefined;
}

/**
 * What the extension knows about each workspace folder: the project (config, environments), its
 * flows and its deployments, always as the SDK host reported them. Views render from here and
 * never from what a command guessed; deploys refresh it from the store when they end.
 */
import * as vscode from 'vscode';
import type { DeploymentDetails, Diagnostic, FlowDetails } from '../../sdk/src/model';
import { Methods, type FlowsResult, type ProjectState } from '../../sdk/src/host/protocol';
import { HostClient } from './host/host-client';
import type { EnvLock } from '../../sdk/src/backend/locks';
import { lockLookup } from './model/locks';
import { failedChecks } from './model/failed-checks';
import { buildGroups, type GroupNode } from './model/matrix';

export interface FolderState {
  folder: vscode.WorkspaceFolder;
  client: HostClient;
  project?: ProjectState;
  flows: FlowDetails[];
  diagnostics: Diagnostic[];
  deployments: DeploymentDetails[];
  /** The locks that hold in the folder's store, as the host last reported them. */
  locks: EnvLock[];
  /** Who this editor is to a lock's `by` (user@host): someone else's lock asks before it is lifted. */
  lockIdentity?: string;
  /** Set when the host could not be reached or answered with an error. */
  error?: string;
  /** A config reload asked for and not done yet (see `FlowportStore.reloadProject`). */
  reload?: PendingReload;
}

interface PendingReload {
  /** Waits for the burst of file events one save makes to end. */
  timer?: NodeJS.Timeout;
  /** The reload running now. */
  running?: Promise<void>;
  /** Saved again while a reload ran: the host may have read the old file, so once more after it. */
  again?: boolean;
  /** Resolves when no reload is waiting or running any more. */
  settled: Promise<void>;
  resolve: () => void;
}

/**
 * One save of the config is several file events (the config watcher and the source watcher both
 * see it, and a write can be reported twice): they make one reload when none came for this long.
 */
export const RELOAD_DEBOUNCE_MS = 250;

/** How the UI reads a folder that shows no flows: why, so nothing says "no flows" for a broken config. */
export type NoFlowsReason =
  | { kind: 'configProblem'; state: FolderState; message: string }
  | { kind: 'hostFailed'; state: FolderState; message: string }
  | { kind: 'noConfig' }
  | { kind: 'noFlows' };

export class FlowportStore implements vscode.Disposable {
  private readonly states = new Map<string, FolderState>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires whenever flows, deployments or the project of any folder changed. */
  readonly onDidChange = this.changed.event;
  private loading: Promise<void> | undefined;
  private loaded = false;

  constructor(
    private readonly hostScript: string,
    readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(this.changed);
    // A preflight refused by failing checks (or passing again) changes what the views show.
    this.disposables.push(failedChecks.onDidChange(() => this.changed.fire()));
  }

  get folders(): FolderState[] {
    return [...this.states.values()];
  }

  /** Loads everything once (lazily: the first view or command that needs data). */
  ensureLoaded(): Promise<void> {
    if (this.loaded || !vscode.workspace.isTrusted) return Promise.resolve();
    this.loading ??= this.refreshAll().finally(() => {
      this.loaded = true;
      this.loading = undefined;
    });
    return this.loading;
  }

  async refreshAll(): Promise<void> {
    // Restricted Mode: loading the config runs project code, so nothing is loaded at all.
    if (!vscode.workspace.isTrusted) return;
    this.syncFolders();
    await Promise.all(this.folders.map((s) => this.refreshFolder(s)));
  }

  async refreshFolder(state: FolderState): Promise<void> {
    let generation: number | undefined;
    try {
      const connection = await state.client.connect();
      generation = state.client.generation;
      state.project = await connection.sendRequest(Methods.project);
      const result = await connection.sendRequest(Methods.flows, {});
      this.applyFlows(state, result);
      state.deployments = await connection.sendRequest(Methods.deployments, { history: true });
      await this.readLocks(state, connection);
      state.error = undefined;
    } catch (err) {
      // The host was restarted meanwhile (config changed, user asked): the refresh after the
      // restart has the answer, this failure is not one.
      if (generation !== undefined && state.client.generation !== generation) return;
      const first = state.error === undefined;
      state.error = err instanceof Error ? err.message : String(err);
      this.log.error(`[${state.folder.name}] ${state.error}`);
      if (first) {
        void vscode.window
          .showErrorMessage(`Flowport could not load ${state.folder.name}: ${state.error}`, 'Show Details')
          .then((choice) => choice && this.log.show());
      }
    }
    this.changed.fire();
  }

  async refreshDeployments(state: FolderState): Promise<void> {
    let generation: number | undefined;
    try {
      const connection = await state.client.connect();
      generation = state.client.generation;
      state.deployments = await connection.sendRequest(Methods.deployments, { history: true });
      await this.readLocks(state, connection);
      this.changed.fire();
    } catch (err) {
      // A reload stopped that host: the new one's refresh reads them.
      if (generation !== undefined && state.client.generation !== generation) return;
      this.log.error(`[${state.folder.name}] could not read deployments: ${String(err)}`);
    }
  }

  /**
   * Locks are records in the same store as deployments: read with them, so a lock taken anywhere
   * (the CLI, another window) shows with the next change of the store. A host that cannot tell
   * (a store without locks) has none.
   */
  private async readLocks(state: FolderState, connection: Awaited<ReturnType<HostClient['connect']>>): Promise<void> {
    try {
      const { locks, me } = await connection.sendRequest(Methods.locks);
      state.locks = locks;
      state.lockIdentity = me;
    } catch (err) {
      this.log.warn(`[${state.folder.name}] could not read locks: ${String(err)}`);
    }
  }

  groups(state: FolderState): GroupNode[] {
    return buildGroups(
      state.flows,
      state.project?.environments ?? [],
      state.deployments,
      lockLookup(state),
      failedChecks.lookup(state.folder.uri.toString()),
      state.project?.dependencies,
    );
  }

  /** The folder and flow for a flow id, searching every folder. */
  findFlow(flowId: string): { state: FolderState; flow: FlowDetails } | undefined {
    for (const state of this.states.values()) {
      const flow = state.flows.find((f) => f.id === flowId);
      if (flow) return { state, flow };
    }
    return undefined;
  }

  stateFor(uri: vscode.Uri): FolderState | undefined {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    return folder ? this.states.get(folder.uri.toString()) : undefined;
  }

  /**
   * A config (or a file it imports) changed: reload the folder's project once for a burst of
   * changes, and not under a running deploy (the host client waits for it). Resolves when the
   * reload, and any one asked for meanwhile, is done.
   */
  reloadProject(state: FolderState, reason: string): Promise<void> {
    let pending = state.reload;
    if (!pending) {
      let resolve!: () => void;
      const settled = new Promise<void>((r) => (resolve = r));
      pending = state.reload = { settled, resolve };
    }
    if (pending.running) {
      // The host may already have read the file as it was before this save.
      pending.again = true;
      return pending.settled;
    }
    if (!pending.timer) this.log.info(`${reason}: reloading the project`);
    clearTimeout(pending.timer);
    pending.timer = setTimeout(() => this.runReload(state, pending), RELOAD_DEBOUNCE_MS);
    return pending.settled;
  }

  /** Resolves once the folder has no config reload waiting or running (for tests and commands). */
  reloadSettled(state: FolderState): Promise<void> {
    return state.reload?.settled ?? Promise.resolve();
  }

  private runReload(state: FolderState, pending: PendingReload): void {
    pending.timer = undefined;
    pending.running = state.client
      .reloadWhenIdle()
      .then(() => this.refreshFolder(state))
      .catch((err: unknown) => this.log.error(`[${state.folder.name}] reload failed: ${String(err)}`))
      .finally(() => {
        pending.running = undefined;
        if (pending.again) {
          pending.again = false;
          this.log.info(`[${state.folder.name}] the config changed during the reload: reloading the project again`);
          pending.timer = setTimeout(() => this.runReload(state, pending), RELOAD_DEBOUNCE_MS);
          return;
        }
        if (state.reload === pending) state.reload = undefined;
        pending.resolve();
      });
  }

  /** Why no flows are shown: a config error and a failed host come before "there are none". */
  noFlowsReason(): NoFlowsReason {
    for (const state of this.folders) {
      const problem = state.project?.configProblem;
      if (problem) return { kind: 'configProblem', state, message: problem.message };
    }
    for (const state of this.folders) {
      if (state.error) return { kind: 'hostFailed', state, message: state.error };
    }
    if (this.folders.length > 0 && this.folders.every((s) => s.project && !s.project.configFile)) {
      return { kind: 'noConfig' };
    }
    return { kind: 'noFlows' };
  }

  /** Restarts every host (config changed, or the user asked) and reloads. */
  async restartHosts(): Promise<void> {
    await Promise.all(this.folders.map((s) => s.client.restart()));
    await this.refreshAll();
  }

  private applyFlows(state: FolderState, result: FlowsResult): void {
    state.flows = result.flows;
    state.diagnostics = result.diagnostics;
  }

  /** Keeps one state (and one host) per workspace folder. */
  syncFolders(): void {
    const wanted = new Map((vscode.workspace.workspaceFolders ?? []).map((f) => [f.uri.toString(), f]));
    for (const [key, state] of this.states) {
      if (!wanted.has(key)) {
        state.client.dispose();
        this.states.delete(key);
      }
    }
    for (const [key, folder] of wanted) {
      if (this.states.has(key) || folder.uri.scheme !== 'file') continue;
      const client = new HostClient(folder, this.hostScript, this.log);
      const state: FolderState = { folder, client, flows: [], diagnostics: [], deployments: [], locks: [] };
      // A host that died is restarted by its client: what failed with it is read again from the new one.
      client.onDidStart(() => {
        if (state.error !== undefined && !state.reload) setTimeout(() => void this.refreshFolder(state), 0);
      });
      client.onNotification(({ method, params }) => {
        if (method === Methods.flowsChanged.method) {
          this.applyFlows(state, params as FlowsResult);
          this.changed.fire();
        } else if (method === Methods.deploymentsChanged.method) {
          void this.refreshDeployments(state);
        }
      });
      this.states.set(key, state);
    }
  }

  dispose(): void {
    for (const s of this.states.values()) {
      clearTimeout(s.reload?.timer);
      s.reload?.resolve();
      s.client.dispose();
    }
    this.states.clear();
    for (const d of this.disposables) d.dispose();
  }
}

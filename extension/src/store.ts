/**
 * What the extension knows about each workspace folder: the project (config, environments), its
 * flows and its deployments, always as the SDK host reported them. Views render from here and
 * never from what a command guessed; deploys refresh it from the store when they end.
 */
import * as vscode from 'vscode';
import type { DeploymentDetails, Diagnostic, FlowDetails } from '../../sdk/src/model';
import { Methods, type FlowsResult, type ProjectState } from '../../sdk/src/host/protocol';
import { HostClient } from './host/host-client';
import { buildGroups, type GroupNode } from './model/matrix';

export interface FolderState {
  folder: vscode.WorkspaceFolder;
  client: HostClient;
  project?: ProjectState;
  flows: FlowDetails[];
  diagnostics: Diagnostic[];
  deployments: DeploymentDetails[];
  /** Set when the host could not be reached or answered with an error. */
  error?: string;
}

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
    try {
      const connection = await state.client.connect();
      state.deployments = await connection.sendRequest(Methods.deployments, { history: true });
      this.changed.fire();
    } catch (err) {
      this.log.error(`[${state.folder.name}] could not read deployments: ${String(err)}`);
    }
  }

  groups(state: FolderState): GroupNode[] {
    return buildGroups(state.flows, state.project?.environments ?? [], state.deployments);
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
      const state: FolderState = { folder, client, flows: [], diagnostics: [], deployments: [] };
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
    for (const s of this.states.values()) s.client.dispose();
    this.states.clear();
    for (const d of this.disposables) d.dispose();
  }
}

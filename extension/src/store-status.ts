/**
 * The status bar item saying which store the deployments are in: the local ledger
 * ("$(database) Flowport: local") or a team store on PostgreSQL ("$(cloud) Flowport: team"), and
 * when the team store cannot be reached, that the views show the last state seen
 * ("$(warning) Flowport: team (stale)"). Each folder's host tells it (`flowport/storeStatus` at
 * start, `flowport/storeStatusChanged` after); the tree and the board read it from here too.
 */
import * as vscode from 'vscode';
import { Methods, type StoreStatus } from '../../sdk/src/host/protocol';
import type { HostClient } from './host/host-client';
import type { FlowportStore, FolderState } from './store';

export type { StoreStatus };

export class StoreStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('flowport.storeStatus', vscode.StatusBarAlignment.Left, 10);
  /** Each folder's status, by the host client that told it. */
  private readonly statuses = new Map<HostClient, StoreStatus>();
  /** The host generation each client's notification handler is on. */
  private readonly hooked = new Map<HostClient, number>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when any folder's store status changed. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly store: FlowportStore) {
    this.item.name = 'Flowport Store';
    this.item.command = 'workbench.view.extension.flowport';
    this.disposables.push(
      this.item,
      this.changed,
      store.onDidChange(() => this.sync()),
    );
  }

  /** The status of one folder's store, once its host said. */
  of(state: FolderState): StoreStatus | undefined {
    return this.statuses.get(state.client);
  }

  /** The folders' statuses whose store is stale. */
  stale(): StoreStatus[] {
    return this.loadedFolders()
      .map((s) => this.of(s))
      .filter((s): s is StoreStatus => s !== undefined && !s.live);
  }

  /** What the item shows now (the tests read it). */
  get shown(): { text: string; tooltip: string; visible: boolean } {
    const tooltip = typeof this.item.tooltip === 'string' ? this.item.tooltip : (this.item.tooltip?.value ?? '');
    return { text: this.item.text, tooltip, visible: this.visible };
  }

  private visible = false;

  private loadedFolders(): FolderState[] {
    return this.store.folders.filter((s) => s.project?.configFile);
  }

  /** Hooks each running host (once per start) and asks it for its status. */
  private sync(): void {
    for (const state of this.store.folders) {
      const client = state.client;
      if (client.pid === undefined || this.hooked.get(client) === client.generation) continue;
      this.hooked.set(client, client.generation);
      void this.hook(client);
    }
    for (const client of [...this.statuses.keys()])
      if (!this.store.folders.some((s) => s.client === client)) this.statuses.delete(client);
    this.render();
  }

  private async hook(client: HostClient): Promise<void> {
    const generation = client.generation;
    try {
      const connection = await client.connect();
      connection.onNotification(Methods.storeStatusChanged, (status) => this.set(client, status));
      const status = await connection.sendRequest(Methods.storeStatus);
      if (client.generation === generation) this.set(client, status);
    } catch (err) {
      // A host that is restarting: the next start hooks again.
      this.store.log.warn(`store status: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private set(client: HostClient, status: StoreStatus): void {
    const before = this.statuses.get(client);
    this.statuses.set(client, status);
    this.store.log.info(
      `store status: ${status.store} ${status.live ? 'live' : `stale since ${status.staleSince} (${status.reason ?? '?'})`} · ${status.where}`,
    );
    this.render();
    if (JSON.stringify(before) !== JSON.stringify(status)) this.changed.fire();
  }

  private render(): void {
    const statuses = this.loadedFolders()
      .map((s) => ({ state: s, status: this.of(s) }))
      .filter((x): x is { state: FolderState; status: StoreStatus } => x.status !== undefined);
    if (statuses.length === 0) {
      this.visible = false;
      this.item.hide();
      return;
    }
    const team = statuses.some((x) => x.status.store === 'team');
    const stale = statuses.filter((x) => !x.status.live);
    this.item.text = stale.length
      ? '$(warning) Flowport: team (stale)'
      : team
        ? '$(cloud) Flowport: team'
        : '$(database) Flowport: local';
    this.item.backgroundColor = stale.length ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const lines = statuses.map(({ state, status }) => {
      const name = statuses.length > 1 ? `${state.folder.name}: ` : '';
      if (status.store === 'local')
        return `${name}deployments in the local ledger (${status.where}), this machine only.`;
      if (status.live) return `${name}deployments in the team store at ${status.where}, live.`;
      const since = status.staleSince ? new Date(status.staleSince).toLocaleString() : 'a moment ago';
      return (
        `${name}the team store at ${status.where} cannot be reached since ${since}` +
        `${status.reason ? ` (${status.reason})` : ''}. The views show the last state seen; ` +
        'deploy, promote, roll back, lock and approve are refused until it is back.'
      );
    });
    this.item.tooltip = lines.join('\n\n');
    this.visible = true;
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** One line for a view's header when a store is stale, else undefined. */
export function staleNote(bar: StoreStatusBar): string | undefined {
  const stale = bar.stale();
  if (stale.length === 0) return undefined;
  const since = stale[0]!.staleSince;
  return `stale: the team store cannot be reached${since ? ` since ${new Date(since).toLocaleTimeString()}` : ''}; showing the last state seen`;
}

export function registerStoreStatus(context: vscode.ExtensionContext, store: FlowportStore): StoreStatusBar {
  const bar = new StoreStatusBar(store);
  context.subscriptions.push(bar);
  return bar;
}

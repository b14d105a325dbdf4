/** The "Flows" view: folders (multi-root) → groups → flows → environments → details (and steps → targets). */
import * as vscode from 'vscode';
import type { FlowportStore } from '../store';
import {
  detailItems,
  EnvItem,
  FlowItem,
  FolderNode,
  GroupItem,
  problemItems,
  type FlowportNode,
  type ProblemItem,
} from './nodes';
import { stepItems, stepTargetItems } from './step-nodes';

export const FLOWS_VIEW_ID = 'flowport.flows';

/** Runs `task` with the Flows view's progress bar showing. */
export function withViewProgress<T>(task: () => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: { viewId: FLOWS_VIEW_ID } }, task);
}

export class FlowsTreeProvider implements vscode.TreeDataProvider<FlowportNode> {
  private readonly changed = new vscode.EventEmitter<FlowportNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  /**
   * What the user expanded or collapsed, by item id. Rows that go away (a config error replaces
   * the flows) and come back would otherwise return in their default state.
   *
   * The view's expand and collapse events alone cannot keep it: VS Code drops one that arrives
   * while the tree is being refreshed (the extension host has let go of the row's handle and
   * finds no element for it), so a group expanded during a refresh came back collapsed after a
   * config reload. The view asking for a row's children is the other sign that it is expanded.
   */
  private readonly expansion = new Map<string, boolean>();

  constructor(private readonly store: FlowportStore) {
    store.onDidChange(() => this.changed.fire(undefined));
  }

  /** From the view's expand and collapse events. */
  setExpanded(node: FlowportNode, expanded: boolean): void {
    if (node.id) this.expansion.set(node.id, expanded);
  }

  private withExpansion<T extends FlowportNode>(nodes: T[]): T[] {
    for (const node of nodes) {
      const expanded = node.id === undefined ? undefined : this.expansion.get(node.id);
      if (expanded === undefined || node.collapsibleState === vscode.TreeItemCollapsibleState.None) continue;
      node.collapsibleState = expanded
        ? vscode.TreeItemCollapsibleState.Expanded
        : vscode.TreeItemCollapsibleState.Collapsed;
    }
    return nodes;
  }

  /** Re-renders every row (ages like "just now" age with the clock, not only with new data). */
  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: FlowportNode): vscode.TreeItem {
    return node;
  }

  async getChildren(node?: FlowportNode): Promise<FlowportNode[]> {
    // Only an expanded row (or one being revealed, which expands it) has its children fetched.
    // Folders and groups only: a flow row's own state changed under a reveal made VS Code lose
    // the row it was revealing ("Data tree node not found").
    if ((node instanceof GroupItem || node instanceof FolderNode) && node.id) this.expansion.set(node.id, true);
    return this.withExpansion(await this.childrenOf(node));
  }

  private async childrenOf(node?: FlowportNode): Promise<FlowportNode[]> {
    if (!node) {
      if (!vscode.workspace.isTrusted) return [];
      // The first load starts the SDK host: show the view's progress bar meanwhile.
      await withViewProgress(() => this.store.ensureLoaded());
      // A folder without a config stays out, so an empty tree shows the welcome view's "Create".
      const folders = this.store.folders.filter((s) => s.project?.configFile || s.error);
      if (folders.length > 1) return folders.map((s) => new FolderNode(s));
      return folders.flatMap((s) => this.folderChildren(s));
    }
    switch (node.kind) {
      case 'folder':
        return this.folderChildren(node.state);
      case 'group':
        return node.group.rows.map((row) => new FlowItem(node.state, row));
      case 'flow':
        return node.row.cells.map((cell) => new EnvItem(node.state, node.row, cell));
      case 'env':
        // A deploy of steps: its steps after the details, each with its targets under it.
        return [...detailItems(node), ...stepItems(node)];
      case 'step':
        return stepTargetItems(node);
      default:
        return [];
    }
  }

  private folderChildren(state: FlowItem['state']): Array<GroupItem | ProblemItem> {
    const problems = problemItems(state);
    return problems.length ? problems : this.store.groups(state).map((g) => new GroupItem(state, g));
  }

  /** Parents rebuilt from the store: items are matched by id, so fresh instances reveal fine. */
  getParent(node: FlowportNode): FlowportNode | undefined {
    const multiRoot = this.store.folders.length > 1;
    switch (node.kind) {
      case 'group':
        return multiRoot ? new FolderNode(node.state) : undefined;
      case 'flow': {
        const group = this.store.groups(node.state).find((g) => g.rows.some((r) => r.flow.id === node.flow.id));
        return group && new GroupItem(node.state, group);
      }
      case 'env':
        return new FlowItem(node.state, node.row);
      case 'step':
        return node.env;
      case 'stepTarget':
        return node.parent;
      default:
        return undefined;
    }
  }

  /** The tree item of a flow, for `reveal`. */
  async findFlowItem(flowId: string): Promise<FlowItem | undefined> {
    await this.store.ensureLoaded();
    for (const state of this.store.folders) {
      for (const group of this.store.groups(state)) {
        const row = group.rows.find((r) => r.flow.id === flowId);
        if (row) return new FlowItem(state, row);
      }
    }
    return undefined;
  }
}

/** Shared by the suites that run inside VS Code: the extension's API and tree walking. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { FlowportApi } from '../../extension/src/extension';
import type { FlowportNode } from '../../extension/src/tree/nodes';

export const EXTENSION_ID = 'flowport.flowport-vscode';

export async function api(): Promise<FlowportApi> {
  const ext = vscode.extensions.getExtension<FlowportApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not loaded`);
  return ext.activate();
}

export async function children(node?: FlowportNode): Promise<FlowportNode[]> {
  const { flowsTree } = await api();
  return (await flowsTree.getChildren(node)) ?? [];
}

export function label(node: vscode.TreeItem): string {
  return typeof node.label === 'string' ? node.label : (node.label?.label ?? '');
}

/** The tree node at a path of labels, e.g. ['src/billing', 'send-invoices', 'dev']. */
export async function nodeAt(...path: string[]): Promise<FlowportNode> {
  let node: FlowportNode | undefined;
  for (const part of path) {
    const next: FlowportNode | undefined = (await children(node)).find((c) => label(c) === part);
    assert.ok(
      next,
      `no tree node "${part}" under "${node ? label(node) : '(root)'}"; have: ${(await children(node)).map(label).join(', ')}`,
    );
    node = next;
  }
  return node!;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      // A probe may throw while the view is between states (e.g. a host restarting): retry.
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

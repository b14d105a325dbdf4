import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EnvItem, FlowportNode } from '../../../extension/src/tree/nodes';
import { api, children, label, waitFor } from '../helpers';

describe('Multi-root workspace', () => {
  it('has one SDK host per folder and a folder level in the tree', async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 2, 'the test opens a workspace of two demo copies');
    const roots = await waitFor('both folders in the tree', async () => {
      const nodes = await children();
      return nodes.length === 2 ? nodes : undefined;
    });
    assert.deepEqual(
      roots.map(label),
      folders.map((f) => f.name),
    );
    for (const root of roots) {
      assert.deepEqual((await children(root)).map(label), ['src/billing', 'src/ingest', 'src/platform', 'src/reports']);
    }
    const { store } = await api();
    const pids = store.folders.map((s) => s.client.pid);
    assert.equal(new Set(pids).size, 2, `two hosts: ${pids.join(', ')}`);
  });

  it('deploys in the second folder only', async () => {
    const [, second] = await children();
    const envOf = async (folder: FlowportNode | undefined) => {
      const group = (await children(folder)).find((n) => label(n) === 'src/reports')!;
      const flow = (await children(group))[0]!;
      return (await children(flow)).find((n) => label(n) === 'dev') as EnvItem;
    };
    const exitCode = await vscode.commands.executeCommand<number>('flowport.deploy', await envOf(second));
    assert.equal(exitCode, 0);
    await waitFor('dev to succeed in the second folder', async () => {
      const [, again] = await children();
      return (await envOf(again)).cell.status === 'succeeded' || undefined;
    });
    const [firstAgain] = await children();
    assert.equal((await envOf(firstAgain)).cell.status, 'never', 'the first folder has its own ledger');
  });
});

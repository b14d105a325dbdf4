import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { api, children } from '../helpers';

describe('Restricted Mode', () => {
  it('runs no project code: no config load, no tree data, no deploy', async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the test workspace must be untrusted');
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const { store } = await api();
    assert.deepEqual(await children(), []);
    await vscode.commands.executeCommand('flowport.refresh');
    // (fetchTasks is not asked: VS Code disables tasks in Restricted Mode and the call never settles.)
    const prompts = await vscode.commands.executeCommand<{ shown: { kind: string; text?: string }[] }>(
      'flowport.test.prompts',
    );
    await vscode.commands.executeCommand('flowport.deploy', 'src/billing/invoices.ts#send-invoices', 'dev');
    // It says why it does nothing, not that there are no flows.
    assert.deepEqual(
      prompts.shown.map((p) => p.text),
      ['Flowport deploys nothing in Restricted Mode: trust this workspace to deploy and promote.'],
    );
    await new Promise((r) => setTimeout(r, 1000));
    // The config writes this marker when it is evaluated: it must never have been.
    assert.equal(existsSync(join(root, 'config-was-loaded')), false, 'flowport.config.ts was executed');
    assert.equal(store.folders.length, 0, 'no SDK host was started');
  });
});

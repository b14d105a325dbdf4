import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, children, label, nodeAt } from '../helpers';

describe('Flows tree on the demo project', () => {
  before(async () => {
    const { activationMs } = await api();
    console.log(`      (activate() took ${activationMs.toFixed(1)} ms)`);
  });

  it('shows groups (folders), flows with their source, and one child per environment', async () => {
    const groups = await children();
    assert.deepEqual(groups.map(label), ['src/billing', 'src/ingest', 'src/reports']);
    assert.deepEqual((await children(groups[0])).map(label), ['reconcile-payments', 'send-invoices']);
    const flow = await nodeAt('src/billing', 'send-invoices');
    assert.equal(flow.description, 'invoices.ts:14');
    assert.equal(flow.contextValue, 'flow deployable refreshable');
    const envs = await children(flow);
    assert.deepEqual(envs.map(label), ['dev', 'uat', 'prod']);
    assert.deepEqual(
      envs.map((e) => (e.iconPath as vscode.ThemeIcon).id),
      ['circle-outline', 'circle-outline', 'circle-outline'],
      'never deployed',
    );
  });

  it('opens the flow source at its line when a flow is clicked', async () => {
    const flow = await nodeAt('src/ingest', 'compact-events');
    assert.ok(flow.command);
    await vscode.commands.executeCommand(flow.command.command, ...(flow.command.arguments ?? []));
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor?.document.uri.fsPath.endsWith('src/ingest/events.ts'));
    assert.equal(editor!.selection.active.line + 1, 8);
  });

  it('puts CodeLens with each environment and Deploy / Promote above a flow', async () => {
    const doc = await vscode.workspace.openTextDocument(
      vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, 'src/reports/weekly.ts'),
    );
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
    const titles = lenses.map((l) => l.command?.title);
    assert.ok(titles.includes('dev — · uat — · prod —'), titles.join(' | '));
    assert.ok(titles.includes('Deploy') && titles.includes('Promote'), titles.join(' | '));
    assert.equal(lenses[0]!.range.start.line, 4);
  });
});

import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { FlowItem } from '../../../extension/src/tree/nodes';
import { api, children, label, nodeAt, waitFor } from '../helpers';

const root = () => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const configFile = () => join(root(), 'flowport.config.ts');
const envsOf = async () => (await children(await nodeAt('src/reports', 'weeklyReport'))).map(label).join(',');

describe('The config in the editor', () => {
  it('one save of the config reloads the project once: one new SDK host', async () => {
    const { store } = await api();
    await children(); // loads the project, as the view does
    const state = store.folders[0]!;
    await store.reloadSettled(state);
    const original = readFileSync(configFile(), 'utf8');
    let starts = 0;
    const counting = state.client.onDidStart(() => starts++);
    try {
      writeFileSync(
        configFile(),
        original.replace("environments: ['dev', 'uat',", "environments: ['dev', 'qa', 'uat',"),
      );
      await waitFor('the qa environment', async () => (await envsOf()) === 'dev,qa,uat,prod' || undefined);
      // The save is several file events (two watchers see it); all of them are handled once none is pending.
      await store.reloadSettled(state);
      assert.equal(starts, 1, 'the host started once for one save');

      starts = 0;
      writeFileSync(configFile(), original);
      await waitFor('qa to go away again', async () => (await envsOf()) === 'dev,uat,prod' || undefined);
      await store.reloadSettled(state);
      assert.equal(starts, 1, 'and once for the next save');
    } finally {
      counting.dispose();
      writeFileSync(configFile(), original);
    }
  });

  it('a broken config is a problem at its line (tree, Problems panel), not "no flows"; fixed, the tree keeps its expanded rows', async () => {
    const { store } = await api();
    await children();
    const state = store.folders[0]!;
    const original = readFileSync(configFile(), 'utf8');
    const uri = vscode.Uri.file(configFile());
    // A flow the user expanded (the view reports it through onDidExpandElement).
    await vscode.commands.executeCommand('flowport.revealFlow', 'src/reports/weekly.ts#weeklyReport');
    await waitFor('weeklyReport to be expanded', async () => {
      const flow = (await nodeAt('src/reports', 'weeklyReport')) as FlowItem;
      return flow.collapsibleState === vscode.TreeItemCollapsibleState.Expanded || undefined;
    });
    try {
      writeFileSync(configFile(), original.replace("environments: ['dev', 'uat',", "environments: ['dev', 'u a t',"));
      const problem = await waitFor('the config problem in the Problems panel', () =>
        vscode.languages.getDiagnostics(uri).find((d) => d.source === 'flowport'),
      );
      assert.equal(problem.severity, vscode.DiagnosticSeverity.Error);
      assert.equal(problem.range.start.line + 1, 5, 'at the line of the environments');
      assert.match(problem.message, /^environments\[1\]: environment names may contain only letters/);
      const [first] = await children();
      assert.match(label(first!), /^flowport\.config\.ts:5: environments\[1\]/);
      const reason = store.noFlowsReason();
      assert.equal(reason.kind, 'configProblem');
      assert.match(reason.kind === 'configProblem' ? reason.message : '', /flowport\.config\.ts:5: /);
    } finally {
      writeFileSync(configFile(), original);
    }
    await waitFor('the flows to come back', async () =>
      (await children()).map(label).includes('src/reports') ? true : undefined,
    );
    await store.reloadSettled(state);
    assert.equal(
      vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'flowport').length,
      0,
      'the problem is gone from the Problems panel',
    );
    const flow = (await nodeAt('src/reports', 'weeklyReport')) as FlowItem;
    assert.equal(flow.collapsibleState, vscode.TreeItemCollapsibleState.Expanded, 'still expanded');
    const other = (await nodeAt('src/billing', 'send-invoices')) as FlowItem;
    assert.equal(other.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed, 'the others as they were');
    assert.equal(store.noFlowsReason().kind, 'noFlows');
  });
});

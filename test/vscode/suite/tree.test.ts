import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EnvItem } from '../../../extension/src/tree/nodes';
import { api, children, EXTENSION_ID, label, nodeAt, waitFor } from '../helpers';
import { withScratchFlow } from './scratch';

interface MenuItem {
  command: string;
  when?: string;
  group?: string;
}

/** The titles of the Flows view's row actions a row with this contextValue gets (package.json menus). */
function rowActions(contextValue: string, inline: boolean): string[] {
  const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
    contributes: { commands: { command: string; title: string }[]; menus: Record<string, MenuItem[]> };
  };
  const title = (command: string) => pkg.contributes.commands.find((c) => c.command === command)?.title ?? command;
  return pkg.contributes.menus['view/item/context']!.filter((m) => {
    if ((m.group ?? '').startsWith('inline') !== inline) return false;
    // Every when-clause of this view is "view == flowport.flows && viewItem =~ /regex/".
    const regex = /viewItem =~ \/(.+)\/$/.exec(m.when ?? '')?.[1];
    return regex !== undefined && new RegExp(regex).test(contextValue);
  }).map((m) => title(m.command));
}

describe('Flows tree on the demo project', () => {
  before(async () => {
    const { activationMs } = await api();
    console.log(`      (activate() took ${activationMs.toFixed(1)} ms)`);
  });

  it('shows groups (folders), flows with their environments summed up, and one child per environment', async () => {
    const groups = await children();
    assert.deepEqual(groups.map(label), ['src/billing', 'src/ingest', 'src/platform', 'src/reports']);
    assert.deepEqual((await children(groups[0])).map(label), ['reconcile-payments', 'send-invoices']);
    // reconcile-payments is the demo flow no test deploys (they deploy flows of their own, or
    // others): this holds in whatever order the tests run.
    const flow = await nodeAt('src/billing', 'reconcile-payments');
    assert.equal(flow.description, 'dev — · uat — · prod —');
    assert.match((flow.tooltip as vscode.MarkdownString).value, /`src\/billing\/reconcile\\\.ts:5`/);
    assert.equal(flow.contextValue, 'flow deployable refreshable');
    const envs = await children(flow);
    assert.deepEqual(envs.map(label), ['dev', 'uat', 'prod']);
    assert.deepEqual(
      envs.map((e) => (e.iconPath as vscode.ThemeIcon).id),
      ['circle-outline', 'circle-outline', 'circle-outline'],
      'never deployed',
    );
  });

  it('a click on a flow row only expands it; Open Flow Source (inline and context) opens it at its line', async () => {
    const flow = await nodeAt('src/ingest', 'compact-events');
    assert.equal(flow.command, undefined, 'no click command: the click expands the row');
    assert.ok(rowActions(flow.contextValue!, true).includes('Open Flow Source'), 'inline action');
    assert.ok(rowActions(flow.contextValue!, false).includes('Open Flow Source'), 'context menu');
    await vscode.commands.executeCommand('flowport.openFlowSource', flow);
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor?.document.uri.fsPath.endsWith('src/ingest/events.ts'));
    assert.equal(editor!.selection.active.line + 1, 8);
  });

  it('an environment row deploys HEAD and promotes to the next at once, with titles that promise no question', async function () {
    this.timeout(90_000);
    await withScratchFlow(async (flow) => {
      const flowPath = [flow.group, flow.name] as const;
      const dev = (await nodeAt(...flowPath, 'dev')) as EnvItem;
      // Never deployed: nothing to promote yet.
      assert.deepEqual(rowActions(dev.contextValue!, true), ['Deploy HEAD']);
      assert.deepEqual(rowActions(dev.contextValue!, false), [
        'Deploy HEAD',
        'Deploy a Version…',
        'Lock Environment…',
        'Lock This Flow Here…',
      ]);

      assert.equal(await vscode.commands.executeCommand<number>('flowport.deployHead', dev), 0);
      await waitFor('the flow row to sum up the dev deploy', async () => {
        const description = String((await nodeAt(...flowPath)).description);
        return description === 'dev ✓ · uat — · prod —' || undefined;
      });

      const deployed = (await nodeAt(...flowPath, 'dev')) as EnvItem;
      assert.deepEqual(rowActions(deployed.contextValue!, true), ['Deploy HEAD', 'Promote to the Next Environment']);
      for (const title of rowActions(deployed.contextValue!, false)) {
        // Only the actions that ask something (the ref, the commits to compare) end in an ellipsis.
        if (title.endsWith('…'))
          assert.ok(
            ['Deploy a Version…', 'Compare…', 'Lock Environment…', 'Lock This Flow Here…', 'Roll Back…'].includes(
              title,
            ),
            title,
          );
      }
      const tooltip = (deployed.tooltip as vscode.MarkdownString).value;
      assert.match(tooltip, /\[\$\(arrow-right\) Promote dev → uat\]\(command:flowport\.promoteNext\?/);
      const link = /command:flowport\.promoteNext\?([^ )]+)/.exec(tooltip)![1]!;
      assert.deepEqual(JSON.parse(decodeURIComponent(link)), [deployed.flow.id, 'dev']);

      assert.equal(await vscode.commands.executeCommand<number>('flowport.promoteNext', deployed), 0);
      await waitFor('the flow row to sum up the promote', async () => {
        const description = String((await nodeAt(...flowPath)).description);
        return description === 'dev ✓ · uat ✓ · prod —' || undefined;
      });
      const uat = (await nodeAt(...flowPath, 'uat')) as EnvItem;
      assert.match((uat.tooltip as vscode.MarkdownString).value, /Promote uat → prod/);
      const prod = (await nodeAt(...flowPath, 'prod')) as EnvItem;
      assert.doesNotMatch((prod.tooltip as vscode.MarkdownString).value, /Promote/, 'prod is the last environment');
    });
  });

  it('puts CodeLens with each environment and Deploy / Promote above a flow', async function () {
    this.timeout(60_000);
    await withScratchFlow(async (flow) => {
      const doc = await vscode.workspace.openTextDocument(flow.file);
      const lenses = await waitFor('the lenses of the flow', async () => {
        const found = await vscode.commands.executeCommand<vscode.CodeLens[]>(
          'vscode.executeCodeLensProvider',
          doc.uri,
        );
        return found.length ? found : undefined;
      });
      const titles = lenses.map((l) => l.command?.title);
      assert.ok(titles.includes('dev — · uat — · prod —'), titles.join(' | '));
      // Promote says what it would do, or why it cannot (commands.test.ts tests which).
      assert.ok(titles.includes('Deploy') && titles.some((t) => t?.startsWith('Promote')), titles.join(' | '));
      assert.equal(lenses[0]!.range.start.line, 4, 'above the flow (its JSDoc takes lines 1–4)');
    });
  });
});

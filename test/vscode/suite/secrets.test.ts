/**
 * Secrets in the editor, one policy with the CLI (sdk/src/secrets.ts): a secret output and a URL's
 * password read ••• in every tree item (label, description, tooltip, accessible name, the value
 * Copy would use), and Copy puts a secret on the clipboard only once the user says so.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DetailItem, EnvItem } from '../../../extension/src/tree/nodes';
import { localLedger } from '../../../sdk/src/index';
import { api, children, label, nodeAt, waitFor } from '../helpers';
import { answering, git, withScratchFlow, workspaceRoot } from './scratch';

const SECRET = 'tree-secret-5a1d9e';
const URL_PASSWORD = 'tree-urlpw-8b3c70';

describe('Secrets', () => {
  it('a secret output and a URL password: ••• in every tree item, copied only when confirmed', async function () {
    this.timeout(60_000);
    await withScratchFlow(async (flow) => {
      const ledger = localLedger({ root: workspaceRoot() });
      const commit = git('rev-parse', 'HEAD').trim();
      const created = await ledger.create({ flowName: flow.name, env: 'dev', commit, ref: 'HEAD' });
      const url = `https://deployer:${URL_PASSWORD}@example.invalid/app`;
      await ledger.update(created.id, {
        status: 'succeeded',
        outputs: { apiToken: SECRET, url, note: 'plain-note' },
        url,
      });
      const dev = await waitFor('the deployment with outputs in the tree', async () => {
        await (await api()).store.refreshDeployments((await api()).store.folders[0]!);
        const node = (await nodeAt(flow.group, flow.name, 'dev')) as EnvItem;
        return node.cell.current?.id === created.id ? node : undefined;
      });
      const items = (await children(dev)) as DetailItem[];
      const shown = items.map((i) => ({
        label: label(i),
        description: i.description,
        tooltip: typeof i.tooltip === 'string' ? i.tooltip : i.tooltip?.value,
        accessible: i.accessibilityInformation?.label,
        value: i.value,
      }));
      const text = JSON.stringify(shown);
      assert.ok(!text.includes(SECRET), 'no tree item holds the secret output');
      assert.ok(!text.includes(URL_PASSWORD), 'no tree item holds the URL password');
      const row = (name: string) => items.find((i) => label(i) === name)!;
      assert.equal(row('output apiToken').description, '•••');
      assert.equal(row('output note').description, 'plain-note');
      assert.equal(row('url').description, 'https://deployer:•••@example.invalid/app');

      // Copy: a plain value at once; a secret only after a yes at the modal, decrypted then.
      await vscode.env.clipboard.writeText('');
      await vscode.commands.executeCommand('flowport.copyValue', row('output note'));
      assert.equal(await vscode.env.clipboard.readText(), 'plain-note');
      await vscode.env.clipboard.writeText('');
      await answering(
        () => undefined, // Cancel
        async (prompts) => {
          await vscode.commands.executeCommand('flowport.copyValue', row('output apiToken'));
          assert.equal(prompts.shown.length, 1);
          const asked = prompts.shown[0]!;
          assert.ok(asked.kind === 'message' && asked.modal && /Copy the secret output "apiToken"/.test(asked.text));
        },
      );
      assert.equal(await vscode.env.clipboard.readText(), '', 'declined: nothing copied');
      await answering(
        () => 'Copy Secret',
        async () => {
          await vscode.commands.executeCommand('flowport.copyValue', row('output apiToken'));
        },
      );
      assert.equal(await vscode.env.clipboard.readText(), SECRET, 'confirmed: the secret itself is copied');
      await vscode.env.clipboard.writeText('');
    });
  });
});

/**
 * Deploys that outlive the SDK host, in a real VS Code: Cancel from a running deployment's tree
 * row, Show Log following a running deploy until it ends, and a task that re-attaches to its deploy
 * when the SDK host stops mid-run. The demo's deploy script pauses DEMO_STEP_MS between its steps
 * (three pauses), so each deploy runs for several seconds.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EnvItem } from '../../../extension/src/tree/nodes';
import { localLedger } from '../../../sdk/src/index';
import type { DeploymentDetails } from '../../../sdk/src/model';
import { api, nodeAt, waitFor } from '../helpers';

const STEP_MS = '2500';

async function envRow(group: string, flow: string, env: string): Promise<EnvItem> {
  return (await nodeAt(group, flow, env)) as EnvItem;
}

/** Waits until the row's latest deployment runs (its runner has claimed it), and returns the row. */
async function runningRow(group: string, flow: string, env: string): Promise<EnvItem> {
  const { store } = await api();
  return waitFor(`${flow} → ${env} to run`, async () => {
    await store.refreshDeployments(store.folders[0]!);
    const row = await envRow(group, flow, env);
    return row.cell.latest?.status === 'running' ? row : undefined;
  });
}

async function ledgerRecord(id: string): Promise<DeploymentDetails | undefined> {
  const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  return localLedger({ root }).getDeployment(id);
}

describe('Deploys that outlive the SDK host', function () {
  this.timeout(90_000);

  before(async () => {
    process.env.DEMO_STEP_MS = STEP_MS;
    await (await api()).store.restartHosts();
  });

  after(async () => {
    delete process.env.DEMO_STEP_MS;
    await (await api()).store.restartHosts();
  });

  it('cancels a running deployment from its tree row, and its runner records it cancelled', async () => {
    const deployed = vscode.commands.executeCommand<number>(
      'flowport.deploy',
      'src/ingest/events.ts#ingest-events',
      'uat',
    );
    const row = await runningRow('src/ingest', 'ingest-events', 'uat');
    assert.match(row.contextValue ?? '', /\bcancellable\b/, 'a running row offers Cancel');
    const id = row.cell.latest!.id;
    assert.equal(await vscode.commands.executeCommand<boolean>('flowport.cancelDeployment', row), true);
    assert.notEqual(await deployed, 0, 'the task reports the run did not succeed');
    const after = await waitFor('the row to show cancelled', async () => {
      const r = await envRow('src/ingest', 'ingest-events', 'uat');
      return r.cell.latest?.id === id && r.cell.latest.status === 'cancelled' ? r : undefined;
    });
    assert.doesNotMatch(after.contextValue ?? '', /\bcancellable\b/, 'a cancelled row offers no Cancel');
    assert.equal((await ledgerRecord(id))?.status, 'cancelled', 'the ledger says cancelled');
  });

  it('Show Log follows a running deploy: its text grows until the deploy ends, then the final status', async () => {
    const { logs } = await api();
    const deployed = vscode.commands.executeCommand<number>(
      'flowport.deploy',
      'src/ingest/events.ts#compact-events',
      'uat',
    );
    const row = await runningRow('src/ingest', 'compact-events', 'uat');
    const id = row.cell.latest!.id;
    await vscode.commands.executeCommand('flowport.showLog', row);
    const follower = logs.get(id);
    assert.ok(follower, 'Show Log of a running deployment opens a following terminal');
    const first = await waitFor('the first log line', () =>
      follower.text.includes('Deploying compact-events') ? follower.text.length : undefined,
    );
    // The script prints its next line only after a pause: a view read once would stop here.
    await waitFor('more of the log', () => (follower.text.includes('Bundling') ? true : undefined));
    assert.ok(follower.text.length > first, 'the text grew');
    assert.equal(follower.text.includes(`succeeded — deployment ${id}`), false, 'no final line while it runs');
    const final = await follower.ended;
    assert.equal(final?.status, 'succeeded');
    assert.match(follower.text, /Deployed compact-events to uat/);
    assert.ok(follower.text.trimEnd().endsWith(`succeeded — deployment ${id}`), follower.text);
    assert.equal(await deployed, 0);
  });

  it('a task whose SDK host stops mid-deploy re-attaches and ends with the outcome', async () => {
    const { store } = await api();
    const state = store.folders[0]!;
    const deployed = vscode.commands.executeCommand<number>(
      'flowport.deploy',
      'src/reports/weekly.ts#weeklyReport',
      'uat',
    );
    const row = await runningRow('src/reports', 'weeklyReport', 'uat');
    const id = row.cell.latest!.id;
    const hostBefore = state.client.pid;
    await store.restartHosts();
    assert.notEqual(state.client.pid, hostBefore, 'a new SDK host runs');
    assert.equal((await ledgerRecord(id))?.status, 'running', 'the deploy goes on under its runner');
    assert.equal(await deployed, 0, 'the task follows the deploy to its success, not "stopped"');
    assert.equal((await ledgerRecord(id))?.status, 'succeeded');
  });

  it("the task's trash icon cancels its deploy after the SDK host restarted mid-run (through the store)", async () => {
    const { store } = await api();
    const deployed = vscode.commands.executeCommand<number>(
      'flowport.deploy',
      'src/billing/invoices.ts#send-invoices',
      'dev',
    );
    const row = await runningRow('src/billing', 'send-invoices', 'dev');
    const id = row.cell.latest!.id;
    await store.restartHosts();
    // The new host never heard of this task's run id: only a cancel through the store reaches the runner.
    const execution = vscode.tasks.taskExecutions.find((e) => e.task.name === 'Deploy send-invoices → dev');
    assert.ok(execution, vscode.tasks.taskExecutions.map((e) => e.task.name).join(', '));
    execution.terminate();
    await deployed;
    const record = await waitFor('the ledger to record it cancelled', async () => {
      const d = await ledgerRecord(id);
      return d && d.status !== 'running' ? d : undefined;
    });
    assert.equal(record.status, 'cancelled');
  });
});

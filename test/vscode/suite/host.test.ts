import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { api, children, label, nodeAt, waitFor } from '../helpers';

describe('SDK host lifecycle', () => {
  it('reloads when flowport.config.ts changes', async () => {
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const file = join(root, 'flowport.config.ts');
    const original = readFileSync(file, 'utf8');
    try {
      writeFileSync(file, original.replace("environments: ['dev', 'uat',", "environments: ['dev', 'qa', 'uat',"));
      await waitFor('the qa environment to appear', async () => {
        const envs = (await children(await nodeAt('src/reports', 'weeklyReport'))).map(label);
        return envs.join(',') === 'dev,qa,uat,prod' || undefined;
      });
    } finally {
      writeFileSync(file, original);
    }
    await waitFor('qa to go away again', async () => {
      const envs = (await children(await nodeAt('src/reports', 'weeklyReport'))).map(label);
      return envs.join(',') === 'dev,uat,prod' || undefined;
    });
  });

  it('a config saved during a deploy reloads after it, and the deploy finishes', async function () {
    this.timeout(60_000);
    const { store } = await api();
    // The demo's deploy script pauses between its steps: the deploy is still running at the save.
    process.env.DEMO_STEP_MS = '1500';
    await store.restartHosts();
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const file = join(root, 'flowport.config.ts');
    const original = readFileSync(file, 'utf8');
    const state = store.folders[0]!;
    try {
      const hostBefore = state.client.pid;
      const deployed = vscode.commands.executeCommand<number>(
        'flowport.deploy',
        'src/reports/weekly.ts#weeklyReport',
        'uat',
      );
      await waitFor('the deploy to run', async () => {
        await store.refreshDeployments(state);
        return (
          state.deployments.some((d) => d.flowName === 'weeklyReport' && d.env === 'uat' && d.status === 'running') ||
          undefined
        );
      });
      writeFileSync(file, original.replace("environments: ['dev', 'uat',", "environments: ['dev', 'qa', 'uat',"));
      // The save's reload has come due and the client put it off until the deploy ends (a
      // positive signal, not a pause): a client that restarted at once would never defer it.
      await waitFor('the reload to wait for the deploy', () =>
        state.reload?.running && (state.client as unknown as { reloadAfterRuns?: unknown }).reloadAfterRuns
          ? true
          : undefined,
      );
      assert.equal(state.client.pid, hostBefore, 'the host is not restarted under a running deploy');
      assert.equal(await deployed, 0);
      await waitFor('qa, once the deploy ended', async () => {
        const envs = (await children(await nodeAt('src/reports', 'weeklyReport'))).map(label);
        return envs.join(',') === 'dev,qa,uat,prod' || undefined;
      });
    } finally {
      writeFileSync(file, original);
      delete process.env.DEMO_STEP_MS;
    }
    await waitFor('qa to go away again', async () => {
      const envs = (await children(await nodeAt('src/reports', 'weeklyReport'))).map(label);
      return envs.join(',') === 'dev,uat,prod' || undefined;
    });
    await store.restartHosts();
  });

  it('reloads when a file the config imports changes, and a problem there opens that file', async () => {
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const file = join(root, 'flowport.config.ts');
    const imported = join(root, 'flowport.envs.ts');
    const original = readFileSync(file, 'utf8');
    const envsOf = async () => (await children(await nodeAt('src/reports', 'weeklyReport'))).map(label).join(',');
    try {
      writeFileSync(imported, `export const middle: string[] = ['uat'];\n`);
      writeFileSync(
        file,
        `import { middle } from './flowport.envs';\n` +
          original.replace("environments: ['dev', 'uat',", "environments: ['dev', ...middle,"),
      );
      await waitFor('the config that imports its environments', async () => {
        const state = (await api()).store.folders[0]!;
        return state.project?.configSources.includes(imported) || undefined;
      });
      writeFileSync(imported, `export const middle: string[] = ['qa', 'uat'];\n`);
      await waitFor('qa, from the imported file', async () => (await envsOf()) === 'dev,qa,uat,prod' || undefined);

      writeFileSync(imported, `export const middle: string[] = [];\nthrow new Error('no environments here');\n`);
      const problem = await waitFor('the problem in the imported file', async () => {
        const [first] = await children();
        return first && label(first).startsWith('flowport.envs.ts:') ? first : undefined;
      });
      assert.match(
        label(problem),
        /^flowport\.envs\.ts:2: threw while loading the config \(flowport\.config\.ts imports it\): no environments here/,
      );
      await vscode.commands.executeCommand(
        problem.command!.command,
        ...((problem.command!.arguments ?? []) as unknown[]),
      );
      assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, imported);
      assert.equal(vscode.window.activeTextEditor.selection.active.line + 1, 2);
    } finally {
      writeFileSync(file, original);
      rmSync(imported, { force: true });
    }
    await waitFor('the demo config again', async () => (await envsOf()) === 'dev,uat,prod' || undefined);
  });

  it('shows a config error with its line, and a click opens the config there', async () => {
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const file = join(root, 'flowport.config.ts');
    const original = readFileSync(file, 'utf8');
    try {
      writeFileSync(file, original.replace("environments: ['dev', 'uat',", "environments: ['dev', 'u a t',"));
      const problem = await waitFor('the config problem in the tree', async () => {
        const [first] = await children();
        return first && label(first).startsWith('flowport.config.ts:') ? first : undefined;
      });
      assert.match(
        label(problem),
        /^flowport\.config\.ts:5: environments\[1\]: environment names may contain only letters/,
      );
      await vscode.commands.executeCommand(
        problem.command!.command,
        ...((problem.command!.arguments ?? []) as unknown[]),
      );
      const editor = vscode.window.activeTextEditor;
      assert.ok(editor?.document.uri.fsPath.endsWith('flowport.config.ts'));
      assert.equal(editor!.selection.active.line + 1, 5);
    } finally {
      writeFileSync(file, original);
    }
    await waitFor('the flows to come back', async () =>
      (await children()).map(label).includes('src/billing') ? true : undefined,
    );
  });

  it('a saved source file updates its flows in the tree, through the incremental index', async () => {
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const file = join(root, 'src/reports/weekly.ts');
    const original = readFileSync(file, 'utf8');
    try {
      writeFileSync(
        file,
        original +
          '\n/**\n * Monthly too.\n * @flow monthly-report\n */\nexport const monthlyReport = async (): Promise<string> => "monthly";\n',
      );
      await waitFor('monthly-report to appear', async () => {
        const flows = (await children(await nodeAt('src/reports'))).map(label);
        return flows.join(',') === 'monthly-report,weeklyReport' || undefined;
      });
    } finally {
      writeFileSync(file, original);
    }
    await waitFor('monthly-report to go away', async () => {
      const flows = (await children(await nodeAt('src/reports'))).map(label);
      return flows.join(',') === 'weeklyReport' || undefined;
    });
  });

  it('a folder moved into the workspace and then deleted updates the tree', async () => {
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    // Made outside and renamed in, so the watcher reports only the folder, not a source file.
    const outside = mkdtempSync(join(tmpdir(), 'flowport-moved-'));
    writeFileSync(
      join(outside, 'job.ts'),
      "import { defineFlow } from 'flowport';\nexport const moved = defineFlow({ name: 'moved-in' }, async () => 1);\n",
    );
    const inside = join(root, 'src/moved');
    renameSync(outside, inside);
    try {
      await waitFor('the moved folder to appear', async () =>
        (await children()).map(label).includes('src/moved') ? true : undefined,
      );
    } finally {
      rmSync(inside, { recursive: true, force: true });
    }
    await waitFor('the deleted folder to go away', async () =>
      (await children()).map(label).includes('src/moved') ? undefined : true,
    );
  });

  it('restarts a host that died, and the tree keeps working', async () => {
    const { store } = await api();
    const client = store.folders[0]!.client;
    const pid = await waitFor('a running host', () => client.pid);
    process.kill(pid, 'SIGKILL');
    const newPid = await waitFor(
      'a new host',
      () => (client.pid && client.pid !== pid ? client.pid : undefined),
      15_000,
    );
    assert.notEqual(newPid, pid);
    await vscode.commands.executeCommand('flowport.refresh');
    assert.deepEqual((await children()).map(label), ['src/billing', 'src/ingest', 'src/platform', 'src/reports']);
  });
});

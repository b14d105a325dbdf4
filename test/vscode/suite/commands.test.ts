/**
 * Deploy, Promote, Compare and the view commands as a user meets them: refusals, the questions,
 * the pickers, the buttons, the task terminal. Each test has a flow of its own (withScratchFlow)
 * and answers the prompts through the extension's test seam, so it passes alone or in any order.
 */
import * as assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ShownPrompt } from '../../../extension/src/commands/prompts';
import type { DetailItem, EnvItem } from '../../../extension/src/tree/nodes';
import { localLedger } from '../../../sdk/src/index';
import { api, children, label, nodeAt, waitFor } from '../helpers';
import {
  answering,
  deploymentsOf,
  git,
  processGroup,
  waitForStatus,
  withHostEnv,
  withScratchFlow,
  workspaceRoot,
} from './scratch';

const isMessage = (p: ShownPrompt): p is Extract<ShownPrompt, { kind: 'message' }> => p.kind === 'message';
const isPick = (p: ShownPrompt): p is Extract<ShownPrompt, { kind: 'pick' }> => p.kind === 'pick';

function messages(shown: ShownPrompt[], severity?: string) {
  return shown.filter(isMessage).filter((m) => severity === undefined || m.severity === severity);
}

/** A pick's items split as the user sees them: what can be picked, and what cannot with its reason. */
function itemsOf(p: Extract<ShownPrompt, { kind: 'pick' }>) {
  const items = p.items.filter((i) => i.kind !== vscode.QuickPickItemKind.Separator);
  return {
    offered: items.filter((i) => i.unavailable === undefined).map((i) => i.label),
    notOffered: items.filter((i) => i.unavailable !== undefined).map((i) => `${i.label}: ${i.unavailable}`),
  };
}

async function deploy(flowId: string, env: string): Promise<void> {
  // Protected prod asks; the tests that mean to answer it do so themselves.
  const code = await answering(
    (p) => (p.kind === 'message' && p.modal ? p.actions[0] : undefined),
    async () => vscode.commands.executeCommand<number>('flowport.deploy', flowId, env),
  );
  assert.equal(code, 0, `deploy ${flowId} to ${env}`);
}

/** A tasks.json of the workspace's own, hidden from git (a dirty tree would ask about it). */
async function withTasksJson<T>(tasks: object[], body: () => Promise<T>): Promise<T> {
  const dir = join(workspaceRoot(), '.vscode');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.gitignore'), '*\n');
  writeFileSync(join(dir, 'tasks.json'), JSON.stringify({ version: '2.0.0', tasks }, null, 2));
  try {
    return await body();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a task and resolves with its exit code. */
async function runToEnd(task: vscode.Task): Promise<{ exitCode: number | undefined }> {
  const ended = new Promise<{ exitCode: number | undefined }>((resolve) => {
    const sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution.task.name !== task.name) return;
      sub.dispose();
      resolve({ exitCode: e.exitCode });
    });
  });
  await vscode.tasks.executeTask(task);
  return ended;
}

describe('Commands: refusals, questions, pickers', () => {
  it('a refused promote task says Flowport’s own reason, does not "fail to launch", and its button promotes', async function () {
    this.timeout(90_000);
    await withScratchFlow(async (flow) => {
      await deploy(flow.id, 'dev');
      const label = `promote ${flow.name} to prod`;
      await withTasksJson(
        [{ type: 'flowport', action: 'promote', flow: [flow.name], from: 'dev', to: 'prod', label }],
        async () => {
          await answering(
            (p) => (p.kind === 'message' && !p.modal ? p.actions[0] : undefined),
            async (prompts) => {
              const task = await waitFor('the tasks.json task', async () =>
                (await vscode.tasks.fetchTasks({ type: 'flowport' })).find((t) => t.name === label),
              );
              const { exitCode } = await runToEnd(task);
              assert.equal(exitCode, 1, 'a refusal ends the task with 1');
              // Not "The terminal process failed to launch": refusal-ui.test.mjs reads the terminal.
              const refusal = await prompts.next((p) => isMessage(p) && p.severity === 'warning');
              assert.ok(isMessage(refusal));
              assert.match(
                refusal.text,
                new RegExp(`^cannot promote "${flow.name}" from dev to prod: the next environment after dev is uat\\.`),
              );
              assert.doesNotMatch(refusal.text, /Request flowport\/|failed with message/);
              assert.deepEqual(refusal.actions, [`Promote ${flow.name} dev → uat`]);
              // The button ran the promote it names.
              await waitForStatus(flow.name, 'uat', 'succeeded');
              assert.equal((await deploymentsOf(flow.name, 'prod')).length, 0, 'nothing was deployed to prod');
            },
          );
        },
      );
    });
  });

  it('a promote from an environment with nothing deployed opens no task, and its button deploys there', async function () {
    this.timeout(60_000);
    await withScratchFlow(async (flow) => {
      const started: string[] = [];
      const sub = vscode.tasks.onDidStartTask((e) => started.push(e.execution.task.name));
      try {
        await answering(
          (p) => (p.kind === 'message' && !p.modal ? p.actions[0] : undefined),
          async (prompts) => {
            // As the CodeLens and the board call it: a flow id and the source environment.
            const code = await vscode.commands.executeCommand<number>('flowport.promote', flow.id, 'dev');
            assert.equal(code, 1);
            const [refusal] = messages(prompts.shown, 'warning');
            assert.ok(refusal, JSON.stringify(prompts.shown));
            assert.equal(
              refusal.text,
              `cannot promote "${flow.name}" from dev: nothing of it has been deployed to dev yet.`,
            );
            assert.deepEqual(refusal.actions, [`Deploy ${flow.name} to dev`]);
            await waitForStatus(flow.name, 'dev', 'succeeded');
          },
        );
      } finally {
        sub.dispose();
      }
      assert.deepEqual(started, [`Deploy ${flow.name} → dev`], 'only the button’s deploy ran as a task');
    });
  });

  it('a promote of two flows, one of them not in dev: the other goes, and the SDK’s hint is a button that deploys it', async function () {
    this.timeout(90_000);
    await withScratchFlow((deployed) =>
      withScratchFlow(async (never) => {
        await deploy(deployed.id, 'dev');
        await answering(
          (p) => (p.kind === 'message' && !p.modal ? p.actions[0] : undefined),
          async (prompts) => {
            const code = await vscode.commands.executeCommand<number>(
              'flowport.promote',
              [deployed.id, never.id],
              'dev',
            );
            assert.equal(code, 1, 'one flow was refused');
            const refusal = await prompts.next((p) => isMessage(p) && p.severity === 'warning');
            assert.ok(isMessage(refusal));
            // The SDK's "…: flowport deploy <flow> --env dev" is the button, not text.
            assert.equal(
              refusal.text,
              `cannot promote "${never.name}" from dev to uat: dev has no successful deployment of "${never.name}". Deploy it there first.`,
            );
            assert.deepEqual(refusal.actions, [`Deploy ${never.name} to dev`]);
            assert.deepEqual(messages(prompts.shown, 'error'), [], 'a refusal is not reported as a failure');
            await waitForStatus(never.name, 'dev', 'succeeded');
          },
        );
        await waitForStatus(deployed.name, 'uat', 'succeeded');
      }),
    );
  });

  it('Cancel on the protected-environment question deploys nothing and fails nothing; Deploy deploys', async function () {
    this.timeout(60_000);
    await withScratchFlow(async (flow) => {
      const started: string[] = [];
      const sub = vscode.tasks.onDidStartTask((e) => started.push(e.execution.task.name));
      try {
        await answering(
          () => undefined, // Cancel, Escape
          async (prompts) => {
            const code = await vscode.commands.executeCommand<number>('flowport.deploy', flow.id, 'prod');
            assert.equal(code, undefined, 'not confirmed is neither success nor failure');
            const [question, ...rest] = messages(prompts.shown);
            assert.deepEqual(
              { text: question?.text, modal: question?.modal, detail: question?.detail, actions: question?.actions },
              {
                text: `Deploy ${flow.name} to prod?`,
                modal: true,
                detail: '"prod" is a protected environment.',
                actions: ['Deploy'],
              },
            );
            assert.deepEqual(rest, [], 'no "failed" after a cancel');
          },
        );
        assert.deepEqual(started, [], 'no task, no red terminal');
        assert.equal((await deploymentsOf(flow.name, 'prod')).length, 0);

        // The same question answered "Deploy".
        await answering(
          (p) => (p.kind === 'message' && p.modal ? 'Deploy' : undefined),
          async () => {
            assert.equal(await vscode.commands.executeCommand<number>('flowport.deploy', flow.id, 'prod'), 0);
          },
        );
        assert.deepEqual(
          (await deploymentsOf(flow.name, 'prod')).map((d) => d.status),
          ['succeeded'],
        );
      } finally {
        sub.dispose();
      }
    });
  });

  it('a task from tasks.json whose question is cancelled ends quietly with 0', async function () {
    this.timeout(60_000);
    await withScratchFlow(async (flow) => {
      const label = `deploy ${flow.name} to prod`;
      await withTasksJson([{ type: 'flowport', action: 'deploy', flow: flow.name, env: 'prod', label }], async () => {
        await answering(
          () => undefined,
          async (prompts) => {
            const task = await waitFor('the tasks.json task', async () =>
              (await vscode.tasks.fetchTasks({ type: 'flowport' })).find((t) => t.name === label),
            );
            const { exitCode } = await runToEnd(task);
            assert.equal(exitCode, 0, 'a user’s no is not a failure');
            assert.deepEqual(
              messages(prompts.shown).map((m) => m.text),
              [`Deploy ${flow.name} to prod?`],
            );
          },
        );
      });
      assert.equal((await deploymentsOf(flow.name, 'prod')).length, 0);
    });
  });

  it('warns about uncommitted changes before deploying HEAD from the palette', async function () {
    this.timeout(60_000);
    await withScratchFlow(async (flow) => {
      appendFileSync(flow.file, '// not committed\n');
      try {
        const answers = (dirtyAnswer: string | undefined) => (p: ShownPrompt) =>
          p.kind === 'pick'
            ? 'dev'
            : p.kind === 'input'
              ? 'HEAD'
              : p.kind === 'message' && p.modal
                ? dirtyAnswer
                : undefined;
        await answering(answers(undefined), async (prompts) => {
          const code = await vscode.commands.executeCommand<number>('flowport.deploy', flow.id);
          assert.equal(code, undefined);
          assert.deepEqual(
            messages(prompts.shown).map((m) => [m.text, m.modal, m.actions]),
            [['You have uncommitted changes. A deploy takes the committed HEAD, without them.', true, ['Deploy HEAD']]],
          );
        });
        assert.equal((await deploymentsOf(flow.name, 'dev')).length, 0);
        await answering(answers('Deploy HEAD'), async () => {
          assert.equal(await vscode.commands.executeCommand<number>('flowport.deploy', flow.id), 0);
        });
        assert.equal((await deploymentsOf(flow.name, 'dev')).at(-1)?.status, 'succeeded');
      } finally {
        git('checkout', '--', flow.file);
      }
    });
  });

  it('"Promote from" and "Promote from dev to" offer only what can work, and say why not the rest', async function () {
    this.timeout(90_000);
    await withScratchFlow(async (flow) => {
      // Nothing deployed: a message instead of a picker with nothing to pick.
      await answering(
        () => undefined,
        async (prompts) => {
          assert.equal(await vscode.commands.executeCommand('flowport.promote', flow.id), undefined);
          assert.deepEqual(prompts.shown.filter(isPick), []);
          const [why] = messages(prompts.shown);
          assert.equal(
            why?.text,
            `Promote from: nothing can work here. dev: nothing of "${flow.name}" deployed there yet; ` +
              `uat: nothing of "${flow.name}" deployed there yet; prod: the last environment: there is nothing after it.`,
          );
        },
      );
      await deploy(flow.id, 'dev');
      await answering(
        (p) => (p.kind === 'pick' ? (p.title === 'Promote from' ? 'dev' : 'uat') : undefined),
        async (prompts) => {
          assert.equal(await vscode.commands.executeCommand('flowport.promote', flow.id), 0);
          const [from, to] = prompts.shown.filter(isPick);
          assert.deepEqual(itemsOf(from!), {
            offered: ['dev'],
            notOffered: [
              `uat: nothing of "${flow.name}" deployed there yet`,
              'prod: the last environment: there is nothing after it',
            ],
          });
          assert.equal(to?.title, 'Promote from dev to');
          assert.deepEqual(itemsOf(to), {
            offered: ['uat'],
            notOffered: ['prod: skips uat (flowport.config.ts does not set allowSkippingEnvironments)'],
          });
        },
      );
      const uat = await waitForStatus(flow.name, 'uat', 'succeeded');
      // uat now runs what dev runs: from dev there is nothing left to promote.
      await answering(
        (p) => (p.kind === 'pick' ? 'uat' : undefined),
        async (prompts) => {
          await vscode.commands.executeCommand('flowport.promote', flow.id);
          const [from] = prompts.shown.filter(isPick);
          assert.deepEqual(itemsOf(from!).offered, ['uat']);
          assert.ok(
            itemsOf(from!).notOffered.includes(`dev: uat already runs ${uat.commit.slice(0, 7)}`),
            JSON.stringify(from),
          );
        },
      );
    });
  });

  it('Compare offers no pair at the same commit, and says so', async function () {
    this.timeout(90_000);
    await withScratchFlow(async (flow) => {
      await deploy(flow.id, 'dev');
      assert.equal(await vscode.commands.executeCommand('flowport.promote', flow.id, 'dev'), 0);
      await waitForStatus(flow.name, 'uat', 'succeeded');
      const dev = async () => (await nodeAt(flow.group, flow.name, 'dev')) as EnvItem;
      await waitFor(
        'uat in the tree',
        async () => ((await nodeAt(flow.group, flow.name, 'uat')) as EnvItem).cell.current,
      );
      await answering(
        () => undefined,
        async (prompts) => {
          await vscode.commands.executeCommand('flowport.compare', await dev());
          assert.deepEqual(prompts.shown.filter(isPick), []);
          assert.match(
            messages(prompts.shown)[0]?.text ?? '',
            /nothing to compare; uat, local HEAD run the same commit/,
          );
        },
      );
      appendFileSync(flow.file, '// a newer commit\n');
      git('commit', '-qam', 'newer');
      await answering(
        () => undefined,
        async (prompts) => {
          await vscode.commands.executeCommand('flowport.compare', await dev());
          // One pair left (dev ↔ local HEAD): straight to its commits.
          const [commits] = prompts.shown.filter(isPick);
          assert.match(commits?.title ?? '', /^dev ↔ local HEAD: 1 commit$/);
        },
      );
    });
  });
});

describe('Commands: the task terminal', () => {
  it('reuses one terminal for runs one after another, named after the run', async function () {
    this.timeout(90_000);
    await withScratchFlow(async (flow) => {
      await deploy(flow.id, 'dev'); // leaves an idle Flowport terminal to reuse, if there was none
      const opened: string[] = [];
      const sub = vscode.window.onDidOpenTerminal((t) => opened.push(t.name));
      try {
        await deploy(flow.id, 'dev');
        assert.equal(await vscode.commands.executeCommand('flowport.promote', flow.id, 'dev'), 0);
        await deploy(flow.id, 'dev');
      } finally {
        sub.dispose();
      }
      assert.deepEqual(opened, [], 'three runs, no new terminal');
      const names = vscode.window.terminals.map((t) => t.name);
      assert.ok(
        names.some((n) => n.startsWith(`Deploy ${flow.name} → dev`) || n.startsWith(`Promote ${flow.name}`)),
        names.join(', '),
      );
    });
  });

  it('terminating the task cancels the run and stops the deploy command’s process group', async function () {
    this.timeout(90_000);
    await withScratchFlow(async (flow) => {
      // The demo's deploy script pauses this long between its steps: the run is still going.
      await withHostEnv({ DEMO_STEP_MS: '4000' }, async () => {
        const run = vscode.commands.executeCommand<number>('flowport.deploy', flow.id, 'dev');
        const deployment = await waitFor('the deploy command to run', async () => {
          const d = (await deploymentsOf(flow.name, 'dev')).at(-1);
          const pid = (d?.attributes.commandProcess as { pid?: number } | undefined)?.pid;
          // Two processes: the script and the esbuild service it started (its second step).
          return pid && processGroup(pid).length >= 2 ? { d, pid } : undefined;
        });
        const execution = vscode.tasks.taskExecutions.find((e) => e.task.name === `Deploy ${flow.name} → dev`);
        assert.ok(execution, vscode.tasks.taskExecutions.map((e) => e.task.name).join(', '));
        execution.terminate();
        await run;
        await waitFor('the process group to be gone', () => processGroup(deployment.pid).length === 0 || undefined);
        const cancelled = await waitForStatus(flow.name, 'dev', 'cancelled');
        assert.equal(cancelled.id, deployment.d!.id);
      });
    });
  });
});

describe('Commands: Show Log, Open URL, Copy, CodeLens', () => {
  it('Show Log opens the deployment’s log, Open URL its URL, Copy puts a value on the clipboard', async function () {
    this.timeout(60_000);
    await withScratchFlow(async (flow) => {
      await deploy(flow.id, 'dev');
      const latest = (await deploymentsOf(flow.name, 'dev')).at(-1)!;
      // A deployment with a URL (the demo's script reports none), recorded as a deployer would.
      const url = `https://example.invalid/${flow.name}`;
      const ledger = localLedger({ root: workspaceRoot() });
      const made = await ledger.create({ flowName: flow.name, env: 'uat', commit: latest.commit, ref: 'HEAD' });
      await ledger.update(made.id, { status: 'succeeded', url });
      const uat = await waitFor('the URL in the tree', async () => {
        await (await api()).store.refreshDeployments((await api()).store.folders[0]!);
        const node = (await nodeAt(flow.group, flow.name, 'uat')) as EnvItem;
        return node.cell.current?.url === url ? node : undefined;
      });
      const dev = (await nodeAt(flow.group, flow.name, 'dev')) as EnvItem;

      await vscode.commands.executeCommand('flowport.showLog', dev);
      assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, latest.logLocation);
      assert.match(vscode.window.activeTextEditor!.document.getText(), /Deploying scratch-/);

      // A URL from a record opens only once the user has seen it: a modal first, then the browser.
      await answering(
        (p) => (p.kind === 'message' ? 'Open' : 'opened'),
        async (prompts) => {
          await vscode.commands.executeCommand('flowport.openUrl', uat);
          assert.deepEqual(
            prompts.shown.map((p) => (p.kind === 'message' ? { kind: p.kind, modal: p.modal, text: p.text } : p)),
            [
              { kind: 'message', modal: true, text: 'Open example.invalid in your browser?' },
              { kind: 'openExternal', uri: url },
            ],
          );
        },
      );
      await answering(
        () => undefined, // Cancel
        async (prompts) => {
          await vscode.commands.executeCommand('flowport.openUrl', uat);
          assert.deepEqual(
            prompts.shown.map((p) => p.kind),
            ['message'],
            'cancelled: nothing opened',
          );
        },
      );

      // A forged record (appended to the ledger as anyone who can write it could) whose log is
      // outside the state folder, here the config: Show Log does not open it.
      const forged = await ledger.create({ flowName: flow.name, env: 'prod', commit: latest.commit, ref: 'HEAD' });
      const elsewhere = join(workspaceRoot(), 'flowport.config.ts');
      const ledgerFile = join(workspaceRoot(), '.flowport', 'ledger.jsonl');
      const record = readFileSync(ledgerFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { deployment?: { id?: string } })
        .reverse()
        .find((r) => r.deployment?.id === forged.id)!;
      appendFileSync(
        ledgerFile,
        `${JSON.stringify({ ...record, deployment: { ...record.deployment, status: 'succeeded', logLocation: elsewhere } })}\n`,
      );
      const prod = await waitFor('the forged prod deployment in the tree', async () => {
        await (await api()).store.refreshDeployments((await api()).store.folders[0]!);
        const node = (await nodeAt(flow.group, flow.name, 'prod')) as EnvItem;
        return node.cell.latest?.logLocation === elsewhere ? node : undefined;
      });
      {
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
        await answering(
          () => undefined,
          async (prompts) => {
            await vscode.commands.executeCommand('flowport.showLog', prod);
            assert.equal(vscode.window.activeTextEditor, undefined, 'no editor opened on the forged location');
            assert.match(
              prompts.shown.map((p) => (p.kind === 'message' ? p.text : '')).join('\n'),
              /opens a log only from the project's state folder/,
            );
          },
        );
      }

      const commit = (await children(dev)).find((d) => label(d) === 'commit') as DetailItem;
      await vscode.env.clipboard.writeText('');
      await vscode.commands.executeCommand('flowport.copyValue', commit);
      assert.equal(await vscode.env.clipboard.readText(), latest.commit);
    });
  });

  it('CodeLens: where the flow runs, Promote only where it can, and none when switched off', async function () {
    this.timeout(60_000);
    await withScratchFlow(async (flow) => {
      const uri = (await vscode.workspace.openTextDocument(flow.file)).uri; // the provider needs it open
      const lenses = async () =>
        (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)).map((l) => ({
          title: l.command?.title,
          command: l.command?.command,
          arguments: l.command?.arguments,
        }));
      await waitFor('the lenses of a flow never deployed', async () => {
        const titles = (await lenses()).map((l) => l.title);
        return titles.join(' | ') === 'dev — · uat — · prod — | Deploy | Promote: nothing deployed yet' || undefined;
      });
      assert.equal((await lenses())[2]?.command, '', 'Promote with nothing deployed runs nothing');
      await deploy(flow.id, 'dev');
      const promote = await waitFor('Promote dev → uat', async () =>
        (await lenses()).find((l) => l.title === 'Promote dev → uat'),
      );
      assert.deepEqual(promote, {
        title: 'Promote dev → uat',
        command: 'flowport.promote',
        arguments: [flow.id, 'dev'],
      });

      const config = vscode.workspace.getConfiguration('flowport');
      await config.update('codeLens.enabled', false, vscode.ConfigurationTarget.Global);
      try {
        await waitFor('no lenses', async () => (await lenses()).length === 0 || undefined);
      } finally {
        await config.update('codeLens.enabled', undefined, vscode.ConfigurationTarget.Global);
      }
      await waitFor('the lenses back', async () => (await lenses()).length === 3 || undefined);
    });
  });
});

/**
 * The safe operations from the editor, in a real VS Code, against the real SDK host, runners and
 * ledger: a lock taken from the tree refuses a deploy (and shows as a lock with who, why and since)
 * until Unlock; someone else's lock asks in a modal; a second deploy of a pair queues, shows its
 * place, and runs after the first; a deploy waiting for approval is refused to its asker with the
 * CLI's words and runs once another identity (git's user.email) approves; Roll Back restores the
 * previous release's commit.
 */
import * as assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ShownPrompt } from '../../../extension/src/commands/prompts';
import type { EnvItem } from '../../../extension/src/tree/nodes';
import { localLedger } from '../../../sdk/src/index';
import { api, nodeAt, waitFor } from '../helpers';
import {
  answering,
  deploymentsOf,
  git,
  withHostEnv,
  withScratchFlow,
  workspaceRoot,
  type ScratchFlow,
} from './scratch';

async function envRow(flow: ScratchFlow, env: string): Promise<EnvItem> {
  const { store } = await api();
  await store.refreshDeployments(store.folders[0]!);
  return (await nodeAt(flow.group, flow.name, env)) as EnvItem;
}

/** Waits until the flow's row for `env` passes `probe`, and returns it. */
function rowWhere(flow: ScratchFlow, env: string, what: string, probe: (row: EnvItem) => boolean): Promise<EnvItem> {
  return waitFor(what, async () => {
    const row = await envRow(flow, env);
    return probe(row) ? row : undefined;
  });
}

const iconOf = (row: EnvItem) => (row.iconPath as vscode.ThemeIcon).id;
/** A row's tooltip as it reads (Markdown's escapes taken off). */
const tooltipOf = (row: EnvItem) =>
  (typeof row.tooltip === 'string' ? row.tooltip : (row.tooltip?.value ?? '')).replace(/\\(.)/g, '$1');
const messages = (shown: ShownPrompt[]) =>
  shown.filter((p): p is Extract<ShownPrompt, { kind: 'message' }> => p.kind === 'message');

/** Lifts every lock of `env` left by a test that failed half way, so the next test is not refused. */
async function unlockAll(env: string): Promise<void> {
  const ledger = localLedger({ root: workspaceRoot() });
  for (const l of await ledger.locks())
    if (l.env === env) await ledger.unlock({ env, ...(l.flowName ? { flowName: l.flowName } : {}), lockId: l.id });
}

/** The uat check of the check tests: it fails, and says why on stdout. */
const FAILING_CHECK =
  "check({ name: 'ci status', command: [process.execPath, '-e', \"console.log('build 41 is red'); process.exit(3)\"] })";

/**
 * Runs `body` with the demo config giving uat a failing pre-deploy check (not committed: a deploy
 * of HEAD asks about the dirty tree, answered by the tests), and puts the config back after.
 */
async function withFailingCheck<T>(body: () => Promise<T>, checkSource = FAILING_CHECK): Promise<T> {
  const { store } = await api();
  await store.ensureLoaded();
  const config = join(workspaceRoot(), 'flowport.config.ts');
  const original = readFileSync(config, 'utf8');
  const withCheck = original
    .replace('import { commandDeployer, defineConfig', 'import { check, commandDeployer, defineConfig')
    .replace(
      "environments: ['dev', 'uat', { name: 'prod', protected: true }]",
      `environments: ['dev', { name: 'uat', checks: [${checkSource}] }, { name: 'prod', protected: true }]`,
    );
  assert.notEqual(withCheck, original, 'the demo config names its environments as expected');
  const checksOn = () =>
    (store.folders[0]?.project?.environments.find((e) => e.name === 'uat')?.checks?.length ?? 0) > 0;
  try {
    writeFileSync(config, withCheck);
    await waitFor('the config with a check to load', checksOn, 60_000);
    return await body();
  } finally {
    writeFileSync(config, original);
    await waitFor('the config without checks to load', () => !checksOn(), 60_000);
  }
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

/** Runs the tasks.json task `label` and resolves with its exit code. */
async function runTasksJson(label: string): Promise<number | undefined> {
  const task = await waitFor('the tasks.json task', async () =>
    (await vscode.tasks.fetchTasks({ type: 'flowport' })).find((t) => t.name === label),
  );
  const ended = new Promise<number | undefined>((resolve) => {
    const sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution.task.name !== label) return;
      sub.dispose();
      resolve(e.exitCode);
    });
  });
  await vscode.tasks.executeTask(task);
  return ended;
}

type Overridden = { by: string; reason: string; failed: string[] } | undefined;

describe('Safe operations from the editor', () => {
  it('a failing check marks the env row "check failed" with its output and actions; Run Checks Again that passes clears it', async function () {
    this.timeout(120_000);
    // Red while this file exists: the test turns the check green without reloading the config.
    const red = join(workspaceRoot(), '.flowport', `ci-red-${process.pid}`);
    mkdirSync(join(workspaceRoot(), '.flowport'), { recursive: true });
    writeFileSync(red, '');
    const redCheck = `check({ name: 'ci status', command: [process.execPath, '-e', "if (require('fs').existsSync(${JSON.stringify(JSON.stringify(red)).slice(1, -1)})) { console.log('build 41 is red, token https://ci:hunter2@ci.example/x'); process.exit(3) }"] })`;
    try {
      await withFailingCheck(
        () =>
          withScratchFlow(async (flow) => {
            const before = await envRow(flow, 'uat');
            assert.doesNotMatch(String(before.description), /check failed/);
            // Escape at the checks' picker: refused, nothing recorded; the row says why.
            const code = await answering(
              (p) => (p.kind === 'message' && p.modal ? p.actions[0] : undefined),
              async () => vscode.commands.executeCommand<number>('flowport.deploy', flow.id, 'uat'),
            );
            assert.equal(code, 1);
            const marked = await rowWhere(flow, 'uat', 'the check failed mark', (r) =>
              String(r.description).includes('check failed: ci status'),
            );
            assert.match(String(marked.contextValue), /\bcheckFailed\b/);
            assert.equal(iconOf(marked), 'workspace-untrusted');
            const tip = tooltipOf(marked);
            assert.match(tip, /check failed: ci status/);
            assert.match(tip, /exited with code 3/);
            assert.match(tip, /build 41 is red/);
            assert.doesNotMatch(tip, /hunter2/, 'a URL password in the output is masked');
            assert.match(tip, /Override Checks…\]\(command:flowport\.overrideFailedCheck/);
            assert.match(tip, /Run Checks Again\]\(command:flowport\.rerunChecks/);
            const dev = await envRow(flow, 'dev');
            assert.doesNotMatch(String(dev.description), /check failed/, 'only the refused pair is marked');

            // Still red: Run Checks Again keeps the mark.
            await answering(
              () => undefined,
              async () => vscode.commands.executeCommand('flowport.rerunChecks', marked),
            );
            assert.match(String((await envRow(flow, 'uat')).description), /check failed: ci status/);

            // Green: Run Checks Again clears it.
            rmSync(red, { force: true });
            const checks = await answering(
              () => undefined,
              async () =>
                vscode.commands.executeCommand<Array<{ ok: boolean }>>('flowport.rerunChecks', flow.id, 'uat'),
            );
            assert.deepEqual(
              checks?.map((c) => c.ok),
              [true],
            );
            const cleared = await rowWhere(
              flow,
              'uat',
              'the mark to clear',
              (r) => !String(r.description).includes('check failed'),
            );
            assert.doesNotMatch(String(cleared.contextValue), /checkFailed/);
            assert.doesNotMatch(tooltipOf(cleared), /check failed/);

            // Red again: a deploy refused marks it; Override Checks… on the row asks only for the
            // reason and deploys, recorded, and the deploy's start clears the mark.
            writeFileSync(red, '');
            await answering(
              (p) => (p.kind === 'message' && p.modal ? p.actions[0] : undefined),
              async () => vscode.commands.executeCommand<number>('flowport.deploy', flow.id, 'uat'),
            );
            const again = await rowWhere(flow, 'uat', 'the mark again', (r) =>
              String(r.description).includes('check failed: ci status'),
            );
            const overridden = await answering(
              (p) =>
                p.kind === 'input' ? 'hotfix from the row' : p.kind === 'message' && p.modal ? p.actions[0] : undefined,
              async (prompts) => ({
                code: await vscode.commands.executeCommand<number>('flowport.overrideFailedCheck', again),
                picks: prompts.shown.filter((p) => p.kind === 'pick').length,
              }),
            );
            assert.deepEqual(overridden, { code: 0, picks: 0 }, 'straight to the reason, then deployed');
            const [deployed] = await deploymentsOf(flow.name, 'uat');
            assert.equal((deployed?.attributes.checksOverridden as Overridden)?.reason, 'hotfix from the row');
            await rowWhere(
              flow,
              'uat',
              'the mark to clear after the deploy',
              (r) => !String(r.description).includes('check failed'),
            );
          }),
        redCheck,
      );
    } finally {
      rmSync(red, { force: true });
    }
  });

  it('a failing check refuses a deploy with its output; Override Checks… with a reason deploys, recorded', async function () {
    this.timeout(120_000);
    await withFailingCheck(() =>
      withScratchFlow(async (flow) => {
        const picks = (shown: ShownPrompt[]) =>
          shown.filter((p): p is Extract<ShownPrompt, { kind: 'pick' }> => p.kind === 'pick');
        // Escape at the checks' picker: refused, nothing recorded, and no second notice of it.
        const refused = await answering(
          (p) => (p.kind === 'message' && p.modal ? p.actions[0] : undefined),
          async (prompts) => ({
            code: await vscode.commands.executeCommand<number>('flowport.deploy', flow.id, 'uat'),
            picks: picks(prompts.shown),
            warnings: messages(prompts.shown).filter((m) => !m.modal),
          }),
        );
        assert.equal(refused.code, 1);
        assert.equal(refused.picks.length, 1, JSON.stringify(refused.picks));
        const [picker] = refused.picks;
        assert.match(picker!.title, /Deploy scratch-\w+ → uat: check "ci status" failed/);
        assert.deepEqual(
          picker!.items
            .filter((i) => i.kind !== vscode.QuickPickItemKind.Separator)
            .map((i) => [i.label, i.description, i.detail]),
          [
            ['$(error) ci status', 'exited with code 3', 'build 41 is red'],
            ['$(warning) Override Checks…', 'Deploy anyway, with a reason recorded on the deployment', undefined],
          ],
        );
        assert.deepEqual(refused.warnings, []);
        assert.deepEqual(await deploymentsOf(flow.name, 'uat'), [], 'nothing was recorded');

        // Override Checks…, then an empty reason: still refused.
        const override = (reason: string) => (p: ShownPrompt) =>
          p.kind === 'message' && p.modal
            ? p.actions[0]
            : p.kind === 'pick'
              ? p.items.find((i) => i.label.includes('Override Checks'))?.label
              : p.kind === 'input'
                ? reason
                : undefined;
        const blank = await answering(override('   '), async () =>
          vscode.commands.executeCommand<number>('flowport.deploy', flow.id, 'uat'),
        );
        assert.equal(blank, 1);
        assert.deepEqual(await deploymentsOf(flow.name, 'uat'), [], 'nothing was recorded');

        // With a reason: it deploys, and the deployment records who overrode which check and why.
        const inputs: ShownPrompt[] = [];
        const code = await answering(override('hotfix for INC-123'), async (prompts) => {
          const c = await vscode.commands.executeCommand<number>('flowport.deploy', flow.id, 'uat');
          inputs.push(...prompts.shown.filter((p) => p.kind === 'input'));
          return c;
        });
        assert.equal(code, 0);
        assert.match(JSON.stringify(inputs), /Override Checks \(ci status\)/);
        const [deployed] = await deploymentsOf(flow.name, 'uat');
        assert.equal(deployed?.status, 'succeeded');
        const overridden = deployed.attributes.checksOverridden as Overridden;
        assert.equal(overridden?.reason, 'hotfix for INC-123');
        assert.deepEqual(overridden?.failed, ['ci status']);
        assert.match(overridden?.by ?? '', /\S+@\S+/);
      }),
    );
  });

  it('a tasks.json task with a failing check refuses with its output; with "overrideChecks" it deploys, recorded', async function () {
    this.timeout(120_000);
    await withFailingCheck(() =>
      withScratchFlow(async (flow) => {
        const plain = `deploy ${flow.name} to uat`;
        const overriding = `deploy ${flow.name} to uat anyway`;
        await withTasksJson(
          [
            { type: 'flowport', action: 'deploy', flow: flow.name, env: 'uat', label: plain },
            {
              type: 'flowport',
              action: 'deploy',
              flow: flow.name,
              env: 'uat',
              label: overriding,
              overrideChecks: 'nightly, CI is down',
            },
          ],
          async () => {
            await answering(
              (p) => (p.kind === 'message' && p.modal ? p.actions[0] : undefined),
              async (prompts) => {
                assert.equal(await runTasksJson(plain), 1, 'a failing check refuses the task');
                const refusal = await prompts.next((p) => p.kind === 'message' && p.severity === 'warning');
                assert.ok(refusal.kind === 'message');
                assert.equal(refusal.text, 'check "ci status" failed for uat: nothing was sent.');
                // It could not ask: no picker.
                assert.deepEqual(
                  prompts.shown.filter((p) => p.kind === 'pick' || p.kind === 'input'),
                  [],
                );
              },
            );
            assert.deepEqual(await deploymentsOf(flow.name, 'uat'), [], 'nothing was recorded');
            assert.equal(await runTasksJson(overriding), 0);
            const [deployed] = await deploymentsOf(flow.name, 'uat');
            assert.equal((deployed?.attributes.checksOverridden as Overridden)?.reason, 'nightly, CI is down');
          },
        );
      }),
    );
  });

  it('a lock from the tree refuses a deploy, shows as a lock with who, why and since; Unlock clears it', async function () {
    this.timeout(90_000);
    await withScratchFlow(async (flow) => {
      try {
        const uat = await envRow(flow, 'uat');
        assert.match(uat.contextValue ?? '', /\blockable\b/);
        // Lock Environment… on the row: the reason is asked for.
        const locked = await answering(
          (p) => (p.kind === 'input' ? 'release freeze' : undefined),
          async () => vscode.commands.executeCommand<boolean>('flowport.lockEnvironment', uat),
        );
        assert.equal(locked, true);
        const row = await rowWhere(flow, 'uat', 'uat to show its lock', (r) => iconOf(r) === 'lock');
        assert.match(row.contextValue ?? '', /\benv\b.*\blocked\b/);
        assert.doesNotMatch(row.contextValue ?? '', /\blockable\b/);
        const tip = tooltipOf(row);
        assert.match(tip, /uat is locked by \S+@\S+ since \d{4}-\d\d-\d\dT/);
        assert.match(tip, /release freeze/);
        assert.match(String(row.description), /locked by /);
        // CodeLens above the flow: the lock's icon on uat, and the lock in its tooltip.
        const uri = (await vscode.workspace.openTextDocument(flow.file)).uri; // the provider needs it open
        const lens = await waitFor('the CodeLens to show the lock', async () =>
          (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)).find((l) =>
            l.command?.title.includes('uat $(lock)'),
          ),
        );
        assert.match(lens.command!.tooltip ?? '', /uat: uat is locked by \S+ since .*"release freeze"/);

        // Deploy from the row: refused before anything is recorded, with the lock and its Unlock.
        const refused = await answering(
          () => undefined,
          async (prompts) => {
            const code = await vscode.commands.executeCommand<number>('flowport.deploy', row);
            return { code, shown: messages(prompts.shown) };
          },
        );
        assert.equal(refused.code, 1);
        const warning = refused.shown.find((m) => /is locked by/.test(m.text));
        assert.ok(warning, JSON.stringify(refused.shown));
        assert.match(warning.text, /release freeze/);
        assert.deepEqual(warning.actions, ['Unlock uat']);
        assert.deepEqual(await deploymentsOf(flow.name, 'uat'), [], 'nothing was recorded');

        // My own lock: Unlock asks nothing.
        const unlocked = await answering(
          () => undefined,
          async (prompts) => {
            const ok = await vscode.commands.executeCommand<boolean>('flowport.unlockEnvironment', row);
            return { ok, modals: messages(prompts.shown).filter((m) => m.modal) };
          },
        );
        assert.equal(unlocked.ok, true);
        assert.deepEqual(unlocked.modals, []);
        const clear = await rowWhere(flow, 'uat', 'uat to lose its lock', (r) => iconOf(r) !== 'lock');
        assert.match(clear.contextValue ?? '', /\blockable\b/);
        assert.equal(await vscode.commands.executeCommand<number>('flowport.deploy', clear), 0);
        assert.deepEqual(
          (await deploymentsOf(flow.name, 'uat')).map((d) => d.status),
          ['succeeded'],
        );
      } finally {
        await unlockAll('uat');
      }
    });
  });

  it("someone else's lock is lifted only after a modal's yes, recorded with who did", async function () {
    this.timeout(60_000);
    await withScratchFlow(async (flow) => {
      const root = workspaceRoot();
      const ledger = localLedger({ root });
      try {
        // A lock record as another machine's user would append it (the ledger trusts its machine).
        const mine = await ledger.lock({ env: 'uat', flowName: flow.name, reason: 'theirs' });
        const file = join(root, '.flowport', 'ledger.jsonl');
        const line = readFileSync(file, 'utf8')
          .trimEnd()
          .split('\n')
          .reverse()
          .find((l) => l.includes(mine.lock.id))!;
        await ledger.unlock({ env: 'uat', flowName: flow.name, lockId: mine.lock.id });
        const theirs = { ...(JSON.parse(line) as object), by: 'dana@elsewhere', lockId: `${mine.lock.id}-dana` };
        appendFileSync(file, `${JSON.stringify(theirs)}\n`);
        const row = await rowWhere(flow, 'uat', "uat to show dana's lock", (r) => r.cell.lock?.by === 'dana@elsewhere');
        assert.equal(iconOf(row), 'lock');

        // No at the modal: the lock holds.
        const no = await answering(
          () => undefined,
          async (prompts) => ({
            ok: await vscode.commands.executeCommand<boolean>('flowport.unlockEnvironment', row),
            modals: messages(prompts.shown).filter((m) => m.modal),
          }),
        );
        assert.equal(no.ok, false);
        assert.equal(no.modals.length, 1);
        assert.match(no.modals[0]!.detail ?? '', /locked by dana@elsewhere/);
        assert.equal((await ledger.locks()).filter((l) => l.env === 'uat').length, 1);

        const yes = await answering(
          (p) => (p.kind === 'message' && p.modal ? 'Unlock' : undefined),
          async () => vscode.commands.executeCommand<boolean>('flowport.unlockEnvironment', row),
        );
        assert.equal(yes, true);
        assert.deepEqual(
          (await ledger.locks()).filter((l) => l.env === 'uat'),
          [],
        );
      } finally {
        await unlockAll('uat');
      }
    });
  });

  it('a second deploy of a pair queues, shows its place and Cancel, and runs after the first', async function () {
    this.timeout(120_000);
    await withScratchFlow((flow) =>
      // Slow steps, so the first deploy still runs when the second is asked for.
      withHostEnv({ DEMO_STEP_MS: '700' }, async () => {
        const first = vscode.commands.executeCommand<number>('flowport.deploy', flow.id, 'dev');
        const running = await waitFor('the first deploy to run', async () =>
          (await deploymentsOf(flow.name, 'dev')).find((d) => d.status === 'running'),
        );
        const second = vscode.commands.executeCommand<number>('flowport.deploy', flow.id, 'dev');
        const row = await rowWhere(
          flow,
          'dev',
          'dev to show the second deploy queued',
          (r) => r.cell.status === 'queued',
        );
        assert.equal(
          String(row.description).includes(`queued, 2nd behind ${running.id}`),
          true,
          String(row.description),
        );
        assert.equal(iconOf(row), 'watch');
        assert.match(row.contextValue ?? '', /\bcancellable\b/);
        assert.match(tooltipOf(row), /starts by itself when its turn comes/);
        assert.deepEqual(await Promise.all([first, second]), [0, 0]);
        const [a, b] = await deploymentsOf(flow.name, 'dev');
        assert.deepEqual([a?.status, b?.status], ['succeeded', 'succeeded']);
        assert.equal(b!.attributes.queuedBehind, a!.id);
        // One after the other: the second's log starts after the first ended.
        const log = readFileSync(join(workspaceRoot(), '.flowport', 'logs', `${b!.id}.log`), 'utf8');
        assert.match(log, /queued: 2nd in line/);
      }),
    );
  });

  it('a deploy waiting for approval is refused to its asker and runs once another identity approves', async function () {
    this.timeout(120_000);
    const { store } = await api();
    // Run first (alone, by FLOWPORT_TEST_GREP), nothing has loaded the folder yet.
    await store.ensureLoaded();
    const config = join(workspaceRoot(), 'flowport.config.ts');
    const original = readFileSync(config, 'utf8');
    const withApproval = original.replace(
      "environments: ['dev', 'uat', { name: 'prod', protected: true }]",
      "environments: ['dev', { name: 'uat', approval: { required: 1, notInitiator: true } }, { name: 'prod', protected: true }]",
    );
    assert.notEqual(withApproval, original, 'the demo config names its environments as expected');
    const setEmail = (email: string) => git('config', 'user.email', email);
    const approvalOn = () =>
      store.folders[0]?.project?.environments.find((e) => e.name === 'uat')?.approval !== undefined;
    try {
      writeFileSync(config, withApproval);
      await waitFor('the config with approvals to load', approvalOn, 60_000);
      await withScratchFlow(async (flow) => {
        setEmail('asker@flowport.invalid');
        // The deploy returns at once: it waits, queued, for an approval. (The config is changed,
        // not committed: the dirty tree's question is answered with its go-ahead.)
        const code = await answering(
          (p) => (p.kind === 'message' && p.modal ? p.actions[0] : undefined),
          async () => vscode.commands.executeCommand<number>('flowport.deploy', flow.id, 'uat'),
        );
        assert.equal(code, 0);
        const row = await rowWhere(flow, 'uat', 'uat to wait for approval', (r) => r.cell.awaiting !== undefined);
        assert.equal(iconOf(row), 'shield');
        assert.match(row.contextValue ?? '', /\benv\b.*\bapprovable\b/);
        assert.match(String(row.description), /waiting for approval \(asked by asker@flowport\.invalid\)/);
        const waiting = row.cell.awaiting!.deployment;

        // The asker may not approve: the CLI's refusal, word for word.
        const refused = await answering(
          () => undefined,
          async (prompts) => ({
            ok: await vscode.commands.executeCommand<boolean>('flowport.approveDeployment', row),
            shown: messages(prompts.shown),
          }),
        );
        assert.equal(refused.ok, false);
        const said = refused.shown.find((m) => m.severity === 'warning');
        assert.ok(said, JSON.stringify(refused.shown));
        assert.match(
          said.text,
          /cannot approve .*: you \(asker@flowport\.invalid\) asked for it, and an approval by another identity is required\./,
        );
        assert.equal((await localLedger({ root: workspaceRoot() }).getDeployment(waiting.id))?.status, 'queued');

        setEmail('approver@flowport.invalid');
        const approved = await answering(
          () => undefined,
          async (prompts) => ({
            ok: await vscode.commands.executeCommand<boolean>('flowport.approveDeployment', row),
            shown: messages(prompts.shown),
          }),
        );
        assert.equal(approved.ok, true, JSON.stringify(approved.shown));
        assert.match(
          approved.shown[0]!.text,
          /Approved by approver@flowport\.invalid: .* runs now, through the queue\./,
        );
        const done = await waitFor('the approved deploy to succeed', async () => {
          const d = await localLedger({ root: workspaceRoot() }).getDeployment(waiting.id);
          return d?.status === 'succeeded' ? d : undefined;
        });
        assert.deepEqual(done.attributes.approvedBy, ['approver@flowport.invalid']);

        // Another one, rejected from its row with a reason: it never runs.
        const again = await answering(
          (p) => (p.kind === 'message' && p.modal ? p.actions[0] : undefined),
          async () => vscode.commands.executeCommand<number>('flowport.deploy', flow.id, 'uat'),
        );
        assert.equal(again, 0);
        const second = await rowWhere(
          flow,
          'uat',
          'the second deploy to wait for approval',
          (r) => r.cell.awaiting !== undefined && r.cell.awaiting.deployment.id !== waiting.id,
        );
        const rejected = await answering(
          (p) => (p.kind === 'input' ? 'not this week' : undefined),
          async () => vscode.commands.executeCommand<boolean>('flowport.rejectDeployment', second),
        );
        assert.equal(rejected, true);
        const closed = await waitFor('the rejected deploy to end', async () => {
          const d = await localLedger({ root: workspaceRoot() }).getDeployment(second.cell.awaiting!.deployment.id);
          return d?.status === 'cancelled' ? d : undefined;
        });
        assert.match(String(closed.attributes.reason), /not this week/);
      });
    } finally {
      try {
        git('config', '--unset', 'user.email');
      } catch {
        // never set: the test failed before the deploy
      }
      writeFileSync(config, original);
      await waitFor('the config without approvals to load', () => !approvalOn(), 60_000);
    }
  });

  it("Roll Back on a row restores the previous release's commit, recorded as a rollback", async function () {
    this.timeout(120_000);
    await withScratchFlow(async (flow) => {
      assert.equal(await vscode.commands.executeCommand<number>('flowport.deploy', flow.id, 'dev'), 0);
      const [firstRelease] = await deploymentsOf(flow.name, 'dev');
      // A second version of the flow, deployed over the first.
      writeFileSync(flow.file, `${readFileSync(flow.file, 'utf8')}export const version = 2;\n`);
      git('commit', '-qm', `${flow.name} v2`, '--', flow.file);
      assert.equal(await vscode.commands.executeCommand<number>('flowport.deploy', flow.id, 'dev'), 0);
      const row = await rowWhere(flow, 'dev', 'dev to have two releases', (r) => r.cell.releases === 2);
      assert.match(row.contextValue ?? '', /\brollbackable\b/);
      const short = firstRelease!.commit.slice(0, 7);
      const result = await answering(
        (p) => (p.kind === 'pick' ? `${short} · superseded` : undefined),
        async (prompts) => ({
          code: await vscode.commands.executeCommand<number>('flowport.rollback', row),
          picks: prompts.shown.filter((p): p is Extract<ShownPrompt, { kind: 'pick' }> => p.kind === 'pick'),
        }),
      );
      assert.equal(result.code, 0);
      // The releases, newest first, with their state; the current one cannot be picked.
      const items = result.picks[0]!.items;
      assert.deepEqual(
        items.map((i) => [i.label.replace(/^[0-9a-f]{7}/, 'c'), i.unavailable]),
        [
          ['c · current', 'runs there now'],
          ['c · superseded', undefined],
        ],
      );
      const all = await deploymentsOf(flow.name, 'dev');
      const rollback = all.at(-1)!;
      assert.equal(rollback.status, 'succeeded');
      assert.equal(rollback.commit, firstRelease!.commit);
      assert.deepEqual(rollback.attributes.rollback, { restores: firstRelease!.id, replaces: all[1]!.id });
      const after = await rowWhere(
        flow,
        'dev',
        'dev to run the first commit again',
        (r) => r.cell.current?.id === rollback.id,
      );
      assert.equal(after.cell.current?.commit, firstRelease!.commit);
    });
  });
  it('from the palette: Lock Environment… (environment, scope, reason), Unlock Environment…, Show Queue', async function () {
    this.timeout(60_000);
    await withScratchFlow(async (flow) => {
      try {
        const answers = (p: ShownPrompt) => {
          if (p.kind === 'pick' && p.title === 'Flowport: Lock Environment')
            return p.items.some((i) => i.label === 'prod') ? 'prod' : flow.name;
          if (p.kind === 'input') return 'audit';
          return undefined;
        };
        const locked = await answering(answers, async (prompts) => ({
          ok: await vscode.commands.executeCommand<boolean>('flowport.lockEnvironment'),
          picks: prompts.shown.filter((p): p is Extract<ShownPrompt, { kind: 'pick' }> => p.kind === 'pick'),
        }));
        assert.equal(locked.ok, true);
        // The scope: every flow there, or one.
        assert.equal(locked.picks[1]!.items[0]!.label, 'Every flow in prod');
        const lock = (await localLedger({ root: workspaceRoot() }).locks()).find((l) => l.env === 'prod');
        assert.deepEqual([lock?.flowName, lock?.reason], [flow.name, 'audit']);
        const row = await rowWhere(flow, 'prod', 'prod to show the flow lock', (r) => iconOf(r) === 'lock');
        assert.match(String(row.description), /flow locked by /);
        const flowRow = await nodeAt(flow.group, flow.name);
        assert.equal((flowRow.iconPath as vscode.ThemeIcon).id, 'lock');

        const unlocked = await answering(
          (p) => (p.kind === 'pick' ? `${flow.name} in prod` : undefined),
          async () => vscode.commands.executeCommand<boolean>('flowport.unlockEnvironment'),
        );
        assert.equal(unlocked, true);
        assert.equal((await localLedger({ root: workspaceRoot() }).locks()).filter((l) => l.env === 'prod').length, 0);

        const queue = await answering(
          () => undefined,
          async (prompts) => {
            await vscode.commands.executeCommand('flowport.showQueue');
            return messages(prompts.shown);
          },
        );
        assert.match(queue[0]?.text ?? '', /nothing is queued/);
      } finally {
        await unlockAll('prod');
      }
    });
  });
});

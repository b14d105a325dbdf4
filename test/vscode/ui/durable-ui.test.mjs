// Playwright UI tests in a real VS Code (code-server with the packaged extension installed, as a
// user runs it) of deploys that outlive the window:
// 1. Cancel in one click: a running deployment's inline Cancel in the Flows tree, then the Cancel
//    button of a running cell on the board, then the running entry's Cancel in the board's history;
//    each time the ledger (`flowport history --json`) records the deployment cancelled. The running
//    entry's "Open log" follows the deploy in a terminal, which ends with the cancel.
// 2. The whole code-server (its extension host and SDK host with it) is killed mid-deploy; the
//    deploy's runner goes on alone. A new code-server on the same project shows it running, its
//    Show Log follows the log as it grows and ends with the final status, and the tree shows it
//    succeeded with its outputs; the ledger says so, and the runner has exited.
//
//   node --test test/vscode/ui/durable-ui.test.mjs      (or: node scripts/test-vscode.mjs ui)
//
// Needs the built extension and SDK: node sdk/build.mjs --no-types && node scripts/build-extension.mjs
// Screenshots go to test-output/durable/ (on failure also failure-*.png and code-server-*.log).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoWorkspace, repoRoot } from '../../../scripts/vscode-host/demo-workspace.mjs';
import { openInstalledWorkbench, packageExtension } from '../../../scripts/vscode-host/installed.mjs';
import { assertBuilt, boardFrame, runCommand, showFlowsView, terminalText, waitUntil } from './workbench.mjs';

const shotDir = join(repoRoot, 'test-output', 'durable');
const FLOW = 'send-invoices';
const FLOW_ID = 'src/billing/invoices.ts#send-invoices';
const CLI = join(repoRoot, 'sdk', 'bin', 'flowport.js');
// xterm's DOM renderer (not WebGL/canvas), so a terminal's text can be read from the page.
const SETTINGS = { 'terminal.integrated.gpuAcceleration': 'off' };

/** @typedef {import('playwright-core').Page} Page @typedef {import('playwright-core').Locator} Locator */

/** One VSIX for both tests. @type {string | undefined} */
let vsix;
const packaged = () => (vsix ??= packageExtension());

/** The ledger's record of the flow's deployments to `env`, newest first (the CLI, as a user reads it). */
function history(/** @type {string} */ folder, env = 'dev') {
  const out = execFileSync(process.execPath, [CLI, 'history', FLOW, '--env', env, '--json', '--root', folder], {
    encoding: 'utf8',
  });
  return /** @type {{ deployments: Array<{ id: string, status: string, outputs: Record<string, string> }> }} */ (
    JSON.parse(out)
  ).deployments;
}

/** The row's accessible name: "label description[, has actions]". @param {Locator} row */
async function name(row) {
  return (await row.getAttribute('aria-label', { timeout: 5_000 })) ?? '';
}

/** Expands a collapsed row by clicking its twistie. @param {Locator} row */
async function expand(row) {
  if ((await row.getAttribute('aria-expanded', { timeout: 5_000 })) === 'true') return;
  await row.locator('.monaco-tl-twistie').click();
  await waitUntil(async () => (await row.getAttribute('aria-expanded')) === 'true', 10_000, 'a row to expand');
}

/** The Flows tree with send-invoices expanded: its dev row. @param {Page} page */
async function devRow(page) {
  await showFlowsView(page);
  const tree = page.getByRole('tree', { name: 'Flows', exact: true });
  const flow = tree.getByRole('treeitem', { name: new RegExp(`^${FLOW} `) });
  await flow.waitFor({ timeout: 30_000 });
  await expand(flow);
  const dev = tree.getByRole('treeitem', { name: /^dev\b/ });
  await dev.waitFor({ timeout: 10_000 });
  return { tree, dev };
}

/**
 * Clicks the dev row's inline Deploy HEAD and waits for the row to show the deploy running. A click
 * that started nothing (the hover-only action moved as the row re-rendered) is made again, only
 * while the ledger has no new deployment.
 * @param {Locator} dev @param {string} folder
 */
async function deployFromRow(dev, folder) {
  const before = history(folder).length;
  const running = async () => /\brunning\b/.test(await name(dev));
  for (let attempt = 1; attempt <= 3; attempt++) {
    await dev.hover();
    await dev.getByRole('button', { name: 'Deploy HEAD', exact: true }).click({ timeout: 10_000 });
    const started = await waitUntil(running, 20_000, 'the dev row to show "running"').catch(() => false);
    if (started) return;
    if (history(folder).length !== before) break; // it started: the row is just slow to show it
    console.error(`[durable-ui] Deploy HEAD click ${attempt} started nothing: clicking again`);
  }
  await waitUntil(running, 40_000, 'the dev row to show "running"');
}

/** Processes of the code-server whose temp folder is `tmp` (each carries it in FLOWPORT_VSCODE_HOST). */
function tagged(/** @type {string} */ tmp) {
  /** @type {{ pid: number, cmd: string, ppid: number, pgrp: number }[]} */
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      if (!env.includes(`FLOWPORT_VSCODE_HOST=${tmp}`)) continue;
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').join(' ');
      // stat: "pid (comm) state ppid pgrp …"; comm may hold spaces, so read after its ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const [, ppid, pgrp] = stat
        .slice(stat.lastIndexOf(')') + 2)
        .split(' ')
        .map(Number);
      found.push({ pid: Number(entry), cmd, ppid, pgrp });
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** Screenshot, with the pointer where it hides nothing (after `hover`, when given, to show hover-only actions). */
async function shot(/** @type {Page} */ page, /** @type {string} */ file, /** @type {Locator} */ hover) {
  if (hover) await hover.hover();
  else await page.mouse.move(700, 880);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shotDir, file) });
}

async function keepEvidence(/** @type {any} */ wb, /** @type {string} */ label) {
  if (!wb) return;
  await wb.page.screenshot({ path: join(shotDir, `failure-${label}.png`) }).catch(() => {});
  writeFileSync(join(shotDir, `code-server-${label}.log`), wb.server.output());
}

function checkBuilt() {
  assertBuilt(['dist/extension.js', 'dist/webview/board.js', 'sdk/dist/host.js']);
  mkdirSync(shotDir, { recursive: true });
}

test(
  'Cancel in one click: from the tree row, then from the board; the ledger says cancelled',
  { timeout: 300_000 },
  async (t) => {
    checkBuilt();
    const folder = demoWorkspace();
    /** @type {Awaited<ReturnType<typeof openInstalledWorkbench>> | undefined} */
    let wb;
    try {
      // Three pauses of 5 s in the demo's deploy script: each deploy runs long enough to be cancelled.
      wb = await openInstalledWorkbench({
        folder,
        vsix: packaged(),
        env: { DEMO_STEP_MS: '5000' },
        userSettings: SETTINGS,
      });
      const { page } = wb;
      const { dev } = await devRow(page);
      const notices = page.locator('.notifications-toasts .notification-toast');

      // ---- The tree: a running row's inline Cancel ----
      await deployFromRow(dev, folder);
      await dev.hover();
      const cancel = dev.getByRole('button', { name: 'Cancel Deployment', exact: true });
      await cancel.waitFor({ timeout: 10_000 });
      await shot(page, '01-tree-cancel.png', cancel);
      // The side bar alone: the running row's inline Cancel (⏹) beside Deploy HEAD.
      await page.locator('.part.sidebar').screenshot({ path: join(shotDir, '01b-tree-cancel-sidebar.png') });
      const running = history(folder)[0];
      assert.equal(running?.status, 'running');
      await cancel.click();
      await waitUntil(async () => /\bcancelled\b/.test(await name(dev)), 60_000, 'the dev row to show "cancelled"');
      await waitUntil(() => history(folder)[0]?.status === 'cancelled', 30_000, 'the ledger to record it cancelled');
      assert.equal(history(folder)[0]?.id, running.id);
      await dev.hover();
      assert.equal(await cancel.count(), 0, 'no Cancel on a row that does not run');
      // The cancel was asked for: the task says so, and does not report a failure.
      await notices
        .filter({ hasText: /was cancelled by/ })
        .first()
        .waitFor({ timeout: 15_000 });
      assert.equal(await notices.filter({ hasText: /failed/ }).count(), 0, 'a cancel asked for is not "failed"');
      t.diagnostic(`tree: ${running.id} cancelled`);

      // ---- The board: a running cell's Cancel ----
      await runCommand(page, 'Flowport: Show Board');
      const board = await boardFrame(page);
      const cell = board.locator(`.row.flow[data-flow="${FLOW_ID}"] .env-cell:has(.cell[data-env="dev"])`);
      await cell.waitFor({ timeout: 60_000 });
      assert.equal(await cell.locator('.cancel').count(), 0, 'no Cancel on a cell that does not run');
      await deployFromRow(dev, folder);
      const boardCancel = cell.locator('button.cancel');
      await boardCancel.waitFor({ timeout: 30_000 });
      assert.match((await cell.locator('.cell').getAttribute('aria-label')) ?? '', /: running/);
      await shot(page, '02-board-cancel.png');
      // The keyboard reaches it: → from the running cell, then → on to the Promote after it.
      const focused = () => board.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
      await cell.locator('.cell').focus();
      await page.keyboard.press('ArrowRight');
      assert.equal(await focused(), `Cancel the deploy of ${FLOW} to dev`);
      await page.keyboard.press('ArrowRight');
      assert.match(await focused(), /^Promote send-invoices from dev to uat/);
      const second = history(folder)[0];
      assert.notEqual(second?.id, running.id);
      assert.equal(second?.status, 'running');
      await boardCancel.click();
      await waitUntil(
        async () => /: cancelled/.test((await cell.locator('.cell').getAttribute('aria-label')) ?? ''),
        60_000,
        'the board cell to show "cancelled"',
      );
      await boardCancel.waitFor({ state: 'detached', timeout: 10_000 });
      const after = history(folder);
      assert.equal(after[0]?.id, second.id);
      assert.equal(after[0]?.status, 'cancelled');
      await shot(page, '03-board-cancelled.png');
      t.diagnostic(`board: ${second.id} cancelled`);

      // ---- The board's history: the running entry's Cancel ----
      await deployFromRow(dev, folder);
      const third = history(folder)[0];
      assert.equal(third?.status, 'running');
      await cell.locator('.cell').click();
      const panel = board.locator('aside.history');
      const entryCancel = panel.getByRole('button', { name: /^Cancel the deploy of [0-9a-f]{7} to dev$/ });
      await entryCancel.waitFor({ timeout: 15_000 });
      assert.equal(await entryCancel.count(), 1, 'only the running entry offers Cancel');
      await shot(page, '03b-history-cancel.png');
      // Its "Open log" follows the running deploy in a terminal, which ends with the cancel.
      await panel.getByRole('button', { name: /^Open the log of [0-9a-f]{7}, running$/ }).click();
      const flat = async () => (await terminalText(page)).replace(/\s+/g, ' ');
      await waitUntil(
        async () => (await flat()).includes(`Following the log of ${FLOW} → dev (deployment ${third.id})`),
        30_000,
        'the board’s Open log to follow the running deploy in a terminal',
      );
      await entryCancel.click();
      await waitUntil(() => history(folder)[0]?.status === 'cancelled', 60_000, 'the ledger to record it cancelled');
      assert.equal(history(folder)[0]?.id, third.id);
      await entryCancel.waitFor({ state: 'detached', timeout: 15_000 });
      await waitUntil(
        async () => /in dev: cancelled by \S+ — deployment /.test(await flat()),
        30_000,
        'the followed log to end with the cancel',
      );
      await shot(page, '03c-log-after-cancel.png');
      t.diagnostic(`history: ${third.id} cancelled`);
    } catch (err) {
      await keepEvidence(wb, 'cancel');
      throw err;
    } finally {
      await wb?.close();
      rmSync(folder, { recursive: true, force: true });
    }
  },
);

test(
  'a deploy goes on when the whole code-server is killed; the next window follows it to succeeded',
  { timeout: 360_000 },
  async (t) => {
    checkBuilt();
    const folder = demoWorkspace();
    // Long pauses: the deploy still runs when the second window is up (~20 s after the first dies).
    const env = { DEMO_STEP_MS: '15000' };
    /** @type {Awaited<ReturnType<typeof openInstalledWorkbench>> | undefined} */
    let first;
    /** @type {Awaited<ReturnType<typeof openInstalledWorkbench>> | undefined} */
    let second;
    try {
      first = await openInstalledWorkbench({ folder, vsix: packaged(), env, userSettings: SETTINGS });
      const { dev } = await devRow(first.page);
      await deployFromRow(dev, folder);
      const deployment = history(folder)[0];
      assert.equal(deployment?.status, 'running');

      // ---- Kill the whole code-server: its process group (the server, its extension host, the SDK
      // host) and any of its processes outside that group; only the runner's own group is spared ----
      const tmp = first.server.tmpDir;
      const before = tagged(tmp);
      assert.ok(
        before.some((p) => /\bhost\.m?js\b/.test(p.cmd)),
        `an SDK host runs: ${before.map((p) => p.cmd).join('\n')}`,
      );
      const runner = before.find((p) => /\brunner\.m?js\b/.test(p.cmd));
      assert.ok(runner, `the deploy has a runner: ${before.map((p) => p.cmd).join('\n')}`);
      assert.equal(runner.pgrp, runner.pid, 'the runner leads a process group of its own');
      // The runner and what it started (the deploy command, in a process group of its own).
      const spared = new Set([runner.pid]);
      for (let grew = true; grew;) {
        grew = false;
        for (const p of before) if (spared.has(p.ppid) && !spared.has(p.pid)) grew = Boolean(spared.add(p.pid));
      }
      process.kill(-first.server.pid, 'SIGKILL');
      for (const p of before.filter((p) => !spared.has(p.pid))) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone with its group already
        }
      }
      await waitUntil(
        () => tagged(tmp).every((p) => spared.has(p.pid)) || undefined,
        15_000,
        'every code-server process to be gone',
      );
      assert.ok(existsSync(`/proc/${runner.pid}`), 'the runner goes on alone');
      t.diagnostic(`code-server killed (${before.length - spared.size} processes); runner ${runner.pid} goes on`);
      const alone = history(folder)[0];
      assert.equal(alone?.status, 'running', `still running with no editor: ${JSON.stringify(alone)}`);

      // ---- A new code-server on the same project ----
      second = await openInstalledWorkbench({ folder, vsix: packaged(), env, userSettings: SETTINGS });
      const { page } = second;
      const { tree, dev: dev2 } = await devRow(page);
      assert.match(await name(dev2), /\brunning\b/, 'the new window shows the deploy running');
      await shot(page, '04-new-window-running.png', dev2);

      // ---- Show Log (context menu) follows the log as the runner writes it ----
      // The menu closes when the row is drawn again (the runner's lease renewals refresh the tree):
      // opened again until its Show Log has opened the log terminal.
      const following = page.locator('.terminal .xterm-rows', { hasText: 'Following the log of' });
      await waitUntil(
        async () => {
          if (await following.count()) return true;
          await page.keyboard.press('Escape');
          await dev2.click({ button: 'right' });
          // The workbench's context menu acts on mouse-up after its own mouse-down: pick by keyboard.
          await page.getByRole('menuitem', { name: /^Show Log/ }).hover({ timeout: 5_000 });
          await page.keyboard.press('Enter');
          return following.waitFor({ timeout: 5_000 }).then(
            () => true,
            () => false,
          );
        },
        45_000,
        'Show Log in the dev row’s context menu to open the log terminal',
      );
      const first_ = await waitUntil(
        async () => {
          const text = await terminalText(page);
          return text.includes(`Following the log of ${FLOW} → dev`) && text.includes('Deploying') ? text : undefined;
        },
        30_000,
        'the log terminal to show the log so far',
      );
      const grown = await waitUntil(
        async () => {
          const text = await terminalText(page);
          return text.length > first_.length && /Bundle loads|Deployed/.test(text) ? text : undefined;
        },
        60_000,
        'the log terminal to grow as the runner writes',
      );
      assert.doesNotMatch(first_, /succeeded — deployment/, 'no final line while it runs');
      const ended = await waitUntil(
        async () => {
          const text = (await terminalText(page)).replace(/\s+/g, ' ');
          return text.includes(`succeeded — deployment ${deployment.id}`) ? text : undefined;
        },
        90_000,
        'the final status line',
      );
      assert.ok(grown.length > first_.length);
      await shot(page, '05-log-followed.png');

      // ---- The tree shows it succeeded, with its outputs; the ledger agrees; the runner exited ----
      await waitUntil(
        async () => /^dev [0-9a-f]{7} · /.test(await name(dev2)),
        30_000,
        'the dev row to show succeeded',
      );
      await expand(dev2);
      await tree.getByRole('treeitem', { name: /^status succeeded\b/ }).waitFor({ timeout: 10_000 });
      await tree.getByRole('treeitem', { name: /^output bundleBytes \d+/ }).waitFor({ timeout: 10_000 });
      await shot(page, '06-new-window-succeeded.png');
      const record = history(folder)[0];
      assert.equal(record?.id, deployment.id);
      assert.equal(record?.status, 'succeeded');
      assert.match(record.outputs.bundleBytes ?? '', /^\d+$/);
      await waitUntil(() => !existsSync(`/proc/${runner.pid}`), 30_000, 'the runner to exit');
      t.diagnostic(`${deployment.id} succeeded after its window was killed; ${ended.length} chars of log followed`);
    } catch (err) {
      await keepEvidence(second, 'second');
      throw err;
    } finally {
      await second?.close();
      // Killed already: this removes its temp folder (and a runner still there, were the test to fail).
      await first?.close();
      rmSync(folder, { recursive: true, force: true });
    }
  },
);

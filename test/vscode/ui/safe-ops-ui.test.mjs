// Playwright UI test in a real VS Code (code-server with the packaged extension installed) of the
// safe operations as a user sees them: the Flows tree and the board showing a lock (icon, who, why,
// since), a queued deploy ("queued, 2nd behind …"), a deploy waiting for approval, and the
// rollback action; then, from the board: Approve refused to its asker with the CLI's words,
// Unlock lifting the lock, and "Roll back to this" restoring the earlier release's commit.
// The state is made with the CLI first (another process, as a teammate's terminal would).
//
//   node --test test/vscode/ui/safe-ops-ui.test.mjs      (or: node scripts/test-vscode.mjs ui)
//
// Needs the built extension and SDK: node sdk/build.mjs --no-types && node scripts/build-extension.mjs
// Screenshots go to test-output/safe-ops/ (on failure also failure.png and code-server.log).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoWorkspace, repoRoot } from '../../../scripts/vscode-host/demo-workspace.mjs';
import { openInstalledWorkbench, packageExtension } from '../../../scripts/vscode-host/installed.mjs';
import { openWorkbench } from '../../../scripts/vscode-host/run-tests.mjs';
import {
  assertBuilt,
  boardFrame,
  flowportLog,
  hoverUntil,
  keepFailureEvidence,
  runCommand,
  runCommandUntil,
  showFlowsView,
  waitUntil,
} from './workbench.mjs';

const shotDir = join(repoRoot, 'test-output', 'safe-ops');
const CLI = join(repoRoot, 'sdk', 'bin', 'flowport.js');
const CONFIG = `import { commandDeployer, defineConfig } from 'flowport';

export default defineConfig({
  environments: ['dev', 'uat', { name: 'prod', protected: true, approval: { required: 1, notInitiator: true } }],
  flows: { include: ['src/**'] },
  deploy: commandDeployer({ command: [process.execPath, 'scripts/deploy.mjs'], timeoutMs: 120_000 }),
});
`;

/** @typedef {import('playwright-core').Page} Page @typedef {import('playwright-core').Locator} Locator */

/** The CLI in `folder`, as a teammate runs it; its --json output parsed. */
function cli(
  /** @type {string} */ folder,
  /** @type {string[]} */ args,
  /** @type {Record<string, string>} */ env = {},
) {
  const out = execFileSync(process.execPath, [CLI, ...args, '--json', '--root', folder], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return JSON.parse(out);
}

const history = (/** @type {string} */ folder, /** @type {string} */ flow, /** @type {string} */ env) =>
  /** @type {{ deployments: Array<{ id: string, status: string, commit: string, attributes: Record<string, unknown> }> }} */ (
    cli(folder, ['history', flow, '--env', env])
  ).deployments;

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

async function shot(/** @type {Page} */ page, /** @type {string} */ file) {
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(shotDir, file) });
}

test('lock, queue, approval and rollback in the tree and on the board', { timeout: 420_000 }, async (t) => {
  assertBuilt(['dist/extension.js', 'dist/webview/board.js', 'sdk/dist/host.js']);
  mkdirSync(shotDir, { recursive: true });
  const folder = demoWorkspace({ 'flowport.config.ts': CONFIG });
  const git = (/** @type {string[]} */ ...args) => execFileSync('git', args, { cwd: folder, stdio: 'ignore' });
  // One identity for the CLI and the editor (the folder's git config): the asker of the approval.
  git('config', 'user.email', 'asker@flowport.invalid');
  git('config', 'user.name', 'Asker');
  /** @type {string[]} */
  const toCancel = [];
  /** @type {Awaited<ReturnType<typeof openInstalledWorkbench>> | undefined} */
  let wb;
  try {
    // Two releases of send-invoices in dev (two commits), so there is one to roll back to.
    cli(folder, ['deploy', 'send-invoices', '--env', 'dev']);
    const first = history(folder, 'send-invoices', 'dev')[0];
    const file = join(folder, 'src', 'billing', 'invoices.ts');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\nexport const version = 2;\n`);
    git('commit', '-qam', 'invoices v2');
    cli(folder, ['deploy', 'send-invoices', '--env', 'dev']);
    // uat locked; a deploy to prod waiting for approval.
    cli(folder, ['lock', 'uat', '--reason', 'release freeze until Monday']);
    const asked = cli(folder, ['deploy', 'send-invoices', '--env', 'prod', '--yes']).results[0].deployment;
    toCancel.push(asked.id);

    wb = await openInstalledWorkbench({ folder, vsix: packageExtension() });
    const { page } = wb;
    await showFlowsView(page);
    const tree = page.getByRole('tree', { name: 'Flows', exact: true });
    for (const flow of ['send-invoices', 'ingest-events']) {
      const row = tree.getByRole('treeitem', { name: new RegExp(`^${flow} `) });
      await row.waitFor({ timeout: 30_000 });
      await expand(row);
    }
    const rows = (/** @type {RegExp} */ re) => tree.getByRole('treeitem', { name: re });
    const uat = rows(/^uat .*locked by /).first();
    const prod = rows(/^prod .*waiting for approval \(asked by asker@flowport\.invalid\)/).first();
    for (const [what, row] of [
      ['the locked uat row', uat],
      ['the prod row waiting for approval', prod],
    ])
      await row.waitFor({ timeout: 30_000 }).catch((err) => assert.fail(`${what}: ${err.message}`));
    // The lock's icon is the row's icon.
    assert.equal(await uat.locator('.codicon-lock').count(), 1, 'uat shows a lock icon');
    assert.equal(await prod.locator('.codicon-shield').count(), 1, 'prod shows the approval shield');

    // The lock's tooltip: who, why, since. A hover can be dismissed before it shows (the row is
    // drawn again, the workbench is busy): leave the row and hover it again.
    const hover = await hoverUntil(
      page,
      uat,
      'release freeze until Monday',
      45_000,
      'the uat row’s tooltip to show its lock',
    );
    assert.match(await hover.innerText(), /uat is locked by \S+ since \d{4}-\d\d-\d\dT.*release freeze/s);
    // At once: the next redraw may close the hover.
    await page.screenshot({ path: join(shotDir, '02-tree-lock-tooltip.png') });
    await page.mouse.move(700, 880);

    // The context menus: Unlock on the locked row, Approve / Reject on the waiting one, Roll Back on dev.
    const devInvoices = rows(/^dev [0-9a-f]{7} · /).first();
    await devInvoices.click({ button: 'right' });
    const menu = page.locator('.context-view .monaco-menu');
    await menu.getByRole('menuitem', { name: /Roll Back…/ }).waitFor({ timeout: 10_000 });
    await shot(page, '03-tree-rollback-menu.png');
    await page.keyboard.press('Escape');
    await prod.click({ button: 'right' });
    await menu.getByRole('menuitem', { name: /Approve Deployment…/ }).waitFor({ timeout: 10_000 });
    assert.equal(await menu.getByRole('menuitem', { name: /Reject Deployment…/ }).count(), 1);
    await shot(page, '04-tree-approve-menu.png');
    await page.keyboard.press('Escape');

    // Then, from the CLI, ingest-events in dev: one deploy running (slow steps, whose lease renewals
    // redraw the tree: after the hovers above), a second one queued behind it.
    const slow = { DEMO_STEP_MS: '60000' };
    const running = cli(folder, ['deploy', 'ingest-events', '--env', 'dev', '--detach'], slow).results[0].deployment;
    const queued = cli(folder, ['deploy', 'ingest-events', '--env', 'dev', '--detach'], slow).results[0].deployment;
    toCancel.push(queued.id, running.id);
    const queuedRow = rows(new RegExp(`^dev .*queued, 2nd behind ${running.id}`)).first();
    await queuedRow.waitFor({ timeout: 30_000 });
    await page.mouse.move(900, 450);
    await page.locator('.part.sidebar').screenshot({ path: join(shotDir, '01-tree-lock-queue-approval.png') });

    // ---- The board ----
    await runCommand(page, 'Flowport: Show Board');
    const board = await boardFrame(page);
    const invoicesRow = board.locator('[data-flow="src/billing/invoices.ts#send-invoices"]');
    await invoicesRow.locator('.cell .locked').waitFor({ timeout: 30_000 });
    const uatCell = invoicesRow.locator('.cell[data-env="uat"]');
    assert.match(
      (await uatCell.getAttribute('title')) ?? '',
      /uat is locked by \S+ since .*release freeze until Monday/,
    );
    const prodCell = invoicesRow.locator('.cell[data-env="prod"]');
    assert.match(await prodCell.innerText(), /awaiting approval/);
    // The Promote arrow into the locked uat says what blocks it.
    const devToUat = invoicesRow.locator('.promote[data-from="dev"][data-to="uat"]');
    assert.equal(await devToUat.getAttribute('aria-disabled'), 'true');
    assert.match((await devToUat.getAttribute('title')) ?? '', /uat is locked by .*Unlock it first/);
    const ingestRow = board.locator('[data-flow="src/ingest/events.ts#ingest-events"]');
    assert.match(await ingestRow.locator('.cell[data-env="dev"]').innerText(), /queued[\s\S]*2nd behind/);
    await shot(page, '05-board-lock-queue-approval.png');

    // Approve on the board, as the asker: refused with the CLI's words.
    await invoicesRow.locator('.op-approve').click();
    const notices = page.locator('.notifications-toasts .notification-toast');
    await notices
      .filter({ hasText: /you \(asker@flowport\.invalid\) asked for it/ })
      .first()
      .waitFor({ timeout: 20_000 });
    await shot(page, '06-board-approve-refused.png');
    assert.equal(cli(folder, ['approvals']).requests.length, 1, 'still waiting');

    // Unlock on the board: my own lock, no question; the cell and the arrow clear.
    await invoicesRow.locator('.op-unlock').click();
    await waitUntil(
      async () => (await invoicesRow.locator('.cell .locked').count()) === 0,
      30_000,
      'the lock to clear',
    );
    assert.deepEqual(cli(folder, ['locks']).locks, []);

    // The dev cell's history: "Roll back to this" on the earlier release.
    await invoicesRow.locator('.cell[data-env="dev"]').click();
    const rollBack = board.getByRole('button', { name: /^Roll send-invoices in dev back to / });
    await rollBack.first().waitFor({ timeout: 20_000 });
    assert.equal(await rollBack.count(), 1, 'only the earlier release offers it');
    await shot(page, '07-board-history-rollback.png');
    await rollBack.first().click();
    const restored = await waitUntil(
      () => {
        const [latest] = history(folder, 'send-invoices', 'dev');
        return latest?.status === 'succeeded' && latest.attributes.rollback ? latest : undefined;
      },
      90_000,
      'the rollback to succeed',
    );
    assert.equal(restored.commit, first.commit, "the earlier release's commit runs again");
    assert.equal(/** @type {{ restores: string }} */ (restored.attributes.rollback).restores, first.id);
    await board.locator('.history .release.current').first().waitFor({ timeout: 20_000 });
    await shot(page, '08-board-after-rollback.png');
    t.diagnostic(`rolled back to ${first.commit.slice(0, 7)} (${restored.id})`);
  } catch (err) {
    await keepFailureEvidence(wb, shotDir);
    throw err;
  } finally {
    await wb?.close();
    // The slow runners and the waiting deploy: cancelled, so no process outlives the test.
    for (const id of toCancel) {
      try {
        cli(folder, ['cancel', id, '--timeout', '20']);
      } catch {
        // ended already
      }
    }
    rmSync(folder, { recursive: true, force: true });
  }
});

// The same safe operations driven as a user drives them, in the development build (no package):
// the history's "Lock…" on the board (its reason typed in the input box), the lock's Unlock
// reached with the keyboard (→ from the cell, Tab back to it, Enter), the palette's Approve and
// Reject with their pickers, as an approver other than the asker (the editor's git identity comes
// from GIT_CONFIG_*), and Show Queue listing a deploy queued behind a running one.
test('board Lock…, keyboard Unlock, palette Approve / Reject and Show Queue', { timeout: 300_000 }, async (t) => {
  assertBuilt(['dist/extension.js', 'dist/webview/board.js', 'sdk/dist/host.js']);
  mkdirSync(shotDir, { recursive: true });
  const folder = demoWorkspace({ 'flowport.config.ts': CONFIG });
  const git = (/** @type {string[]} */ ...args) => execFileSync('git', args, { cwd: folder, stdio: 'ignore' });
  // The CLI asks as the folder's identity; the editor approves as another one (GIT_CONFIG_* below).
  git('config', 'user.email', 'asker@flowport.invalid');
  git('config', 'user.name', 'Asker');
  /** @type {string[]} */
  const toCancel = [];
  /** @type {Awaited<ReturnType<typeof openWorkbench>> | undefined} */
  let wb;
  const step = (/** @type {string} */ what) => t.diagnostic(what);
  try {
    cli(folder, ['deploy', 'send-invoices', '--env', 'dev']);
    // Two deploys to prod waiting for approval: one to approve, one to reject.
    const toApprove = cli(folder, ['deploy', 'send-invoices', '--env', 'prod', '--yes']).results[0].deployment;
    const toReject = cli(folder, ['deploy', 'ingest-events', '--env', 'prod', '--yes']).results[0].deployment;
    toCancel.push(toApprove.id, toReject.id);
    // ingest-events in dev: one running (slow steps), one queued behind it.
    const slow = { DEMO_STEP_MS: '60000' };
    const running = cli(folder, ['deploy', 'ingest-events', '--env', 'dev', '--detach'], slow).results[0].deployment;
    const queued = cli(folder, ['deploy', 'ingest-events', '--env', 'dev', '--detach'], slow).results[0].deployment;
    toCancel.push(queued.id, running.id);

    wb = await openWorkbench({
      folder,
      extensionDevelopmentPath: repoRoot,
      env: { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'user.email', GIT_CONFIG_VALUE_0: 'approver@flowport.invalid' },
    });
    const { page } = wb;
    await showFlowsView(page);
    const input = page.locator('.quick-input-widget input');
    const option = (/** @type {string | RegExp} */ text) =>
      page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();

    // ---- The board: the dev cell's history, its "Lock…", the reason typed in the input box ----
    await runCommand(page, 'Flowport: Show Board');
    const board = await boardFrame(page);
    const invoicesRow = board.locator('[data-flow="src/billing/invoices.ts#send-invoices"]');
    const devCell = invoicesRow.locator('.cell[data-env="dev"]');
    await devCell.click({ timeout: 30_000 });
    await board.getByRole('button', { name: 'Lock dev…', exact: true }).click({ timeout: 20_000 });
    await page.locator('.quick-input-widget', { hasText: 'Lock dev' }).waitFor({ timeout: 20_000 });
    await input.fill('hotfix under test');
    await page.keyboard.press('Enter');
    await devCell.locator('.locked').waitFor({ timeout: 30_000 });
    assert.match((await devCell.getAttribute('title')) ?? '', /dev is locked by \S+ since .*"hotfix under test"/);
    assert.equal(cli(folder, ['locks']).locks[0]?.reason, 'hotfix under test', 'the lock is in the store');
    step('board: dev locked from the history’s Lock…');
    const ingestRow = board.locator('[data-flow="src/ingest/events.ts#ingest-events"]');
    await waitUntil(
      async () => /queued[\s\S]*2nd behind/.test(await ingestRow.locator('.cell[data-env="dev"]').innerText()),
      30_000,
      'the queued ingest-events deploy on the board',
    );
    assert.match(await invoicesRow.locator('.cell[data-env="prod"]').innerText(), /awaiting approval/);
    await shot(page, '11-board-lock-queue-approval-ui.png');

    // ---- The tree with the same: expanded flows ----
    const tree = page.getByRole('tree', { name: 'Flows', exact: true });
    for (const flow of ['send-invoices', 'ingest-events']) {
      const row = tree.getByRole('treeitem', { name: new RegExp(`^${flow} `) });
      await row.waitFor({ timeout: 30_000 });
      await expand(row);
    }
    await tree
      .getByRole('treeitem', { name: /^dev .*locked by / })
      .first()
      .waitFor({ timeout: 30_000 });
    await page.mouse.move(900, 450);
    await page.locator('.part.sidebar').screenshot({ path: join(shotDir, '12-tree-lock-queue-approval-ui.png') });

    // ---- Keyboard: → from the locked cell reaches its Unlock; Tab away and back keeps it; Enter unlocks ----
    await devCell.focus();
    await page.keyboard.press('ArrowRight');
    const focused = () => board.evaluate(() => document.activeElement?.className ?? '');
    await waitUntil(async () => /\bop-unlock\b/.test(await focused()), 5_000, '→ to reach the Unlock button');
    await page.keyboard.press('Shift+Tab');
    assert.doesNotMatch(await focused(), /\bop-unlock\b/, 'Shift+Tab leaves the grid');
    await page.keyboard.press('Tab');
    await waitUntil(async () => /\bop-unlock\b/.test(await focused()), 5_000, 'Tab to come back to Unlock');
    await page.keyboard.press('Enter');
    await waitUntil(async () => (await devCell.locator('.locked').count()) === 0, 30_000, 'the lock to clear');
    assert.deepEqual(cli(folder, ['locks']).locks, []);
    step('board: Unlock reached with →, Tab, and pressed with Enter');

    // ---- Palette: Approve (picker) as the approver; Reject (picker, then the reason) ----
    await runCommandUntil(page, 'Flowport: Approve Deployment…', option('send-invoices → prod'));
    await option('send-invoices → prod').click({ timeout: 20_000 });
    await waitUntil(
      () => {
        const [latest] = history(folder, 'send-invoices', 'prod');
        return latest?.id === toApprove.id && latest.status === 'succeeded' ? latest : undefined;
      },
      90_000,
      'the approved prod deploy to run and succeed',
    );
    step('palette: Approve ran the prod deploy');
    await runCommandUntil(page, 'Flowport: Reject Deployment…', option('ingest-events → prod'));
    await option('ingest-events → prod').click({ timeout: 20_000 });
    await page.locator('.quick-input-widget', { hasText: 'Reject ingest-events → prod' }).waitFor({ timeout: 20_000 });
    await input.fill('not this week');
    await page.keyboard.press('Enter');
    const rejected = await waitUntil(
      () => {
        const [latest] = history(folder, 'ingest-events', 'prod');
        return latest?.id === toReject.id && latest.status === 'cancelled' ? latest : undefined;
      },
      30_000,
      'the rejected prod deploy to end cancelled',
    );
    assert.match(JSON.stringify(rejected), /not this week/, 'the reason is recorded');
    assert.equal(cli(folder, ['approvals']).requests.length, 0, 'nothing waits for approval');
    step('palette: Reject cancelled the other one, with its reason');

    // ---- Show Queue: the deploy queued behind the running one ----
    const queuedItem = option('ingest-events → dev');
    await runCommandUntil(page, 'Flowport: Show Queue', queuedItem);
    assert.match(await queuedItem.innerText(), new RegExp(`2nd behind ${running.id}[\\s\\S]*${queued.id}`));
    await shot(page, '13-show-queue.png');
    await page.keyboard.press('Escape');
    step('Show Queue lists the queued deploy');
  } catch (err) {
    if (wb) {
      await wb.page.screenshot({ path: join(shotDir, 'failure-ui.png') }).catch(() => {});
      writeFileSync(join(shotDir, 'code-server-ui.log'), wb.server.output());
      writeFileSync(join(shotDir, 'Flowport-ui.log'), flowportLog(wb.server));
    }
    throw err;
  } finally {
    await wb?.close();
    for (const id of toCancel) {
      try {
        cli(folder, ['cancel', id, '--timeout', '20']);
      } catch {
        // ended already
      }
    }
    rmSync(folder, { recursive: true, force: true });
  }
});

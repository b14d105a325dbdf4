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
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoWorkspace, repoRoot } from '../../../scripts/vscode-host/demo-workspace.mjs';
import { openInstalledWorkbench, packageExtension } from '../../../scripts/vscode-host/installed.mjs';
import { runCommand, showFlowsView, waitUntil } from './workbench.mjs';

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

/** The board's webview frame (the one with the board's toolbar). @param {Page} page */
async function boardFrame(page) {
  return waitUntil(
    async () => {
      for (const frame of page.frames()) {
        if (
          await frame
            .locator('body > header.toolbar')
            .count()
            .catch(() => 0)
        )
          return frame;
      }
      return undefined;
    },
    60_000,
    'the board webview',
  );
}

async function shot(/** @type {Page} */ page, /** @type {string} */ file) {
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(shotDir, file) });
}

test('lock, queue, approval and rollback in the tree and on the board', { timeout: 420_000 }, async (t) => {
  for (const built of ['dist/extension.js', 'dist/webview/board.js', 'sdk/dist/host.js']) {
    assert.ok(existsSync(join(repoRoot, built)), `${built} is missing: build first`);
  }
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
    const hover = page.locator('.monaco-hover', { hasText: 'release freeze until Monday' });
    await waitUntil(
      async () => {
        if (await hover.isVisible()) return true;
        await page.mouse.move(900, 450);
        await uat.hover();
        return hover.waitFor({ timeout: 3_000 }).then(
          () => true,
          () => false,
        );
      },
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
    if (wb) {
      await wb.page.screenshot({ path: join(shotDir, 'failure.png') }).catch(() => {});
      writeFileSync(join(shotDir, 'code-server.log'), wb.server.output());
    }
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

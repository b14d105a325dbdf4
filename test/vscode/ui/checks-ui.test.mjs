// Playwright UI test in a real VS Code (code-server with the packaged extension installed) of a
// failed pre-deploy check as a user sees it: Deploy HEAD to uat from the tree, the checks' picker
// dismissed (nothing is recorded), then the uat row says "check failed: ci status" with the check's
// message and output in its tooltip, and the board's uat cell says it too, with Override Checks…
// and Run Checks Again; once the check passes, Run Checks Again on the board clears both.
//
//   node --test test/vscode/ui/checks-ui.test.mjs      (or: node scripts/test-vscode.mjs ui)
//
// Needs the built extension and SDK: node sdk/build.mjs --no-types && node scripts/build-extension.mjs
// Screenshots go to test-output/checks/ (on failure also failure.png and code-server.log).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoWorkspace, repoRoot } from '../../../scripts/vscode-host/demo-workspace.mjs';
import { openInstalledWorkbench, packageExtension } from '../../../scripts/vscode-host/installed.mjs';
import {
  assertBuilt,
  boardFrame,
  flowportLog,
  hoverUntil,
  keepFailureEvidence,
  runCommand,
  showFlowsView,
  waitUntil,
} from './workbench.mjs';

const shotDir = join(repoRoot, 'test-output', 'checks');
const CLI = join(repoRoot, 'sdk', 'bin', 'flowport.js');
/** uat's check fails while this file exists (outside the project: its tree stays clean). */
const RED = join(tmpdir(), `flowport-ci-red-${process.pid}`);
const CONFIG = `import { check, commandDeployer, defineConfig } from 'flowport';

const ciStatus = check({
  name: 'ci status',
  command: [process.execPath, '-e', ${JSON.stringify(`if (require('fs').existsSync(${JSON.stringify(RED)})) { console.log('build 41 is red: https://ci:hunter2@ci.example/b/41'); process.exit(3) }`)}],
});

export default defineConfig({
  environments: ['dev', { name: 'uat', checks: [ciStatus] }, { name: 'prod', protected: true }],
  flows: { include: ['src/**'] },
  deploy: commandDeployer({ command: [process.execPath, 'scripts/deploy.mjs'], timeoutMs: 120_000 }),
});
`;

/** @typedef {import('playwright-core').Page} Page @typedef {import('playwright-core').Locator} Locator */

/** Expands a collapsed row by clicking its twistie. @param {Locator} row */
async function expand(row) {
  if ((await row.getAttribute('aria-expanded', { timeout: 5_000 })) === 'true') return;
  await row.locator('.monaco-tl-twistie').click();
  await waitUntil(async () => (await row.getAttribute('aria-expanded')) === 'true', 10_000, 'a row to expand');
}

test('a failed check in the tree and on the board, with its output and actions', { timeout: 300_000 }, async () => {
  assertBuilt(['dist/extension.js', 'dist/webview/board.js', 'sdk/dist/host.js']);
  mkdirSync(shotDir, { recursive: true });
  const folder = demoWorkspace({ 'flowport.config.ts': CONFIG });
  const red = RED;
  writeFileSync(red, '');
  execFileSync(process.execPath, [CLI, 'deploy', 'send-invoices', '--env', 'dev', '--root', folder], {
    stdio: 'ignore',
  });
  /** @type {Awaited<ReturnType<typeof openInstalledWorkbench>> | undefined} */
  let wb;
  try {
    wb = await openInstalledWorkbench({ folder, vsix: packageExtension() });
    const { page } = wb;
    await showFlowsView(page);
    const tree = page.getByRole('tree', { name: 'Flows', exact: true });
    const flowRow = tree.getByRole('treeitem', { name: /^send-invoices / });
    await flowRow.waitFor({ timeout: 30_000 });
    await expand(flowRow);
    const uat = tree.getByRole('treeitem', { name: /^uat / }).first();
    await uat.waitFor({ timeout: 30_000 });

    // Deploy HEAD to uat from the row's inline button; the checks' picker says why; Escape: refused.
    const picker = page.locator('.quick-input-widget', { hasText: 'ci status' });
    await waitUntil(
      async () => {
        await uat.hover();
        await uat.locator('.action-label.codicon-cloud-upload').click({ timeout: 3_000 });
        return picker.waitFor({ timeout: 15_000 }).then(
          () => true,
          () => false,
        );
      },
      60_000,
      'the checks’ picker',
    );
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shotDir, '01-checks-picker.png') });
    assert.match(await picker.innerText(), /build 41 is red: https:\/\/ci:•••@ci\.example/);
    assert.doesNotMatch(await picker.innerText(), /hunter2/, 'the picker masks a URL password too');
    await page.keyboard.press('Escape');

    const marked = tree.getByRole('treeitem', { name: /^uat check failed: ci status/ }).first();
    await marked.waitFor({ timeout: 30_000 });
    assert.equal(await marked.locator('.codicon-workspace-untrusted').count(), 1, 'the row shows the failed check');
    await page.mouse.move(900, 450);
    await page.waitForTimeout(300);
    await page.locator('.part.sidebar').screenshot({ path: join(shotDir, '02-tree-check-failed.png') });

    // The tooltip: the check's message and output (the URL's password masked), and the actions.
    const hover = await hoverUntil(page, marked, 'Run Checks Again', 30_000, 'the uat row’s tooltip');
    const tip = await hover.innerText();
    await page.screenshot({ path: join(shotDir, '03-tree-check-failed-tooltip.png') });
    assert.match(tip, /check failed: ci status/);
    assert.match(tip, /exited with code 3/);
    assert.match(tip, /build 41 is red/);
    assert.match(tip, /Override Checks…/);
    assert.doesNotMatch(tip, /hunter2/);
    await page.keyboard.press('Escape');
    await page.mouse.move(900, 450);

    // ---- The board ----
    await runCommand(page, 'Flowport: Show Board');
    const board = await boardFrame(page);
    const invoicesRow = board.locator('[data-flow="src/billing/invoices.ts#send-invoices"]');
    const uatCell = invoicesRow.locator('.cell[data-env="uat"]');
    await uatCell.locator('.check-failed').waitFor({ timeout: 30_000 });
    assert.match(await uatCell.innerText(), /check failed: ci status/);
    const title = (await uatCell.getAttribute('title')) ?? '';
    assert.match(title, /ci status: exited with code 3/);
    assert.match(title, /build 41 is red/);
    assert.doesNotMatch(title, /hunter2/);
    assert.equal(await invoicesRow.locator('.op-overrideChecks').count(), 1, 'Override Checks… beside the cell');
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(shotDir, '04-board-check-failed.png') });

    // CI is green now: Run Checks Again on the board clears the cell and the row.
    rmSync(red, { force: true });
    await invoicesRow.locator('.op-rerunChecks').click();
    await waitUntil(
      async () => (await uatCell.locator('.check-failed').count()) === 0,
      30_000,
      'the board’s mark to clear',
    );
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(shotDir, '05-board-checks-pass.png') });
    await tree
      .getByRole('treeitem', { name: /^uat (?!.*check failed)/ })
      .first()
      .waitFor({ timeout: 30_000 });
  } catch (err) {
    await keepFailureEvidence(wb, shotDir);
    if (wb) writeFileSync(join(shotDir, 'Flowport.log'), flowportLog(wb.server));
    throw err;
  } finally {
    await wb?.close();
    rmSync(folder, { recursive: true, force: true });
    rmSync(RED, { force: true });
  }
});

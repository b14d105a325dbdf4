// Playwright UI test of the board webview in a real VS Code (code-server, scripts/vscode-host/):
// "Flowport: Show Board" from the palette, the filter box, Deploy send-invoices to dev from its
// row (the cell goes running → succeeded with HEAD's short commit), Promote dev → uat (uat gets
// that commit, the button then says why it is disabled), a new commit deployed to dev makes uat
// "1 behind dev", a cell's history with "Open log" (the board comes back with its filter and
// history after being hidden, and after a window reload), and screenshots in Dark Modern, Light Modern and High Contrast.
//
//   node --test test/vscode/ui/board-ui.test.mjs      (or: node scripts/test-vscode.mjs ui)
//
// Needs the built extension and SDK: node sdk/build.mjs --no-types && node scripts/build-extension.mjs
// Screenshots go to test-output/board/ (on failure also failure.png and code-server.log).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoWorkspace, repoRoot } from '../../../scripts/vscode-host/demo-workspace.mjs';
import { openWorkbench } from '../../../scripts/vscode-host/run-tests.mjs';

const shotDir = join(repoRoot, 'test-output', 'board');
const FLOW = 'send-invoices';
const FLOW_ID = 'src/billing/invoices.ts#send-invoices';
const THEMES = [
  ['dark-modern', 'Default Dark Modern', 'vs-dark'],
  ['light-modern', 'Default Light Modern', 'vs'],
  ['high-contrast', 'Default High Contrast', 'hc-black'],
];
const VIEW_TIMEOUT = 60_000;
const DEPLOY_TIMEOUT = 90_000;

test(
  'the board: filter, Deploy to dev, Promote dev → uat, commits behind, history, three themes',
  { timeout: 300_000 },
  async (t) => {
    for (const built of ['dist/extension.js', 'dist/webview/board.js', 'sdk/dist/host.js']) {
      assert.ok(
        existsSync(join(repoRoot, built)),
        `${built} is missing: build first (node scripts/build-extension.mjs)`,
      );
    }
    rmSync(shotDir, { recursive: true, force: true });
    mkdirSync(shotDir, { recursive: true });
    const started = Date.now();
    const step = (/** @type {string} */ what) =>
      t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);

    const folder = demoWorkspace();
    const git = (/** @type {string[]} */ ...args) =>
      execFileSync('git', args, { cwd: folder, encoding: 'utf8' }).trim();
    const head = git('rev-parse', 'HEAD');
    /** @type {Awaited<ReturnType<typeof openWorkbench>> | undefined} */
    let wb;
    try {
      wb = await openWorkbench({
        folder,
        extensionDevelopmentPath: repoRoot,
        // Pauses in the demo's deploy script: "running" stays on screen long enough to be seen.
        env: { DEMO_STEP_MS: '700' },
        userSettings: { 'workbench.colorTheme': THEMES[0][1] },
      });
      const { page } = wb;
      const shot = (/** @type {string} */ name) => screenshot(page, name);
      step('workbench ready');

      // ---- Flowport: Show Board, from the palette ----
      // The Flowport activity-bar entry: the extension's contributions are in the workbench.
      await page.getByRole('tab', { name: /^Flowport/ }).waitFor({ timeout: VIEW_TIMEOUT });
      await runCommand(page, 'Flowport: Show Board');
      let board = await boardFrame(page);
      const row = () => board.locator(`.row.flow[data-flow="${FLOW_ID}"]`);
      const cell = (/** @type {string} */ env) => row().locator(`.cell[data-env="${env}"]`);
      await row().waitFor({ timeout: VIEW_TIMEOUT });
      assert.equal(
        await page.getByRole('tab', { name: /Flowport Board/ }).count(),
        1,
        'one "Flowport Board" editor tab',
      );
      assert.deepEqual(
        await board.locator('.env-head').evaluateAll((els) => els.map((e) => e.textContent)),
        ['dev', 'uat', 'prod protected'],
        'environments in promotion order',
      );
      const total = await board.locator('.row.flow').count();
      assert.ok(total >= 4, `the demo's flows are on the board (${total})`);
      assert.match((await cell('dev').getAttribute('aria-label')) ?? '', /^send-invoices in dev: never deployed/);
      const devToUat = row().locator('.promote[data-from="dev"][data-to="uat"]');
      assert.equal(await devToUat.getAttribute('aria-disabled'), 'true');
      assert.match((await devToUat.getAttribute('title')) ?? '', /Nothing to promote: dev runs no version yet/);
      step(`board open: ${total} flows`);
      await shot('01-board.png');

      // ---- Filter ----
      const filter = board.locator('vscode-text-field.filter input');
      const shown = () => board.locator('.row.flow:not([hidden])');
      await filter.fill('name:send');
      await waitUntil(async () => (await shown().count()) === 1, 5_000, 'name:send to leave one row');
      assert.equal(await shown().getAttribute('data-flow'), FLOW_ID);
      assert.equal(await board.locator('.summary').textContent(), `1 of ${total} flows`);
      await filter.fill('group:billing status:never');
      await waitUntil(async () => (await shown().count()) === 2, 5_000, 'group:billing to leave the two billing flows');
      await filter.fill('group:billing');
      step('filter: name:send → 1 row, group:billing → 2 rows');
      await shot('02-filtered.png');

      // ---- Deploy send-invoices to dev from its row ----
      await row().locator('.deploy').click();
      const dialog = board.locator('dialog.deploy-dialog');
      await dialog.waitFor({ timeout: 10_000 });
      assert.equal(await dialog.locator('h2').textContent(), `Deploy ${FLOW}`);
      assert.equal(await dialog.locator('vscode-dropdown').evaluate((el) => /** @type {any} */ (el).value), 'dev');
      assert.equal(await dialog.locator('vscode-text-field input').inputValue(), 'HEAD');
      await shot('03-deploy-dialog.png');
      await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
      await waitUntil(
        async () => /\bs-(running|pending)\b/.test((await cell('dev').getAttribute('class')) ?? ''),
        30_000,
        'dev to show running',
      );
      step('dev: running');
      await shot('04-running.png');
      await waitUntil(
        async () => /\bs-succeeded\b/.test((await cell('dev').getAttribute('class')) ?? ''),
        DEPLOY_TIMEOUT,
        'dev to turn succeeded',
      );
      assert.equal(await cell('dev').locator('code').textContent(), head.slice(0, 7));
      assert.match(
        (await cell('dev').getAttribute('title')) ?? '',
        new RegExp(`${head.slice(0, 7)} deployed by .+\\n`),
      );
      assert.match((await cell('uat').textContent()) ?? '', /behind dev/);
      step(`dev: succeeded at ${head.slice(0, 7)}`);

      // ---- Promote dev → uat ----
      await waitUntil(
        async () => (await devToUat.getAttribute('aria-disabled')) === null,
        10_000,
        'Promote dev → uat to be enabled',
      );
      await devToUat.click();
      await waitUntil(
        async () => /\bs-succeeded\b/.test((await cell('uat').getAttribute('class')) ?? ''),
        DEPLOY_TIMEOUT,
        'uat to turn succeeded',
      );
      assert.equal(await cell('uat').locator('code').textContent(), head.slice(0, 7));
      await waitUntil(
        async () => (await devToUat.getAttribute('aria-disabled')) === 'true',
        10_000,
        'Promote dev → uat to be disabled',
      );
      assert.match(
        (await devToUat.getAttribute('title')) ?? '',
        /Already at [0-9a-f]{7}: uat runs the same commit as dev/,
      );
      assert.equal(await cell('uat').locator('.behind').count(), 0, 'uat is not behind any more');
      step('promoted dev → uat');

      // ---- A new commit to dev: uat is now 1 commit behind ----
      git(
        '-c',
        'user.name=Flowport Test',
        '-c',
        'user.email=test@flowport.invalid',
        'commit',
        '-q',
        '--allow-empty',
        '-m',
        'next',
      );
      const next = git('rev-parse', 'HEAD');
      await row().locator('.deploy').click();
      await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
      await waitUntil(
        async () => (await cell('dev').locator('code').textContent()) === next.slice(0, 7),
        DEPLOY_TIMEOUT,
        'dev to run the new commit',
      );
      await waitUntil(
        async () =>
          (await cell('uat')
            .locator('.behind')
            .textContent()
            .catch(() => '')) === '1 behind dev',
        15_000,
        'uat: "1 behind dev"',
      );
      assert.match((await cell('uat').getAttribute('aria-label')) ?? '', /1 commit behind dev/);
      step('uat: 1 behind dev');
      await shot('05-behind.png');

      // ---- History of dev ----
      await cell('dev').click();
      const history = board.locator('aside.history');
      await waitUntil(
        async () => (await history.locator('.entry').count()) === 2,
        10_000,
        'two dev deployments in the history',
      );
      assert.equal(await history.locator('h2').textContent(), `${FLOW} in dev`);
      const entries = await history.locator('.entry code').evaluateAll((els) => els.map((e) => e.textContent));
      assert.deepEqual(entries, [next.slice(0, 7), head.slice(0, 7)], 'newest first');
      assert.equal(await history.locator('.entry .badge.s-succeeded').count(), 2);
      assert.equal(await history.getByRole('button', { name: /^Redeploy [0-9a-f]{7} to dev$/ }).count(), 2);
      step('history of dev: 2 entries');
      await shot('06-history.png');

      // ---- Keyboard: Escape closes the history, arrows move in the grid, Enter opens it again ----
      const focusedLabel = () => board.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
      await page.keyboard.press('Escape');
      await history.waitFor({ state: 'hidden', timeout: 5_000 });
      assert.match(await focusedLabel(), /^send-invoices in dev: succeeded/, 'focus back on the dev cell');
      assert.equal(await board.locator('.board [tabindex="0"]').count(), 1, 'one tab stop in the grid');
      await page.keyboard.press('ArrowRight');
      assert.match(await focusedLabel(), /^Promote send-invoices from dev to uat \([0-9a-f]{7}\)$/);
      await page.keyboard.press('ArrowRight');
      assert.match(await focusedLabel(), /^send-invoices in uat: succeeded, .*1 commit behind dev/);
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('Enter');
      await history.locator('.entry').nth(1).waitFor({ timeout: 10_000 });
      step('keyboard: Escape, arrows, Enter');

      // ---- Open log: the board is hidden; back on it, its filter and history are still there ----
      await history
        .getByRole('button', { name: /^Open the log of / })
        .first()
        .click();
      await page.getByRole('tab', { name: /\.log\b/ }).waitFor({ timeout: 15_000 });
      await page.getByRole('tab', { name: /Flowport Board/ }).click();
      board = await boardFrame(page);
      await board.locator('aside.history .entry').first().waitFor({ timeout: 15_000 });
      assert.equal(await board.locator('vscode-text-field.filter input').inputValue(), 'group:billing', 'filter kept');
      assert.equal(await board.locator('.row.flow:not([hidden])').count(), 2, 'filter applied');
      step('log opened; board restored with its filter and history');

      // ---- Reload the window: the board tab comes back (its serializer), with its filter and history ----
      // Through the workbench's own command, as a user reloads: it saves the editors' state
      // before the page goes (a bare page.reload() may leave the last seconds unsaved).
      await runCommand(page, 'Developer: Reload Window');
      await page.waitForEvent('load', { timeout: VIEW_TIMEOUT });
      await page.getByRole('tab', { name: /Flowport Board/ }).click({ timeout: VIEW_TIMEOUT });
      board = await boardFrame(page);
      await board
        .locator(`.row.flow[data-flow="${FLOW_ID}"] .cell.s-succeeded`)
        .first()
        .waitFor({ timeout: VIEW_TIMEOUT });
      assert.equal(await board.locator('vscode-text-field.filter input').inputValue(), 'group:billing', 'filter kept');
      assert.equal(await board.locator('.row.flow:not([hidden])').count(), 2, 'filter applied after the reload');
      await board.locator('aside.history .entry').nth(1).waitFor({ timeout: 10_000 });
      step('window reloaded: the board is back with its filter and history');

      // ---- Themes: the same board (filtered, dev's history open) in each theme ----
      await hidePart(page, 'panel', 'Toggle Panel');
      await hidePart(page, 'sidebar', 'Toggle Primary Side Bar');
      await themeShot(page, board, THEMES[0]);
      step(`screenshot in ${THEMES[0][1]}`);
      for (const theme of THEMES.slice(1)) {
        // A fresh window with workbench.colorTheme in its user settings; the ledger in the folder
        // keeps the deployments, so the board shows the same state.
        await wb.close();
        wb = undefined;
        wb = await openWorkbench({
          folder,
          extensionDevelopmentPath: repoRoot,
          userSettings: { 'workbench.colorTheme': theme[1] },
        });
        const p = wb.page;
        await p.getByRole('tab', { name: /^Flowport/ }).waitFor({ timeout: VIEW_TIMEOUT });
        await hidePart(p, 'sidebar', 'Toggle Primary Side Bar');
        await runCommand(p, 'Flowport: Show Board');
        const b = await boardFrame(p);
        await b
          .locator(`.row.flow[data-flow="${FLOW_ID}"] .cell.s-succeeded`)
          .first()
          .waitFor({ timeout: VIEW_TIMEOUT });
        await b.locator('vscode-text-field.filter input').fill('group:billing');
        await b.locator(`.row.flow[data-flow="${FLOW_ID}"] .cell[data-env="dev"]`).click();
        await b.locator('aside.history .entry').nth(1).waitFor({ timeout: 10_000 });
        await themeShot(p, b, theme);
        step(`screenshot in ${theme[1]}`);
      }
    } catch (err) {
      if (wb) {
        await wb.page.screenshot({ path: join(shotDir, 'failure.png') }).catch(() => {});
        writeFileSync(join(shotDir, 'code-server.log'), wb.server.output());
        t.diagnostic(`failure evidence in ${shotDir}`);
      }
      throw err;
    } finally {
      await wb?.close();
      rmSync(folder, { recursive: true, force: true });
    }
  },
);

/** @typedef {import('playwright-core').Page} Page @typedef {import('playwright-core').Frame} Frame */

/** @param {Page} page @param {string} name */
async function screenshot(page, name) {
  await page.mouse.move(2, 890); // no hover tooltip in the picture
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shotDir, name) });
}

/** Checks that the workbench and the board wear `theme`, then takes the screenshot. @param {Page} page @param {Frame} board @param {string[]} theme */
async function themeShot(page, board, [name, label, workbenchClass]) {
  const classes = async (/** @type {import('playwright-core').Locator} */ l) =>
    ((await l.getAttribute('class')) ?? '').split(/\s+/);
  const boardClass = { vs: 'vscode-light', 'vs-dark': 'vscode-dark', 'hc-black': 'vscode-high-contrast' }[
    workbenchClass
  ];
  await waitUntil(
    async () => (await classes(page.locator('.monaco-workbench'))).includes(workbenchClass),
    20_000,
    `the workbench in ${label}`,
  );
  await waitUntil(
    async () => (await classes(board.locator('body'))).includes(boardClass),
    10_000,
    `the board in ${label}`,
  );
  await screenshot(page, `board-${name}.png`);
}

/**
 * Hides the side bar or the panel with its layout control in the title bar (a keyboard shortcut
 * would go to the webview when it has focus). @param {Page} page @param {string} part @param {string} control
 */
async function hidePart(page, part, control) {
  const shown = page.locator(`.monaco-workbench .part.${part}`);
  if (!(await shown.isVisible())) return;
  await page.locator(`.titlebar [aria-label^="${control}"]`).first().click();
  await waitUntil(async () => !(await shown.isVisible()), 10_000, `the ${part} to hide`);
}

/** Runs a command from the palette (F1), by its label. @param {Page} page @param {string} label */
async function runCommand(page, label) {
  const input = page.locator('.quick-input-widget input');
  const option = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
  await waitUntil(
    async () => {
      // Reopened on each try: the palette lists the commands enabled when it opened, and
      // `isWorkspaceTrusted` may be set a moment after the extension's commands appear.
      if (await input.isVisible()) await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      await input.fill(`>${label}`);
      await option.waitFor({ timeout: 2_000 });
      return true;
    },
    30_000,
    `"${label}" in the command palette`,
  );
  await page.keyboard.press('Enter');
}

/** The board webview's document (a frame inside the webview's iframe). @param {Page} page @returns {Promise<Frame>} */
async function boardFrame(page) {
  const end = Date.now() + VIEW_TIMEOUT;
  for (;;) {
    for (const frame of page.frames()) {
      if (
        await frame
          .locator('body > header.toolbar')
          .count()
          .catch(() => 0)
      )
        return frame;
    }
    if (Date.now() > end) throw new Error('timed out waiting for the board webview');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Polls `cond` every 100 ms. @param {() => Promise<boolean>} cond @param {number} timeoutMs @param {string} what */
async function waitUntil(cond, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

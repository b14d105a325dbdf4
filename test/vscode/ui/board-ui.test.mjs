// Playwright UI tests of the board webview in a real VS Code (code-server, scripts/vscode-host/):
// 1. "Flowport: Show Board" from the palette, the filter box, Deploy send-invoices to dev from its
//    row (the cell goes running → succeeded with HEAD's short commit), Promote dev → uat (uat gets
//    that commit, the button then says why it is disabled), a new commit deployed to dev makes uat
//    "1 behind dev", a cell's history with "Open log" (the board comes back with its filter and
//    history after being hidden, and after a window reload), and screenshots in Dark Modern,
//    Light Modern and High Contrast.
// 2. At 1500×950 beside the side bar with prod's history open: every column in view, the
//    selected cell in VS Code's selection colours, the filter's label, labelled history facts whose
//    path wraps only after a '/'; at 1100 px the grid scrolls sideways under a sticky flow column;
//    then the keyboard: arrows, Home/End, Ctrl+Home/End, PageUp/PageDown, ←/→ on a group.
// 3. A config that throws: the board shows the error at flowport.config.ts:3 and Open Config
//    (which opens it at line 3), not "No flows found".
//
//   node --test test/vscode/ui/board-ui.test.mjs      (or: node scripts/test-vscode.mjs ui)
//
// Needs the built extension and SDK: node sdk/build.mjs --no-types && node scripts/build-extension.mjs
// Screenshots go to test-output/board/ (not test-output/ui/: tree-ui.test.mjs, which runs after
// this file, empties that folder first); on failure also failure*.png and code-server*.log.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoWorkspace, repoRoot } from '../../../scripts/vscode-host/demo-workspace.mjs';
import { openWorkbench } from '../../../scripts/vscode-host/run-tests.mjs';
import {
  assertBuilt,
  boardFrame,
  freshShotDir,
  keepFailureEvidence,
  runCommand,
  stepLogger,
  waitUntil,
} from './workbench.mjs';

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
    assertBuilt(['dist/extension.js', 'dist/webview/board.js', 'sdk/dist/host.js'], 'node scripts/build-extension.mjs');
    freshShotDir(shotDir);
    const step = stepLogger(t);

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
      assert.equal(
        await dialog.getByRole('textbox', { name: 'Ref (branch, tag or commit)', exact: true }).count(),
        1,
        'the ref field is named by its label',
      );
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
      await hidePart(page, 'panel');
      await hidePart(page, 'sidebar');
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
        await hidePart(p, 'sidebar');
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
      await keepFailureEvidence(wb, shotDir);
      if (wb) t.diagnostic(`failure evidence in ${shotDir}`);
      throw err;
    } finally {
      await wb?.close();
      rmSync(folder, { recursive: true, force: true });
    }
  },
);

/** Twelve more flows in src/reports: more rows than a PageDown (10) moves. */
const BATCH_FLOWS = Array.from({ length: 12 }, (_, i) => {
  const n = String(i + 1).padStart(2, '0');
  return `/**\n * Batch job ${n}.\n * @flow batch-${n}\n */\nexport async function batch${n}(): Promise<void> {}\n`;
}).join('\n');

test(
  'the board at 1500×950 beside the side bar with a history open: every column, sticky flow names, selection, labels, keyboard',
  { timeout: 240_000 },
  async (t) => {
    mkdirSync(shotDir, { recursive: true });
    const folder = demoWorkspace({ 'src/reports/batch.ts': BATCH_FLOWS });
    // Through the real CLI: send-invoices runs in dev, uat and prod, so every column has a commit.
    const cli = (/** @type {string[]} */ ...args) =>
      execFileSync(process.execPath, [join(repoRoot, 'sdk', 'bin', 'flowport.js'), ...args, '--root', folder], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, DEMO_STEP_MS: '0' },
      });
    cli('deploy', FLOW, '--env', 'dev');
    cli('promote', FLOW, '--from', 'dev', '--to', 'uat');
    cli('promote', FLOW, '--from', 'uat', '--to', 'prod', '--yes');
    /** @type {Awaited<ReturnType<typeof openWorkbench>> | undefined} */
    let wb;
    try {
      wb = await openWorkbench({
        folder,
        extensionDevelopmentPath: repoRoot,
        viewport: { width: 1500, height: 950 },
        userSettings: { 'workbench.colorTheme': THEMES[0][1] },
      });
      const { page } = wb;
      await page.getByRole('tab', { name: /^Flowport/ }).waitFor({ timeout: VIEW_TIMEOUT });
      await runCommand(page, 'Flowport: Show Board');
      const board = await boardFrame(page);
      const row = (/** @type {string} */ id = FLOW_ID) => board.locator(`.row.flow[data-flow="${id}"]`);
      const cell = (/** @type {string} */ env) => row().locator(`.cell[data-env="${env}"]`);
      await cell('prod').and(board.locator('.s-succeeded')).waitFor({ timeout: VIEW_TIMEOUT });
      assert.ok(await page.locator('.monaco-workbench .part.sidebar').isVisible(), 'the side bar is open');

      // ---- A cell's history beside the grid, at 1500 px with the side bar: every column shows ----
      await cell('prod').click();
      const history = board.locator('aside.history');
      await history.locator('.entry').first().waitFor({ timeout: 10_000 });
      const layout = await board.evaluate(() => {
        const scroller = /** @type {HTMLElement} */ (document.querySelector('.scroller'));
        const visibleRight = scroller.getBoundingClientRect().left + scroller.clientWidth;
        const heads = [...document.querySelectorAll('.env-head')].map((h) => ({
          name: h.textContent,
          right: h.getBoundingClientRect().right,
        }));
        const panel = /** @type {HTMLElement} */ (document.querySelector('aside.history')).getBoundingClientRect();
        return {
          overflow: scroller.scrollWidth - scroller.clientWidth,
          visibleRight,
          heads,
          historyRight: panel.right,
          width: innerWidth,
        };
      });
      assert.equal(layout.heads.length, 3);
      for (const head of layout.heads) {
        assert.ok(
          head.right <= layout.visibleRight + 0.5,
          `the ${head.name} column is in view: ${JSON.stringify(layout)}`,
        );
      }
      assert.ok(layout.overflow <= 0, `nothing hidden to the right of the grid: ${JSON.stringify(layout)}`);
      assert.ok(layout.historyRight <= layout.width + 0.5, 'the history panel is in view');
      await screenshot(page, 'board-1500-sidebar-history.png');

      // ---- The selected cell: VS Code's list selection, not the hover colour; one at a time ----
      const background = (/** @type {import('playwright-core').Locator} */ l) =>
        l.evaluate((el) => getComputedStyle(el).backgroundColor);
      const plain = await background(cell('dev'));
      const selected = await background(cell('prod'));
      assert.equal(await cell('prod').locator('xpath=..').getAttribute('aria-selected'), 'true');
      assert.equal(await board.locator('[aria-selected="true"]').count(), 1, 'one selected cell');
      await cell('dev').hover();
      await waitUntil(async () => (await background(cell('dev'))) !== plain, 5_000, 'the dev cell to show its hover');
      const hovered = await background(cell('dev'));
      const selection = await board.evaluate(() => {
        const probe = document.createElement('div');
        probe.style.setProperty('background', 'var(--vscode-list-activeSelectionBackground)');
        document.body.append(probe);
        const colour = getComputedStyle(probe).backgroundColor;
        probe.remove();
        return colour;
      });
      assert.equal(selected, selection, 'the selected cell wears list.activeSelectionBackground');
      assert.notEqual(selected, hovered, 'selected and hovered cells look different');
      assert.notEqual(selected, plain);

      // ---- Names a screen reader reads ----
      assert.equal(await board.getByRole('textbox', { name: 'Filter flows', exact: true }).count(), 1);
      assert.equal(await board.getByRole('textbox', { name: 'Text field' }).count(), 0, 'no unnamed text field');

      // ---- History facts: labelled, and a path wraps only after a '/' ----
      const facts = await history
        .locator('.fact')
        .evaluateAll((els) => els.map((e) => [e.querySelector('dt')?.textContent, e.querySelector('dd')?.textContent]));
      assert.deepEqual(
        facts.find(([k]) => k === 'package'),
        ['package', 'v1.0.0'],
        JSON.stringify(facts),
      );
      assert.deepEqual(
        facts.find(([k]) => k === 'promoted from'),
        ['promoted from', 'uat'],
      );
      const wraps = await pathWraps(history);
      assert.ok(wraps.length >= 1, 'the bundle path is long enough to wrap in the panel');
      assert.deepEqual(
        wraps.filter((c) => c !== '/'),
        [],
        `the path wraps only after a '/' (lines end with ${JSON.stringify(wraps)})`,
      );
      t.diagnostic(`history facts: ${JSON.stringify(facts)}; the path wraps after ${JSON.stringify(wraps)}`);

      // ---- Narrower: the grid scrolls sideways, with a scrollbar, under a sticky flow column ----
      await page.setViewportSize({ width: 1100, height: 950 });
      const scroller = board.locator('.scroller');
      await waitUntil(
        async () => await scroller.evaluate((el) => el.scrollWidth > el.clientWidth),
        10_000,
        'the grid to be wider than the board at 1100 px',
      );
      // Playwright's headless chromium hides scrollbars (--hide-scrollbars), as overlay
      // scrollbars (macOS) do until one scrolls: the shadow at the right edge shows there is more.
      const hint = board.locator('.overflow-hint');
      await hint.waitFor({ state: 'visible', timeout: 5_000 });
      const narrowWraps = await pathWraps(history);
      assert.deepEqual(
        narrowWraps.filter((c) => c !== '/'),
        [],
        `at 1100 px too, the path wraps only after a '/' (${JSON.stringify(narrowWraps)})`,
      );
      await scroller.evaluate((el) => (el.scrollLeft = el.scrollWidth));
      const stuck = async () =>
        board.evaluate((id) => {
          const scrollerEl = /** @type {HTMLElement} */ (document.querySelector('.scroller'));
          const name = /** @type {HTMLElement} */ (document.querySelector(`.row.flow[data-flow="${id}"] .name`));
          const r = name.getBoundingClientRect();
          const left = scrollerEl.getBoundingClientRect().left;
          const hit = document.elementFromPoint(r.left + 4, r.top + r.height / 2);
          return {
            scrolled: scrollerEl.scrollLeft,
            nameLeft: r.left - left,
            onTop: Boolean(hit && name.contains(hit)),
          };
        }, FLOW_ID);
      await waitUntil(async () => (await stuck()).scrolled > 0, 5_000, 'the grid to scroll right');
      const sticky = await stuck();
      assert.ok(
        sticky.nameLeft >= 0 && sticky.nameLeft < 64,
        `the flow name stays at the left: ${JSON.stringify(sticky)}`,
      );
      assert.ok(sticky.onTop, `nothing scrolls over the flow name: ${JSON.stringify(sticky)}`);
      await hint.waitFor({ state: 'hidden', timeout: 5_000 });
      await screenshot(page, 'board-1100-scrolled.png');
      await scroller.evaluate((el) => (el.scrollLeft = 0));
      await page.setViewportSize({ width: 1500, height: 950 });

      // ---- Keyboard: Escape, arrows, Home/End, Ctrl+Home/End, PageUp/PageDown, ←/→ on a group ----
      const key = (/** @type {string} */ k) => page.keyboard.press(k);
      /** Where focus is: a flow id or `group:<key>`, and its column; and the roving tab stops. */
      const focus = () =>
        board.evaluate(() => {
          const el = /** @type {HTMLElement | null} */ (document.activeElement);
          const navRow = /** @type {HTMLElement | null | undefined} */ (el?.closest('[data-nav-row]'));
          const label = navRow?.querySelector('.toggle')?.firstChild?.nextSibling?.textContent?.trim();
          return {
            row: navRow ? (navRow.dataset['flow'] ?? `group:${label}`) : null,
            col: el?.dataset['col'] === undefined ? null : Number(el.dataset['col']),
            stops: document.querySelectorAll('.board [tabindex="0"]').length,
            isStop: el?.getAttribute('tabindex') === '0',
          };
        });
      /** The rows on screen, in order: what the arrows walk. */
      const shownRows = () =>
        board.evaluate(() =>
          [...document.querySelectorAll('[data-nav-row]')]
            .filter((r) => /** @type {HTMLElement} */ (r).offsetParent !== null)
            .map((r) => {
              const el = /** @type {HTMLElement} */ (r);
              const label = el.querySelector('.toggle')?.firstChild?.nextSibling?.textContent?.trim();
              return el.dataset['flow'] ?? `group:${label}`;
            }),
        );
      const expectFocus = async (
        /** @type {string} */ rowKey,
        /** @type {number} */ col,
        /** @type {string} */ what,
      ) => {
        const at = await focus();
        assert.deepEqual(at, { row: rowKey, col, stops: 1, isStop: true }, what);
      };
      const PROD = 6; // columns: 0 name, 1 Deploy, 2 dev, 3 dev → uat, 4 uat, 5 uat → prod, 6 prod
      await key('Escape');
      await history.waitFor({ state: 'hidden', timeout: 5_000 });
      await expectFocus(FLOW_ID, PROD, 'Escape: focus back on the prod cell');
      assert.equal(await board.locator('[aria-selected="true"]').count(), 0, 'no selection once the history is closed');
      await key('Home');
      await expectFocus(FLOW_ID, 0, 'Home: the flow name');
      await key('ArrowRight');
      await expectFocus(FLOW_ID, 1, '→: Deploy…');
      await key('End');
      await expectFocus(FLOW_ID, PROD, 'End: the last cell');
      await key('ArrowLeft');
      await expectFocus(FLOW_ID, PROD - 1, '←: Promote uat → prod');
      await key('ArrowRight');
      const rows = await shownRows();
      assert.ok(rows.length > 12, `more rows than a page: ${rows.length}`);
      const at = rows.indexOf(FLOW_ID);
      assert.deepEqual(rows.slice(0, 3), ['group:src/billing', 'src/billing/reconcile.ts#reconcile-payments', FLOW_ID]);
      await key('ArrowUp');
      await expectFocus(rows[at - 1], PROD, '↑: the row above, same column');
      await key('ArrowDown');
      await expectFocus(FLOW_ID, PROD, '↓: back');
      await key('ArrowDown');
      // A group row's buttons: its name (column 0) and its Promote per step, in the arrows' columns.
      await expectFocus(rows[at + 1], PROD - 1, "↓: onto the next group, its Promote uat → prod (the arrows' column)");
      await key('ArrowUp');
      await expectFocus(FLOW_ID, PROD - 1, '↑: back, on the Promote uat → prod');
      await key('End');
      await key('Control+End');
      await expectFocus(rows[rows.length - 1], PROD, 'Ctrl+End: the last row, same column');
      await key('Control+Home');
      assert.match(rows[0], /^group:/);
      await expectFocus(rows[0], PROD - 1, 'Ctrl+Home: the first row (a group: its Promote uat → prod)');
      await key('PageDown');
      await expectFocus(rows[10], PROD - 1, 'PageDown: ten rows down');
      await key('PageDown');
      await expectFocus(rows[Math.min(20, rows.length - 1)], PROD - 1, 'PageDown: ten more, at most the last');
      await key('PageUp');
      await expectFocus(rows[Math.min(20, rows.length - 1) - 10], PROD - 1, 'PageUp: ten rows up');
      await key('Control+Home');
      await key('Home');
      await expectFocus(rows[0], 0, "Home: the group's name");
      const first = rows[0];
      const toggle = board.locator('.toggle').first();
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
      await key('ArrowLeft');
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false', '← collapses the group');
      const collapsed = await shownRows();
      const inGroup = rows.slice(
        1,
        rows.findIndex((r, i) => i > 0 && r.startsWith('group:')),
      );
      assert.ok(inGroup.length >= 2 && inGroup.every((r) => !collapsed.includes(r)), 'its flows are hidden');
      await expectFocus(first, 0, 'focus stays on the group');
      await key('ArrowDown');
      await expectFocus(collapsed[1], 0, '↓ skips the collapsed flows: the next group');
      await key('ArrowUp');
      await key('ArrowRight');
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true', '→ expands it');
      assert.deepEqual(await shownRows(), rows, 'its flows are back');
      await key('ArrowDown');
      await expectFocus(rows[1], 0, '↓ into the expanded group');
      t.diagnostic(`keyboard: ${rows.length} rows walked`);
    } catch (err) {
      if (wb) await failureEvidence(wb, t);
      throw err;
    } finally {
      await wb?.close();
      rmSync(folder, { recursive: true, force: true });
    }
  },
);

test(
  'a config that fails to load: the board shows the error and Open Config, not "No flows found"',
  { timeout: 180_000 },
  async (t) => {
    mkdirSync(shotDir, { recursive: true });
    const folder = demoWorkspace({
      'flowport.config.ts': [
        `import { defineConfig } from 'flowport';`,
        ``,
        `throw new Error('broken on purpose');`,
        `export default defineConfig({ environments: ['dev'] });`,
        ``,
      ].join('\n'),
    });
    /** @type {Awaited<ReturnType<typeof openWorkbench>> | undefined} */
    let wb;
    try {
      wb = await openWorkbench({ folder, extensionDevelopmentPath: repoRoot });
      const { page } = wb;
      await page.getByRole('tab', { name: /^Flowport/ }).waitFor({ timeout: VIEW_TIMEOUT });
      await runCommand(page, 'Flowport: Show Board');
      const board = await boardFrame(page);
      const error = board.locator('.config-error');
      await error.waitFor({ timeout: VIEW_TIMEOUT });
      assert.match((await error.textContent()) ?? '', /broken on purpose/);
      assert.equal(await error.locator('.config-error-title code').textContent(), 'flowport.config.ts:3');
      const text = (await board.locator('body').textContent()) ?? '';
      assert.doesNotMatch(text, /No flows found/);
      assert.equal(await board.locator('.notice').isVisible(), false, 'no notice above the error');
      assert.equal(await board.locator('[role="grid"]').count(), 0, 'no grid');
      assert.equal(await board.locator('.summary').textContent(), '', 'no "0 flows"');
      assert.equal(await board.getByRole('button', { name: 'Collapse All' }).isVisible(), false, 'nothing to fold');
      assert.doesNotMatch(
        (await error.locator('.config-error-message').textContent()) ?? '',
        /^\//,
        'the message does not repeat the absolute path the location gives',
      );
      await screenshot(page, 'board-config-error.png');
      await error.getByRole('button', { name: 'Open Config' }).click();
      await page.getByRole('tab', { name: /^flowport\.config\.ts/ }).waitFor({ timeout: 15_000 });
      await page.locator('.statusbar-item', { hasText: /^Ln 3, Col 1$/ }).waitFor({ timeout: 10_000 });
      t.diagnostic('Open Config opened flowport.config.ts at line 3');
    } catch (err) {
      if (wb) await failureEvidence(wb, t);
      throw err;
    } finally {
      await wb?.close();
      rmSync(folder, { recursive: true, force: true });
    }
  },
);

/**
 * The character that ends each line but the last of the bundle path in the history.
 * @param {import('playwright-core').Locator} history
 * @returns {Promise<string[]>}
 */
async function pathWraps(history) {
  return history
    .locator('.fact dd')
    .filter({ hasText: '/targets/prod/' })
    .evaluate((dd) => {
      /** The character that ends each line but the last. */
      const ends = [];
      let top;
      let previous = '';
      const walker = document.createTreeWalker(dd, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = /** @type {Text} */ (node);
        for (let i = 0; i < text.length; i++) {
          const range = document.createRange();
          range.setStart(text, i);
          range.setEnd(text, i + 1);
          const rect = range.getClientRects()[0];
          if (!rect) continue;
          if (top !== undefined && rect.top > top + 1) ends.push(previous);
          top = rect.top;
          previous = text.data[i];
        }
      }
      return ends;
    });
}

/** A screenshot of the failure and the server's output, next to the test's screenshots. */
async function failureEvidence(/** @type {Awaited<ReturnType<typeof openWorkbench>>} */ wb, /** @type {any} */ t) {
  const name = t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40);
  await wb.page.screenshot({ path: join(shotDir, `failure-${name}.png`) }).catch(() => {});
  writeFileSync(join(shotDir, `code-server-${name}.log`), wb.server.output());
  t.diagnostic(`failure evidence in ${shotDir}`);
}

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

const HIDE = { panel: 'View: Hide Panel', sidebar: 'View: Close Primary Side Bar' };

/**
 * Hides the side bar or the panel with the palette's "View: Hide Panel" / "View: Close Primary
 * Side Bar". Not with the title bar's layout toggles: VS Code rebuilds that toolbar ~50 ms after
 * every layout change (the toggles' state is in their menu's context keys), so a click right
 * after hiding the panel could be pressed on the old "Toggle Primary Side Bar" button and released
 * on its replacement, and a click split like that reaches no button. The side bar never got the
 * click, and the test waited 10 s for it to hide. These two commands only ever hide, so running
 * one again until the part is gone is safe, which a toggle is not.
 * @param {Page} page @param {'panel' | 'sidebar'} part
 */
async function hidePart(page, part) {
  const shown = page.locator(`.monaco-workbench .part.${part}`);
  const end = Date.now() + 30_000;
  while (await shown.isVisible()) {
    if (Date.now() > end) throw new Error(`timed out after 30000 ms waiting for the ${part} to hide`);
    // Gone between the check and the palette: the command is no longer listed, and that is fine.
    await runCommand(page, HIDE[part]).catch(async (err) => {
      if (await shown.isVisible()) throw err;
    });
    await waitUntil(async () => !(await shown.isVisible()), 5_000, `the ${part} to hide`).catch(() => {});
  }
}

// What the Playwright UI tests do in the rendered workbench, written once: wait for a condition,
// run a palette command or a task, open the Flows view, read the task terminal; and the set-up and
// tear-down each test file shares (built files present, a fresh screenshot folder, timed steps,
// the evidence a failure leaves).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../scripts/vscode-host/demo-workspace.mjs';

/** @typedef {import('playwright-core').Page} Page */

/**
 * Polls `probe` every 100 ms until it gives a value other than undefined, null or false, and
 * returns that value. A probe that throws counts as "not yet" (an element mid-render); the last
 * such error is in the timeout's message.
 * @template T @param {() => Promise<T | undefined | null | false>} probe @param {number} timeoutMs
 * @param {string} [what] @returns {Promise<T>}
 */
export async function waitUntil(probe, timeoutMs, what = 'the condition') {
  const end = Date.now() + timeoutMs;
  /** @type {unknown} */
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return /** @type {T} */ (value);
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > end) {
      const why = lastError ? ` (last error: ${/** @type {Error} */ (lastError).message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Runs a command from the palette (F1), by its label. Reopened on each try: the palette lists the
 * commands enabled when it opened, and an F1 the workbench did not get (focus in a webview) costs
 * one 2 s try, not the whole wait.
 * @param {Page} page @param {string} label
 */
export async function runCommand(page, label) {
  const input = page.locator('.quick-input-widget input');
  const option = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
  let tries = 0;
  await waitUntil(
    async () => {
      tries++;
      if (await input.isVisible()) await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      await input.fill(`>${label}`, { timeout: 2_000 });
      await option.waitFor({ timeout: 2_000 });
      return true;
    },
    30_000,
    `"${label}" in the command palette`,
  );
  if (tries > 1) console.error(`[ui] "${label}" was in the palette at try ${tries}`);
  // The row itself, not Enter: Enter runs the highlighted row, which may be another match.
  await option.click();
}

/**
 * Runs a palette command until `shown` (its picker, its input box) is on screen: a palette row's
 * click can be lost as the list redraws, and then nothing runs and nothing says so.
 * @param {Page} page @param {string} label @param {import('playwright-core').Locator} shown
 */
export async function runCommandUntil(page, label, shown, timeoutMs = 45_000) {
  await waitUntil(
    async () => {
      await runCommand(page, label);
      return shown.waitFor({ timeout: 7_000 }).then(
        () => true,
        () => false,
      );
    },
    timeoutMs,
    `"${label}" to show what it asks`,
  );
}

/** Runs a tasks.json task by its label (Tasks: Run Task lists configured tasks first). @param {Page} page @param {string} label */
export async function runTask(page, label) {
  await runCommand(page, 'Tasks: Run Task');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first().click({ timeout: 30_000 });
}

/** Opens the Flowport view and waits until it lists the demo's first group: the extension is up. @param {Page} page */
export async function showFlowsView(page) {
  await page.getByRole('tab', { name: /^Flowport/ }).click({ timeout: 60_000 });
  await page
    .getByRole('tree', { name: 'Flows', exact: true })
    .getByRole('treeitem', { name: /^src\/billing / })
    .waitFor({ timeout: 60_000 });
}

/** The text xterm's DOM renderer shows (the visible rows of the terminal). @param {Page} page */
export async function terminalText(page) {
  return (await page.locator('.terminal .xterm-rows').allInnerTexts()).join('\n');
}

/** Writes `.vscode/tasks.json` with `tasks` into `folder` (ignored by its git). @param {string} folder @param {object[]} tasks */
export function writeTasks(folder, tasks) {
  mkdirSync(join(folder, '.vscode'), { recursive: true });
  writeFileSync(join(folder, '.vscode', '.gitignore'), '*\n');
  writeFileSync(join(folder, '.vscode', 'tasks.json'), JSON.stringify({ version: '2.0.0', tasks }));
}

/**
 * The Flowport output channel's log as the extension host wrote it (under the server's user-data
 * folder), for a failure's evidence; '' when there is none yet.
 * @param {{ userDataDir: string }} server
 */
export function flowportLog(server) {
  /** @param {string} dir @returns {string[]} */
  const find = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? find(join(dir, e.name)) : e.name === 'Flowport.log' ? [join(dir, e.name)] : [],
    );
  try {
    return find(join(server.userDataDir, 'logs'))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
  } catch {
    return '';
  }
}

/**
 * Fails the test at once, saying to build first, when one of `files` (relative to the repository)
 * is missing: the workbench would otherwise start and time out on an extension that is not there.
 * @param {string[]} files @param {string} [how] how to build them, added to the message in parentheses
 */
export function assertBuilt(files, how) {
  for (const built of files) {
    assert.ok(existsSync(join(repoRoot, built)), `${built} is missing: build first${how ? ` (${how})` : ''}`);
  }
}

/** Empties `dir` (the test's screenshot folder), creating it if needed: only this run's pictures are in it. @param {string} dir */
export function freshShotDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}

/**
 * A `step(what)` that logs `what` as a test diagnostic with the seconds since this call
 * ("12.3 s: board open"): a slow or stuck test shows where its time went.
 * @param {{ diagnostic(message: string): void }} t the test's context
 */
export function stepLogger(t) {
  const started = Date.now();
  return (/** @type {string} */ what) => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
}

/**
 * For a test's catch: keeps what the failed workbench showed (`failure.png`) and the code-server
 * output (`code-server.log`) in `shotDir`. Nothing when the workbench never opened; a screenshot
 * that fails (the page gone) is skipped.
 * @param {{ page: Page, server: { output(): string } } | undefined} wb @param {string} shotDir
 */
export async function keepFailureEvidence(wb, shotDir) {
  if (!wb) return;
  await wb.page.screenshot({ path: join(shotDir, 'failure.png') }).catch(() => {});
  writeFileSync(join(shotDir, 'code-server.log'), wb.server.output());
}

/**
 * Hovers `target` until a tooltip (`.monaco-hover`) with `text` shows, and returns that tooltip.
 * A hover can be dismissed before it shows (the row drawn again, the workbench busy): each try
 * leaves the row (the mouse to the editor) and hovers it again.
 * @param {Page} page @param {import('playwright-core').Locator} target @param {string} text
 * @param {number} timeoutMs @param {string} what what is awaited, for the timeout's message
 * @returns {Promise<import('playwright-core').Locator>}
 */
export async function hoverUntil(page, target, text, timeoutMs, what) {
  const hover = page.locator('.monaco-hover', { hasText: text });
  await waitUntil(
    async () => {
      if (await hover.isVisible()) return true;
      await page.mouse.move(900, 450);
      await target.hover();
      return hover.waitFor({ timeout: 3_000 }).then(
        () => true,
        () => false,
      );
    },
    timeoutMs,
    what,
  );
  return hover;
}

/**
 * The board webview's document: the frame (inside the webview's iframe) that holds the board's
 * toolbar, once the board has rendered. @param {import('playwright-core').Page} page
 * @returns {Promise<import('playwright-core').Frame>}
 */
export async function boardFrame(page, timeoutMs = 60_000) {
  return waitUntil(
    async () => {
      for (const frame of page.frames()) {
        const count = await frame
          .locator('body > header.toolbar')
          .count()
          .catch(() => 0);
        if (count) return frame;
      }
      return undefined;
    },
    timeoutMs,
    'the board webview',
  );
}

// What the Playwright UI tests do in the rendered workbench, written once: wait for a condition,
// run a palette command or a task, open the Flows view, read the task terminal.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

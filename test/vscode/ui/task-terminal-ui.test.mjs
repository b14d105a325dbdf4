// Playwright UI test in a real VS Code (code-server, scripts/vscode-host/): what a deploy command
// prints reaches the task terminal as text, not as control sequences. The demo's deploy script is
// replaced by one that prints a line and then moves the cursor up and erases it: in the rendered
// terminal both lines must still be there (with the sequence passed through, the first is gone).
//
//   node --test test/vscode/ui/task-terminal-ui.test.mjs      (or: node scripts/test-vscode.mjs ui)
//
// Needs the built extension and SDK: node sdk/build.mjs --no-types && node scripts/build-extension.mjs
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoWorkspace, repoRoot } from '../../../scripts/vscode-host/demo-workspace.mjs';
import { openWorkbench } from '../../../scripts/vscode-host/run-tests.mjs';

const shotDir = join(repoRoot, 'test-output', 'ui');
const LABEL = 'deploy send-invoices to dev';
// Cursor up one line, erase it, then text: what a progress bar or a hostile command may print.
const DEPLOY_SCRIPT = `console.log('the line before');\nconsole.log('\\u001b[1A\\u001b[2Kthe line after');\n`;

test('a deploy command’s cursor moves and erases do not reach the task terminal', { timeout: 180_000 }, async () => {
  for (const built of ['dist/extension.js', 'sdk/dist/host.js']) {
    assert.ok(existsSync(join(repoRoot, built)), `${built} is missing: build first`);
  }
  mkdirSync(shotDir, { recursive: true });
  const folder = demoWorkspace({ 'scripts/deploy.mjs': DEPLOY_SCRIPT });
  mkdirSync(join(folder, '.vscode'));
  writeFileSync(join(folder, '.vscode', '.gitignore'), '*\n');
  writeFileSync(
    join(folder, '.vscode', 'tasks.json'),
    JSON.stringify({
      version: '2.0.0',
      tasks: [
        { type: 'flowport', action: 'deploy', flow: 'send-invoices', env: 'dev', label: LABEL, problemMatcher: [] },
      ],
    }),
  );
  /** @type {Awaited<ReturnType<typeof openWorkbench>> | undefined} */
  let wb;
  try {
    wb = await openWorkbench({
      folder,
      extensionDevelopmentPath: repoRoot,
      // xterm's DOM renderer (not WebGL/canvas), so the terminal's text can be read from the page.
      userSettings: { 'terminal.integrated.gpuAcceleration': 'off' },
    });
    const { page } = wb;
    await page.getByRole('tab', { name: /^Flowport/ }).click({ timeout: 60_000 });
    await page
      .getByRole('tree', { name: 'Flows', exact: true })
      .getByRole('treeitem', { name: /^src\/billing / })
      .waitFor({ timeout: 60_000 });

    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill('>Tasks: Run Task');
    await page.getByRole('option', { name: /^Tasks: Run Task(, |$)/ }).click({ timeout: 10_000 });
    await page.getByRole('option', { name: new RegExp(`^${LABEL}`) }).click({ timeout: 30_000 });

    const text = await waitUntil(async () => {
      const shown = await terminalText(page);
      return /is now in dev|terminated with exit code|failed to launch/.test(shown) ? shown : undefined;
    }, 60_000);
    await page.screenshot({ path: join(shotDir, 'task-terminal-sanitized.png') });
    assert.match(text, /is now in dev/, 'the deploy succeeded');
    assert.match(text, /the line before/, 'the line the command tried to erase is still there');
    assert.match(text, /the line after/);
  } catch (err) {
    await wb?.page.screenshot({ path: join(shotDir, 'task-terminal-failure.png') }).catch(() => undefined);
    throw err;
  } finally {
    await wb?.close();
    rmSync(folder, { recursive: true, force: true });
  }
});

/** The text xterm's DOM renderer shows (the visible rows of the terminal). @param {import('playwright-core').Page} page */
async function terminalText(page) {
  return (await page.locator('.terminal .xterm-rows').allInnerTexts()).join('\n');
}

/**
 * Polls `probe` every 100 ms until it returns something.
 * @template T @param {() => Promise<T | undefined>} probe @param {number} timeoutMs @returns {Promise<T>}
 */
async function waitUntil(probe, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

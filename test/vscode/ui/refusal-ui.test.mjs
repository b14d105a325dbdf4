// Playwright UI test in a real VS Code (code-server, scripts/vscode-host/): a refused promote, as
// its task terminal shows it. A tasks.json task promotes send-invoices from dev straight to prod,
// which the demo's config refuses (no skipping environments). The terminal must show Flowport's
// own reason, no "Request flowport/… failed with message" wrapper, and end as a process that
// exited with 1, not as one that "failed to launch" (what VS Code says of a terminal that ends with
// a non-zero code within 500 ms of its start).
//
//   node --test test/vscode/ui/refusal-ui.test.mjs      (or: node scripts/test-vscode.mjs ui)
//
// Needs the built extension and SDK: node sdk/build.mjs --no-types && node scripts/build-extension.mjs
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoWorkspace, repoRoot } from '../../../scripts/vscode-host/demo-workspace.mjs';
import { openWorkbench } from '../../../scripts/vscode-host/run-tests.mjs';

const shotDir = join(repoRoot, 'test-output', 'ui');
const LABEL = 'promote send-invoices dev to prod';

test('a refused promote task ends with Flowport’s reason, not "failed to launch"', { timeout: 180_000 }, async () => {
  for (const built of ['dist/extension.js', 'sdk/dist/host.js']) {
    assert.ok(existsSync(join(repoRoot, built)), `${built} is missing: build first`);
  }
  mkdirSync(shotDir, { recursive: true });
  const folder = demoWorkspace();
  mkdirSync(join(folder, '.vscode'));
  writeFileSync(join(folder, '.vscode', '.gitignore'), '*\n');
  writeFileSync(
    join(folder, '.vscode', 'tasks.json'),
    JSON.stringify({
      version: '2.0.0',
      tasks: [
        {
          type: 'flowport',
          action: 'promote',
          flow: ['send-invoices'],
          from: 'dev',
          to: 'prod',
          label: LABEL,
          problemMatcher: [],
        },
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
    // The extension is up once its view lists the flows.
    await page.getByRole('tab', { name: /^Flowport/ }).click({ timeout: 60_000 });
    await page
      .getByRole('tree', { name: 'Flows', exact: true })
      .getByRole('treeitem', { name: /^src\/billing / })
      .waitFor({ timeout: 60_000 });

    // Tasks: Run Task, then the task (tasks.json's are listed first, as "configured").
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill('>Tasks: Run Task');
    await page.getByRole('option', { name: /^Tasks: Run Task(, |$)/ }).click({ timeout: 10_000 });
    await page.getByRole('option', { name: new RegExp(`^${LABEL}`) }).click({ timeout: 30_000 });

    const text = await waitUntil(async () => {
      const shown = await terminalText(page);
      return /terminated with exit code|failed to launch/.test(shown) ? shown : undefined;
    }, 60_000);
    await page.screenshot({ path: join(shotDir, 'refused-promote-terminal.png') });
    assert.match(
      text.replace(/\s+/g, ' '),
      /cannot promote "send-invoices" from dev to prod: the next environment after dev is uat\./,
    );
    assert.doesNotMatch(text, /Request flowport\/|failed with message/);
    assert.doesNotMatch(text, /failed to launch/);
    assert.match(text, /The terminal process terminated with exit code: 1\./);
  } catch (err) {
    await wb?.page.screenshot({ path: join(shotDir, 'refused-promote-failure.png') }).catch(() => undefined);
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

// Playwright UI test in a real VS Code (code-server, scripts/vscode-host/), with the extension
// installed from its VSIX as a user has it (no smoke-test driver, no development extension):
// "Welcome: Open Walkthrough…" lists "Get Started with Flowport", which opens with its five steps;
// "Create flowport.config.ts" is checked off already (the demo has one), and the palette no longer
// offers that command. Clicking the last step's "Show Board" opens the board and checks that step
// off, and "Mark a flow" too once the flows are loaded.
//
//   node --test test/vscode/ui/walkthrough-ui.test.mjs      (or: node scripts/test-vscode.mjs ui)
//
// Packages the extension first (scripts/package.mjs). Screenshots go to test-output/ui-walkthrough/.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoWorkspace, repoRoot } from '../../../scripts/vscode-host/demo-workspace.mjs';
import { openInstalledWorkbench } from '../../../scripts/vscode-host/installed.mjs';
import { freshShotDir, keepFailureEvidence, runCommand, stepLogger } from './workbench.mjs';

const shotDir = join(repoRoot, 'test-output', 'ui-walkthrough');
const TIMEOUT = 90_000; // cold start on 2 cores
const STEPS = ['Mark a flow', 'Create flowport.config.ts', 'Deploy a flow', 'Promote it', 'Open the board'];
const STEP_ID = 'flowport.flowport-vscode#flowport.gettingStarted#';

test(
  'the Flowport walkthrough opens from the palette and checks its steps off as they happen',
  { timeout: 300_000 },
  async (t) => {
    freshShotDir(shotDir);
    const step = stepLogger(t);
    const folder = demoWorkspace();
    /** @type {Awaited<ReturnType<typeof openInstalledWorkbench>> | undefined} */
    let wb;
    try {
      wb = await openInstalledWorkbench({ folder });
      const { page } = wb;
      step('VSIX packaged and installed, server up, page open');
      await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: TIMEOUT });
      step('workbench loaded');

      // ---- Welcome: Open Walkthrough… → Get Started with Flowport ----
      const input = page.locator('.quick-input-widget input');
      await runCommand(page, 'Welcome: Open Walkthrough');
      const walkthroughs = page.getByRole('listbox');
      const flowport = walkthroughs.getByRole('option', { name: /^Get Started with Flowport, Flowport\b/ });
      await flowport.waitFor({ timeout: 30_000 });
      await input.fill('Flowport');
      await flowport.click();
      const stepButton = (/** @type {string} */ id) =>
        page.locator(`.getting-started-step[data-step-id="${STEP_ID}${id}"]`);
      await stepButton('markFlow').waitFor({ timeout: 30_000 });
      assert.deepEqual(
        await page.locator(`.getting-started-step[data-step-id^="${STEP_ID}"] h3`).allInnerTexts(),
        STEPS,
        'five steps, in order',
      );
      await page.getByText('Get Started with Flowport', { exact: true }).first().waitFor();
      step('walkthrough open with its steps');

      // The demo has a config: that step is done from the start, without any view open.
      await waitForChecked(stepButton('createConfig'), 'the config step to be checked off');
      for (const id of ['deploy', 'promote', 'openBoard']) {
        assert.equal(await stepButton(id).getAttribute('aria-checked'), 'false', `${id}: not done yet`);
      }
      await page.mouse.move(1300, 850);
      await page.screenshot({ path: join(shotDir, '01-walkthrough.png') });

      // ---- The palette no longer offers Create flowport.config.ts ----
      await page.keyboard.press('F1');
      await input.fill('>Flowport: Create flowport');
      // The palette answers with what matches best ("similar commands" when nothing matches exactly).
      const offered = page.locator('.quick-input-widget').getByRole('option');
      await offered.first().waitFor({ timeout: 10_000 });
      const labels = await offered.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
      assert.ok(labels.length > 0);
      assert.ok(!labels.some((l) => /Create flowport\.config\.ts/.test(l)), `offered: ${labels.join(' | ')}`);
      await page.keyboard.press('Escape');
      step('the palette has no Create flowport.config.ts');

      // ---- Open the board step → its Show Board button ----
      await stepButton('openBoard').click();
      await page.getByRole('button', { name: 'Show Board', exact: true }).click({ timeout: 10_000 });
      await page.getByRole('tab', { name: /^Flowport Board\b/ }).waitFor({ timeout: 30_000 });
      step('the board opened from the walkthrough');
      // Back to the walkthrough tab: the step is checked off, and the flows the board loaded check "Mark a flow".
      await page.getByRole('tab', { name: /^Welcome\b/ }).click();
      await waitForChecked(stepButton('openBoard'), 'the board step to be checked off');
      await waitForChecked(stepButton('markFlow'), 'the mark-a-flow step to be checked off once the flows are listed');
      await page.mouse.move(1300, 850);
      await page.screenshot({ path: join(shotDir, '02-board-checked.png') });
      step('board and mark-a-flow steps checked off');
    } catch (err) {
      await keepFailureEvidence(wb, shotDir);
      throw err;
    } finally {
      await wb?.close();
      rmSync(folder, { recursive: true, force: true });
    }
  },
);

/** @param {import('playwright-core').Locator} el @param {string} what */
async function waitForChecked(el, what) {
  const end = Date.now() + 30_000;
  while ((await el.getAttribute('aria-checked', { timeout: 5_000 }).catch(() => null)) !== 'true') {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

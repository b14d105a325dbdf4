// Playwright UI test of the main job's window (`npm start`): the extension packaged into a VSIX and
// installed into code-server, as a user's VS Code loads it, with no smoke-test driver. That driver
// sends every notification straight to the Notification Center, so this is the test that proves a
// user sees Flowport's notifications: with a broken flowport.config.ts, the palette's Deploy says
// why it has nothing to deploy in a toast on screen, naming the config and its line.
//
//   node --test test/vscode/ui/main-job.test.mjs      (or: node scripts/test-vscode.mjs ui)
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoWorkspace, repoRoot } from '../../../scripts/vscode-host/demo-workspace.mjs';
import { openInstalledWorkbench } from '../../../scripts/vscode-host/installed.mjs';
import { runCommand } from './workbench.mjs';

const shotDir = join(repoRoot, 'test-output', 'ui');
const BROKEN_CONFIG = `import { defineConfig } from 'flowport';

export default defineConfig({
  environments: 'dev, uat, prod',
});
`;

test(
  'in the main job, Deploy with a broken config says why in a notification on screen',
  { timeout: 240_000 },
  async () => {
    mkdirSync(shotDir, { recursive: true });
    const folder = demoWorkspace({ 'flowport.config.ts': BROKEN_CONFIG });
    /** @type {Awaited<ReturnType<typeof openInstalledWorkbench>> | undefined} */
    let wb;
    try {
      wb = await openInstalledWorkbench({ folder });
      const { page } = wb;
      await page.getByRole('tab', { name: /^Flowport/ }).click({ timeout: 90_000 });
      const tree = page.getByRole('tree', { name: 'Flows', exact: true });
      await tree.getByRole('treeitem', { name: /flowport\.config\.ts:4/ }).waitFor({ timeout: 90_000 });
      // The palette's Deploy has no flow to offer: it says why, in a notification.
      await runCommand(page, 'Flowport: Deploy…');
      // A toast, not an entry in the Notification Center: what a user sees without looking for it.
      const toast = page
        .locator('.notifications-toasts .notification-toast.notification-fade-in-done')
        .filter({ hasText: /Flowport/ });
      await toast.first().waitFor({ timeout: 30_000 });
      const text = (await toast.first().innerText()).replace(/\s+/g, ' ');
      assert.match(text, /flowport\.config\.ts:4\b/, `the toast names the config's line: ${text}`);
      assert.doesNotMatch(text, /found no flows/i, 'a config error is not "no flows"');
      await page.screenshot({ path: join(shotDir, 'main-job-notification.png') });
    } finally {
      await wb?.close();
      rmSync(folder, { recursive: true, force: true });
    }
  },
);

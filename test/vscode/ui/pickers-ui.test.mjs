// Playwright UI test in a real VS Code (code-server, scripts/vscode-host/): the palette's Promote…
// pickers as rendered. With send-invoices deployed to dev only, "Promote from" offers dev and shows
// uat and prod with why they cannot be picked; Enter on one of those picks nothing; "Promote from
// dev to" shows prod with its reason (the demo does not allow skipping environments). The suite's
// commands.test.ts checks what the pickers are given; this checks that the reasons are on screen
// (a separator, say, is not drawn after the last item).
//
//   node --test test/vscode/ui/pickers-ui.test.mjs      (or: node scripts/test-vscode.mjs ui)
//
// Needs the built extension and SDK: node sdk/build.mjs --no-types && node scripts/build-extension.mjs
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoWorkspace, repoRoot } from '../../../scripts/vscode-host/demo-workspace.mjs';
import { openWorkbench } from '../../../scripts/vscode-host/run-tests.mjs';
import { showFlowsView, waitUntil } from './workbench.mjs';

const shotDir = join(repoRoot, 'test-output', 'ui');

test('Promote… lists what cannot be picked with its reason, and does not pick it', { timeout: 180_000 }, async () => {
  for (const built of ['dist/extension.js', 'sdk/dist/host.js']) {
    assert.ok(existsSync(join(repoRoot, built)), `${built} is missing: build first`);
  }
  mkdirSync(shotDir, { recursive: true });
  const folder = demoWorkspace();
  execFileSync(process.execPath, [join(repoRoot, 'sdk/bin/flowport.js'), 'deploy', 'send-invoices', '--env', 'dev'], {
    cwd: folder,
    stdio: 'ignore',
  });
  /** @type {Awaited<ReturnType<typeof openWorkbench>> | undefined} */
  let wb;
  try {
    wb = await openWorkbench({ folder, extensionDevelopmentPath: repoRoot });
    const { page } = wb;
    await showFlowsView(page);

    await page.keyboard.press('F1');
    const widget = page.locator('.quick-input-widget');
    const input = widget.locator('input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill('>Flowport: Promote');
    await page
      .getByRole('option', { name: /^Flowport: Promote/ })
      .first()
      .click({ timeout: 10_000 });
    await widget.locator('.quick-input-list').getByText('send-invoices', { exact: true }).click({ timeout: 30_000 });
    await widget.getByRole('button', { name: 'OK' }).click();

    const title = widget.locator('.quick-input-title');
    const rows = async () =>
      (await widget.getByRole('option').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    await waitUntil(async () => ((await title.innerText()) === 'Promote from' ? true : undefined), 30_000);
    const from = await waitUntil(async () => ((await rows()).length === 3 ? rows() : undefined), 10_000);
    await page.screenshot({ path: join(shotDir, 'promote-from.png') });
    assert.match(from[0] ?? '', /^dev\s*[0-9a-f]{7} → uat$/);
    assert.match(from[1] ?? '', /^uat\s*nothing of "send-invoices" deployed there yet/);
    assert.match(from[2] ?? '', /^prod\s*the last environment: there is nothing after it/);

    // Enter on uat: nothing is picked, the question stays.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    assert.equal(await title.innerText(), 'Promote from');
    assert.equal((await rows()).length, 3);

    await widget.getByRole('option').first().click();
    await waitUntil(async () => ((await title.innerText()) === 'Promote from dev to' ? true : undefined), 10_000);
    const to = await waitUntil(async () => ((await rows()).length === 2 ? rows() : undefined), 10_000);
    await page.screenshot({ path: join(shotDir, 'promote-from-dev-to.png') });
    assert.equal(to[0], 'uat');
    assert.match(to[1] ?? '', /^prod\s*skips uat \(flowport\.config\.ts does not set allowSkippingEnvironments\)/);
    await page.keyboard.press('Escape');
  } catch (err) {
    await wb?.page.screenshot({ path: join(shotDir, 'pickers-failure.png') }).catch(() => undefined);
    throw err;
  } finally {
    await wb?.close();
    rmSync(folder, { recursive: true, force: true });
  }
});

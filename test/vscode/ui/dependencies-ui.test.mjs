// Playwright UI test of issue 16's dependencies on the board, in a real VS Code (code-server):
// a demo copy whose config makes send-invoices and compact-events read ingest-events' `bundle`
// output. The board marks both rows "needs ingest-events"; hovering ingest-events lights them up
// as its readers ("Read by compact-events, send-invoices" in its title). With ingest-events and
// send-invoices deployed to dev, send-invoices' Promote dev → uat is disabled, saying
// "blocked: ingest-events does not run in uat yet — promote ingest-events first"; once
// ingest-events is promoted to uat, it is enabled and promotes. The env row's tooltip in the
// tree says the same.
//
//   node --test test/vscode/ui/dependencies-ui.test.mjs      (or: node scripts/test-vscode.mjs ui)
//
// Needs the built extension and SDK: node sdk/build.mjs --no-types && node scripts/build-extension.mjs
// Screenshots go to test-output/dependencies/.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoWorkspace, repoRoot } from '../../../scripts/vscode-host/demo-workspace.mjs';
import { openWorkbench } from '../../../scripts/vscode-host/run-tests.mjs';
import {
  assertBuilt,
  boardFrame,
  freshShotDir,
  hoverUntil,
  keepFailureEvidence,
  runCommand,
  stepLogger,
  waitUntil,
} from './workbench.mjs';

const shotDir = join(repoRoot, 'test-output', 'dependencies');
const VIEW_TIMEOUT = 60_000;
const DEPLOY_TIMEOUT = 90_000;
const ID = {
  invoices: 'src/billing/invoices.ts#send-invoices',
  ingest: 'src/ingest/events.ts#ingest-events',
  compact: 'src/ingest/events.ts#compact-events',
};

/** The demo's config, plus releases: two flows read ingest-events' bundle output. */
const CONFIG = `import { commandDeployer, defineConfig, output } from 'flowport';

export default defineConfig({
  environments: ['dev', 'uat', { name: 'prod', protected: true }],
  flows: { include: ['src/**'] },
  deploy: commandDeployer({ command: [process.execPath, 'scripts/deploy.mjs'], timeoutMs: 120_000 }),
  releases: {
    'send-invoices': { inputs: { EVENTS_BUNDLE: output('ingest-events', 'bundle') } },
    'compact-events': { inputs: { EVENTS_BUNDLE: output('ingest-events', 'bundle') } },
  },
});
`;

test(
  'the board: "needs" markers, readers on hover, a Promote blocked by a dependency until it runs there',
  { timeout: 300_000 },
  async (t) => {
    assertBuilt(['dist/extension.js', 'dist/webview/board.js', 'sdk/dist/host.js'], 'node scripts/build-extension.mjs');
    freshShotDir(shotDir);
    const step = stepLogger(t);
    const folder = demoWorkspace({ 'flowport.config.ts': CONFIG });
    /** @type {Awaited<ReturnType<typeof openWorkbench>> | undefined} */
    let wb;
    try {
      wb = await openWorkbench({
        folder,
        extensionDevelopmentPath: repoRoot,
        userSettings: { 'workbench.colorTheme': 'Default Dark Modern' },
      });
      const { page } = wb;
      await page.getByRole('tab', { name: /^Flowport/ }).waitFor({ timeout: VIEW_TIMEOUT });
      await runCommand(page, 'Flowport: Show Board');
      let board = await boardFrame(page);
      const row = (/** @type {string} */ id) => board.locator(`.row.flow[data-flow="${id}"]`);
      const cell = (/** @type {string} */ id, /** @type {string} */ env) => row(id).locator(`.cell[data-env="${env}"]`);
      const promote = (/** @type {string} */ id, /** @type {string} */ from, /** @type {string} */ to) =>
        row(id).locator(`.promote[data-from="${from}"][data-to="${to}"]`);
      await row(ID.invoices).waitFor({ timeout: VIEW_TIMEOUT });
      step('board open');

      // ---- The markers: each reader says what it needs; the read flow has none ----
      assert.equal((await row(ID.invoices).locator('.deps').textContent())?.trim(), 'needs ingest-events');
      assert.equal((await row(ID.compact).locator('.deps').textContent())?.trim(), 'needs ingest-events');
      assert.equal(await row(ID.ingest).locator('.deps').count(), 0, 'ingest-events reads nothing');
      assert.match(
        (await row(ID.ingest).locator('.name').getAttribute('title')) ?? '',
        /\nRead by compact-events, send-invoices$/,
      );
      assert.match(
        (await row(ID.invoices).locator('.deps').getAttribute('title')) ?? '',
        /^send-invoices reads outputs of ingest-events$/,
      );
      assert.match(
        (await row(ID.invoices).locator('.name').getAttribute('aria-label')) ?? '',
        /Needs ingest-events \(reads their outputs\)$/,
      );

      // ---- Hover: the readers of ingest-events light up, and what send-invoices needs ----
      await row(ID.ingest).locator('.source').hover();
      await waitUntil(
        async () => (await board.locator('.row.flow.reader').count()) === 2,
        5_000,
        'the two readers to light up',
      );
      assert.deepEqual(
        await board
          .locator('.row.flow.reader')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-name')).sort()),
        ['compact-events', 'send-invoices'],
      );
      // In words, not by colour alone.
      assert.equal(
        await row(ID.invoices)
          .locator('.source')
          .evaluate((el) => getComputedStyle(el, '::before').content),
        '"reads it · "',
      );
      await page.screenshot({ path: join(shotDir, '01-hover-readers.png') });
      await row(ID.invoices).locator('.source').hover();
      await waitUntil(async () => (await board.locator('.row.flow.reader').count()) === 0, 5_000, 'readers to go dark');
      assert.deepEqual(
        await board.locator('.row.flow.needed').evaluateAll((els) => els.map((e) => e.getAttribute('data-name'))),
        ['ingest-events'],
      );
      step('markers and hover');

      // ---- Deploy ingest-events, then send-invoices, to dev ----
      const deployToDev = async (/** @type {string} */ id) => {
        await row(id).locator('.deploy').click();
        const dialog = board.locator('dialog.deploy-dialog');
        await dialog.waitFor({ timeout: 10_000 });
        await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
        await waitUntil(
          async () => /\bs-succeeded\b/.test((await cell(id, 'dev').getAttribute('class')) ?? ''),
          DEPLOY_TIMEOUT,
          `${id} to succeed in dev`,
        );
      };
      await deployToDev(ID.ingest);
      await deployToDev(ID.invoices);
      step('ingest-events and send-invoices run in dev');

      // ---- send-invoices dev → uat: blocked by ingest-events, which does not run in uat ----
      let blocked = promote(ID.invoices, 'dev', 'uat');
      await waitUntil(
        async () => /blocked: /.test((await blocked.getAttribute('title')) ?? ''),
        15_000,
        'Promote send-invoices dev → uat to say what blocks it',
      );
      assert.equal(await blocked.getAttribute('aria-disabled'), 'true');
      assert.equal(
        await blocked.getAttribute('title'),
        'Promote send-invoices from dev to uat: unavailable. blocked: ingest-events does not run in uat yet — promote ingest-events first',
      );
      assert.match((await blocked.getAttribute('class')) ?? '', /\bblocked-dependency\b/);
      assert.equal(await blocked.locator('.blocked-mark .link-icon').count(), 1, 'the link mark on the arrow');
      assert.match(
        (await cell(ID.invoices, 'uat').getAttribute('title')) ?? '',
        /needs ingest-events here: ingest-events does not run in uat yet — promote ingest-events first/,
      );
      assert.equal((await cell(ID.invoices, 'uat').locator('.needs').textContent())?.trim(), 'waits for ingest-events');
      // A click on it does nothing: uat stays as it was.
      await blocked.click({ force: true });
      await page.waitForTimeout(1_000);
      assert.match((await cell(ID.invoices, 'uat').getAttribute('class')) ?? '', /\bs-never\b/);
      await screenshot(page, '02-promote-blocked.png');
      step('promote blocked by ingest-events');

      // ---- The tree's env row says the same in its tooltip ----
      await treeTooltip(
        page,
        'send-invoices',
        'dev',
        'Promote to uat blocked: ingest-events does not run in uat yet — promote ingest-events first',
      );
      await page.screenshot({ path: join(shotDir, '03-tree-tooltip.png') });
      await page.keyboard.press('Escape');
      step('tree tooltip');

      // ---- The CodeLens above send-invoices names the input it lacks where it would go next ----
      await page.keyboard.press('Control+P');
      await page.locator('.quick-input-widget input').fill('src/billing/invoices.ts');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'invoices.ts' }).first().click();
      const lens = page.locator('.codelens-decoration a, .codelens-decoration span', {
        hasText: 'needs ingest-events in uat',
      });
      await lens.first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(shotDir, '03b-codelens.png') });
      step('CodeLens: needs ingest-events in uat');

      // ---- Promote ingest-events to uat: the block lifts, and send-invoices promotes ----
      // The board was hidden behind the file: its webview is loaded again.
      await page.getByRole('tab', { name: /Flowport Board/ }).click();
      board = await boardFrame(page);
      blocked = promote(ID.invoices, 'dev', 'uat');
      await row(ID.ingest).waitFor({ timeout: VIEW_TIMEOUT });
      await promote(ID.ingest, 'dev', 'uat').click();
      await waitUntil(
        async () => /\bs-succeeded\b/.test((await cell(ID.ingest, 'uat').getAttribute('class')) ?? ''),
        DEPLOY_TIMEOUT,
        'ingest-events to succeed in uat',
      );
      await waitUntil(
        async () => (await blocked.getAttribute('aria-disabled')) === null,
        15_000,
        'Promote send-invoices dev → uat to be enabled',
      );
      assert.equal(await blocked.locator('.blocked-mark').count(), 0);
      assert.equal(await cell(ID.invoices, 'uat').locator('.needs').count(), 0, 'no longer waits');
      await blocked.click();
      await waitUntil(
        async () => /\bs-succeeded\b/.test((await cell(ID.invoices, 'uat').getAttribute('class')) ?? ''),
        DEPLOY_TIMEOUT,
        'send-invoices to succeed in uat',
      );
      // On to prod: blocked again, ingest-events does not run there.
      assert.match(
        (await promote(ID.invoices, 'uat', 'prod').getAttribute('title')) ?? '',
        /blocked: ingest-events does not run in prod yet — promote ingest-events first$/,
      );
      await screenshot(page, '04-promoted.png');
      step('promoted ingest-events, then send-invoices, to uat');

      // ---- The marker, the lit readers and the blocked arrow in a light and a high-contrast theme ----
      for (const [name, label, bodyClass] of [
        ['light-modern', 'Light Modern', 'vscode-light'],
        ['high-contrast', 'Default High Contrast', 'vscode-high-contrast'],
      ]) {
        await runCommand(page, 'Preferences: Color Theme');
        const option = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
        await page.locator('.quick-input-widget input').fill(label);
        await option.click({ timeout: 10_000 });
        await waitUntil(
          async () => ((await board.locator('body').getAttribute('class')) ?? '').split(/\s+/).includes(bodyClass),
          20_000,
          `the board in ${label}`,
        );
        await row(ID.ingest).locator('.source').hover();
        await waitUntil(async () => (await board.locator('.row.flow.reader').count()) === 2, 5_000, 'readers lit');
        await page.screenshot({ path: join(shotDir, `05-${name}.png`) });
      }
      step('light and high-contrast screenshots');
    } catch (err) {
      await keepFailureEvidence(wb, shotDir);
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

/**
 * Hovers the env row `env` of `flow` in the Flows tree until its tooltip shows `text`.
 * @param {Page} page @param {string} flow @param {string} env @param {string} text
 */
async function treeTooltip(page, flow, env, text) {
  await page.getByRole('tab', { name: 'Flowport', exact: true }).click();
  const tree = page.getByRole('tree', { name: 'Flows', exact: true });
  const flowRow = tree.getByRole('treeitem', { name: new RegExp(`^${flow} `) });
  await flowRow.waitFor({ timeout: VIEW_TIMEOUT });
  if ((await flowRow.getAttribute('aria-expanded')) !== 'true') await flowRow.click();
  // Only this flow is expanded: one row per environment.
  const envRow = tree.getByRole('treeitem', { name: new RegExp(`^${env}\\b`) });
  await envRow.waitFor({ timeout: 10_000 });
  await hoverUntil(page, envRow, text, 45_000, `the tooltip of ${flow} › ${env} to say "${text}"`);
}

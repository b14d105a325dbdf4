// Playwright UI test of issue 16 on the board, in a real VS Code (code-server), on the demo (db and
// api in src/platform; api reads db's connection and deploys in two steps on each environment's
// targets):
// - a group header's "Promote group dev → uat" is disabled, saying why, while nothing runs in dev;
// - api's history in dev shows its steps and their targets live (migrate running, then roll out),
//   then all succeeded;
// - with both in dev, the group's Promote dev → uat promotes both through the tree's multi-select
//   path: the task terminal shows the host's plan (db first: api reads its output) and db is
//   promoted before api; uat → prod (protected), reached with the keyboard, shows the plan in the
//   confirmation first, then promotes them in that order.
//
//   node --test test/vscode/ui/board-group-ui.test.mjs
//
// Needs the built extension and SDK: node sdk/build.mjs --no-types && node scripts/build-extension.mjs
// Screenshots go to test-output/board-group/.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
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
  terminalText,
  waitUntil,
} from './workbench.mjs';

const shotDir = join(repoRoot, 'test-output', 'board-group');
const VIEW_TIMEOUT = 60_000;
const DEPLOY_TIMEOUT = 90_000;
const ID = { db: 'src/platform/db.ts#db', api: 'src/platform/api.ts#api' };
/** The demo's steps pause this long on each target: api's steps are seen running. */
const STEP_MS = 2_500;

test(
  "the board: a group's Promote shows the plan and promotes its flows in order; step rows in the history",
  { timeout: 420_000 },
  async (t) => {
    assertBuilt(['dist/extension.js', 'dist/webview/board.js', 'sdk/dist/host.js'], 'node scripts/build-extension.mjs');
    freshShotDir(shotDir);
    const step = stepLogger(t);
    const folder = demoWorkspace();
    /** @type {Awaited<ReturnType<typeof openWorkbench>> | undefined} */
    let wb;
    try {
      wb = await openWorkbench({
        folder,
        extensionDevelopmentPath: repoRoot,
        env: { DEMO_STEP_MS: String(STEP_MS) },
        // The DOM renderer: the terminal's rows can be read.
        userSettings: { 'workbench.colorTheme': 'Default Dark Modern', 'terminal.integrated.gpuAcceleration': 'off' },
        viewport: { width: 1500, height: 900 },
      });
      const { page } = wb;
      await page.getByRole('tab', { name: /^Flowport/ }).waitFor({ timeout: VIEW_TIMEOUT });
      await runCommand(page, 'Flowport: Show Board');
      let board = await boardFrame(page);
      const row = (/** @type {string} */ id) => board.locator(`.row.flow[data-flow="${id}"]`);
      const cell = (/** @type {string} */ id, /** @type {string} */ env) => row(id).locator(`.cell[data-env="${env}"]`);
      const group = () => board.locator('.group', { has: board.locator('.toggle', { hasText: 'src/platform' }) });
      const groupPromote = (/** @type {string} */ from, /** @type {string} */ to) =>
        group().locator(`.ghead .group-promote[data-from="${from}"][data-to="${to}"]`);
      const succeeded = async (/** @type {string} */ id, /** @type {string} */ env) =>
        waitUntil(
          async () => /\bs-succeeded\b/.test((await cell(id, env).getAttribute('class')) ?? ''),
          DEPLOY_TIMEOUT,
          `${id} to succeed in ${env}`,
        );
      await row(ID.api).waitFor({ timeout: VIEW_TIMEOUT });
      step('board open');

      // ---- Nothing runs in dev: the group's Promote is disabled and says why ----
      const devUat = groupPromote('dev', 'uat');
      assert.equal((await devUat.textContent())?.trim(), 'Promote group dev → uat');
      assert.equal(await devUat.getAttribute('aria-disabled'), 'true');
      assert.equal(
        await devUat.getAttribute('title'),
        'Promote group src/platform from dev to uat: unavailable. Nothing to promote: no flow of src/platform runs in dev yet',
      );
      assert.equal(await groupPromote('uat', 'prod').getAttribute('aria-disabled'), 'true');
      // Only the demo's groups with flows get one per step: dev → uat and uat → prod.
      assert.equal(await group().locator('.group-promote').count(), 2);

      // ---- Deploy db, then api, to dev; api's history shows its steps as they run ----
      const deployToDev = async (/** @type {string} */ id) => {
        await row(id).locator('.deploy').click();
        const dialog = board.locator('dialog.deploy-dialog');
        await dialog.waitFor({ timeout: 10_000 });
        await dialog.getByRole('button', { name: 'Deploy', exact: true }).click();
      };
      await deployToDev(ID.db);
      await succeeded(ID.db, 'dev');
      await deployToDev(ID.api);
      await cell(ID.api, 'dev').click();
      const history = board.locator('aside.history');
      const steps = history.locator('.entry').first().locator('.steps > .step');
      // Live: migrate runs on dev-db-1 while roll out waits, each target named with its status.
      await waitUntil(
        async () =>
          (await steps.count()) === 2 &&
          /migratedb · running 0\/1/.test((await steps.nth(0).locator('.step-line').textContent()) ?? ''),
        30_000,
        'migrate to show running in the history',
      );
      assert.equal(await steps.nth(0).locator('.step-target.s-running').textContent(), '↻dev-db-1: running');
      assert.match((await steps.nth(1).locator('.step-line').textContent()) ?? '', /^○roll outweb · pending$/);
      await screenshot(page, '01-history-steps-running.png');
      await waitUntil(
        async () => /roll outweb · running/.test((await steps.nth(1).locator('.step-line').textContent()) ?? ''),
        30_000,
        'roll out to show running after migrate',
      );
      assert.match((await steps.nth(0).locator('.step-line').textContent()) ?? '', /migratedb · succeeded$/);
      await succeeded(ID.api, 'dev');
      await waitUntil(
        async () => (await steps.nth(1).locator('.step-target.s-succeeded').count()) === 2,
        15_000,
        'both web targets to show succeeded',
      );
      assert.deepEqual(
        await history
          .locator('.entry')
          .first()
          .locator('.step-target')
          .evaluateAll((els) =>
            els.map((e) => [e.textContent, e.getAttribute('title')].map((x) => x?.replace(/ · [\d.]+ m?s$/, ''))),
          ),
        [
          ['✓dev-db-1: succeeded', 'dev-db-1: succeeded'],
          ['✓dev-web-1: succeeded', 'dev-web-1: succeeded'],
          ['✓dev-web-2: succeeded', 'dev-web-2: succeeded'],
        ],
      );
      await screenshot(page, '02-history-steps-done.png');
      await history.getByRole('button', { name: 'Close history' }).click();
      step('api deployed to dev, its steps seen live in the history');

      // ---- Promote group dev → uat: both go, db first, the plan in the task terminal ----
      await waitUntil(async () => (await devUat.getAttribute('aria-disabled')) === null, 15_000, 'dev → uat enabled');
      assert.equal(
        await devUat.getAttribute('title'),
        'Promote group src/platform from dev to uat: api, db, in dependency order. The plan is shown before anything runs',
      );
      assert.equal(await devUat.locator('.gp-count').textContent(), '2');
      await screenshot(page, '03-group-promote.png');
      await devUat.click();
      // The plan comes first in the task's terminal, before db's deploy (whose lines soon scroll it away).
      const terminal = await waitUntil(
        async () => {
          const text = (await terminalText(page)).replace(/\s+/g, ' ');
          return /Plan: promote 2 flows from dev to uat, in dependency order/.test(text) && text;
        },
        30_000,
        'the plan in the task terminal',
      );
      assert.match(terminal, /1\. db .*2\. api /, 'the plan runs db first');
      await page.screenshot({ path: join(shotDir, '03b-plan-in-terminal.png') });
      await succeeded(ID.db, 'uat');
      await succeeded(ID.api, 'uat');
      assert.deepEqual(promotedOrder(folder, 'uat'), ['db', 'api']);
      step('group promoted to uat, db first');

      // ---- uat → prod, from the keyboard: the protected environment's question shows the plan ----
      // The terminal took the panel; the board is still open beside it.
      board = await boardFrame(page);
      const uatProd = groupPromote('uat', 'prod');
      await waitUntil(async () => (await uatProd.getAttribute('aria-disabled')) === null, 15_000, 'uat → prod enabled');
      assert.equal(
        await groupPromote('dev', 'uat').getAttribute('title'),
        'Promote group src/platform from dev to uat: unavailable. Nothing to promote: every flow of src/platform that runs in dev runs the same commit in uat',
      );
      await group().locator('.toggle').focus();
      await page.keyboard.press('ArrowRight'); // the group's first Promote (dev → uat)
      await page.keyboard.press('ArrowRight'); // uat → prod
      assert.equal(await board.evaluate(() => document.activeElement?.getAttribute('data-to')), 'prod');
      await page.keyboard.press('Enter');
      const modal = page.locator('.monaco-dialog-box');
      await modal.waitFor({ timeout: 30_000 });
      const asked = (await modal.textContent()) ?? '';
      // Its headline names both: api is sent after db, so db's absence in prod does not hold it back.
      assert.match(asked, /Promote db, api to prod\?/);
      assert.match(asked, /Plan: promote 2 flows from uat to prod, in dependency order/);
      assert.match(asked, /1\. db .*2\. api /s);
      await page.screenshot({ path: join(shotDir, '04-plan-confirmation.png') });
      await modal.getByRole('button', { name: 'Promote', exact: true }).click();
      board = await boardFrame(page);
      await succeeded(ID.db, 'prod');
      await succeeded(ID.api, 'prod');
      assert.deepEqual(promotedOrder(folder, 'prod'), ['db', 'api']);
      await waitUntil(
        async () => (await groupPromote('uat', 'prod').getAttribute('aria-disabled')) === 'true',
        15_000,
        'uat → prod disabled once both run there',
      );
      await screenshot(page, '05-group-promoted.png');
      step('group promoted to prod after the plan was confirmed, db first');
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

/**
 * The flows whose deployments to `env` were made, in the order they were created (the ledger's
 * records: every deployment record carries its flow, environment and creation time).
 * @param {string} folder @param {string} env @returns {string[]}
 */
function promotedOrder(folder, env) {
  /** @type {Map<string, string>} */
  const first = new Map();
  /** @param {unknown} value */
  const visit = (value) => {
    if (!value || typeof value !== 'object') return;
    const o = /** @type {Record<string, unknown>} */ (value);
    if (typeof o.flowName === 'string' && o.env === env && typeof o.createdAt === 'string') {
      const seen = first.get(o.flowName);
      if (!seen || o.createdAt < seen) first.set(o.flowName, o.createdAt);
    }
    for (const v of Object.values(o)) visit(v);
  };
  for (const line of readFileSync(join(folder, '.flowport', 'ledger.jsonl'), 'utf8').split('\n')) {
    if (line.trim()) visit(JSON.parse(line));
  }
  return [...first.entries()].sort((a, b) => a[1].localeCompare(b[1])).map(([name]) => name);
}

/** @param {Page} page @param {string} name */
async function screenshot(page, name) {
  await page.mouse.move(2, 890); // no hover tooltip in the picture
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shotDir, name) });
}

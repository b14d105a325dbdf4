// Playwright UI test in a real VS Code (code-server, scripts/vscode-host/): the Flowport view's
// rendered tree. It collapses the view, expands a group and a flow by clicking (the flow row sums up
// its environments, a click on it only expands or collapses it), clicks the flow's
// inline Deploy action, picks the preselected "dev" in the "Deploy to" QuickPick and watches the
// dev row go never deployed (circle-outline, "—") → running (spinner) → succeeded (pass, short
// commit · just now), with the task terminal streaming the deploy log. Then, after one more
// commit, Compare in the dev row's context menu lists that commit and opens its patch.
//
//   node --test test/vscode/ui/tree-ui.test.mjs      (or: node scripts/test-vscode.mjs ui)
//
// Needs the built extension and SDK: node sdk/build.mjs --no-types && node scripts/build-extension.mjs
// Screenshots go to test-output/ui/ (on failure also failure.png and code-server.log).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoWorkspace, repoRoot } from '../../../scripts/vscode-host/demo-workspace.mjs';
import { openWorkbench } from '../../../scripts/vscode-host/run-tests.mjs';
import {
  assertBuilt,
  flowportLog,
  freshShotDir,
  hoverUntil,
  keepFailureEvidence,
  terminalText,
  waitUntil,
} from './workbench.mjs';

const shotDir = join(repoRoot, 'test-output', 'ui');
const FLOW = 'send-invoices';
const GROUP = 'src/billing';
// Cold start: workbench ~5 s, tree ~10-20 s on 2 cores. Generous, so a slow machine is not a failure.
const VIEW_TIMEOUT = 60_000;
const DEPLOY_TIMEOUT = 90_000;

/** @param {string} text */
const escapeRe = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test(
  `clicking ${FLOW}'s inline Deploy in the rendered Flows tree deploys it to dev and the row shows it`,
  { timeout: 240_000 },
  async (t) => {
    assertBuilt(
      ['dist/extension.js', 'sdk/dist/host.js'],
      'node sdk/build.mjs --no-types && node scripts/build-extension.mjs',
    );
    freshShotDir(shotDir);
    const started = Date.now();
    const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
    const step = (/** @type {string} */ what) => t.diagnostic(`${elapsed()}: ${what}`);

    const folder = demoWorkspace();
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: folder, encoding: 'utf8' }).trim();
    /** @type {Awaited<ReturnType<typeof openWorkbench>> | undefined} */
    let wb;
    try {
      wb = await openWorkbench({
        folder,
        extensionDevelopmentPath: repoRoot,
        // The demo deploy script pauses this long between its steps (3 pauses): the running state
        // and the live log are on screen for a few seconds instead of a blink.
        env: { DEMO_STEP_MS: '1000' },
        // xterm's DOM renderer (not WebGL/canvas), so the terminal's text can be read from the page.
        userSettings: { 'terminal.integrated.gpuAcceleration': 'off' },
      });
      const { page } = wb;
      step('workbench ready, development extension loaded');
      const shot = async (/** @type {string} */ name) => {
        await page.mouse.move(900, 450); // off the tree: no hover tooltip or hover-only actions in the picture
        await page.screenshot({ path: join(shotDir, name) });
      };

      // ---- The Flowport view (activity-bar container "Flowport", view "Flows") ----
      await page.getByRole('tab', { name: /^Flowport/ }).click({ timeout: VIEW_TIMEOUT });
      const tree = page.getByRole('tree', { name: 'Flows', exact: true });
      const group = tree.getByRole('treeitem', { name: new RegExp(`^${escapeRe(GROUP)} `) });
      await group.waitFor({ timeout: VIEW_TIMEOUT });
      step('Flows tree rendered');

      // Start from a known shape whatever the default expansion: collapse everything, then expand
      // the group and the flow by clicking their twisties.
      await page
        .getByRole('toolbar', { name: 'Flowport: Flows actions' })
        .getByRole('button', { name: 'Collapse All' })
        .click();
      await waitForAttr(group, 'aria-expanded', 'false', 'the group to collapse');
      const flow = tree.getByRole('treeitem', { name: new RegExp(`^${escapeRe(FLOW)} `) });
      assert.equal(await flow.count(), 0, 'flows are hidden while their group is collapsed');
      await expand(group);
      await flow.waitFor({ timeout: 10_000 });
      assert.match(
        await name(flow),
        new RegExp(`^${escapeRe(FLOW)} dev — · uat — · prod —`),
        'flow row sums up its environments',
      );
      await expand(flow);

      const envRow = (/** @type {string} */ env) => tree.getByRole('treeitem', { name: new RegExp(`^${env}\\b`) });
      const dev = envRow('dev');
      await dev.waitFor({ timeout: 10_000 });
      for (const env of ['dev', 'uat', 'prod']) {
        const row = envRow(env);
        assert.equal(await row.count(), 1, `one ${env} row (only ${FLOW} is expanded)`);
        assert.match(await name(row), new RegExp(`^${env} not deployed(, has actions)?$`), `${env}: never deployed`);
        assert.equal(await iconOf(row), 'circle-outline', `${env}: never-deployed icon`);
      }
      step(`${GROUP} and ${FLOW} expanded: dev, uat, prod never deployed`);
      await shot('01-before.png');

      // ---- The flow row's inline Deploy (shown on hover) → QuickPick "Deploy to" ----
      await flow.hover();
      const deployButton = flow.getByRole('button', { name: 'Deploy…', exact: true });
      await deployButton.click({ timeout: 10_000 });
      const picker = page.getByRole('listbox', { name: /Deploy to/ });
      await picker.waitFor({ timeout: 30_000 });
      const options = picker.getByRole('option');
      await options.first().waitFor({ timeout: 10_000 });
      assert.deepEqual(
        await options.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label'))),
        ['dev', 'uat', 'prod, protected'],
        'environments in promotion order, prod marked protected',
      );
      const active = await picker.getAttribute('aria-activedescendant');
      assert.equal(
        active,
        await picker.getByRole('option', { name: 'dev', exact: true }).getAttribute('id'),
        'dev is preselected',
      );
      step('QuickPick "Deploy to" open with dev preselected');
      await shot('02-quickpick.png');
      await page.keyboard.press('Enter');
      await picker.waitFor({ state: 'hidden', timeout: 10_000 });
      const deployedAt = Date.now();

      // ---- Running: the spinner in the tree, the log streaming in the task's terminal ----
      const terminal = page.getByRole('textbox', { name: new RegExp(`deploy ${escapeRe(FLOW)} → dev`, 'i') });
      await terminal.waitFor({ state: 'attached', timeout: 30_000 });
      await waitUntil(async () => /\brunning\b/.test(await name(dev)), 30_000, 'the dev row to show "running"');
      assert.equal(await iconOf(dev), 'sync', 'spinner while running');
      assert.ok(await dev.locator('.codicon-modifier-spin').count(), 'the running icon spins');
      await waitUntil(
        async () => (await terminalText(page)).includes(`Deploying ${FLOW} @ ${head.slice(0, 7)} to dev`),
        30_000,
        'the deploy log in the task terminal',
      );
      step(`running: dev row "${await name(dev)}", log streaming`);
      await shot('03-running.png');

      // ---- Succeeded: pass icon, the short commit · just now ----
      const done = new RegExp(`^dev ${head.slice(0, 7)} · just now\\b`);
      await waitUntil(
        async () => done.test(await name(dev)),
        DEPLOY_TIMEOUT,
        `the dev row to read "dev ${head.slice(0, 7)} · just now"`,
      );
      await waitUntil(async () => (await iconOf(dev)) === 'pass', 10_000, 'the pass icon on the dev row');
      step(`deployed: dev row "${await name(dev)}" ${((Date.now() - deployedAt) / 1000).toFixed(1)} s after Enter`);
      assert.doesNotMatch(await name(dev), /running|failed/);
      assert.equal(await iconOf(envRow('uat')), 'circle-outline', 'uat untouched');
      assert.match(await name(envRow('uat')), /^uat\b.*\bbehind dev\b/, 'uat is behind dev now');
      assert.equal(await iconOf(envRow('prod')), 'circle-outline', 'prod untouched');
      await shot('04-after.png');

      // ---- The dev row's own actions run at once: no ellipsis; its tooltip names the promote ----
      await dev.hover();
      await dev.getByRole('button', { name: 'Deploy HEAD', exact: true }).waitFor({ timeout: 10_000 });
      await dev
        .getByRole('button', { name: 'Promote to the Next Environment', exact: true })
        .waitFor({ timeout: 10_000 });
      assert.equal(await dev.getByRole('button', { name: /…$/ }).count(), 0, 'no inline action promises a question');
      // A hover can be dismissed before it shows (the row is rendered again as its time ticks,
      // or the workbench is busy): leave the row and hover it again until the tooltip is up.
      await hoverUntil(page, dev, 'Promote dev → uat', 45_000, 'the dev row’s tooltip to name the promote');
      await page.screenshot({ path: join(shotDir, '04b-env-actions.png') });
      await page.keyboard.press('Escape');

      // ---- A click on the flow row's label collapses it (it opens no file); collapsed, it sums up ----
      await flow.locator('.label-name').click();
      await waitForAttr(flow, 'aria-expanded', 'false', `${FLOW} to collapse on a click`);
      const summary = new RegExp(`^${escapeRe(FLOW)} dev ✓ · uat — · prod —`);
      await waitUntil(async () => summary.test(await name(flow)), 10_000, 'the collapsed flow row to sum up dev');
      assert.equal(await page.getByRole('tab', { name: /^invoices\.ts\b/ }).count(), 0, 'no editor opened');
      step(`collapsed: "${await name(flow)}"`);
      await shot('04c-collapsed-summary.png');
      await flow.locator('.label-name').click();
      await waitForAttr(flow, 'aria-expanded', 'true', `${FLOW} to expand on a click`);

      // ---- The deployment's details under the dev row ----
      await expand(dev);
      const commitRow = tree.getByRole('treeitem', { name: new RegExp(`^commit ${head}\\b`) });
      await commitRow.waitFor({ timeout: 10_000 });
      await tree.getByRole('treeitem', { name: /^status succeeded\b/ }).waitFor({ timeout: 10_000 });
      step('dev expanded: the deployment details are listed');
      await shot('05-details.png');

      // ---- A broken config replaces the rows with its problem; fixed, they come back as expanded as they were ----
      const configFile = join(folder, 'flowport.config.ts');
      const config = readFileSync(configFile, 'utf8');
      writeFileSync(configFile, config.replace("environments: ['dev', 'uat',", "environments: ['dev', 'u a t',"));
      await tree
        .getByRole('treeitem', { name: /^flowport\.config\.ts:5: environments\[1\]/ })
        .waitFor({ timeout: 30_000 });
      step('broken config: its problem in the tree');
      await shot('05b-config-problem.png');
      writeFileSync(configFile, config);
      await commitRow.waitFor({ timeout: 30_000 });
      assert.equal(await flow.getAttribute('aria-expanded'), 'true', `${FLOW} still expanded`);
      assert.equal(await dev.getAttribute('aria-expanded'), 'true', 'dev still expanded');
      assert.equal(await group.getAttribute('aria-expanded'), 'true', `${GROUP} still expanded`);
      step('config fixed: the rows are back, expanded as before');
      await shot('05c-config-fixed.png');

      // ---- Compare (the dev row's context menu): dev ↔ local HEAD after one more commit ----
      const subject = 'Raise the invoice batch size';
      writeFileSync(join(folder, 'NOTES.md'), 'Invoices go out in batches of 500.\n');
      const gitAs = ['-c', 'user.name=Flowport Test', '-c', 'user.email=test@flowport.invalid'];
      execFileSync('git', [...gitAs, 'add', 'NOTES.md'], { cwd: folder });
      execFileSync('git', [...gitAs, 'commit', '-q', '-m', subject], { cwd: folder });
      // Only dev runs this flow, so the one comparison there is goes straight to its commits.
      const commits = page.getByRole('listbox', { name: /dev ↔ local HEAD: 1 commit\b/ });
      // A tree redrawn as the menu opens (the store changed) closes it: open it again until Compare runs.
      for (let attempt = 1; ; attempt++) {
        await dev.click({ button: 'right' });
        // The workbench's context menu acts on mouse-up after its own mouse-down: pick by keyboard.
        const compareItem = page.getByRole('menuitem', { name: /^Compare/ });
        const picked = await compareItem
          .hover({ timeout: 10_000 })
          .then(() => page.keyboard.press('Enter'))
          .then(() => commits.waitFor({ timeout: 15_000 }))
          .then(
            () => true,
            () => false,
          );
        if (picked) break;
        if (attempt === 3) await commits.waitFor({ timeout: 1 });
        await page.keyboard.press('Escape');
      }
      const commitOption = commits.getByRole('option', { name: new RegExp(`^${escapeRe(subject)}\\b`) });
      await commitOption.waitFor({ timeout: 10_000 });
      step('Compare: the commit made after the deploy is listed');
      await shot('06-compare.png');
      await page.keyboard.press('Enter');
      // Its patch opens read-only in an editor named after the commit (Monaco renders spaces as nbsp).
      const editorText = page.locator('.editor-instance .view-lines').first();
      await waitUntil(
        async () =>
          (await editorText.innerText()).replace(/\u00a0/g, ' ').includes('+Invoices go out in batches of 500.'),
        15_000,
        "the commit's patch in an editor",
      );
      const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: folder, encoding: 'utf8' }).trim();
      await page.getByRole('tab', { name: new RegExp(`^${sha.slice(0, 12)}\\.diff\\b`) }).waitFor({ timeout: 10_000 });
      step("Compare: the picked commit's patch is open");
      await shot('07-compare-patch.png');

      // ---- The task terminal with the whole log ----
      await page.getByRole('button', { name: 'Maximize Panel', exact: true }).click({ timeout: 10_000 });
      await waitUntil(
        async () => {
          const text = await terminalText(page);
          return /\[flowport\] succeeded in /.test(text) && text.includes(`${FLOW} ${head.slice(0, 12)} is now in dev`);
        },
        15_000,
        'the end of the log ("succeeded", "is now in dev") in the task terminal',
      );
      // After a resize the terminal shows its size ("120 x 45") for 500 ms, then fades it out: wait
      // for that, so the picture shows the log only (cosmetic, so a changed class name is no failure).
      await page
        .locator('.terminal-resize-overlay.visible')
        .waitFor({ state: 'detached', timeout: 5_000 })
        .catch(() => {});
      await page.waitForTimeout(300);
      await shot('08-terminal.png');
      step('terminal: the log ends with "succeeded" and "is now in dev"');
    } catch (err) {
      await keepFailureEvidence(wb, shotDir);
      if (wb) {
        writeFileSync(join(shotDir, 'Flowport.log'), flowportLog(wb.server));
        const rows = await wb.page
          .getByRole('treeitem')
          .evaluateAll((els) => els.map((e) => `${e.getAttribute('aria-level')} ${e.getAttribute('aria-label')}`))
          .catch(() => []);
        t.diagnostic(`tree rows (level, accessible name):\n${rows.join('\n')}`);
        t.diagnostic(`failure evidence in ${shotDir}`);
      }
      throw err;
    } finally {
      try {
        await wb?.close();
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
      t.diagnostic(`${elapsed()}: closed; screenshots in ${shotDir}`);
    }
  },
);

/** @typedef {import('playwright-core').Locator} Locator */

/** The row's accessible name: "label description[, has actions]". @param {Locator} row */
async function name(row) {
  return (await row.getAttribute('aria-label', { timeout: 5_000 })) ?? '';
}

/** The codicon of a custom tree row's icon, e.g. "pass" (icons have no accessible role). @param {Locator} row */
async function iconOf(row) {
  const cls = (await row.locator('.custom-view-tree-node-item-icon').getAttribute('class', { timeout: 5_000 })) ?? '';
  return /\bcodicon-(?!modifier-|colored\b)([\w-]+)/.exec(cls)?.[1];
}

/** Expands a collapsed row by clicking its twistie. @param {Locator} row */
async function expand(row) {
  if ((await row.getAttribute('aria-expanded', { timeout: 5_000 })) === 'true') return;
  await row.locator('.monaco-tl-twistie').click();
  await waitForAttr(row, 'aria-expanded', 'true', `${await name(row)} to expand`);
}

/** @param {Locator} row @param {string} attr @param {string} value @param {string} what */
async function waitForAttr(row, attr, value, what) {
  await waitUntil(async () => (await row.getAttribute(attr, { timeout: 5_000 })) === value, 10_000, what);
}

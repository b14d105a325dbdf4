// `npm start -- --check`: proves the main job works as a user would see it — the workbench loads in
// a real browser, the Flowport view opens, and every flow `flowport flows` found is listed in its
// tree. Used by CI on a fresh cache, so a broken set-up step fails there first.
import path from 'node:path';
import { launchChromium } from './run-tests.mjs';

const TIMEOUT = 90_000; // cold start on 2 cores: workbench ~7 s, tree ~10–20 s

/** @param {string} text */
const escapeRe = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * @param {{ url: string, flows: { name: string, grouping: string[] }[], screenshot?: string,
 *   log?: (msg: string) => void }} o
 * @returns {Promise<void>} rejects with what was missing
 */
export async function checkFlowsListed({ url, flows, screenshot, log = (m) => console.log(m) }) {
  const browser = await launchChromium();
  const started = Date.now();
  const at = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url);
    await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: TIMEOUT });
    log(`  workbench loaded (${at()})`);
    await page.getByRole('tab', { name: /^Flowport/ }).click({ timeout: TIMEOUT });
    const tree = page.getByRole('tree', { name: 'Flows', exact: true });
    await tree.getByRole('treeitem').first().waitFor({ timeout: TIMEOUT });
    log(`  Flowport view open, extension loaded (${at()})`);
    for (const group of new Set(flows.map((f) => f.grouping.join('/')).filter(Boolean))) {
      const row = tree.getByRole('treeitem', { name: new RegExp(`^${escapeRe(group)}\\b`) }).first();
      await row.waitFor({ timeout: 30_000 });
      if ((await row.getAttribute('aria-expanded')) === 'false') await row.click();
    }
    for (const flow of flows) {
      await tree
        .getByRole('treeitem', { name: new RegExp(`^${escapeRe(flow.name)}\\b`) })
        .first()
        .waitFor({ timeout: 30_000 })
        .catch(() => {
          throw new Error(`the Flows tree does not list ${flow.name}`);
        });
    }
    log(`  all ${flows.length} flows listed in the Flows tree (${at()})`);
    if (screenshot) {
      await page.mouse.move(900, 450);
      await page.screenshot({ path: path.resolve(screenshot) });
    }
  } finally {
    await browser.close().catch(() => {});
  }
}

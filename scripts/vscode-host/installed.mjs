// The extension as a user runs it: packaged into a VSIX (scripts/package.mjs) and installed into
// code-server's extensions dir, with no smoke-test driver. That driver is what loads a development
// extension from the URL in a built VS Code, but it also keeps every notification out of sight
// (they go straight to the Notification Center), so the main job and the tests of what a user
// sees must not use it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './demo-workspace.mjs';
import { launchChromium } from './run-tests.mjs';
import { startCodeServer } from './server.mjs';

/** Builds the VSIX; its output is shown only when it fails. @returns {string} the .vsix path */
export function packageExtension() {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'package.mjs')], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`packaging the extension failed:\n${r.stdout}${r.stderr}`);
  return path.join(repoRoot, `${pkg.name}-${pkg.version}.vsix`);
}

/** The workbench URL that opens `folder` (no payload: nothing is loaded from the URL). */
export function folderUrl(/** @type {string} */ serverUrl, /** @type {string} */ folder) {
  return `${serverUrl}/?folder=${encodeURIComponent(path.resolve(folder))}`;
}

/**
 * code-server on `folder` with the packaged extension installed.
 * @param {{ folder: string, port?: number, userSettings?: Record<string, unknown>, env?: Record<string, string>,
 *   vsix?: string }} opts  vsix: an already packaged extension (default: package it now)
 */
export async function startInstalledWorkbench({ folder, port, userSettings, env, vsix = packageExtension() }) {
  const server = await startCodeServer({ folder, port, userSettings, env, installExtensions: [vsix] });
  return { server, url: folderUrl(server.url, folder) };
}

/**
 * The installed workbench in Chromium, on screen (for UI tests of what a user sees). Always
 * `close()` it in a `finally`.
 * @param {{ folder: string, userSettings?: Record<string, unknown>, env?: Record<string, string>,
 *   viewport?: { width: number, height: number } }} opts
 */
export async function openInstalledWorkbench({ viewport = { width: 1400, height: 900 }, ...opts }) {
  const { server, url } = await startInstalledWorkbench(opts);
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;
  const close = async () => {
    await browser?.close().catch(() => {});
    await server.stop();
  };
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport });
    await page.goto(url);
    return { page, server, close };
  } catch (err) {
    await close();
    throw err;
  }
}

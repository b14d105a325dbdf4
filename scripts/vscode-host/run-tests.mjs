// Runs a VS Code extension test suite (a module exporting `run()`) inside a real
// VS Code 1.139 (code-server) driven by headless Debian chromium — the offline
// stand-in for @vscode/test-electron. Also exports openWorkbench() for UI tests.
//
// CLI: node scripts/vscode-host/run-tests.mjs --extension <dir> --tests <abs index.js> --folder <ws>
//        [--timeout <ms>] [--screenshots <dir>]
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, parseArgs } from 'node:util';
import { startCodeServer } from './server.mjs';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
// How the workbench prints a console call forwarded from the extension host (remoteConsoleUtil.log):
// console.log(`%c[Extension Host] %c${firstArg}`, 'color: blue', 'color: ', ...otherArgs)
const EXT_HOST_PREFIX = '%c[Extension Host] %c';

/** @returns {import('playwright-core')} */
function loadPlaywright() {
  // createRequire (not import()) so NODE_PATH works as a fallback when the project's
  // devDependency is not installed yet.
  const require = createRequire(import.meta.url);
  try {
    return require('playwright-core');
  } catch {
    throw new Error(
      'playwright-core not found: it is a devDependency of the project (npm install), ' +
        'or point NODE_PATH at a node_modules that has it. Never run `npx playwright install`.',
    );
  }
}

/**
 * Copy extension-host console output (forwarded into the page console) to our stdout/stderr,
 * in order. Returns a function that resolves once everything seen so far is written.
 * @param {import('playwright-core').Page} page
 * @param {(line: string, isError: boolean) => void} write
 */
function forwardExtensionHostConsole(page, write) {
  let queue = Promise.resolve();
  page.on('console', (msg) => {
    const args = msg.args();
    const isError = msg.type() === 'error' || msg.type() === 'warning';
    // Handles must be read asynchronously; chain them so lines keep their order.
    queue = queue.then(async () => {
      const first = await args[0]?.jsonValue().catch(() => undefined);
      if (typeof first !== 'string' || !first.startsWith(EXT_HOST_PREFIX)) return;
      const rest = await Promise.all(args.slice(3).map((a) => a.jsonValue().catch(() => '<unserializable>')));
      write(format(first.slice(EXT_HOST_PREFIX.length), ...rest), isError);
    });
  });
  return () => queue;
}

/** @param {string} line @param {boolean} isError */
const writeStd = (line, isError) => (isError ? process.stderr : process.stdout).write(`${line}\n`);

/**
 * @param {{ authority: string, folder: string, extensionDevelopmentPath: string, extensionTestsPath?: string }} o
 */
export function workbenchUrl({ authority, folder, extensionDevelopmentPath, extensionTestsPath }) {
  const remote = (/** @type {string} */ p) => `vscode-remote://${authority}${path.resolve(p)}`;
  /** @type {[string, string][]} */
  const payload = [['extensionDevelopmentPath', remote(extensionDevelopmentPath)]];
  if (extensionTestsPath) {
    // debugId switches the workbench out of "tests from CLI" mode, in which extension-host console
    // output is merged, unlabelled, into the workbench's own log lines; with it every console call
    // arrives as one "[Extension Host]" page-console message (and nothing waits for a debugger).
    payload.push(['extensionTestsPath', remote(extensionTestsPath)], ['debugId', 'flowport-tests']);
  }
  return (
    // A .code-workspace file opens as a (multi-root) workspace, anything else as a folder.
    `http://${authority}/?${folder.endsWith('.code-workspace') ? 'workspace' : 'folder'}=${encodeURIComponent(path.resolve(folder))}` +
    `&payload=${encodeURIComponent(JSON.stringify(payload))}`
  );
}

/**
 * Debian's chromium, headless, with the flags this offline machine needs (also used by the benchmarks).
 * @param {import('playwright-core').BrowserType} [chromium]
 */
export function launchChromium(chromium = loadPlaywright().chromium) {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * Run an extension test suite; resolves with its exit code (0 pass, non-zero fail).
 * Rejects if the suite does not finish within timeoutMs. Always cleans up.
 * @param {{
 *   extensionDevelopmentPath: string, extensionTestsPath: string, folder: string,
 *   timeoutMs?: number, screenshotDir?: string, env?: Record<string, string>,
 *   userSettings?: Record<string, unknown>, trusted?: boolean,
 *   write?: (line: string, isError: boolean) => void,
 * }} opts  env: extra environment for the extension host (passed through the server).
 *   write: receives each line the suite prints (default: our stdout/stderr).
 * @returns {Promise<number>}
 */
export async function runExtensionTests({
  extensionDevelopmentPath,
  extensionTestsPath,
  folder,
  timeoutMs = 120_000,
  screenshotDir,
  env,
  userSettings,
  trusted = true,
  write = writeStd,
}) {
  const { chromium } = loadPlaywright();
  const started = Date.now();
  const server = await startCodeServer({ folder, smokeTestDriver: true, env, userSettings, trusted });
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  try {
    browser = await launchChromium(chromium);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const flush = forwardExtensionHostConsole(page, write);

    /** @type {(r: { code: number, logs: { relativePath: string, contents: string }[] }) => void} */
    let onExit = () => {};
    /** @type {Promise<{ code: number, logs: { relativePath: string, contents: string }[] }>} */
    const exited = new Promise((resolve) => (onExit = resolve));
    // Must be exposed before the workbench loads: it calls window.codeAutomationExit(code, logs)
    // when the extension host exits after run() settles (smoke-test driver mode).
    await page.exposeFunction(
      'codeAutomationExit',
      /** @param {number} code @param {{ relativePath: string, contents: string }[] | undefined} logs */
      (code, logs) => onExit({ code: Number(code), logs: logs ?? [] }),
    );
    /** @type {Promise<never>} */
    const failed = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`extension tests did not finish within ${timeoutMs} ms`)), timeoutMs);
      page.once('crash', () => reject(new Error('the workbench page crashed')));
    });
    const authority = new URL(server.url).host;
    await page.goto(workbenchUrl({ authority, folder, extensionDevelopmentPath, extensionTestsPath }));

    /** @type {{ code: number, logs: { relativePath: string, contents: string }[] }} */
    let result;
    try {
      result = await Promise.race([exited, failed]);
    } catch (err) {
      await flush();
      if (screenshotDir) await saveFailure(page, screenshotDir, [], server.output());
      throw err;
    }
    await flush();
    if (result.code !== 0 && screenshotDir) await saveFailure(page, screenshotDir, result.logs, server.output());
    console.error(
      `[vscode-host] extension tests exited with ${result.code} after ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return result.code;
  } finally {
    clearTimeout(timer);
    await browser?.close().catch(() => {});
    await server.stop();
  }
}

/**
 * Keep evidence of a failed run: a screenshot, the workbench logs and the server output.
 * @param {import('playwright-core').Page} page @param {string} dir
 * @param {{ relativePath: string, contents: string }[]} logs @param {string} serverOutput
 */
async function saveFailure(page, dir, logs, serverOutput) {
  await mkdir(dir, { recursive: true });
  const shot = path.join(dir, 'extension-tests-failure.png');
  await page.screenshot({ path: shot }).catch(() => {});
  await writeFile(path.join(dir, 'code-server.log'), serverOutput);
  for (const { relativePath, contents } of logs) {
    const file = path.join(dir, 'logs', relativePath);
    if (!file.startsWith(path.join(dir, 'logs') + path.sep)) continue; // never write outside dir
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, contents);
  }
  console.error(`[vscode-host] failure evidence in ${dir}`);
}

/**
 * Start code-server + chromium with `extensionDevelopmentPath` loaded in development mode and the
 * workbench on screen. For Playwright UI tests: click the tree, take screenshots, then close().
 * Extension-host console output is forwarded to stdout/stderr.
 * @param {{ folder: string, extensionDevelopmentPath: string, userSettings?: Record<string, unknown>,
 *   env?: Record<string, string>, viewport?: { width: number, height: number } }} opts
 */
export async function openWorkbench({
  folder,
  extensionDevelopmentPath,
  userSettings,
  env,
  viewport = { width: 1400, height: 900 },
}) {
  const { chromium } = loadPlaywright();
  // The workbench ignores the URL's `payload` (extensionDevelopmentPath) in a built VS Code unless
  // the smoke-test driver is enabled, so it is needed here too.
  const server = await startCodeServer({ folder, env, userSettings, smokeTestDriver: true });
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;
  try {
    browser = await launchChromium(chromium);
    const page = await browser.newPage({ viewport });
    forwardExtensionHostConsole(page, writeStd);
    const authority = new URL(server.url).host;
    await page.goto(workbenchUrl({ authority, folder, extensionDevelopmentPath }));
    await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 });
    // The server logs this when the remote extension host picks up the development extension
    // (~1 s before its activate(); contributed views can appear a few seconds later).
    const loaded = `Loading development extension at ${path.resolve(extensionDevelopmentPath)}`;
    await waitFor(() => server.output().includes(loaded), 60_000, `"${loaded}"`);
    const b = browser;
    return {
      page,
      browser: b,
      server,
      close: async () => {
        await b.close().catch(() => {});
        await server.stop();
      },
    };
  } catch (err) {
    await browser?.close().catch(() => {});
    await server.stop();
    throw err;
  }
}

/** @param {() => boolean} cond @param {number} timeoutMs @param {string} what */
async function waitFor(cond, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- CLI ----
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      extension: { type: 'string' },
      tests: { type: 'string' },
      folder: { type: 'string' },
      timeout: { type: 'string' },
      screenshots: { type: 'string' },
    },
  });
  if (!values.extension || !values.tests || !values.folder) {
    console.error(
      'usage: run-tests.mjs --extension <dir> --tests <abs path to suite index.js> --folder <workspace> [--timeout ms] [--screenshots dir]',
    );
    process.exit(2);
  }
  runExtensionTests({
    extensionDevelopmentPath: path.resolve(values.extension),
    extensionTestsPath: path.resolve(values.tests),
    folder: path.resolve(values.folder),
    timeoutMs: values.timeout ? Number(values.timeout) : undefined,
    screenshotDir: values.screenshots,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}

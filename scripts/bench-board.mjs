#!/usr/bin/env node
// Board benchmark: the real webview bundle (dist/webview/board.{js,css}) in the real page
// (extension/src/board/html.ts, same CSP) in Debian's chromium, with 500 flows × 5 environments
// from scripts/board/make-board-data.mjs (corpus generator + finder, generated ledger + local
// ledger), turned into board state by the host's own code (extension/src/board/snapshot.ts).
// Prints medians of several runs (a fresh page each) against the targets:
//   render   the `state` message dispatched → its first frame painted           ≤ 300 ms
//   filter   a key pressed in the filter box → the filtered grid's frame         ≤ 50 ms
// and, for information, the host's snapshot time and a live update of one cell.
//
//   npm run bench:board -- [--flows 500] [--runs 7] [--check]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { makeBoardData } from './board/make-board-data.mjs';
import { launchChromium } from './vscode-host/run-tests.mjs';

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    flows: { type: 'string', default: '500' },
    runs: { type: 'string', default: '7' },
    check: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const TARGETS = { render: 300, filter: 50 };

for (const script of ['sdk/build.mjs', 'scripts/build-extension.mjs']) {
  const r = spawnSync(process.execPath, [join(root, script), '--no-types', '--minify'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
}
// The host's pure modules, as the extension bundles them.
const hostOut = join(root, 'out', 'bench-board', 'host.mjs');
await build({
  absWorkingDir: root,
  stdin: {
    contents: `export * from './extension/src/board/snapshot.ts'; export * from './extension/src/board/html.ts';`,
    resolveDir: root,
    loader: 'ts',
  },
  outfile: hostOut,
  bundle: true,
  format: 'esm',
  platform: 'node',
  logLevel: 'warning',
});
const host = await import(hostOut);

const dir = mkdtempSync(join(tmpdir(), 'flowport-board-bench-'));
let server;
let browser;
try {
  const data = await makeBoardData({ dir, flows: Number(values.flows) });
  const distance = ({ base, head }) => ({
    behind: (parseInt(head.slice(0, 4), 16) - parseInt(base.slice(0, 4), 16) + 60) % 60 || 1,
    ahead: 0,
  });
  const snapshot = () =>
    host.buildBoardFolder(
      {
        key: 'file:///bench',
        name: 'bench',
        environments: data.environments,
        flows: data.flows,
        deployments: data.deployments,
      },
      distance,
    ).folder;
  const hostTimes = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    snapshot();
    hostTimes.push(performance.now() - t0);
  }
  const state = { folders: [snapshot()] };
  const rows = state.folders[0].groups.reduce((n, g) => n + g.rows.length, 0);
  console.log(
    `data: ${data.flows.length} flows × ${data.environments.length} environments, ${data.deployments.length} deployments, ` +
      `${state.folders[0].groups.length} groups, state ${(JSON.stringify(state).length / 1024).toFixed(0)} KiB`,
  );
  if (rows !== data.flows.length) throw new Error(`board has ${rows} rows for ${data.flows.length} flows`);

  // Served over http like a webview's resources; cspSource is this origin.
  const assets = join(root, 'dist', 'webview');
  server = createServer((req, res) => {
    const origin = `http://${req.headers.host}`;
    if (req.url === '/') {
      res.setHeader('content-type', 'text/html');
      res.end(
        host.boardHtml({
          scriptUri: `${origin}/board.js`,
          styleUri: `${origin}/board.css`,
          cspSource: origin,
          nonce: 'bench0nce',
        }),
      );
      return;
    }
    if (req.url === '/favicon.ico') return void res.writeHead(204).end();
    const name = { '/board.js': 'board.js', '/board.css': 'board.css' }[req.url ?? ''];
    if (!name) return void res.writeHead(404).end();
    res.setHeader('content-type', name.endsWith('.js') ? 'text/javascript' : 'text/css');
    res.end(readFileSync(join(assets, name)));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/`;

  browser = await launchChromium();
  const results = { render: [], renderJs: [], filter: [], update: [] };
  const cspErrors = [];
  for (let run = 0; run < runs; run++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('console', (m) => m.type() === 'error' && cspErrors.push(m.text()));
    await page.addInitScript(() => {
      const sent = [];
      window.__sent = sent;
      window.acquireVsCodeApi = () => ({
        postMessage: (m) => sent.push(m),
        getState: () => undefined,
        setState: () => {},
      });
      // A few of the theme variables VS Code injects (Dark Modern), through the CSSOM.
      const vars = {
        '--vscode-font-family': 'system-ui, sans-serif',
        '--vscode-font-size': '13px',
        '--vscode-foreground': '#cccccc',
        '--vscode-editor-background': '#1f1f1f',
        '--vscode-panel-border': '#2b2b2b',
        '--vscode-descriptionForeground': '#9d9d9d',
        '--vscode-button-background': '#0078d4',
        '--vscode-button-foreground': '#ffffff',
      };
      document.addEventListener('DOMContentLoaded', () => {
        for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
      });
    });
    await page.goto(url);
    await page.waitForFunction(() => window.__sent.some((m) => m.type === 'ready'));

    const render = await page.evaluate(
      (message) =>
        new Promise((resolve) => {
          const t0 = performance.now();
          window.dispatchEvent(new MessageEvent('message', { data: message }));
          const js = performance.now() - t0;
          requestAnimationFrame(() => setTimeout(() => resolve({ js, frame: performance.now() - t0 })));
        }),
      { type: 'state', state },
    );
    results.render.push(render.frame);
    results.renderJs.push(render.js);
    const shown = await page.locator('.row.flow').count();
    if (shown !== rows) throw new Error(`rendered ${shown} rows, expected ${rows}`);

    // Real keystrokes into the filter box; each timed from its keydown to the next frame.
    await page.evaluate(() => {
      window.__keys = [];
      window.addEventListener(
        'keydown',
        () => {
          const t0 = performance.now();
          requestAnimationFrame(() => setTimeout(() => window.__keys.push(performance.now() - t0)));
        },
        true,
      );
    });
    await page.locator('vscode-text-field input').click();
    for (const text of ['name:bill', 'status:failed', 'ingest']) {
      await page.keyboard.type(text, { delay: 30 });
      await page.waitForTimeout(50);
      const summary = await page.locator('.summary').textContent();
      for (let i = 0; i < text.length; i++) await page.keyboard.press('Backspace', { delay: 30 });
      await page.waitForTimeout(50);
      if (run === 0) console.log(`  filter "${text}": ${summary}`);
    }
    results.filter.push(...(await page.evaluate(() => window.__keys)));

    // A live update: one running deploy finished.
    const changed = structuredClone(state);
    const cell = changed.folders[0].groups[0].rows[0].cells[0];
    cell.status = cell.status === 'failed' ? 'succeeded' : 'failed';
    const update = await page.evaluate(
      (message) =>
        new Promise((resolve) => {
          const t0 = performance.now();
          window.dispatchEvent(new MessageEvent('message', { data: message }));
          requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0)));
        }),
      { type: 'state', state: changed },
    );
    results.update.push(update);
    await page.close();
  }

  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];
  const fmt = (ms) => `${ms.toFixed(1)} ms`;
  const line = (what, xs, target) =>
    console.log(
      `${what.padEnd(44)} median ${fmt(median(xs)).padStart(9)}  (min ${fmt(Math.min(...xs))}, p95 ${fmt(p95(xs))}, max ${fmt(Math.max(...xs))}, n=${xs.length})` +
        (target ? `  target ≤ ${target} ms ${median(xs) <= target ? 'OK' : 'MISSED'}` : ''),
    );
  console.log(`\nboard, ${rows} flows × ${data.environments.length} environments, ${runs} runs:`);
  line('render: state message → first frame', results.render, TARGETS.render);
  line('  of which script (build + insert rows)', results.renderJs);
  line('filter: keystroke → filtered frame', results.filter, TARGETS.filter);
  line('live update of one cell → frame', results.update);
  line('host: store → board state (snapshot.ts)', hostTimes);
  if (cspErrors.length) console.log(`\nconsole errors (CSP?):\n${cspErrors.slice(0, 5).join('\n')}`);
  const missed =
    median(results.render) > TARGETS.render || median(results.filter) > TARGETS.filter || cspErrors.length > 0;
  if (values.check && missed) process.exitCode = 1;
} finally {
  await browser?.close();
  server?.close();
  rmSync(dir, { recursive: true, force: true });
}

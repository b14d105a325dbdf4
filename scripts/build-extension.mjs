// Bundles the extension host side (CommonJS, `vscode` external) into dist/extension.js, and the
// board's webview (browser, IIFE, the UI toolkit included) into dist/webview/board.{js,css}.
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const started = Date.now();
await build({
  absWorkingDir: root,
  entryPoints: { extension: 'extension/src/extension.ts' },
  outdir: 'dist',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['vscode'],
  sourcemap: 'linked',
  minify: process.argv.includes('--minify'),
  logLevel: 'warning',
});
await build({
  absWorkingDir: root,
  entryPoints: [
    { in: 'webview/board/main.ts', out: 'board' },
    { in: 'webview/board/board.css', out: 'board' },
  ],
  outdir: 'dist/webview',
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'chrome120',
  sourcemap: 'linked',
  minify: process.argv.includes('--minify'),
  logLevel: 'warning',
});
console.log(`extension built in ${Date.now() - started} ms`);

// Bundles the extension host side (CommonJS, `vscode` external) into dist/extension.js.
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
console.log(`extension built in ${Date.now() - started} ms`);

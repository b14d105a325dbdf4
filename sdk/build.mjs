// Builds the SDK: ESM bundles for the library and the CLI (shared chunks, so `instanceof` on
// errors works across them) plus .d.ts files for users' editors. Heavy dependencies stay external
// and are loaded only when needed (the parser, esbuild, execa).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const here = new URL('.', import.meta.url).pathname;

// Old chunks have hashed names: clear them, but keep the .d.ts files when not rebuilding them.
const withTypes = !process.argv.includes('--no-types');
for (const name of existsSync(`${here}dist`) ? readdirSync(`${here}dist`) : []) {
  if (name !== 'types' || withTypes) rmSync(`${here}dist/${name}`, { recursive: true, force: true });
}
const started = Date.now();
await build({
  absWorkingDir: here,
  entryPoints: { index: 'src/index.ts', cli: 'src/cli/main.ts', host: 'src/host/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: [
    '@typescript-eslint/typescript-estree',
    'typescript',
    'esbuild',
    'execa',
    'v8-compile-cache',
    'vscode-jsonrpc',
  ],
  define: { __FLOWPORT_VERSION__: JSON.stringify(pkg.version) },
  // Bundled CommonJS dependencies call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __flowportCreateRequire } from 'node:module'; const require = __flowportCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
if (withTypes) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: here, stdio: 'inherit' });
  // tsc emits no declarations for hand-written .d.cts files; the emitted parser-module.d.ts needs it.
  copyFileSync(`${here}src/finder/typescript.d.cts`, `${here}dist/types/finder/typescript.d.cts`);
}
console.log(`flowport sdk built in ${Date.now() - started} ms`);

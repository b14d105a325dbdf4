// Builds the SDK: ESM bundles for the library and the CLI (shared chunks, so `instanceof` on
// errors works across them) plus .d.ts files for users' editors. Heavy dependencies stay external
// and are loaded only when needed (the parser, esbuild, execa).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const here = new URL('.', import.meta.url).pathname;

const withTypes = !process.argv.includes('--no-types');
const started = Date.now();
const result = await build({
  absWorkingDir: here,
  entryPoints: {
    index: 'src/index.ts',
    cli: 'src/cli/main.ts',
    host: 'src/host/main.ts',
    runner: 'src/runner/main.ts',
  },
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
    'pg',
  ],
  define: { __FLOWPORT_VERSION__: JSON.stringify(pkg.version) },
  // Bundled CommonJS dependencies call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __flowportCreateRequire } from 'node:module'; const require = __flowportCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
  // Written below, each file atomically: a CLI or SDK host started while this builds (another
  // test run, a window) reads the old files or the new ones, never a missing or half-written one.
  write: false,
});
const dist = join(here, 'dist');
mkdirSync(dist, { recursive: true });
const written = new Set();
for (const file of result.outputFiles) {
  mkdirSync(dirname(file.path), { recursive: true });
  const next = `${file.path}.${process.pid}.tmp`;
  writeFileSync(next, file.contents);
  renameSync(next, file.path);
  written.add(file.path);
}
// Old chunks have hashed names: remove what this build did not write (the .d.ts files stay when
// they are not rebuilt) once it is ten minutes old: a process started before this build still
// imports its own chunks lazily (the parser, the backend) and must find them.
const stale = Date.now() - 10 * 60_000;
for (const name of readdirSync(dist)) {
  const path = join(dist, name);
  if (written.has(path) || (name === 'types' && !withTypes) || name.endsWith('.tmp')) continue;
  if (statSync(path).mtimeMs < stale) rmSync(path, { recursive: true, force: true });
}
if (withTypes) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: here, stdio: 'inherit' });
  // tsc emits no declarations for hand-written .d.cts files; the emitted parser-module.d.ts needs it.
  copyFileSync(`${here}src/finder/typescript.d.cts`, `${here}dist/types/finder/typescript.d.cts`);
}
console.log(`flowport sdk built in ${Date.now() - started} ms`);

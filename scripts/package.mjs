#!/usr/bin/env node
// `npm run package`: builds flowport-vscode-<version>.vsix with @vscode/vsce from esbuild bundles.
// The VSIX holds the extension bundle and a self-contained SDK host bundle (parser, TypeScript,
// execa, JSON-RPC included, minified; the parser is a chunk loaded on first use). esbuild, which
// has a native binary per platform, is not in it: the host takes it from the project's own
// `flowport` package when a flowport.config.ts has to be compiled.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const sdkPkg = JSON.parse(readFileSync(join(root, 'sdk', 'package.json'), 'utf8'));

execFileSync(process.execPath, [join(root, 'scripts', 'build-extension.mjs'), '--minify'], { stdio: 'inherit' });
rmSync(join(root, 'dist', 'host'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { host: 'sdk/src/host/main.ts' },
  outdir: 'dist/host',
  // .mjs: the extension's package.json is not "type": "module", and no Node should have to guess.
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['esbuild'],
  define: { __FLOWPORT_VERSION__: JSON.stringify(sdkPkg.version) },
  // Bundled CommonJS (TypeScript among them) expects require, __filename and __dirname.
  banner: {
    js: [
      "import { createRequire as __fpRequire } from 'node:module';",
      "import { fileURLToPath as __fpPath } from 'node:url';",
      "import { dirname as __fpDirname } from 'node:path';",
      'const require = __fpRequire(import.meta.url);',
      'const __filename = __fpPath(import.meta.url);',
      'const __dirname = __fpDirname(__filename);',
    ].join(' '),
  },
  logLevel: 'warning',
});

const vsix = join(root, `${pkg.name}-${pkg.version}.vsix`);
const vsce = createRequire(import.meta.url).resolve('@vscode/vsce/vsce');
execFileSync(
  process.execPath,
  [
    vsce,
    'package',
    '--no-dependencies',
    '--skip-license',
    '--out',
    vsix,
    '--baseContentUrl',
    'https://example.invalid/flowport/blob/main/',
  ],
  { cwd: root, stdio: 'inherit' },
);
const listing = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8' });
console.log(`\n${vsix}: ${(statSync(vsix).size / 1024).toFixed(0)} KiB, files:\n${listing}`);

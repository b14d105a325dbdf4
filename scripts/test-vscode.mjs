#!/usr/bin/env node
// Runs the extension's integration suites inside a real VS Code (code-server, see
// scripts/vscode-host/): the main suite on a fresh git copy of examples/demo, and the Restricted
// Mode suite on an untrusted copy. First run installs code-server and Node 24 into ~/.cache/flowport.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { runExtensionTests } from './vscode-host/run-tests.mjs';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, 'out', 'vscode-tests');
const only = process.argv[2]; // 'suite' or 'restricted'

await build({
  absWorkingDir: root,
  entryPoints: { suite: 'test/vscode/suite/index.ts', restricted: 'test/vscode/restricted/index.ts' },
  outdir: outDir,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['vscode', 'mocha'],
  sourcemap: 'inline',
  logLevel: 'warning',
});

/** A clean copy of the demo as its own git repository, with `flowport` resolving to this SDK. */
function demoWorkspace(extraFiles = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'flowport-ws-'));
  cpSync(join(root, 'examples', 'demo'), dir, {
    recursive: true,
    filter: (src) => !src.includes('/.flowport') && !src.includes('/node_modules'),
  });
  for (const [rel, text] of Object.entries(extraFiles)) writeFileSync(join(dir, rel), text);
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(join(root, 'sdk'), join(dir, 'node_modules', 'flowport'), 'dir');
  writeFileSync(join(dir, '.gitignore'), 'node_modules/\n');
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.name=Flowport Test', '-c', 'user.email=test@flowport.invalid', 'commit', '-qm', 'demo');
  return dir;
}

const runs = [
  { name: 'suite', folder: () => demoWorkspace(), trusted: true },
  {
    name: 'restricted',
    // The config leaves a marker when it is evaluated: Restricted Mode must never evaluate it.
    folder: () =>
      demoWorkspace({
        'flowport.config.ts': `import { writeFileSync } from 'node:fs';\nwriteFileSync(new URL('./config-was-loaded', import.meta.url), 'yes');\nexport default { environments: ['dev'] };\n`,
      }),
    trusted: false,
  },
].filter((r) => !only || r.name === only);

let failed = 0;
for (const run of runs) {
  const folder = run.folder();
  console.log(`\n== VS Code suite "${run.name}" on ${folder}${run.trusted ? '' : ' (untrusted)'}`);
  try {
    const code = await runExtensionTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: join(outDir, `${run.name}.js`),
      folder,
      trusted: run.trusted,
      timeoutMs: 240_000,
      screenshotDir: join(root, 'test-output', run.name),
    });
    if (code !== 0) failed++;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
console.log(failed ? `\nVS Code suites: ${failed} failed` : '\nVS Code suites: all passed');
process.exit(failed ? 1 : 0);

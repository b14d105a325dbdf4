// A throwaway copy of examples/demo for tests that run in a real VS Code: its own git repository
// (one commit, clean), with `flowport` resolving to this repository's SDK (sdk/, built).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is scripts/vscode-host/demo-workspace.mjs). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A clean copy of the demo as its own git repository, with `flowport` resolving to this SDK.
 * `extraFiles` (relative path → text) are written over the copy before the commit.
 * The caller removes the folder (rmSync(dir, { recursive: true, force: true })).
 * @param {Record<string, string>} [extraFiles]
 * @returns {string} the folder
 */
export function demoWorkspace(extraFiles = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'flowport-ws-'));
  cpSync(join(repoRoot, 'examples', 'demo'), dir, {
    recursive: true,
    filter: (src) => !src.includes('/.flowport') && !src.includes('/node_modules'),
  });
  for (const [rel, text] of Object.entries(extraFiles)) writeFileSync(join(dir, rel), text);
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(join(repoRoot, 'sdk'), join(dir, 'node_modules', 'flowport'), 'dir');
  writeFileSync(join(dir, '.gitignore'), 'node_modules/\n');
  const git = (/** @type {string[]} */ ...args) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.name=Flowport Test', '-c', 'user.email=test@flowport.invalid', 'commit', '-qm', 'demo');
  return dir;
}

/** For the Restricted Mode suite: a config that leaves a marker file if it is ever evaluated. */
export const CONFIG_THAT_LEAVES_A_MARKER = {
  'flowport.config.ts': `import { writeFileSync } from 'node:fs';\nwriteFileSync(new URL('./config-was-loaded', import.meta.url), 'yes');\nexport default { environments: ['dev'] };\n`,
};

/**
 * A multi-root workspace of two demo copies ("shop" and "warehouse"), each its own git repository.
 * Returns the .code-workspace file; removing its folder removes everything.
 * @returns {string}
 */
export function multiRootWorkspace() {
  const dir = mkdtempSync(join(tmpdir(), 'flowport-multi-'));
  renameSync(demoWorkspace(), join(dir, 'shop'));
  renameSync(demoWorkspace(), join(dir, 'warehouse'));
  const file = join(dir, 'demo.code-workspace');
  writeFileSync(file, JSON.stringify({ folders: [{ path: 'shop' }, { path: 'warehouse' }] }, null, 2));
  return file;
}

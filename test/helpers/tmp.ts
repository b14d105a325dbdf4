/** Real files in real temp folders: every test gets its own, removed afterwards. */
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';

/** A fresh temp folder, deleted when the test file finishes. */
export function tempDir(prefix = 'flowport-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `files` (relative path → content) under `root`, creating folders. */
export function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
}

const repoRoot = new URL('../..', import.meta.url).pathname;

/** Makes `import … from 'flowport'` resolve to this repo's SDK inside a temp project. */
export function linkSdk(root: string): void {
  mkdirSync(join(root, 'node_modules'), { recursive: true });
  symlinkSync(join(repoRoot, 'sdk'), join(root, 'node_modules', 'flowport'), 'dir');
}

/** The built CLI entry (npm test builds it first). */
export const cliPath = join(repoRoot, 'sdk', 'bin', 'flowport.js');

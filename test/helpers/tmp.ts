/** Real files in real temp folders: every test gets its own, removed afterwards. */
import { mkdtempSync, mkdirSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
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

/**
 * Moves the mtime of every file and folder under `root` back, as for a tree written a while ago.
 * The scan cache re-checks anything modified within 2 s of being read (a later change could share
 * its timestamp), so a test of cache hits starts from a tree that is not that fresh.
 */
export function backdate(root: string, seconds = 60): void {
  const when = new Date(Date.now() - seconds * 1000);
  for (const e of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, e.name);
    if (e.isDirectory()) backdate(path, seconds);
    else utimesSync(path, when, when);
  }
  utimesSync(root, when, when);
}

const repoRoot = new URL('../..', import.meta.url).pathname;

/** Makes `import … from 'flowport'` resolve to this repo's SDK inside a temp project. */
export function linkSdk(root: string): void {
  mkdirSync(join(root, 'node_modules'), { recursive: true });
  symlinkSync(join(repoRoot, 'sdk'), join(root, 'node_modules', 'flowport'), 'dir');
}

/** The built CLI entry (npm test builds it first). */
export const cliPath = join(repoRoot, 'sdk', 'bin', 'flowport.js');

/** Real files in real temp folders: every test gets its own, removed afterwards. */
import { spawnSync, type ChildProcess } from 'node:child_process';
import {
  mkdtempSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';

const cleanups: Array<() => unknown> = [];

/**
 * Runs `fn` when the current test ends. Cleanups run newest first, so a process a test started in
 * a folder is stopped (and has exited) before that folder is removed: a process still running
 * then would write its state into a folder nobody removes again. (node:test runs `after` hooks
 * in the order they were added, and the tests of one file one at a time.)
 */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
  after(async () => {
    let failure: unknown;
    for (let next = cleanups.pop(); next; next = cleanups.pop()) {
      try {
        await next();
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
  });
}

/** A fresh temp folder, deleted when the test ends (after the processes started in it have exited). */
export function tempDir(prefix = 'flowport-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(async () => {
    await runnersGone(dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  });
  return dir;
}

/**
 * Waits (up to 15 s) for the deploy runners that hold leases in `dir`'s state folder to exit: a
 * runner is detached, so no test stops it, and one still recording its outcome as the folder is
 * removed writes into it (ENOTEMPTY, or a folder left behind).
 */
async function runnersGone(dir: string): Promise<void> {
  const leases = join(dir, '.flowport', 'leases');
  const pids: number[] = [];
  try {
    for (const name of readdirSync(leases)) {
      try {
        const lease = JSON.parse(readFileSync(join(leases, name), 'utf8')) as { holder?: { pid?: unknown } };
        if (typeof lease.holder?.pid === 'number') pids.push(lease.holder.pid);
      } catch {
        // a lease being replaced, or not one: nothing to wait for
      }
    }
  } catch {
    return; // no runner ever ran here
  }
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const end = Date.now() + 15_000;
  while (pids.some(alive) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

/**
 * Stops `child` when the test ends, unless it has exited by then, and waits for it to exit. A
 * process that ignores SIGTERM gets SIGKILL after `graceMs`.
 */
export function stopAtEnd(child: ChildProcess, graceMs = 10_000): void {
  onCleanup(() => exited(child, graceMs));
}

/** Resolves once `child` has exited, stopping it first if it still runs. */
export async function exited(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return; // never started, or ended
  const gone = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
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

/**
 * A small tmpfs mounted on a new temp folder (`size=16k`, say), unmounted and removed when the
 * test ends; undefined where mounting is not allowed (it needs root), for the test to skip.
 */
export function smallTmpfs(options: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'flowport-state-'));
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  onCleanup(() => {
    spawnSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

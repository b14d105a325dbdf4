/**
 * The persisted scan cache: per file, its size and mtime when last scanned and what the scan
 * found. A file whose size and mtime are unchanged is never read again. The whole cache is
 * discarded when its key (finder options, SDK version) differs, so a changed config or marker
 * list can never be answered from old results.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FileScan } from './extract.js';

const FORMAT = 1;

/** `0` marks a file that the text prefilter rejected: it holds no flow and no problem. */
export type CachedScan = FileScan | 0;

export interface CacheEntry {
  size: number;
  mtimeMs: number;
  scan: CachedScan;
}

interface CacheFileV1 {
  format: typeof FORMAT;
  key: string;
  /** rel → [size, mtimeMs, scan]; tuples keep a 50,000-file cache small and quick to parse. */
  files: Record<string, [number, number, CachedScan]>;
}

/** Where a project's state lives; `.flowport/` ignores itself so it never shows in `git status`. */
export function stateDir(root: string): string {
  return join(root, '.flowport');
}

export function ensureStateDir(root: string): string {
  const dir = stateDir(root);
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(join(dir, '.gitignore'), '# Flowport local state: not for version control\n*\n', { flag: 'wx' });
  } catch {
    // already there
  }
  return dir;
}

export function defaultCachePath(root: string): string {
  return join(stateDir(root), 'cache', 'flows.json');
}

export function readScanCache(path: string, key: string): Map<string, CacheEntry> {
  const entries = new Map<string, CacheEntry>();
  let parsed: CacheFileV1;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as CacheFileV1;
  } catch {
    return entries; // missing or corrupt: a cold scan rebuilds it
  }
  if (parsed.format !== FORMAT || parsed.key !== key || typeof parsed.files !== 'object') return entries;
  for (const rel in parsed.files) {
    const [size, mtimeMs, scan] = parsed.files[rel]!;
    entries.set(rel, { size, mtimeMs, scan });
  }
  return entries;
}

/** Writes via a temp file and rename, so a reader never sees half a cache. Best effort. */
export function writeScanCache(path: string, key: string, entries: Map<string, CacheEntry>, root: string): void {
  const files: CacheFileV1['files'] = {};
  for (const [rel, e] of entries) files[rel] = [e.size, e.mtimeMs, e.scan];
  const body: CacheFileV1 = { format: FORMAT, key, files };
  try {
    ensureStateDir(root);
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(body));
    renameSync(tmp, path);
  } catch {
    // A read-only checkout still gets correct results, only slower next time.
  }
}

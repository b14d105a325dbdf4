/**
 * The persisted scan cache: per file, its size and mtime when last scanned and what the scan
 * found; per folder, its mtime when last listed; and the rules files those listings were made
 * under. A file whose size and mtime are unchanged is never read again, and a folder whose mtime
 * is unchanged is not listed again. The whole cache is discarded when its key (finder options,
 * SDK version) differs, so a changed config or marker list can never be answered from old results.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, privateDirsSync, tightenStateDirSync } from '../secrets.js';
import type { FileScan } from './extract.js';
import type { FolderListing, RulesStamps } from './files.js';

const FORMAT = 2;

/** `0` marks a file that the text prefilter rejected: it holds no flow and no problem. */
export type CachedScan = FileScan | 0;

export interface CacheEntry {
  size: number;
  mtimeMs: number;
  scan: CachedScan;
  /**
   * Hash of the text of a file that was parsed (few are: most fail the text prefilter), so that
   * one touched, or checked again for a racy mtime, with its text unchanged is not parsed again.
   */
  digest?: string;
}

/** What one scan leaves for the next. */
export interface ScanState {
  entries: Map<string, CacheEntry>;
  /** Folder listings, or undefined when the next walk must list every folder. */
  listings: Map<string, FolderListing> | undefined;
  rules: RulesStamps;
}

/**
 * The file as written: flat arrays, which parse about three times faster than a 50,000-key object.
 * One record per folder that has a listing or cached files; its subfolders are the records below it.
 */
interface CacheFileV2 {
  format: typeof FORMAT;
  key: string;
  /** Rules file → [size, mtimeMs], -1 when absent. */
  rules: Record<string, [number, number]>;
  folders: FolderRecord[];
}

/**
 * [folder, mtimeMs or null when it has no listing, has a .gitignore (1) or not (0), files, and
 * when it holds any, the names of its symbolic links], where files is flat: name, size, mtimeMs,
 * then 0 when the text could hold no flow or [digest, scan] when it was parsed, then the next file.
 */
type FolderRecord =
  | [string, number | null, 0 | 1, Array<string | number | [string, CachedScan]>]
  | [string, number | null, 0 | 1, Array<string | number | [string, CachedScan]>, string[]];

/** Where a project's state lives; `.flowport/` ignores itself so it never shows in `git status`. */
export function stateDir(root: string): string {
  return join(root, '.flowport');
}

export function ensureStateDir(root: string): string {
  return prepareStateDir(stateDir(root));
}

/** The folders of a state folder whose files (logs, leases, caches, compiled configs) an older Flowport made 0644. */
const STATE_SUBFOLDERS = ['logs', 'leases', 'cache', 'config'];

/**
 * Makes a state folder (0700, no link) that ignores itself in git; `dir` may be a config's own.
 * One an older Flowport left open (0755, files 0644) is made private first, files and all.
 */
export function prepareStateDir(dir: string): string {
  tightenStateDirSync(dir, STATE_SUBFOLDERS);
  privateDirsSync(dir); // 0700: the ledger and logs in it are the owner's only
  try {
    writeFileSync(join(dir, '.gitignore'), '# Flowport local state: not for version control\n*\n', {
      flag: 'wx',
      mode: PRIVATE_FILE_MODE,
    });
  } catch {
    // already there
  }
  return dir;
}

export function defaultCachePath(root: string): string {
  return join(stateDir(root), 'cache', 'flows.json');
}

/** The saved state, or undefined when there is none usable (missing, corrupt, other key). */
export function readScanCache(path: string, key: string): ScanState | undefined {
  let parsed: CacheFileV2;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as CacheFileV2;
  } catch {
    return undefined; // missing or corrupt: a cold scan rebuilds it
  }
  if (parsed.format !== FORMAT || parsed.key !== key || !Array.isArray(parsed.folders)) return undefined;
  if (typeof parsed.rules !== 'object') return undefined;

  const entries = new Map<string, CacheEntry>();
  const listings = new Map<string, FolderListing>();
  for (const [rel, mtimeMs, hasGitignore, flat, links] of parsed.folders) {
    const base = rel ? `${rel}/` : '';
    const names: string[] = [];
    // A file reached through a link is the walk's to resolve again, not a listed file.
    const linked = new Set(links);
    for (let i = 0; i < flat.length; i += 4) {
      const name = flat[i] as string;
      const parsedScan = flat[i + 3] as 0 | [string, CachedScan];
      const entry: CacheEntry = { size: flat[i + 1] as number, mtimeMs: flat[i + 2] as number, scan: 0 };
      if (parsedScan !== 0) [entry.digest, entry.scan] = parsedScan;
      entries.set(base + name, entry);
      if (!linked.has(name)) names.push(name);
    }
    if (mtimeMs !== null) {
      const listing: FolderListing = { mtimeMs, hasGitignore: hasGitignore === 1, files: names, folders: [] };
      if (links?.length) listing.links = links;
      listings.set(rel, listing);
    }
  }
  for (const rel of listings.keys()) {
    if (rel === '') continue;
    const [parent, name] = splitParent(rel);
    const listing = listings.get(parent);
    if (listing && !listing.links?.includes(name)) listing.folders.push(name);
  }
  return { entries, listings, rules: new Map(Object.entries(parsed.rules)) };
}

/** Writes via a temp file and rename, so a reader never sees half a cache. Best effort. */
export function writeScanCache(path: string, key: string, state: ScanState, root: string): void {
  const records = new Map<string, FolderRecord>();
  for (const [rel, l] of state.listings ?? []) {
    records.set(
      rel,
      l.links?.length
        ? [rel, l.mtimeMs, l.hasGitignore ? 1 : 0, [], l.links]
        : [rel, l.mtimeMs, l.hasGitignore ? 1 : 0, []],
    );
  }
  for (const [rel, e] of state.entries) {
    const [parent, name] = splitParent(rel);
    let record = records.get(parent);
    if (!record) records.set(parent, (record = [parent, null, 0, []]));
    record[3].push(name, e.size, e.mtimeMs, e.digest === undefined ? 0 : [e.digest, e.scan]);
  }
  const body: CacheFileV2 = {
    format: FORMAT,
    key,
    rules: Object.fromEntries(state.rules),
    folders: [...records.values()],
  };
  try {
    ensureStateDir(root); // also tightens .flowport/cache when an older Flowport made it 0755
    mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(body), { mode: PRIVATE_FILE_MODE });
    renameSync(tmp, path);
  } catch {
    // A read-only checkout still gets correct results, only slower next time.
  }
}

function splitParent(rel: string): [string, string] {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? ['', rel] : [rel.slice(0, slash), rel.slice(slash + 1)];
}

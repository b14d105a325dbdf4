/**
 * The default {@link FlowFinder}: flows declared in TypeScript/JavaScript source.
 *
 * Pipeline per run: list files (gitignore-aware) → for each, reuse the cached scan when size and
 * mtime are unchanged → otherwise read it, drop it cheaply when the text cannot hold a marker →
 * parse the rest with typescript-estree → assemble ids, groupings and project-wide diagnostics.
 */
import { readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { extname, isAbsolute, join, relative, sep } from 'node:path';
import type { Diagnostic, FlowDetails, FlowFinder, FlowQuery } from '../model.js';
import { SDK_VERSION } from '../version.js';
import type { FileScan } from './extract.js';
import { IgnoreRules, listSourceFiles, PathFilter, type FileSelection } from './files.js';
import { DEFINE_FLOW, mayContainFlow, type CallMarker } from './markers.js';
import { loadParser, scanSource } from './parse.js';
import { defaultCachePath, readScanCache, writeScanCache, type CacheEntry, type CachedScan } from './scan-cache.js';

export interface TypeScriptFlowsOptions extends FileSelection {
  /** Project root; every path is reported relative to it. */
  root: string;
  /** Calls that count as flows besides `defineFlow` from `flowport`. */
  markers?: CallMarker[];
  /** Persisted scan cache: on by default at `.flowport/cache/flows.json`; `false` neither reads nor writes it. */
  cache?: boolean | { path: string };
}

/** Counts from the last scan, for benchmarks and the log. */
export interface ScanStats {
  files: number;
  cacheHits: number;
  read: number;
  parsed: number;
  ms: number;
}

/** What an incremental update changed. */
export interface IndexUpdate {
  flows: FlowDetails[];
  /** Files whose flows were re-read. */
  rescanned: string[];
}

/** Creates the default finder. The returned index also supports incremental updates. */
export function typescriptFlows(options: TypeScriptFlowsOptions): FlowIndex {
  return new FlowIndex(options);
}

export class FlowIndex implements FlowFinder {
  readonly root: string;
  private readonly markers: CallMarker[];
  private readonly filter: PathFilter;
  private readonly rules: IgnoreRules;
  private readonly cachePath: string | undefined;
  private readonly cacheKey: string;
  private entries = new Map<string, CacheEntry>();
  private scanned = false;
  private writeTimer: NodeJS.Timeout | undefined;
  private flowsCache: FlowDetails[] = [];
  private diagnosticsCache: Diagnostic[] = [];
  lastScan: ScanStats = { files: 0, cacheHits: 0, read: 0, parsed: 0, ms: 0 };

  constructor(private readonly options: TypeScriptFlowsOptions) {
    this.root = options.root;
    this.markers = [DEFINE_FLOW, ...(options.markers ?? [])];
    this.filter = new PathFilter(options);
    this.rules = new IgnoreRules(this.root);
    const cache = options.cache ?? true;
    this.cachePath = cache === false ? undefined : cache === true ? defaultCachePath(this.root) : cache.path;
    this.cacheKey = hashKey({
      v: SDK_VERSION,
      markers: this.markers,
      include: options.include,
      exclude: options.exclude,
    });
  }

  /** Loads the parser now, so the first incremental update of a long-lived index is fast too. */
  warmUp(): Promise<void> {
    return loadParser();
  }

  /** Problems from the last scan: syntax errors, non-literal names, duplicate names. */
  get diagnostics(): Diagnostic[] {
    return this.diagnosticsCache;
  }

  async findFlows(query: FlowQuery = {}): Promise<FlowDetails[]> {
    query.signal?.throwIfAborted();
    const subset = Boolean(query.flows?.length || query.groups?.length);
    if (subset && this.scanned) {
      // Refetch: only the files that hold the asked-for flows are checked again.
      const files = new Set(this.flowsCache.filter((f) => matches(f, query)).map((f) => f.sourceRelative));
      await this.update([...files].map((rel) => join(this.root, rel)));
    } else {
      await this.scanAll();
    }
    return subset ? this.flowsCache.filter((f) => matches(f, query)) : this.flowsCache;
  }

  /** Full scan, reusing unchanged files' results from memory or the persisted cache. */
  async scanAll(): Promise<FlowDetails[]> {
    const started = performance.now();
    if (!this.scanned && this.cachePath) this.entries = readScanCache(this.cachePath, this.cacheKey);
    const listed = listSourceFiles(this.root, this.filter, this.rules);
    const next = new Map<string, CacheEntry>();
    const stats: ScanStats = { files: listed.length, cacheHits: 0, read: 0, parsed: 0, ms: 0 };
    let changed = listed.length !== this.entries.size;
    for (const file of listed) {
      const old = this.entries.get(file.rel);
      if (old && old.size === file.size && old.mtimeMs === file.mtimeMs) {
        stats.cacheHits++;
        next.set(file.rel, old);
        continue;
      }
      changed = true;
      const entry: CacheEntry = { size: file.size, mtimeMs: file.mtimeMs, scan: 0 };
      next.set(file.rel, entry);
      const text = this.readCandidate(file.rel, stats);
      if (text === undefined) continue;
      await loadParser();
      entry.scan = meaningful(scanSource(text, extname(file.rel), this.markers));
    }
    this.entries = next;
    this.scanned = true;
    if (changed && this.cachePath) writeScanCache(this.cachePath, this.cacheKey, this.entries, this.root);
    this.assemble();
    stats.ms = performance.now() - started;
    this.lastScan = stats;
    return this.flowsCache;
  }

  /**
   * Incremental update for changed, added or deleted paths (absolute or root-relative), as a
   * file watcher reports them. A changed `.gitignore` triggers a full (cached) rescan.
   */
  async update(paths: string[]): Promise<IndexUpdate> {
    if (!this.scanned) {
      await this.scanAll();
      return { flows: this.flowsCache, rescanned: [] };
    }
    const rels = paths.map((p) => (isAbsolute(p) ? relative(this.root, p) : p).split(sep).join('/'));
    if (rels.some((r) => r === '.gitignore' || r.endsWith('/.gitignore') || r === '.git/info/exclude')) {
      this.rules.forget();
      await this.scanAll();
      return { flows: this.flowsCache, rescanned: rels };
    }
    const stats: ScanStats = { files: this.entries.size, cacheHits: 0, read: 0, parsed: 0, ms: 0 };
    const rescanned: string[] = [];
    for (const rel of rels) {
      if (rel.startsWith('..')) continue;
      const st = statSync(join(this.root, rel), { throwIfNoEntry: false });
      const considered = st?.isFile() && this.filter.considers(rel) && !this.rules.ignores(rel, false);
      if (!considered || !st) {
        if (this.entries.delete(rel)) rescanned.push(rel);
        continue;
      }
      const old = this.entries.get(rel);
      if (old && old.size === st.size && old.mtimeMs === st.mtimeMs) continue;
      const text = this.readCandidate(rel, stats);
      if (text !== undefined) await loadParser();
      const scan = text === undefined ? 0 : meaningful(scanSource(text, extname(rel), this.markers));
      this.entries.set(rel, { size: st.size, mtimeMs: st.mtimeMs, scan });
      rescanned.push(rel);
    }
    if (rescanned.length > 0) {
      this.scheduleCacheWrite();
      this.assemble();
    }
    return { flows: this.flowsCache, rescanned };
  }

  /**
   * Saves after a quiet second rather than per update: an editor saving file after file should
   * not rewrite a 50,000-entry cache each time. {@link flush} writes at once (on shutdown).
   */
  private scheduleCacheWrite(): void {
    if (!this.cachePath || this.writeTimer) return;
    this.writeTimer = setTimeout(() => this.flush(), 1000);
    this.writeTimer.unref();
  }

  /** Writes a pending cache update now. */
  flush(): void {
    clearTimeout(this.writeTimer);
    this.writeTimer = undefined;
    if (this.cachePath) writeScanCache(this.cachePath, this.cacheKey, this.entries, this.root);
  }

  /** Reads a changed file; undefined when it is gone or cannot hold a flow (no parse needed). */
  private readCandidate(rel: string, stats: ScanStats): string | undefined {
    let text: string;
    try {
      text = readFileSync(join(this.root, rel), 'utf8');
    } catch {
      return undefined;
    }
    stats.read++;
    if (!mayContainFlow(text, this.markers)) return undefined;
    stats.parsed++;
    return text;
  }

  /** Builds FlowDetails and project-wide diagnostics from the per-file scans, in path order. */
  private assemble(): void {
    const flows: FlowDetails[] = [];
    const diagnostics: Diagnostic[] = [];
    // Only files with flows or problems matter; sorting just those keeps an update of one file in
    // a 50,000-file index cheap.
    const withFindings: Array<[string, FileScan]> = [];
    for (const [rel, entry] of this.entries) if (entry.scan !== 0) withFindings.push([rel, entry.scan]);
    withFindings.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [rel, scan] of withFindings) {
      const sourcePath = join(this.root, rel);
      for (const p of scan.problems) diagnostics.push({ file: sourcePath, ...p });
      for (const f of scan.flows) flows.push(toDetails(f, rel, sourcePath));
    }
    const byName = new Map<string, FlowDetails[]>();
    for (const f of flows) byName.set(f.name, [...(byName.get(f.name) ?? []), f]);
    for (const [name, same] of byName) {
      if (same.length < 2) continue;
      for (const f of same) {
        const others = same.filter((o) => o !== f).map((o) => `${o.sourceRelative}:${o.line}`);
        diagnostics.push({
          file: f.sourcePath,
          line: f.line,
          severity: 'warning',
          message: `duplicate flow name "${name}" (also at ${others.join(', ')}): rename one so deployments stay apart`,
        });
      }
    }
    this.flowsCache = flows;
    this.diagnosticsCache = diagnostics;
  }
}

/** Files without flows or problems are cached as `0`, which keeps the cache small. */
function meaningful(scan: FileScan): CachedScan {
  return scan.flows.length || scan.problems.length ? scan : 0;
}

function toDetails(f: FileScan['flows'][number], rel: string, sourcePath: string): FlowDetails {
  const grouping = rel.split('/').slice(0, -1);
  return {
    id: `${rel}#${f.name}`,
    name: f.name,
    description: f.description,
    sourcePath,
    sourceRelative: rel,
    line: f.line,
    grouping,
    attributes: f.attributes,
  };
}

function matches(f: FlowDetails, q: FlowQuery): boolean {
  if (q.flows?.includes(f.name)) return true;
  const group = Array.isArray(f.attributes.group) ? f.attributes.group : [];
  return Boolean(q.groups?.some((g) => f.grouping.includes(g) || group.includes(g)));
}

function hashKey(value: unknown): string {
  return createHash('sha1').update(JSON.stringify(value)).digest('hex');
}

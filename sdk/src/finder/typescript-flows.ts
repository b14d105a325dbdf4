/**
 * The default {@link FlowFinder}: flows declared in TypeScript/JavaScript source.
 *
 * Pipeline per run: walk the tree (gitignore-aware; a folder whose mtime is unchanged is not listed
 * again) → for each file, reuse the cached scan when size and mtime are unchanged → otherwise read
 * it, drop it cheaply when the text cannot hold a marker, reuse the scan when the text is the same
 * → parse the rest with typescript-estree → assemble ids, groupings and project-wide diagnostics.
 */
import { createHash } from 'node:crypto';
import { extname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { groupsOf, type Diagnostic, type FlowDetails, type FlowFinder, type FlowQuery } from '../model.js';
import { SDK_VERSION } from '../version.js';
import { checkFactoryOptions, unbound } from '../config/bind.js';
import { UsageError } from '../errors.js';
import { EXTRACT_VERSION, type FileScan } from './extract.js';
import {
  IgnoreRules,
  lstatIfAny,
  PathFilter,
  statIfAny,
  trustedMtime,
  walkSourceFiles,
  type FileSelection,
  type FolderListing,
  type FollowedLink,
  type SkippedLink,
} from './files.js';
import {
  DEFINE_FLOW,
  calleePath,
  markerProblem,
  presetSwitchesProblem,
  mayContainFlow,
  type CallMarker,
  type FinderMarker,
  type PresetSwitches,
} from './markers.js';
import { PresetScope, type PresetStatus } from './presets.js';
import { flowNameProblem } from './names.js';
import { spellsCall } from './hits.js';
import { loadParser, PARSE_VERSION, scanSource } from './parse.js';
import { readSourceText } from './source-text.js';
import { isWorkflowsModulePath, temporalFlows, type WorkerRef, type WorkflowCandidates } from './temporal.js';
import {
  defaultCachePath,
  readScanCache,
  writeScanCache,
  type CacheEntry,
  type CachedScan,
  type ScanState,
} from './scan-cache.js';

export interface TypeScriptFlowsOptions extends FileSelection {
  /** Project root; every path is reported relative to it. */
  root: string;
  /** Calls that count as flows besides `defineFlow` from `flowport` and the presets'. */
  markers?: CallMarker[];
  /**
   * Presets switched on (everywhere) or off (`{ 'trigger.dev': false }`); a preset not named here
   * is on for the files whose nearest `package.json` depends on its framework.
   */
  presets?: PresetSwitches;
  /** Persisted scan cache: on by default at `.flowport/cache/flows.json`; `false` neither reads nor writes it. */
  cache?: boolean | { path: string };
}

/** What a module path without extension may stand for, in the order tried. */
const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

/** Counts from the last scan, for benchmarks and the log. */
export interface ScanStats {
  files: number;
  cacheHits: number;
  /** Folders listed with readdir; the others were unchanged since the last scan. */
  foldersListed: number;
  read: number;
  parsed: number;
  ms: number;
}

interface FileFindings {
  flows: FlowDetails[];
  diagnostics: Diagnostic[];
  /** Per diagnostic, the presets one of which must be on for it to count (undefined: it always does). */
  diagnosticFrameworks: Array<string[] | undefined>;
  /** Whether any finding belongs to a preset. */
  frameworks: boolean;
}

/** What an incremental update changed. */
export interface IndexUpdate {
  flows: FlowDetails[];
  /** Files whose flows may have changed: added, deleted, or read again with a different text. */
  rescanned: string[];
}

/** {@link typescriptFlows} in a config: the project gives the root. */
export type UnboundTypeScriptFlows = FlowFinder & {
  readonly typescriptFlowsOptions: Omit<TypeScriptFlowsOptions, 'root'>;
};

const FLOWS_EXAMPLE = "flows: typescriptFlows({ include: ['src/**'], exclude: ['**/*.test.ts'] })";

/**
 * Creates the default finder. The returned index also supports incremental updates. In
 * `flowport.config.ts`, call it without `root` (`flows: typescriptFlows()`): the project binds it
 * to its root as the config loads.
 */
export function typescriptFlows(
  options?: Omit<TypeScriptFlowsOptions, 'root'> & { root?: undefined },
): UnboundTypeScriptFlows;
export function typescriptFlows(options: TypeScriptFlowsOptions): FlowIndex;
export function typescriptFlows(options?: Partial<TypeScriptFlowsOptions>): FlowIndex | UnboundTypeScriptFlows {
  checkFactoryOptions(
    'typescriptFlows',
    options,
    ['root', 'include', 'exclude', 'markers', 'presets', 'cache'],
    FLOWS_EXAMPLE,
  );
  const { root, ...rest } = options ?? {};
  for (const key of ['include', 'exclude'] as const) {
    const globs = rest[key];
    if (globs !== undefined && !(Array.isArray(globs) && globs.every((g) => typeof g === 'string'))) {
      throw new UsageError(`typescriptFlows(): ${key} must be an array of globs such as ["src/**"]: ${FLOWS_EXAMPLE}`);
    }
  }
  if (rest.markers !== undefined && !Array.isArray(rest.markers)) {
    throw new UsageError(
      'typescriptFlows(): markers must be an array such as [{ callee: "task", module: "@trigger.dev/sdk" }]',
    );
  }
  for (const [i, marker] of (rest.markers ?? []).entries()) {
    const problem = markerProblem(marker);
    if (problem) throw new UsageError(`typescriptFlows(): markers[${i}]: ${problem}`);
  }
  const presetsProblem = presetSwitchesProblem(rest.presets);
  if (presetsProblem) throw new UsageError(`typescriptFlows(): ${presetsProblem}`);
  if (root !== undefined) {
    if (typeof root !== 'string' || root === '')
      throw new UsageError(`typescriptFlows(): root must be the project folder, a string; in a config leave it out`);
    return new FlowIndex({ ...rest, root });
  }
  return unbound<UnboundTypeScriptFlows, FlowIndex>(
    'typescriptFlows',
    ['findFlows'],
    (ctx) => new FlowIndex({ ...rest, root: ctx.root, cache: ctx.cache === false ? false : (rest.cache ?? true) }),
    { typescriptFlowsOptions: rest },
  );
}

export class FlowIndex implements FlowFinder {
  readonly root: string;
  /** `defineFlow` and the config's markers, then the markers of every preset not switched off. */
  private readonly markers: FinderMarker[];
  /**
   * {@link markers} for a file named like a Temporal workflows module (`workflows.ts`,
   * `workflows/index.ts`), which is read for its exports whatever it imports; undefined when the
   * Temporal preset is switched off.
   */
  private readonly workflowsModuleMarkers: FinderMarker[] | undefined;
  /** Per file, the ids of the Temporal workflows the last assembly found there: an update says which moved. */
  private temporalByFile = new Map<string, string>();
  /** Files a Temporal worker names (or a named module re-exports from): read as workflows modules. */
  private namedWorkflowModules = new Set<string>();
  /** `defineFlow` and the config's markers only: a file they do not want is parsed for presets alone. */
  private readonly ownMarkers: CallMarker[];
  private readonly presets: PresetScope;
  private filter: PathFilter | undefined;
  private readonly rules: IgnoreRules;
  private readonly cachePath: string | undefined;
  private readonly cacheKey: string;
  private entries = new Map<string, CacheEntry>();
  private listings: Map<string, FolderListing> | undefined;
  private scanned = false;
  private writeTimer: NodeJS.Timeout | undefined;
  private flowsCache: FlowDetails[] = [];
  /**
   * Details built from each file's scan, kept while that scan object is: an update of one file
   * rebuilds only that file's. A scan object belongs to one path (a renamed file is scanned anew).
   */
  private readonly foundIn = new WeakMap<FileScan, FileFindings>();
  private diagnosticsCache: Diagnostic[] = [];
  /** {@link markersCalledIn}'s arrays, by the array narrowed and the markers it dropped. */
  private readonly narrowed = new WeakMap<readonly FinderMarker[], Map<number, readonly FinderMarker[]>>();
  /** Links the last walk did not follow: said, so that a flow behind one is not silently missing. */
  private skippedLinks: SkippedLink[] = [];
  /** Links the last walk followed: a watcher reports an edit at the target's own path. */
  private followedLinks: FollowedLink[] = [];
  lastScan: ScanStats = { files: 0, cacheHits: 0, foldersListed: 0, read: 0, parsed: 0, ms: 0 };

  constructor(private readonly options: TypeScriptFlowsOptions) {
    this.root = options.root;
    this.ownMarkers = [DEFINE_FLOW, ...(options.markers ?? [])];
    this.presets = new PresetScope(this.root, options.presets);
    this.markers = [...this.ownMarkers, ...this.presets.active.flatMap((p) => p.markers)];
    this.workflowsModuleMarkers = this.markers.some((m) => m.workflows)
      ? this.markers.map((m) => (m.workflows ? { ...m, workflows: { ...m.workflows, everyFile: true } } : m))
      : undefined;
    this.rules = new IgnoreRules(this.root);
    const cache = options.cache ?? true;
    this.cachePath = cache === false ? undefined : cache === true ? defaultCachePath(this.root) : cache.path;
    this.cacheKey = hashKey({
      v: SDK_VERSION,
      extract: EXTRACT_VERSION,
      parse: PARSE_VERSION,
      markers: this.markers,
      presets: options.presets,
      include: options.include,
      exclude: options.exclude,
    });
  }

  /** Loads the parser now, so the first incremental update of a long-lived index is fast too. */
  warmUp(): Promise<void> {
    return loadParser();
  }

  /** Which presets were on after the last scan, where, and why. */
  presetStatus(): PresetStatus[] {
    return this.presets.status();
  }

  /** Problems from the last scan: syntax errors, non-literal names, duplicate names. */
  get diagnostics(): Diagnostic[] {
    return this.diagnosticsCache;
  }

  /**
   * A subset is found by a full scan too: a flow asked for by name may have moved to another
   * file, and a group may have gained one. On a valid cache that scan only stats the files.
   */
  async findFlows(query: FlowQuery = {}): Promise<FlowDetails[]> {
    query.signal?.throwIfAborted();
    const flows = await this.scanAll();
    query.signal?.throwIfAborted();
    const subset = Boolean(query.flows?.length || query.groups?.length);
    return subset ? flows.filter((f) => matches(f, query)) : flows;
  }

  /** Full scan, reusing unchanged files' results from memory or the persisted cache. */
  async scanAll(): Promise<FlowDetails[]> {
    const started = performance.now();
    if (!this.scanned && this.cachePath) {
      const saved = readScanCache(this.cachePath, this.cacheKey);
      if (saved) this.restore(saved);
    }
    const filter = await this.pathFilter();
    if (this.rules.changedWhileWalking || !this.rules.unchanged()) {
      this.rules.forget();
      this.listings = undefined;
    }
    const previous = this.entries;
    this.presets.begin(); // package.json files are looked up afresh: which presets are on decides what is parsed
    // What the last scan (or the cache) knew workers to name is read as such when it changed.
    if (this.workflowsModuleMarkers) this.namedWorkflowModules = this.workflowModulesNamed().named;
    const next = new Map<string, CacheEntry>();
    const changedFiles: Array<[string, CacheEntry, CacheEntry | undefined]> = [];
    const walk = walkSourceFiles(this.root, filter, this.rules, this.listings, (rel, size, mtimeMs) => {
      const old = previous.get(rel);
      if (old && old.size === size && old.mtimeMs === mtimeMs) {
        next.set(rel, old);
        return;
      }
      const entry: CacheEntry = { size, mtimeMs, scan: 0 };
      next.set(rel, entry);
      changedFiles.push([rel, entry, old]);
    });
    const stats: ScanStats = {
      files: next.size,
      cacheHits: next.size - changedFiles.length,
      foldersListed: walk.listed,
      read: 0,
      parsed: 0,
      ms: 0,
    };
    for (const [rel, entry, old] of changedFiles) await this.scanFile(rel, entry, old, stats);
    // Nothing re-read or re-listed and the same count means the same state: nothing to save.
    const changed = changedFiles.length > 0 || walk.listed > 0 || next.size !== previous.size;
    this.entries = next;
    const reread = [...(await this.readNamedWorkflowModules(stats)), ...(await this.readDeferredNowOn(stats))];
    this.skippedLinks = walk.skippedLinks;
    this.followedLinks = walk.followedLinks;
    this.listings = this.rules.changedWhileWalking ? undefined : walk.listings;
    this.scanned = true;
    if ((changed || reread.length > 0) && this.cachePath)
      writeScanCache(this.cachePath, this.cacheKey, this.state(), this.root);
    this.assemble();
    stats.ms = performance.now() - started;
    this.lastScan = stats;
    return this.flowsCache;
  }

  /**
   * Incremental update for changed, added or deleted paths (absolute or root-relative), as a
   * file watcher reports them. A deleted folder drops every file under it. A changed `.gitignore`
   * or a considered path that is now a folder (created, or renamed in) triggers a full (cached)
   * rescan; other folders (`.git/…`, ignored ones) are passed over.
   */
  async update(paths: string[]): Promise<IndexUpdate> {
    if (!this.scanned) {
      await this.scanAll();
      return { flows: this.flowsCache, rescanned: [] };
    }
    const rels = [
      ...new Set(
        this.throughLinks(
          paths
            .map((p) => relative(this.root, resolve(this.root, p)).split(sep).join('/'))
            .filter((rel) => rel !== '' && rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel)),
        ),
      ),
    ];
    const filter = await this.pathFilter();
    const stats = rels.map((rel) => statIfAny(join(this.root, rel)));
    const rulesChanged = rels.some((r) => r === '.gitignore' || r.endsWith('/.gitignore') || r === '.git/info/exclude');
    const newFolder = rels.some(
      (rel, i) => stats[i]?.isDirectory() && filter.considers(rel, true) && !this.rules.ignoresPath(rel, true),
    );
    // Whether and where a link is followed is the walk's to decide (a full scan stats the rest only).
    const link = rels.some((rel) => lstatIfAny(join(this.root, rel))?.isSymbolicLink());
    if (rulesChanged || newFolder || link) {
      if (rulesChanged) {
        this.rules.forget();
        this.listings = undefined;
      }
      await this.scanAll();
      return { flows: this.flowsCache, rescanned: rels };
    }
    const scanStats: ScanStats = {
      files: this.entries.size,
      cacheHits: 0,
      foldersListed: 0,
      read: 0,
      parsed: 0,
      ms: 0,
    };
    const rescanned: string[] = [];
    let reread = false;
    const gone = new Set<string>();
    for (const [i, rel] of rels.entries()) {
      const st = stats[i];
      const considered = st?.isFile() && filter.considers(rel) && !this.rules.ignoresPath(rel, false);
      if (!considered || !st) {
        if (this.entries.delete(rel)) rescanned.push(rel);
        else if (!st) gone.add(rel); // maybe a folder: what was under it goes too
        continue;
      }
      const old = this.entries.get(rel);
      if (old && old.size === st.size && old.mtimeMs === st.mtimeMs) continue;
      const entry: CacheEntry = { size: st.size, mtimeMs: st.mtimeMs, scan: 0 };
      await this.scanFile(rel, entry, old, scanStats);
      this.entries.set(rel, entry);
      reread = true;
      // The same text (a touch, a racy mtime checked again) keeps the very same scan object.
      if (entry.scan !== old?.scan) rescanned.push(rel);
    }
    if (gone.size > 0) rescanned.push(...this.dropUnder(gone));
    // A worker may name a module read as an ordinary file so far.
    if (rescanned.length > 0) rescanned.push(...(await this.readNamedWorkflowModules(scanStats)));
    if (rescanned.length > 0 || reread) this.scheduleCacheWrite();
    // A package.json decides where presets are on: the files with preset findings may change, and
    // those not parsed for a preset that was off may be wanted now.
    if (rels.some((r) => r === 'package.json' || r.endsWith('/package.json'))) {
      this.presets.begin();
      const parsed = await this.readDeferredNowOn(scanStats);
      if (parsed.length > 0) this.scheduleCacheWrite();
      rescanned.push(...parsed);
      const seen = new Set(rescanned);
      this.entries.forEach((entry, rel) => {
        if (entry.scan !== 0 && hasPresetFindings(entry.scan) && !seen.has(rel)) rescanned.push(rel);
      });
    }
    if (rescanned.length > 0) {
      const before = this.temporalByFile;
      this.assemble();
      // A worker pointed elsewhere moves workflows between files that were not read again.
      const seen = new Set(rescanned);
      for (const rel of new Set([...before.keys(), ...this.temporalByFile.keys()])) {
        if (!seen.has(rel) && before.get(rel) !== this.temporalByFile.get(rel)) rescanned.push(rel);
      }
    }
    return { flows: this.flowsCache, rescanned };
  }

  /** `rels` and, for each under a followed link's target, the same path through the link. */
  private throughLinks(rels: string[]): string[] {
    if (this.followedLinks.length === 0) return rels;
    const out = [...rels];
    for (const rel of rels) {
      for (const { rel: link, target } of this.followedLinks) {
        if (rel === target) out.push(link);
        else if (rel.startsWith(`${target}/`)) out.push(link + rel.slice(target.length));
      }
    }
    return out;
  }

  /**
   * Forgets every file under the deleted folders; returns their paths. One pass over the index
   * for a whole batch: a branch switch can report thousands of deleted paths at once.
   */
  private dropUnder(folders: ReadonlySet<string>): string[] {
    const dropped: string[] = [];
    for (const rel of this.entries.keys()) {
      for (let slash = rel.indexOf('/'); slash !== -1; slash = rel.indexOf('/', slash + 1)) {
        if (folders.has(rel.slice(0, slash))) {
          dropped.push(rel);
          break;
        }
      }
    }
    for (const rel of dropped) this.entries.delete(rel);
    return dropped;
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
    if (this.cachePath) writeScanCache(this.cachePath, this.cacheKey, this.state(), this.root);
  }

  private async pathFilter(): Promise<PathFilter> {
    this.filter ??= await PathFilter.create(this.options);
    return this.filter;
  }

  private state(): ScanState {
    return { entries: this.entries, listings: this.listings, rules: this.rules.stamps };
  }

  private restore(saved: ScanState): void {
    this.entries = saved.entries;
    this.listings = saved.listings;
    this.rules.restore(saved.rules);
  }

  /**
   * Fills `entry` for a new or changed file: read it, drop it cheaply when its text cannot hold a
   * marker, reuse the old scan when the text is the same, parse it otherwise.
   */
  private async scanFile(rel: string, entry: CacheEntry, old: CacheEntry | undefined, stats: ScanStats): Promise<void> {
    const read = readSourceText(join(this.root, rel), entry.size);
    if (!read) return; // gone since the walk: no flows
    stats.read++;
    entry.mtimeMs = trustedMtime(entry.mtimeMs);
    if ('tooLarge' in read) {
      entry.scan = { flows: [], problems: [{ line: 0, severity: 'warning', message: read.tooLarge }] };
      return;
    }
    const { text } = read;
    const workflowsModule =
      this.workflowsModuleMarkers !== undefined && (isWorkflowsModulePath(rel) || this.namedWorkflowModules.has(rel));
    if (!workflowsModule && !mayContainFlow(text, this.markersCalledIn(text, this.markers))) return;
    entry.digest = createHash('sha1').update(text).digest('base64');
    if (old?.digest === entry.digest) {
      entry.scan = old.scan;
      return;
    }
    // Wanted by presets only: a syntax error in it counts only where one of them is on.
    const onlyFor = mayContainFlow(text, this.markersCalledIn(text, this.ownMarkers))
      ? undefined
      : this.presets.active
          .filter(
            (p) =>
              (workflowsModule && p.markers.some((m) => m.workflows)) ||
              mayContainFlow(text, this.markersCalledIn(text, p.markers)),
          )
          .map((p) => p.name);
    // None of those presets on for this file's package: nothing it holds would count, so it is
    // not parsed (a package importing a framework it does not depend on); see readDeferredNowOn.
    if (onlyFor && !workflowsModule && !onlyFor.some((name) => this.presets.isOn(name, rel))) {
      entry.scan = { flows: [], problems: [], deferredFor: onlyFor };
      return;
    }
    stats.parsed++;
    await loadParser();
    const scan = scanSource(text, extname(rel), workflowsModule ? this.workflowsModuleMarkers : this.markers);
    if (onlyFor) scan.onlyFor = onlyFor;
    // Read as a workflows module even with nothing to list: the cache remembers it was.
    if (workflowsModule) scan.workflows ??= { functions: [], reexports: [] };
    entry.scan = meaningful(scan);
  }

  /**
   * Parses the files left unparsed for presets that were off for their packages and are on now
   * (a package.json gained the dependency, or a new one closer to them has it). Returns them.
   */
  private async readDeferredNowOn(stats: ScanStats): Promise<string[]> {
    const due: string[] = [];
    this.entries.forEach((entry, rel) => {
      const scan = entry.scan;
      if (scan !== 0 && scan.deferredFor?.some((name) => this.presets.isOn(name, rel))) due.push(rel);
    });
    for (const rel of due) await this.readAgain(rel, stats);
    return due;
  }

  /** Reads `rel` again whatever its text: what it is read for changed (a preset came on, a worker names it), not the text. */
  private async readAgain(rel: string, stats: ScanStats): Promise<CacheEntry> {
    const entry = this.entries.get(rel)!;
    entry.digest = undefined; // set anew when it is parsed; a file gone or too large keeps none
    await this.scanFile(rel, entry, undefined, stats);
    return entry;
  }

  /**
   * Reads again, as workflows modules, the files Temporal workers name that were read as
   * ordinary files: a workflows module need neither import `@temporalio/workflow` nor be named
   * `workflows.ts`, and only the workers' files tell which it is. Follows the re-exports of each
   * module read. Returns the files read again.
   */
  private async readNamedWorkflowModules(stats: ScanStats): Promise<string[]> {
    if (!this.workflowsModuleMarkers) return [];
    const reread: string[] = [];
    for (;;) {
      const { named, unread } = this.workflowModulesNamed();
      this.namedWorkflowModules = named;
      if (unread.length === 0) return reread;
      for (const rel of unread) {
        const entry = await this.readAgain(rel, stats);
        // Gone, unreadable or too large since: nothing to list, and not to be tried again here.
        if (entry.scan === 0) entry.scan = { flows: [], problems: [], workflows: { functions: [], reexports: [] } };
        else entry.scan.workflows ??= { functions: [], reexports: [] };
        reread.push(rel);
      }
    }
  }

  /**
   * The files named by workers (in packages where Temporal is on), and through the re-exports of
   * those already read as workflows modules; `unread` are those read as ordinary files so far.
   */
  private workflowModulesNamed(): { named: Set<string>; unread: string[] } {
    const named = new Set<string>();
    const unread: string[] = [];
    const queue: string[] = [];
    const reach = (from: string, module: string) => {
      const rel = this.moduleFile(from, module);
      if (rel === undefined || named.has(rel)) return;
      named.add(rel);
      queue.push(rel);
    };
    this.entries.forEach((entry, rel) => {
      const scan = entry.scan;
      if (scan === 0 || !scan.workers?.length || !this.presets.isOn('temporal', rel)) return;
      for (const ref of scan.workers) reach(rel, ref.module);
    });
    while (queue.length > 0) {
      const rel = queue.shift()!;
      const scan = this.entries.get(rel)!.scan;
      if (scan === 0 || !scan.workflows) unread.push(rel);
      else for (const r of scan.workflows.reexports) reach(rel, r.module);
    }
    return { named, unread };
  }

  /**
   * The considered file that `module` (a relative module path without extension, as temporal.ts
   * records it) written in `from` resolves to: the file with a source extension, else the folder's index.
   */
  private moduleFile(from: string, module: string): string | undefined {
    const bare = posix.join(posix.dirname(from), module);
    for (const base of [bare, `${bare}/index`]) {
      for (const ext of SOURCE_EXTENSIONS) if (this.entries.has(base + ext)) return base + ext;
    }
    return undefined;
  }

  /**
   * `markers` less those without a module whose callee `text` never writes as a call: with no
   * import to look for, the text search for the callee alone (`task`, `createFunction`) made
   * every file that says the word a candidate, and a cold scan parsed them all (8.3 s against
   * 1.2 s on a 3,910-file repository). `new` markers are kept: `new Worker;` is one too.
   */
  private markersCalledIn<M extends FinderMarker>(text: string, markers: readonly M[]): readonly M[] {
    // The same array for the same survivors: mayContainFlow keeps per-array work (its module
    // search) by the array's identity, and a new array per file would redo it per file.
    let dropped = 0;
    let bit = 1;
    for (const m of markers) {
      if (narrowable(m)) {
        if (!spellsCall(text, calleePath(m).at(-1)!)) dropped |= bit;
        bit <<= 1;
      }
    }
    if (dropped === 0) return markers;
    let byDropped = this.narrowed.get(markers);
    if (!byDropped) this.narrowed.set(markers, (byDropped = new Map<number, readonly FinderMarker[]>()));
    let kept = byDropped.get(dropped) as readonly M[] | undefined;
    if (!kept) {
      let b = 1;
      kept = markers.filter((m) => {
        if (!narrowable(m)) return true;
        const keep = (dropped & b) === 0;
        b <<= 1;
        return keep;
      });
      byDropped.set(dropped, kept);
    }
    return kept;
  }

  /**
   * Temporal's workflows by file: the candidates of the modules that workers name, from the worker
   * files where the preset is on (see temporal.ts). Also records {@link temporalByFile}.
   */
  private temporalWorkflows(withFindings: readonly string[]): Map<string, FlowDetails[]> {
    const workers: Array<{ rel: string; refs: readonly WorkerRef[] }> = [];
    const modules = new Map<string, WorkflowCandidates>();
    for (const rel of withFindings) {
      const scan = this.entries.get(rel)!.scan as FileScan;
      if (scan.workflows) modules.set(rel, scan.workflows);
      if (scan.workers && this.presets.isOn('temporal', rel)) workers.push({ rel, refs: scan.workers });
    }
    const byFile = new Map<string, FlowDetails[]>();
    if (workers.length > 0 && modules.size > 0) {
      for (const { rel, flow } of temporalFlows(workers, modules, (from, module) => this.moduleFile(from, module))) {
        const inFile = byFile.get(rel) ?? [];
        if (inFile.some((f) => f.name === flow.name)) continue;
        const problem = flowNameProblem(flow.name);
        if (problem) continue; // a function's name is an identifier: always a valid flow name in practice
        inFile.push(toDetails(flow, rel, join(this.root, rel), 1));
        byFile.set(rel, inFile);
      }
    }
    this.temporalByFile = new Map([...byFile].map(([rel, fs]) => [rel, fs.map((f) => f.id).join('\0')]));
    return byFile;
  }

  /** Builds FlowDetails and project-wide diagnostics from the per-file scans, in path order. */
  private assemble(): void {
    const flows: FlowDetails[] = [];
    const diagnostics: Diagnostic[] = [];
    // Only files with flows or problems matter; sorting just those keeps an update of one file in
    // a 50,000-file index cheap.
    const withFindings: string[] = [];
    // forEach, not for…of: no [key, value] pair allocated per entry of a 50,000-file map.
    this.entries.forEach((entry, rel) => {
      if (entry.scan !== 0) withFindings.push(rel);
    });
    withFindings.sort();
    this.presets.begin();
    const workflows = this.temporalWorkflows(withFindings);
    for (const rel of withFindings) {
      const joined = workflows.get(rel);
      if (joined) {
        flows.push(...joined);
        for (let i = 0; i < joined.length; i++) this.presets.counted('temporal');
      }
      const scan = this.entries.get(rel)!.scan as FileScan;
      // Said in `flowport flows`: the presets off for this package, which is why it was not parsed.
      if (scan.deferredFor) for (const name of scan.deferredFor) this.presets.isOn(name, rel);
      let found = this.foundIn.get(scan);
      if (!found) {
        found = fileFindings(scan, rel, join(this.root, rel));
        this.foundIn.set(scan, found);
      }
      if (!found.frameworks) {
        flows.push(...found.flows);
        diagnostics.push(...found.diagnostics);
        continue;
      }
      // Preset findings count where their preset is on for this file's package.
      const on = new Map<string, boolean>();
      const isOn = (name: string) => {
        let yes = on.get(name);
        if (yes === undefined) on.set(name, (yes = this.presets.isOn(name, rel)));
        return yes;
      };
      for (const f of found.flows) {
        const framework = f.attributes.framework;
        if (typeof framework !== 'string') flows.push(f);
        else if (isOn(framework)) {
          flows.push(f);
          this.presets.counted(framework);
        }
      }
      found.diagnostics.forEach((d, i) => {
        const needs = found.diagnosticFrameworks[i];
        if (!needs || needs.some(isOn)) diagnostics.push(d);
      });
    }
    const byName = new Map<string, FlowDetails[]>();
    for (const f of flows) {
      const same = byName.get(f.name);
      if (same) same.push(f);
      else byName.set(f.name, [f]);
    }
    for (const [name, same] of byName) {
      if (same.length > 1) diagnostics.push(duplicateName(name, same));
    }
    for (const link of this.skippedLinks) diagnostics.push(skippedLinkDiagnostic(this.root, link));
    this.flowsCache = flows;
    this.diagnosticsCache = diagnostics;
  }
}

/** Places a duplicate name's diagnostic lists before "… and N more". */
export const DUPLICATE_PLACES_SHOWN = 3;

/**
 * One diagnostic per duplicated name, at its first place: a test suite reusing one name in 446
 * files once printed 446 lines each listing every other place (4 MB). The count and the first
 * few places (root-relative, path order) say enough to find the rest with a search.
 */
function duplicateName(name: string, same: readonly FlowDetails[]): Diagnostic {
  const places = same.slice(0, DUPLICATE_PLACES_SHOWN).map((f) => `${f.sourceRelative}:${f.line}`);
  const more = same.length - places.length;
  return {
    file: same[0]!.sourcePath,
    line: same[0]!.line,
    severity: 'warning',
    message:
      `duplicate flow name "${name}" in ${same.length} places: ${places.join(', ')}` +
      (more > 0 ? ` … and ${more} more` : '') +
      ': rename all but one so deployments stay apart',
  };
}

function skippedLinkDiagnostic(root: string, { rel, reason, target }: SkippedLink): Diagnostic {
  const why =
    reason === 'outside'
      ? `points outside the project (${target}): not followed, flows there are not found`
      : reason === 'loop'
        ? `leads back into a folder it is in (${target ?? 'a cycle of links'}): not followed`
        : 'points to nothing: skipped';
  return { file: join(root, rel), line: 0, severity: 'warning', message: `symbolic link ${why}` };
}

/** One file's FlowDetails and diagnostics, built once per scan result. */
function fileFindings(scan: FileScan, rel: string, sourcePath: string): FileFindings {
  const diagnostics: Diagnostic[] = scan.problems.map(({ line, message, severity }) => ({
    file: sourcePath,
    line,
    message,
    severity,
  }));
  const diagnosticFrameworks = scan.problems.map((p) =>
    p.framework ? [p.framework] : scan.onlyFor?.length ? scan.onlyFor : undefined,
  );
  const seenInFile = new Map<string, number>();
  // A name no deploy can take safely is refused here, where it is written, not when deployed.
  const named = scan.flows.filter((f) => {
    const problem = flowNameProblem(f.name);
    if (problem) {
      diagnostics.push({ file: sourcePath, line: f.line, severity: 'error', message: problem });
      const framework = f.attributes.framework;
      diagnosticFrameworks.push(typeof framework === 'string' ? [framework] : undefined);
    }
    return !problem;
  });
  const flows = named.map((f) => {
    // Ids must stay unique (views key on them) even while a name is duplicated in one file.
    const nth = (seenInFile.get(f.name) ?? 0) + 1;
    seenInFile.set(f.name, nth);
    return toDetails(f, rel, sourcePath, nth);
  });
  const frameworks =
    diagnosticFrameworks.some(Boolean) || scan.flows.some((f) => typeof f.attributes.framework === 'string');
  return { flows, diagnostics, diagnosticFrameworks, frameworks };
}

/** A marker found by the call of its callee's last name alone: no module, no `new`. */
function narrowable(m: FinderMarker): boolean {
  return m.module === undefined && m.new !== true && m.subclasses === undefined;
}

function hasPresetFindings(scan: FileScan): boolean {
  return (
    Boolean(scan.onlyFor?.length) ||
    Boolean(scan.deferredFor?.length) ||
    scan.problems.some((p) => p.framework) ||
    scan.flows.some((f) => typeof f.attributes.framework === 'string') ||
    Boolean(scan.workers?.length)
  );
}

/** Files without flows, problems or Temporal parts are cached as `0`, which keeps the cache small. */
function meaningful(scan: FileScan): CachedScan {
  // A worker's reference and a workflows module's candidates are what the assembly joins.
  return scan.flows.length || scan.problems.length || scan.workers?.length || scan.workflows || scan.deferredFor
    ? scan
    : 0;
}

/** `nth` > 1 for a name repeated in one file: its id gets `~nth`. */
function toDetails(f: FileScan['flows'][number], rel: string, sourcePath: string, nth: number): FlowDetails {
  const grouping = rel.split('/').slice(0, -1);
  return {
    id: nth > 1 ? `${rel}#${f.name}~${nth}` : `${rel}#${f.name}`,
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
  if (!q.groups?.length) return false;
  const groups = groupsOf(f);
  return q.groups.some((g) => groups.includes(g));
}

function hashKey(value: unknown): string {
  return createHash('sha1').update(JSON.stringify(value)).digest('hex');
}

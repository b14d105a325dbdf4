/**
 * Lists the files a finder considers: source extensions under the root, minus `.gitignore`d
 * paths (nested files too, with git's precedence), `node_modules/`, VCS folders, Flowport's own
 * state folder and `exclude` globs, limited to `include` globs when given.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';

export const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'] as const;

/** Never scanned, whatever `.gitignore` says: dependencies, VCS data, Flowport's state. */
const ALWAYS_SKIPPED = new Set(['node_modules', '.git', '.hg', '.svn', '.flowport']);

export interface FileSelection {
  /** Globs relative to the root (POSIX); only matching files are considered. Default: all. */
  include?: string[];
  /** Globs relative to the root; matching files and folders are skipped. */
  exclude?: string[];
}

/** A file the finder considers, with what the scan cache keys on. */
export interface ListedFile {
  /** Relative to the root, POSIX separators. */
  rel: string;
  size: number;
  mtimeMs: number;
}

/** `.gitignore` rules by folder, read once per folder and kept until {@link forget} is called. */
export class IgnoreRules {
  private readonly byDir = new Map<string, Ignore | null>();
  constructor(private readonly root: string) {}

  /** True when git would ignore `rel` (a folder when `isDir`), judging every `.gitignore` above it. */
  ignores(rel: string, isDir: boolean): boolean {
    const parts = rel.split('/');
    const active: Array<{ base: string; rules: Ignore }> = [];
    for (let depth = 0; depth < parts.length; depth++) {
      const base = parts.slice(0, depth).join('/');
      const rules = this.rulesIn(base);
      if (rules) active.push({ base, rules });
    }
    return ignoredBy(active, rel, isDir);
  }

  /**
   * Rules of the `.gitignore` directly in `dir` ('' for the root), or null when it has none.
   * `present: false` (the walk has just listed the folder) skips a read that would only fail.
   */
  rulesIn(dir: string, present = true): Ignore | null {
    let rules = this.byDir.get(dir);
    if (rules === undefined) {
      rules = present ? readRules(join(this.root, dir, '.gitignore')) : null;
      if (dir === '') rules = mergeRules(rules, readRules(join(this.root, '.git', 'info', 'exclude')));
      this.byDir.set(dir, rules);
    }
    return rules;
  }

  /** Drops cached rules, after a `.gitignore` changed. */
  forget(): void {
    this.byDir.clear();
  }
}

function readRules(path: string): Ignore | null {
  try {
    return ignore().add(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

function mergeRules(a: Ignore | null, b: Ignore | null): Ignore | null {
  if (!a || !b) return a ?? b;
  return a.add(b);
}

/** Decides whether a relative path is considered, without touching the disk. */
export class PathFilter {
  private readonly included: ((p: string) => boolean) | undefined;
  private readonly excluded: ((p: string) => boolean) | undefined;

  constructor(selection: FileSelection) {
    const opts = { dot: true };
    this.included = selection.include?.length ? picomatch(selection.include, opts) : undefined;
    this.excluded = selection.exclude?.length ? picomatch(selection.exclude, opts) : undefined;
  }

  isSourceFile(rel: string): boolean {
    const dot = rel.lastIndexOf('.');
    if (dot < 0 || !(SOURCE_EXTENSIONS as readonly string[]).includes(rel.slice(dot))) return false;
    if (this.included && !this.included(rel)) return false;
    return !this.excluded?.(rel);
  }

  isSkippedDir(name: string, rel: string): boolean {
    return ALWAYS_SKIPPED.has(name) || (this.excluded?.(rel) ?? false);
  }

  /** For a single path (incremental updates): are it and its folders all considered? */
  considers(rel: string): boolean {
    const parts = rel.split('/');
    for (let i = 0; i < parts.length - 1; i++) {
      if (this.isSkippedDir(parts[i]!, parts.slice(0, i + 1).join('/'))) return false;
    }
    return this.isSourceFile(rel);
  }
}

/** The `.gitignore` rules in force in a folder, each with the folder it was read in. */
type ActiveRules = ReadonlyArray<{ base: string; rules: Ignore }>;

/** Judges `rel` against every `.gitignore` above it, deeper files overriding shallower ones. */
function ignoredBy(active: ActiveRules, rel: string, isDir: boolean): boolean {
  let ignored = false;
  for (const { base, rules } of active) {
    const verdict = rules.test((base ? rel.slice(base.length + 1) : rel) + (isDir ? '/' : ''));
    if (verdict.ignored) ignored = true;
    else if (verdict.unignored) ignored = false;
  }
  return ignored;
}

/**
 * Walks the tree synchronously (on one thread, sync fs calls beat promise overhead ~2×), carrying
 * the `.gitignore` rules in force down the tree instead of looking them up again per file.
 */
export function listSourceFiles(root: string, filter: PathFilter, rules: IgnoreRules): ListedFile[] {
  const out: ListedFile[] = [];
  const visit = (dirRel: string, inherited: ActiveRules): void => {
    let entries;
    try {
      entries = readdirSync(dirRel ? join(root, dirRel) : root, { withFileTypes: true });
    } catch {
      return; // vanished or unreadable folder: nothing to find there
    }
    const own = rules.rulesIn(
      dirRel,
      entries.some((e) => e.name === '.gitignore'),
    );
    const active = own ? [...inherited, { base: dirRel, rules: own }] : inherited;
    for (const e of entries) {
      const rel = dirRel ? `${dirRel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!filter.isSkippedDir(e.name, rel) && !ignoredBy(active, rel, true)) visit(rel, active);
      } else if (e.isFile() && filter.isSourceFile(rel) && !ignoredBy(active, rel, false)) {
        const st = statSync(join(root, rel), { throwIfNoEntry: false });
        if (st) out.push({ rel, size: st.size, mtimeMs: st.mtimeMs });
      }
    }
  };
  visit('', []);
  return out;
}

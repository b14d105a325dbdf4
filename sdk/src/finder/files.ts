/**
 * Lists the files a finder considers: source extensions under the root, minus `.gitignore`d
 * paths (nested files too, with git's precedence), `node_modules/`, VCS folders, Flowport's own
 * state folder and `exclude` globs, limited to `include` globs when given.
 *
 * A walk can start from the folder listings of the last one. As git's untracked cache does, it
 * lists a folder again only when the folder's mtime changed (adding, deleting or renaming an entry
 * changes it) or any `.gitignore` it depends on changed; otherwise it only stats the files it
 * listed last time, which is what the scan cache needs anyway.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';

const SOURCE_EXTENSIONS = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);

/** Never scanned, whatever `.gitignore` says: dependencies, VCS data, Flowport's state. */
const ALWAYS_SKIPPED = new Set(['node_modules', '.git', '.hg', '.svn', '.flowport']);

/**
 * An mtime this close to the moment a file or folder was read may be shared by a later change
 * (coarse filesystem clocks; FAT's is 2 s), so it is not trusted: as git does with "racily clean"
 * entries, such an mtime is recorded as {@link UNTRUSTED} and the next scan reads the file again.
 */
const RACY_MS = 2000;

/** An mtime no file has: the entry is checked again whatever the file's mtime. */
export const UNTRUSTED = -1;

/** The mtime to record for something read just now. */
export function trustedMtime(mtimeMs: number): number {
  return mtimeMs >= Date.now() - RACY_MS ? UNTRUSTED : mtimeMs;
}

export interface FileSelection {
  /** Globs relative to the root (POSIX); only matching files are considered. Default: all. */
  include?: string[];
  /** Globs relative to the root; matching files and folders are skipped. */
  exclude?: string[];
}

/** A folder as a walk listed it: what it held that the finder considers. */
export interface FolderListing {
  mtimeMs: number;
  hasGitignore: boolean;
  /** Names of the source files considered in it. */
  files: string[];
  /** Names of the subfolders walked into. */
  folders: string[];
  /**
   * Names of the symbolic links in it that are not ignored: resolved again on every walk (a link
   * can be retargeted, or its target moved, without its folder's mtime changing).
   */
  links?: string[];
}

/** A symbolic link the walk did not follow, and why. */
export interface SkippedLink {
  /** The link, relative to the root. */
  rel: string;
  /** `outside`: its target is outside the root; `loop`: it leads back to a folder it is in; `missing`: no target. */
  reason: 'outside' | 'loop' | 'missing';
  /** Where it points, relative to the root, when known. */
  target?: string;
}

/** The rules files a walk read: `.gitignore`s and `.git/info/exclude`, rel → [size, mtimeMs] (-1 when absent). */
export type RulesStamps = Map<string, [number, number]>;

/**
 * `.gitignore` rules by folder, read once per folder, and the size and mtime of every rules file
 * read, so that the next walk can tell whether folder listings made under them still hold.
 */
export class IgnoreRules {
  private readonly byDir = new Map<string, { present: boolean; rules: Ignore | null }>();
  readonly stamps: RulesStamps = new Map();
  /** Set when a rules file differed from its stamp when read again: listings made with it are suspect. */
  changedWhileWalking = false;
  private readonly prefix: string;

  constructor(root: string) {
    this.prefix = root.endsWith(sep) ? root : root + sep;
  }

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
   * True when git would skip `rel` (a folder when `isDir`): it, or a folder above it, is ignored.
   * A path inside an ignored folder cannot be re-included (git never lists that folder).
   */
  ignoresPath(rel: string, isDir: boolean): boolean {
    for (let slash = rel.indexOf('/'); slash !== -1; slash = rel.indexOf('/', slash + 1)) {
      if (this.ignores(rel.slice(0, slash), true)) return true;
    }
    return this.ignores(rel, isDir);
  }

  /**
   * Rules of the `.gitignore` directly in `dir` ('' for the root), or null when it has none.
   * `present`, when known from a listing, says whether the folder holds a `.gitignore`: false
   * skips a read that would only fail, and a change either way since the last read is picked up.
   */
  rulesIn(dir: string, present?: boolean): Ignore | null {
    let known = this.byDir.get(dir);
    if (!known || (present !== undefined && known.present !== present)) {
      const rel = dir ? `${dir}/.gitignore` : '.gitignore';
      const rules = present !== false ? this.read(rel) : null;
      known = { present: present ?? this.stamps.get(rel)?.[0] !== -1, rules };
      if (dir === '') known.rules = mergeRules(rules, this.read('.git/info/exclude'));
      this.byDir.set(dir, known);
    }
    return known.rules;
  }

  /** Are the rules files read before unchanged since? */
  unchanged(): boolean {
    for (const [rel, [size, mtimeMs]] of this.stamps) {
      const st = statIfAny(this.prefix + rel);
      if (st ? st.size !== size || st.mtimeMs !== mtimeMs : size !== -1) return false;
    }
    return true;
  }

  /** Takes the stamps saved by an earlier process, so that {@link unchanged} can judge its listings. */
  restore(stamps: RulesStamps): void {
    for (const [rel, stamp] of stamps) this.stamps.set(rel, stamp);
  }

  /** Drops cached rules and stamps, after a rules file changed. */
  forget(): void {
    this.byDir.clear();
    this.stamps.clear();
    this.changedWhileWalking = false;
  }

  /** Stat before read: a change after the stat shows as a new mtime next time. */
  private read(rel: string): Ignore | null {
    const path = this.prefix + rel;
    const st = statIfAny(path);
    const known = this.stamps.get(rel);
    if (known && (st ? known[0] !== st.size || known[1] !== st.mtimeMs : known[0] !== -1)) {
      this.changedWhileWalking = true;
    }
    let text: string | undefined;
    try {
      text = st ? readFileSync(path, 'utf8') : undefined;
    } catch {
      // unreadable: no rules, as git
    }
    this.stamps.set(rel, st ? [st.size, trustedMtime(st.mtimeMs)] : [-1, -1]);
    return text === undefined ? null : ignore().add(text);
  }
}

/**
 * The stats, or undefined when the path is absent or unreachable: removed during the walk, a
 * folder replaced by a file, `.git` being a file (in a worktree), no permission.
 */
export function statIfAny(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** {@link statIfAny} of the link itself, not of what it points to. */
export function lstatIfAny(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function mergeRules(a: Ignore | null, b: Ignore | null): Ignore | null {
  if (!a || !b) return a ?? b;
  return a.add(b);
}

type Matcher = (path: string) => boolean;

/** Decides whether a relative path is considered, without touching the disk. */
export class PathFilter {
  private constructor(
    private readonly included: Matcher | undefined,
    private readonly excluded: Matcher | undefined,
  ) {}

  /** picomatch is loaded only when there are globs to match: most projects have none. */
  static async create(selection: FileSelection): Promise<PathFilter> {
    const globs = [selection.include, selection.exclude];
    if (!globs.some((g) => g?.length)) return new PathFilter(undefined, undefined);
    const { default: picomatch } = await import('picomatch');
    const [included, excluded] = globs.map((g) => (g?.length ? picomatch(g, { dot: true }) : undefined));
    return new PathFilter(included, excluded);
  }

  isSourceFile(rel: string): boolean {
    if (!SOURCE_EXTENSIONS.has(rel.slice(rel.lastIndexOf('.')))) return false;
    if (this.included && !this.included(rel)) return false;
    return !this.excluded?.(rel);
  }

  isSkippedDir(name: string, rel: string): boolean {
    return ALWAYS_SKIPPED.has(name) || (this.excluded?.(rel) ?? false);
  }

  /** For a single path (incremental updates): are it and its folders all considered? */
  considers(rel: string, isDir = false): boolean {
    const parts = rel.split('/');
    const folders = isDir ? parts.length : parts.length - 1;
    for (let i = 0; i < folders; i++) {
      if (this.isSkippedDir(parts[i]!, parts.slice(0, i + 1).join('/'))) return false;
    }
    return isDir || this.isSourceFile(rel);
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

export interface WalkResult {
  listings: Map<string, FolderListing>;
  /** Folders read with readdir, as opposed to taken from the previous listings. */
  listed: number;
  skippedLinks: SkippedLink[];
  /** Links followed, each with its target's real path (both root-relative): an edit there is an edit here. */
  followedLinks: FollowedLink[];
}

export interface FollowedLink {
  rel: string;
  target: string;
}

/**
 * Walks the tree synchronously (on one thread, sync fs calls beat promise overhead ~2×), handing
 * each considered file to `onFile` as it is stat'ed, and returns the folder listings it used.
 * `.gitignore` rules are carried down the tree, and looked up only for folders listed again.
 *
 * Symbolic links are followed when their target is inside the root (as a checkout of git's
 * tracked links would resolve them), with the link's path as the file's or folder's path. A
 * target the walk reaches at its own path anyway is not read twice: its flows are found there
 * once. A link out of the root, back into a folder it is in, or to nothing is skipped and
 * returned in {@link WalkResult.skippedLinks}.
 */
export function walkSourceFiles(
  root: string,
  filter: PathFilter,
  rules: IgnoreRules,
  /** Listings from the last walk, by folder ('' for the root); none lists every folder. */
  previous: ReadonlyMap<string, FolderListing> | undefined,
  onFile: (rel: string, size: number, mtimeMs: number) => void,
): WalkResult {
  // Concatenation, not path.join: join normalizes every path again, and it shows per file.
  const prefix = root.endsWith(sep) ? root : root + sep;
  const listings = new Map<string, FolderListing>();
  const skippedLinks: SkippedLink[] = [];
  const followedLinks: FollowedLink[] = [];
  let listed = 0;
  let realRoot: string | undefined;
  /** Root-relative real path of `path`, `..`-prefixed when outside; or why it has none. */
  const realRel = (path: string): { rel: string } | { error: 'loop' | 'missing' } => {
    try {
      realRoot ??= realpathSync.native(root);
      return { rel: relative(realRoot, realpathSync.native(path)).split(sep).join('/') };
    } catch (err) {
      return { error: (err as { code?: string }).code === 'ELOOP' ? 'loop' : 'missing' };
    }
  };
  /** Would the walk reach this real path (a folder when `isDir`) through real folders alone? */
  const reachedDirectly = (rel: string, isDir: boolean): boolean =>
    rel === '' || (filter.considers(rel, isDir) && !rules.ignoresPath(rel, isDir));

  /** Lists a folder, keeping what the finder considers. `rulesHere` includes the folder's own rules. */
  const list = (
    dirRel: string,
    entries: Dirent[],
    rulesHere: () => ActiveRules,
  ): Pick<FolderListing, 'files' | 'folders' | 'links'> => {
    const files: string[] = [];
    const folders: string[] = [];
    const links: string[] = [];
    for (const e of entries) {
      const rel = dirRel ? `${dirRel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!filter.isSkippedDir(e.name, rel) && !ignoredBy(rulesHere(), rel, true)) folders.push(e.name);
      } else if (e.isFile()) {
        if (filter.isSourceFile(rel) && !ignoredBy(rulesHere(), rel, false)) files.push(e.name);
      } else if (e.isSymbolicLink()) {
        // git matches a link against .gitignore as a file, whatever it points to.
        if (!filter.isSkippedDir(e.name, rel) && !ignoredBy(rulesHere(), rel, false)) links.push(e.name);
      }
    }
    return links.length ? { files, folders, links } : { files, folders };
  };

  /**
   * `parentRules` is evaluated only when a folder must be listed again. `followed` holds the real
   * paths of the folder links this visit came through, so that a cycle of links ends.
   */
  const visit = (
    dirRel: string,
    parentRules: () => ActiveRules,
    trustPrevious: boolean,
    followed: ReadonlySet<string>,
  ): void => {
    const dir = dirRel ? prefix + dirRel : root;
    // Stat before listing: a change after the stat shows as a new mtime next time.
    const st = statIfAny(dir);
    if (!st?.isDirectory()) return;
    const old = previous?.get(dirRel);
    const reuse = trustPrevious && old?.mtimeMs === st.mtimeMs;
    let entries: Dirent[] | undefined;
    if (!reuse) {
      listed++;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return; // vanished or unreadable folder: nothing to find there
      }
    }
    const hasGitignore = entries ? entries.some((e) => e.name === '.gitignore') : old!.hasGitignore;
    let active: ActiveRules | undefined;
    const rulesHere = (): ActiveRules => {
      if (!active) {
        const own = rules.rulesIn(dirRel, hasGitignore);
        active = own ? [...parentRules(), { base: dirRel, rules: own }] : parentRules();
      }
      return active;
    };
    const listing = entries
      ? { mtimeMs: trustedMtime(st.mtimeMs), hasGitignore, ...list(dirRel, entries, rulesHere) }
      : old!;
    listings.set(dirRel, listing);

    const base = dirRel ? `${dirRel}/` : '';
    for (const name of listing.files) {
      const rel = base + name;
      const file = statIfAny(prefix + rel);
      if (file?.isFile()) onFile(rel, file.size, file.mtimeMs);
    }
    // A .gitignore that came or went changes what every folder below may hold.
    const trustBelow = trustPrevious && (!old || old.hasGitignore === hasGitignore);
    for (const name of listing.folders) visit(base + name, rulesHere, trustBelow, followed);
    let realHere: string | undefined;
    for (const name of listing.links ?? []) {
      const rel = base + name;
      const real = realRel(prefix + rel);
      if ('error' in real) {
        if (real.error === 'loop' || filter.isSourceFile(rel)) skippedLinks.push({ rel, reason: real.error });
        continue;
      }
      const target = statIfAny(prefix + rel);
      if (!target) continue;
      const isDir = target.isDirectory();
      if (!isDir && !(target.isFile() && filter.isSourceFile(rel))) continue; // not a source file: never read
      if (real.rel === '..' || real.rel.startsWith('../') || isAbsolute(real.rel)) {
        skippedLinks.push({ rel, reason: 'outside', target: real.rel });
        continue;
      }
      if (!isDir) {
        if (!reachedDirectly(real.rel, false)) {
          followedLinks.push({ rel, target: real.rel });
          onFile(rel, target.size, target.mtimeMs);
        }
        continue;
      }
      realHere ??= (realRel(dir) as { rel?: string }).rel ?? dirRel;
      const intoItself = realHere === real.rel || realHere.startsWith(`${real.rel}/`) || real.rel === '';
      if (intoItself || followed.has(real.rel)) {
        skippedLinks.push({ rel, reason: 'loop', target: real.rel || '.' });
        continue;
      }
      if (!reachedDirectly(real.rel, true)) {
        followedLinks.push({ rel, target: real.rel });
        visit(rel, rulesHere, trustBelow, new Set([...followed, real.rel]));
      }
    }
  };

  visit('', () => [], previous !== undefined, new Set());
  return { listings, listed, skippedLinks, followedLinks };
}

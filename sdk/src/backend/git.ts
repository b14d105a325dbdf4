/**
 * Versions come from git: a ref resolves to a full commit, uncommitted changes are noticed, and a
 * commit other than the checked-out one is deployed from a temporary worktree. git is always run
 * with an argv (never a shell), and a user's ref always comes after `--end-of-options`, so a ref
 * such as `--output=x` is a name to look up, never an option.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DeployError, UsageError } from '../errors.js';

export interface ResolvedVersion {
  /** The full SHA the ref names. */
  commit: string;
  /** The ref as given. */
  ref: string;
  /** The repository's top folder (the project root may be below it). */
  topLevel: string;
  /** What is checked out now, or undefined in a repository with no commits. */
  headCommit: string | undefined;
  /** Changed or untracked files under the project root (not ignored ones), as `git status` lists them. */
  changes: string[];
  /** `version` of the project's package.json at that commit, when there is one. */
  packageVersion: string | undefined;
}

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Settings that keep git from running programs a repository's own config names. A project's
 * `.git/config` is not the user's to vet (a shared folder, a copied checkout): `core.fsmonitor` runs
 * on every `git status`, `log.showSignature` makes `git log`/`show` run `gpg.program`, and hooks
 * (post-checkout on a worktree) run on checkout. Flowport needs none of them.
 */
export const GIT_RUNS_NOTHING: readonly string[] = [
  '-c',
  'core.fsmonitor=false',
  '-c',
  'log.showSignature=false',
  '-c',
  `core.hooksPath=${process.platform === 'win32' ? 'NUL' : '/dev/null'}`,
];

/** Runs git in `cwd` with an argv, {@link GIT_RUNS_NOTHING}, no prompt and C messages; a non-zero exit is a result, not an error. */
export function git(cwd: string, args: string[]): Promise<GitResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      'git',
      [...GIT_RUNS_NOTHING, ...args],
      {
        cwd,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        windowsHide: true,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' },
      },
      (err, stdout, stderr) => {
        if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
          const code = (err as NodeJS.ErrnoException).code;
          reject(
            code === 'ENOENT'
              ? new DeployError('git was not found on PATH: Flowport deploys git commits, so it needs git installed.', {
                  cause: err,
                })
              : (err as Error),
          );
          return;
        }
        resolvePromise({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** Refuses refs that cannot be a revision before git sees them. */
export function checkRef(ref: string): void {
  if (ref === '') throw new UsageError('the ref is empty: give a branch, tag or commit, or leave --ref out for HEAD');
  if (ref.startsWith('-')) {
    throw new UsageError(`ref "${ref}" starts with "-": that is not a branch, tag or commit name`);
  }
  if (/[\u0000-\u001f\u007f]/.test(ref) || ref.length > 1024) {
    throw new UsageError(`ref ${JSON.stringify(ref)} is not a branch, tag or commit name`);
  }
}

/** Resolves `ref` in the repository holding `root`, or refuses with a message that says why. */
export async function resolveVersion(root: string, ref = 'HEAD'): Promise<ResolvedVersion> {
  checkRef(ref);
  const top = await git(root, ['rev-parse', '--show-toplevel']);
  if (top.code !== 0) {
    throw new DeployError(
      `${root} is not inside a git repository. Flowport deploys commits: run "git init" and commit your code, then deploy again.`,
    );
  }
  const topLevel = top.stdout.trim();
  const head = await git(root, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  const headCommit = head.code === 0 ? head.stdout.trim() : undefined;
  const resolved = await git(root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  if (resolved.code !== 0) {
    if (!headCommit && ref === 'HEAD') {
      throw new DeployError(
        `the git repository at ${topLevel} has no commits yet: commit your code, then deploy again.`,
      );
    }
    throw new UsageError(`unknown ref "${ref}": no branch, tag or commit of that name in ${topLevel}`);
  }
  const commit = resolved.stdout.trim();
  const status = await git(root, ['status', '--porcelain=v1', '-z', '--untracked-files=normal', '--', '.']);
  const changes = status.code === 0 ? parseStatus(status.stdout) : [];
  return { commit, ref, topLevel, headCommit, changes, packageVersion: await packageVersionAt(root, commit) };
}

/** The paths of `git status --porcelain=v1 -z` output. */
export function parseStatus(out: string): string[] {
  const files: string[] = [];
  const parts = out.split('\0');
  for (let i = 0; i < parts.length; i++) {
    const entry = parts[i]!;
    if (entry.length < 4) continue;
    files.push(entry.slice(3));
    if (entry[0] === 'R' || entry[0] === 'C') i++; // the rename's source path follows
  }
  return files;
}

async function packageVersionAt(root: string, commit: string): Promise<string | undefined> {
  const shown = await git(root, ['show', `${commit}:./package.json`]);
  if (shown.code !== 0) return undefined;
  try {
    const version = (JSON.parse(shown.stdout) as { version?: unknown }).version;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

export interface Worktree {
  /** Where the project root is inside the checkout. */
  root: string;
  remove(): Promise<void>;
}

/** Checks `commit` out, detached, into `dir`; the project root maps to the same place inside it. */
export async function addWorktree(version: ResolvedVersion, projectRoot: string, dir: string): Promise<Worktree> {
  const added = await git(version.topLevel, ['worktree', 'add', '--detach', '--quiet', dir, version.commit]);
  if (added.code !== 0) {
    throw new DeployError(`could not check out ${version.commit.slice(0, 12)} into ${dir}: ${added.stderr.trim()}`);
  }
  return {
    root: join(dir, relative(version.topLevel, projectRoot)),
    remove: () => removeWorktree(version.topLevel, dir),
  };
}

/** Removes a checkout {@link addWorktree} made (by the runner, once its command has ended). */
export async function removeWorktree(topLevel: string, dir: string): Promise<void> {
  const removed = await git(topLevel, ['worktree', 'remove', '--force', dir]).catch(() => undefined);
  if (removed?.code !== 0) {
    await rm(dir, { recursive: true, force: true });
    await git(topLevel, ['worktree', 'prune']).catch(() => undefined);
  }
}

/** What is checked out under `root`, for showing beside the flows; never throws. */
export interface HeadStatus {
  /** Full SHA of HEAD, or undefined outside a git repository (or before the first commit). */
  head?: string;
  /** Uncommitted changes under `root`. */
  dirty: boolean;
}

export async function headStatus(root: string): Promise<HeadStatus> {
  try {
    const head = await git(root, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
    const status = await git(root, ['status', '--porcelain=v1', '-z', '--untracked-files=normal', '--', '.']);
    return {
      ...(head.code === 0 ? { head: head.stdout.trim() } : {}),
      dirty: status.code === 0 && parseStatus(status.stdout).length > 0,
    };
  } catch {
    return { dirty: false };
  }
}

/** How two commits relate: what each has that the other does not (`git rev-list --left-right`). */
export interface CommitCounts {
  /** Commits reachable from `head` but not from `base`: how far `base` is behind. */
  behind: number;
  /** Commits reachable from `base` but not from `head`. */
  ahead: number;
}

const COMMIT_ID = /^[0-9a-f]{4,64}$/i;

/** Counts commits between two commit ids; undefined when either is not a commit git knows. */
export async function commitCounts(root: string, base: string, head: string): Promise<CommitCounts | undefined> {
  // Only commit ids: nothing a user typed reaches git here.
  if (!COMMIT_ID.test(base) || !COMMIT_ID.test(head)) return undefined;
  const counted = await git(root, ['rev-list', '--left-right', '--count', `${base}...${head}`, '--']).catch(
    () => undefined,
  );
  const [ahead, behind] = counted?.code === 0 ? counted.stdout.trim().split(/\s+/).map(Number) : [];
  return ahead !== undefined && behind !== undefined && Number.isFinite(ahead) && Number.isFinite(behind)
    ? { behind, ahead }
    : undefined;
}

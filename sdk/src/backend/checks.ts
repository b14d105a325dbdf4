/**
 * Pre-deploy checks: set per environment in the config (`{ name: 'prod', checks: [cleanTree(),
 * pushed(), check({ name: 'tests', command: ['npm', 'test'] })] }`), run by preflight before a
 * deploy, promote or rollback to that environment is recorded, and before any confirmation is
 * asked. A failing check refuses the run; `--override-checks "reason"` lets it through, and the
 * deployments record who overrode which checks and why (`attributes.checksOverridden`).
 *
 * A check runs once per batch unless its result depends on the commit (once per commit deployed)
 * or on the flow (once per flow): see {@link PreDeployCheck.dependsOn}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { DeployError } from '../errors.js';
import type { FlowDetails, JsonValue, RunContext } from '../model.js';
import { formatMs, readLines } from '../runner/command.js';
import { git, parseStatus } from './git.js';
import { ProcessTree, projectCommandEnv } from './processes.js';

/** What a check is run with. */
export interface CheckContext {
  /** The project root: a command check runs there. */
  root: string;
  /** The environment deployed to. */
  env: string;
  /** The full SHA about to be deployed; set for checks that depend on the commit. */
  commit?: string;
  /** The flow about to be deployed; set for checks that depend on the flow. */
  flow?: FlowDetails;
  /** Aborted when the caller gives up: the check must stop what it started and return. */
  signal: AbortSignal;
}

/** How one run of a check went. */
export interface CheckOutcome {
  ok: boolean;
  /** One line: what it found, or why it failed and what to do. */
  message: string;
  /** The last lines of its output (a command's), or the files it names. */
  output?: string[];
}

/**
 * A pre-deploy check. The built-in ones are {@link cleanTree}, {@link pushed} and {@link check};
 * a project may write its own (an object with a `name` and `run()`).
 */
export interface PreDeployCheck {
  /** Shown in the results and recorded when overridden; unique within an environment. */
  readonly name: string;
  /**
   * What the result depends on besides the environment. By default nothing: the check runs once
   * per batch. `commit`: once per distinct commit deployed (a promote of several flows may send
   * several). `flow`: once per flow.
   */
  readonly dependsOn?: readonly ('commit' | 'flow')[];
  run(ctx: CheckContext): Promise<CheckOutcome>;
}

/** One check's result, as the CLI prints it, `--json` carries it and the editor shows it. */
export interface CheckResult {
  name: string;
  /** The name, with the flow (and the commit, when the batch sends several) it ran for. */
  label: string;
  env: string;
  ok: boolean;
  durationMs: number;
  message: string;
  /** The last lines of its output; empty when it printed nothing. */
  output: string[];
  /** The flow it ran for, when it depends on the flow. */
  flow?: string;
  /** The commit it ran for, when it depends on the commit. */
  commit?: string;
}

/** Failing checks let through (`--override-checks "reason"`): what the run's deployments record. */
export interface ChecksOverride {
  /** Who let them through (`user@host`). */
  by: string;
  reason: string;
  /** The checks that failed, with the flow each ran for when it ran per flow. */
  failed: Array<{ name: string; flow?: string }>;
}

/**
 * A run whose failing checks were overridden. The override travels with the run (as `queue` and
 * `detach` do) through deployFlows, promoteFlows, rollbackFlows and the default promoter to the
 * deployer, which records {@link overriddenChecksOf} as `attributes.checksOverridden`.
 */
export interface CheckedRun extends RunContext {
  checksOverridden?: ChecksOverride;
}

/**
 * What one deployment of `flowName` records of its run's override: the failed checks that apply
 * to it (those of the whole batch, and its own flow's); undefined when none does.
 */
export function overriddenChecksOf(run: RunContext, flowName: string): JsonValue | undefined {
  const override = (run as CheckedRun).checksOverridden;
  if (!override) return undefined;
  const failed = [
    ...new Set(override.failed.filter((f) => f.flow === undefined || f.flow === flowName).map((f) => f.name)),
  ];
  if (failed.length === 0) return undefined;
  return { by: override.by, reason: override.reason, failed };
}

// ---------------------------------------------------------------------------------------------
// The built-in checks

/** JSON of a check (the project state the editor gets holds the environments): what it is, not its code. */
type CheckJson = { name: string; kind: string; command?: string[] };

class CleanTreeCheck implements PreDeployCheck {
  readonly kind = 'cleanTree';
  constructor(readonly name: string) {}

  async run(ctx: CheckContext): Promise<CheckOutcome> {
    const status = await git(ctx.root, ['status', '--porcelain=v1', '-z', '--untracked-files=normal', '--', '.']);
    if (status.code !== 0) return { ok: false, message: `git status failed: ${firstLine(status.stderr)}` };
    const files = parseStatus(status.stdout);
    if (files.length === 0) return { ok: true, message: 'no uncommitted changes' };
    const shown = files.slice(0, 3).join(', ') + (files.length > 3 ? ', …' : '');
    return {
      ok: false,
      message: `${files.length} uncommitted change${files.length === 1 ? '' : 's'} (${shown}): commit or stash ${files.length === 1 ? 'it' : 'them'}`,
      output: files.slice(0, TAIL_LINES),
    };
  }

  toJSON(): CheckJson {
    return { name: this.name, kind: this.kind };
  }
}

class PushedCheck implements PreDeployCheck {
  readonly kind = 'pushed';
  readonly dependsOn = ['commit'] as const;
  constructor(readonly name: string) {}

  async run(ctx: CheckContext): Promise<CheckOutcome> {
    const commit = ctx.commit;
    // Only a commit id reaches git here, never a name a user typed.
    if (!commit || !COMMIT_ID.test(commit)) return { ok: false, message: 'no commit to look for' };
    const short = commit.slice(0, 12);
    const branch = await git(ctx.root, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
    if (branch.code !== 0) {
      return {
        ok: false,
        message: `no upstream: HEAD is detached (no branch is checked out), so there is no upstream to find ${short} in. Check out the branch it is on.`,
      };
    }
    const name = branch.stdout.trim();
    const upstream = await git(ctx.root, ['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}']);
    if (upstream.code !== 0) {
      const remotes = (await git(ctx.root, ['remote'])).stdout.split('\n').filter(Boolean);
      const remote = remotes.length === 1 ? remotes[0]! : '<remote>';
      return {
        ok: false,
        message: `no upstream: branch ${name} has none, so ${short} cannot be known to be pushed. Push it with "git push -u ${remote} ${name}".`,
      };
    }
    const up = upstream.stdout.trim();
    // As of the last fetch or push: no network here. A stale remote-tracking branch only says "not pushed" more often.
    const contained = await git(ctx.root, ['merge-base', '--is-ancestor', commit, '@{upstream}']);
    if (contained.code === 0) return { ok: true, message: `${short} is in ${up}` };
    if (contained.code === 1) {
      return { ok: false, message: `${short} is not in ${up}: push it ("git push"), then run the command again` };
    }
    return {
      ok: false,
      message: `could not tell whether ${short} is in ${up}: ${firstLine(contained.stderr)}`,
      output: stderrLines(contained.stderr),
    };
  }

  toJSON(): CheckJson {
    return { name: this.name, kind: this.kind };
  }
}

/** A check that the working tree under the project root has no uncommitted or untracked changes (ignored files aside). */
export function cleanTree(options: { name?: string } = {}): PreDeployCheck {
  return new CleanTreeCheck(checkName(options.name, 'clean tree', 'cleanTree'));
}

/**
 * A check that the commit being deployed is in the current branch's upstream (`git merge-base
 * --is-ancestor <commit> @{upstream}`), as of the last fetch or push. No upstream fails, saying so.
 */
export function pushed(options: { name?: string } = {}): PreDeployCheck {
  return new PushedCheck(checkName(options.name, 'pushed', 'pushed'));
}

export interface CommandCheckOptions {
  /** Shown in the results. Default: the command line. */
  name?: string;
  /**
   * The program and its arguments, run without a shell in the project root, e.g. `['npm', 'test']`.
   * `{flow}` `{env}` `{commit}` are replaced inside each element; `{flow}` runs it once per flow,
   * `{commit}` once per commit deployed. Programs in the project's `node_modules/.bin` are found
   * without a path. It also gets FLOWPORT_ENV, FLOWPORT_ROOT and, when it depends on them,
   * FLOWPORT_FLOW and FLOWPORT_COMMIT.
   */
  command: string[];
  /** Folder it runs in, relative to the project root. Default: the project root. */
  cwd?: string;
  /** A run longer than this fails, and the command is stopped with every process it started. Default 10 minutes; 0 for none. */
  timeoutMs?: number;
  /** After a timeout or cancel, how long the command gets to stop on SIGTERM before SIGKILL. Default 2 s. */
  killGraceMs?: number;
}

const CHECK_PLACEHOLDERS = ['flow', 'env', 'commit'] as const;
type CheckPlaceholder = (typeof CHECK_PLACEHOLDERS)[number];
const CHECK_PLACEHOLDER = /\{(flow|env|commit)\}/g;
const ANY_PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

class CommandCheck implements PreDeployCheck {
  readonly kind = 'command';
  readonly name: string;
  readonly dependsOn: readonly ('commit' | 'flow')[];

  constructor(readonly options: CommandCheckOptions) {
    checkCommandOptions(options);
    this.name = checkName(options.name, options.command.join(' '), 'check');
    const used = new Set(options.command.flatMap((a) => [...a.matchAll(CHECK_PLACEHOLDER)].map((m) => m[1]!)));
    this.dependsOn = (['commit', 'flow'] as const).filter((p) => used.has(p));
  }

  run(ctx: CheckContext): Promise<CheckOutcome> {
    const values: Record<CheckPlaceholder, string> = {
      flow: ctx.flow?.name ?? '',
      env: ctx.env,
      commit: ctx.commit ?? '',
    };
    const argv = this.options.command.map((arg) =>
      arg.replace(CHECK_PLACEHOLDER, (_, p: CheckPlaceholder) => values[p]),
    );
    const env: Record<string, string> = { FLOWPORT_ENV: ctx.env, FLOWPORT_ROOT: ctx.root, FLOWPORT_CHECK: this.name };
    if (ctx.flow) env.FLOWPORT_FLOW = ctx.flow.name;
    if (ctx.commit) env.FLOWPORT_COMMIT = ctx.commit;
    return runCheckCommand({
      argv,
      cwd: resolve(ctx.root, this.options.cwd ?? '.'),
      root: ctx.root,
      env,
      timeoutMs: this.options.timeoutMs ?? 10 * 60_000,
      killGraceMs: this.options.killGraceMs ?? 2000,
      signal: ctx.signal,
    });
  }

  toJSON(): CheckJson {
    return { name: this.name, kind: this.kind, command: [...this.options.command] };
  }
}

/**
 * A check that runs a command without a shell and passes when it exits 0: tests, a lint, a script
 * asking CI for the commit's status. `check({ name: 'tests', command: ['npm', 'test'], timeoutMs: 300_000 })`.
 * Throws at once (so the config loader points at the line) on a bad option.
 */
export function check(options: CommandCheckOptions): PreDeployCheck {
  return new CommandCheck(options);
}

function checkName(name: unknown, fallback: string, factory: string): string {
  if (name === undefined) return fallback;
  if (typeof name !== 'string' || name.trim() === '' || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new TypeError(`${factory}: name must be a non-empty string on one line, e.g. ${factory}({ name: 'tests' })`);
  }
  return name;
}

function checkCommandOptions(options: CommandCheckOptions): void {
  const example = `e.g. check({ name: 'tests', command: ['npm', 'test'] })`;
  if (typeof options !== 'object' || options === null) throw new TypeError(`check: give it options, ${example}`);
  const { command } = options;
  if (!Array.isArray(command) || command.length === 0 || !command.every((a) => typeof a === 'string')) {
    throw new TypeError(
      `check: command must be a non-empty array of strings (the program, then its arguments), ${example}`,
    );
  }
  if (command[0]!.trim() === '') throw new TypeError(`check: command[0] must name the program to run, ${example}`);
  for (const text of command) {
    for (const m of text.matchAll(ANY_PLACEHOLDER)) {
      if (!(CHECK_PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
        throw new TypeError(
          `check: unknown placeholder {${m[1]}} in ${JSON.stringify(text)}; use ${CHECK_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`,
        );
      }
    }
  }
  for (const key of ['timeoutMs', 'killGraceMs'] as const) {
    const ms = options[key];
    if (ms !== undefined && !(typeof ms === 'number' && Number.isFinite(ms) && ms >= 0)) {
      throw new TypeError(
        `check: ${key} must be a number of milliseconds${key === 'timeoutMs' ? ' (0 for none)' : ''}`,
      );
    }
  }
  if (options.cwd !== undefined && typeof options.cwd !== 'string') {
    throw new TypeError('check: cwd must be a folder relative to the project root, e.g. "packages/api"');
  }
}

// ---------------------------------------------------------------------------------------------
// Running a check's command

const TAIL_LINES = 20;
const TAIL_LINE_CHARS = 500;
/** After the command exits, how long its output may still drain (a leftover child can hold the pipe). */
const DRAIN_MS = 1000;
const COMMIT_ID = /^[0-9a-f]{40,64}$/i;

interface CheckCommand {
  argv: string[];
  cwd: string;
  root: string;
  env: Record<string, string>;
  timeoutMs: number;
  killGraceMs: number;
  signal: AbortSignal;
}

/**
 * Runs a check's command in a process group of its own, keeping its last lines. On a timeout or
 * an abort the group and every process it started get SIGTERM, then SIGKILL after the grace; a
 * signal or exit of this process kills them at once (see {@link trackWhileRunning}).
 */
async function runCheckCommand(spec: CheckCommand): Promise<CheckOutcome> {
  const tail: string[] = [];
  const onLine = (line: string) => {
    tail.push(line.length > TAIL_LINE_CHARS ? `${line.slice(0, TAIL_LINE_CHARS)}…` : line);
    if (tail.length > TAIL_LINES) tail.shift();
  };
  if (spec.signal.aborted) return { ok: false, message: 'not run: cancelled' };
  let child: ChildProcess;
  try {
    child = spawn(spec.argv[0]!, spec.argv.slice(1), {
      cwd: spec.cwd,
      env: projectCommandEnv(spec.root, spec.env),
      // Its own process group: a timeout stops the command and everything it started.
      detached: process.platform !== 'win32',
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
  } catch (err) {
    return notStarted(spec.argv, err instanceof Error ? err.message : String(err));
  }
  const spawned = new Promise<string | undefined>((res) => {
    child.once('spawn', () => res(undefined));
    child.once('error', (err) => res(err.message));
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.once('exit', (code, signal) => res({ code, signal }));
  });
  const drained = Promise.all([readLines(child.stdout, onLine), readLines(child.stderr, onLine)]);
  const failedToStart = await spawned;
  if (failedToStart !== undefined || !child.pid) return notStarted(spec.argv, failedToStart ?? 'no process');

  const tree = new ProcessTree(child.pid);
  const untrack = trackWhileRunning(tree);
  let stopping: 'timeout' | 'cancel' | undefined;
  let stoppedAt = 0;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (why: 'timeout' | 'cancel') => {
    if (stopping) return;
    stopping = why;
    stoppedAt = Date.now();
    tree.signal('SIGTERM');
    killTimer = setTimeout(() => tree.signal('SIGKILL'), spec.killGraceMs);
  };
  const onAbort = () => stop('cancel');
  spec.signal.addEventListener('abort', onAbort, { once: true });
  const timeout = spec.timeoutMs > 0 ? setTimeout(() => stop('timeout'), spec.timeoutMs) : undefined;
  try {
    const exited = await exit;
    if (stopping) {
      // What the command started and left behind gets the rest of the grace, then SIGKILL.
      await until(() => !tree.anyAlive(), spec.killGraceMs - (Date.now() - stoppedAt));
    }
    // Passed or failed, a check leaves nothing running (the group, and the descendants seen).
    tree.signal('SIGKILL');
    await Promise.race([drained, delay(DRAIN_MS)]);
    child.stdout?.destroy();
    child.stderr?.destroy();
    const output = [...tail];
    if (stopping === 'timeout') {
      return {
        ok: false,
        message: `timed out after ${formatMs(spec.timeoutMs)}: stopped, with the processes it started`,
        output,
      };
    }
    if (stopping === 'cancel')
      return { ok: false, message: 'cancelled: stopped, with the processes it started', output };
    if (exited.code === 0) return { ok: true, message: 'passed', output };
    return {
      ok: false,
      message: exited.signal ? `killed by ${exited.signal}` : `exited with code ${exited.code}`,
      output,
    };
  } finally {
    if (timeout) clearTimeout(timeout);
    if (killTimer) clearTimeout(killTimer);
    spec.signal.removeEventListener('abort', onAbort);
    untrack();
  }
}

function notStarted(argv: string[], message: string): CheckOutcome {
  return {
    ok: false,
    message: `could not start ${JSON.stringify(argv[0])}: ${firstLine(message)}. Check the command in flowport.config.ts.`,
  };
}

/** Checks' process trees still running, killed should this process end first. */
const running = new Set<ProcessTree>();
const TERMINATING = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const killRunning = () => {
  for (const tree of running) tree.signal('SIGKILL');
};

/**
 * A check's process group is detached (so a timeout can stop all of it), and a Ctrl+C at the
 * terminal reaches only the foreground group: without this, a CLI interrupted during `npm test`
 * would leave the tests running. While a check runs, a terminating signal kills the checks'
 * processes; then, if nothing else of this process listens for it (the CLI), it is raised again so
 * the process ends as it would have; the SDK host's own handler carries on otherwise.
 */
function trackWhileRunning(tree: ProcessTree): () => void {
  running.add(tree);
  if (running.size === 1) {
    process.on('exit', killRunning);
    for (const s of TERMINATING) process.on(s, onTerminatingSignal);
  }
  return () => {
    if (!running.delete(tree) || running.size > 0) return;
    process.off('exit', killRunning);
    for (const s of TERMINATING) process.off(s, onTerminatingSignal);
  };
}

function onTerminatingSignal(signal: NodeJS.Signals): void {
  killRunning();
  running.clear();
  process.off('exit', killRunning);
  for (const s of TERMINATING) process.off(s, onTerminatingSignal);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

// ---------------------------------------------------------------------------------------------
// Running an environment's checks for a batch

/** One flow of the batch, with the commit it would deploy (undefined: none to check, e.g. nothing to roll back to). */
export interface CheckUnit {
  flow: FlowDetails;
  commit?: string;
  /** Why the commit cannot be told (a promoter that cannot plan): commit-dependent checks fail with it. */
  commitProblem?: string;
}

export interface RunChecksOptions {
  root: string;
  env: string;
  units: CheckUnit[];
  signal?: AbortSignal;
  /** Called with each result as it comes (the CLI prints them as they finish). */
  onResult?: (result: CheckResult) => void;
}

/** Runs each check, in the config's order, once per distinct thing it depends on; every check runs, failed or not. */
export async function runChecks(checks: readonly PreDeployCheck[], options: RunChecksOptions): Promise<CheckResult[]> {
  const signal = options.signal ?? new AbortController().signal;
  const results: CheckResult[] = [];
  const commits = new Set(options.units.map((u) => u.commit).filter(Boolean));
  for (const c of checks) {
    for (const target of targetsOf(c, options.units)) {
      const started = Date.now();
      let outcome: CheckOutcome;
      if (target.problem) outcome = { ok: false, message: target.problem };
      else if (signal.aborted) outcome = { ok: false, message: 'not run: cancelled' };
      else {
        try {
          outcome = await c.run({
            root: options.root,
            env: options.env,
            signal,
            ...(target.flow ? { flow: target.flow } : {}),
            ...(target.commit ? { commit: target.commit } : {}),
          });
        } catch (err) {
          outcome = { ok: false, message: `the check threw: ${err instanceof Error ? err.message : String(err)}` };
        }
      }
      const label =
        c.name +
        (target.flow ? ` (${target.flow.name})` : '') +
        (target.commit && commits.size > 1 && !target.flow ? ` (${target.commit.slice(0, 7)})` : '');
      const result: CheckResult = {
        name: c.name,
        label,
        env: options.env,
        ok: outcome.ok === true,
        durationMs: Date.now() - started,
        message: String(outcome.message ?? ''),
        output: Array.isArray(outcome.output) ? outcome.output.map(String) : [],
        ...(target.flow ? { flow: target.flow.name } : {}),
        ...(target.commit ? { commit: target.commit } : {}),
      };
      results.push(result);
      options.onResult?.(result);
    }
  }
  return results;
}

/** Where a check runs: once, once per commit, or once per flow (with its commit when it needs one). */
function targetsOf(
  c: PreDeployCheck,
  units: readonly CheckUnit[],
): Array<{ flow?: FlowDetails; commit?: string; problem?: string }> {
  const byFlow = c.dependsOn?.includes('flow') ?? false;
  const byCommit = c.dependsOn?.includes('commit') ?? false;
  if (!byFlow && !byCommit) return [{}];
  const targets = new Map<string, { flow?: FlowDetails; commit?: string; problem?: string }>();
  for (const unit of units) {
    if (byCommit && !unit.commit && !unit.commitProblem) continue; // that flow is refused on its own later
    const key = `${byFlow ? unit.flow.name : ''}\0${byCommit ? (unit.commit ?? unit.commitProblem) : ''}`;
    if (targets.has(key)) continue;
    targets.set(key, {
      ...(byFlow ? { flow: unit.flow } : {}),
      ...(byCommit && unit.commit ? { commit: unit.commit } : {}),
      ...(byCommit && !unit.commit && unit.commitProblem ? { problem: unit.commitProblem } : {}),
    });
  }
  return [...targets.values()];
}

/**
 * The refusal of a run whose checks failed. `withOutput` adds each failing check's last lines
 * (for a surface that shows only the message; the CLI prints them in its list above it).
 */
export function checksRefusal(
  env: string,
  action: string,
  failed: readonly CheckResult[],
  withOutput = true,
): DeployError {
  const names = failed.map((r) => r.label);
  const what =
    failed.length === 1
      ? `check "${names[0]}" failed`
      : `${failed.length} checks failed (${names.map((n) => `"${n}"`).join(', ')})`;
  const lines = [`${what} for ${env}: nothing was sent.`];
  if (withOutput) {
    for (const r of failed) {
      lines.push(`${r.label}: ${r.message}`);
      for (const line of r.output.slice(-10)) lines.push(`  | ${line}`);
    }
  }
  lines.push(
    `Fix ${failed.length === 1 ? 'it' : 'them'} and run it again, or pass --override-checks "<reason>" to ${action} anyway (the reason is recorded on the deployment).`,
  );
  return new DeployError(lines.join('\n'));
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((l) => l.trim())
      ?.trim() ?? ''
  );
}

function stderrLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-TAIL_LINES);
}

/** Resolves once `done()` holds, or after `ms`. */
async function until(done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  // Held open on purpose: the command has exited, and this wait may be all that is left to do.
  while (Date.now() < end && !done()) await new Promise((r) => setTimeout(r, Math.min(50, end - Date.now())));
}

/** Bounds a wait without holding the process open. */
function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** `run` carrying `override` to the deployer, which records it (unchanged without one). */
export function withChecksOverride<T extends RunContext>(run: T, override: ChecksOverride | undefined): T & CheckedRun {
  return override ? { ...run, checksOverridden: override } : run;
}

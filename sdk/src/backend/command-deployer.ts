/**
 * The default {@link Deployer}: runs the team's deploy command, recorded in the project's store.
 *
 * `commandDeployer({ command: ['node', 'scripts/deploy.mjs', '{flow}', '{env}'] })`
 *
 * The command is an argv array started with execa and no shell: placeholders are replaced inside
 * each element, so a flow, environment or ref is always exactly one argument, whatever characters
 * it holds. The version is a git commit: the ref resolves to a full SHA; a commit other than the
 * checked-out one runs from a temporary worktree of that commit, so a promote deploys exactly what
 * the source environment runs.
 */
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { UsageError } from '../errors.js';
import { ensureStateDir } from '../finder/scan-cache.js';
import type { DeployRequest, Deployer, DeploymentDetails, JsonValue, RunContext } from '../model.js';
import type { ProjectAware, ProjectContext } from './context.js';
import { addWorktree, resolveVersion, type ResolvedVersion, type Worktree } from './git.js';
import { localLedger } from './ledger.js';
import { ProcessTree } from './processes.js';
import { LOG_PREFIX, messageOf, runRecorded, type ActiveRun, type RunOutcome } from './run.js';
import type { DeploymentStore } from './store.js';

export interface CommandDeployerOptions {
  /**
   * The program and its arguments, e.g. `['node', 'scripts/deploy.mjs', '{flow}', '{env}']`.
   * `{flow}` `{env}` `{commit}` `{ref}` `{deploymentId}` are replaced inside each element.
   * Programs in the project's `node_modules/.bin` are found without a path.
   */
  command: string[];
  /** Folder the command runs in, relative to the project root. Default: the project root. */
  cwd?: string;
  /** Extra environment variables (placeholders are replaced in values too). */
  env?: Record<string, string>;
  /** A run longer than this fails as timed out. Default 30 minutes; 0 for none. */
  timeoutMs?: number;
  /** After a cancel or timeout, how long the command gets to stop on SIGTERM before SIGKILL. Default 5 s. */
  killGraceMs?: number;
  /**
   * `auto` (default): a commit other than the checked-out one, or a promote while the tree has
   * uncommitted changes, runs from a temporary git worktree of that commit. `never`: always run in
   * the working tree, and let the command check out `$FLOWPORT_COMMIT` itself.
   */
  worktree?: 'auto' | 'never';
  /** For use without a project: its root (default: the current folder). */
  root?: string;
  /** For use without a project: where to record (default: the local ledger under `root`). */
  store?: DeploymentStore;
}

const PLACEHOLDERS = ['flow', 'env', 'commit', 'ref', 'deploymentId'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
const PLACEHOLDER = /\{(flow|env|commit|ref|deploymentId)\}/g;
const ANY_PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const OUTPUT = /^::flowport-output ([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$/;
const TAIL_LINES = 20;
const TAIL_LINE_CHARS = 500;
const MAX_OUTPUTS = 100;
const MAX_OUTPUT_CHARS = 4096;
/** After the command exits, how long its output may still drain (a leftover child can hold the pipe). */
const DRAIN_MS = 2000;

/** Creates the default deployer. Throws at once (so the config loader points at it) on a bad option. */
export function commandDeployer(options: CommandDeployerOptions): CommandDeployer {
  return new CommandDeployer(options);
}

export class CommandDeployer implements Deployer, ProjectAware<CommandDeployer> {
  private fallbackStore: DeploymentStore | undefined;

  constructor(
    readonly options: CommandDeployerOptions,
    private readonly project?: ProjectContext,
  ) {
    checkOptions(options);
  }

  forProject(project: ProjectContext): CommandDeployer {
    return new CommandDeployer(this.options, project);
  }

  async deploy(request: DeployRequest, run: RunContext): Promise<DeploymentDetails> {
    const root = this.project?.root ?? resolve(this.options.root ?? process.cwd());
    const store = this.project?.store ?? this.options.store ?? (this.fallbackStore ??= localLedger({ root }));
    const flow = request.flow;
    checkName('flow', flow.name);
    checkName('environment', request.env);
    const environments = this.project?.environments;
    if (environments && !environments.some((e) => e.name === request.env)) {
      throw new UsageError(
        `cannot deploy "${flow.name}" to "${request.env}": that environment is not configured (flowport.config.ts lists ${environments.map((e) => e.name).join(', ')})`,
      );
    }
    // Loading execa takes ~100 ms: overlap it with git.
    void loadExeca().catch(() => undefined);
    const version = await resolveVersion(root, request.ref ?? 'HEAD');
    const inPlace =
      this.options.worktree === 'never' ||
      (version.commit === version.headCommit && !(request.promotedFrom && version.changes.length > 0));
    const dirty = inPlace && version.changes.length > 0;
    const attributes: Record<string, JsonValue> = { dirty, checkout: inPlace ? 'working-tree' : 'worktree' };
    if (dirty) attributes.changedFiles = version.changes.length;
    return runRecorded(
      store,
      {
        flowName: flow.name,
        env: request.env,
        commit: version.commit,
        ref: version.ref,
        ...(version.packageVersion === undefined ? {} : { packageVersion: version.packageVersion }),
        ...(request.promotedFrom ? { promotedFrom: request.promotedFrom } : {}),
        attributes,
      },
      run,
      (active) => this.run(active, request, root, version, inPlace, dirty),
    );
  }

  private async run(
    active: ActiveRun,
    request: DeployRequest,
    root: string,
    version: ResolvedVersion,
    inPlace: boolean,
    dirty: boolean,
  ): Promise<RunOutcome> {
    const d = active.deployment;
    active.log(
      `${LOG_PREFIX} deploying ${request.flow.name} to ${d.env}: ${d.commit.slice(0, 12)}${d.ref !== d.commit ? ` (${d.ref})` : ''}` +
        `${d.promotedFrom ? `, promoted from ${d.promotedFrom.env}` : ''}, deployment ${d.id}`,
    );
    if (dirty) {
      const shown = version.changes.slice(0, 5).join(', ');
      active.log(
        `${LOG_PREFIX} warning: ${version.changes.length} uncommitted change(s) under ${root} (${shown}${version.changes.length > 5 ? ', …' : ''}). ` +
          'This deployment is recorded as dirty: it holds files no commit has.',
      );
    }
    if (inPlace && version.headCommit !== version.commit) {
      active.log(
        `${LOG_PREFIX} warning: the working tree is at ${version.headCommit?.slice(0, 12) ?? 'no commit'}, not ${version.commit.slice(0, 12)}; worktree: 'never' runs the command there anyway.`,
      );
    }
    let worktree: Worktree | undefined;
    if (!inPlace) {
      const dir = join(ensureStateDir(root), 'worktrees', d.id);
      active.log(`${LOG_PREFIX} checking out ${d.commit.slice(0, 12)} into ${dir}`);
      worktree = await addWorktree(version, root, dir);
    }
    try {
      return await this.execute(active, request, root, worktree?.root ?? root, dirty);
    } finally {
      await worktree?.remove();
    }
  }

  private async execute(
    active: ActiveRun,
    request: DeployRequest,
    root: string,
    workRoot: string,
    dirty: boolean,
  ): Promise<RunOutcome> {
    const d = active.deployment;
    const values: Record<Placeholder, string> = {
      flow: request.flow.name,
      env: d.env,
      commit: d.commit,
      ref: d.ref,
      deploymentId: d.id,
    };
    const argv = this.options.command.map((arg) => fill(arg, values));
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.options.env ?? {})) env[name] = fill(value, values);
    Object.assign(env, {
      FLOWPORT_FLOW: request.flow.name,
      FLOWPORT_ENV: d.env,
      FLOWPORT_COMMIT: d.commit,
      FLOWPORT_REF: d.ref,
      FLOWPORT_DEPLOYMENT_ID: d.id,
      FLOWPORT_SOURCE: join(workRoot, request.flow.sourceRelative),
      FLOWPORT_ROOT: root,
      FLOWPORT_WORKDIR: workRoot,
      FLOWPORT_DIRTY: dirty ? '1' : '0',
      FLOWPORT_PROMOTED_FROM: d.promotedFrom?.env ?? '',
    });
    const cwd = resolve(workRoot, this.options.cwd ?? '.');
    if (active.signal.aborted) {
      active.log(`${LOG_PREFIX} cancelled before the deploy command started`);
      return {
        status: 'cancelled',
        attributes: { reason: 'cancelled before the deploy command started', command: argv },
      };
    }
    active.log(`${LOG_PREFIX} $ ${argv.map(displayArg).join(' ')}`);

    const outputs: Record<string, string> = {};
    let url: string | undefined;
    const tail: string[] = [];
    const onLine = (line: string) => {
      const out = OUTPUT.exec(line);
      if (out && (out[1]! in outputs || Object.keys(outputs).length < MAX_OUTPUTS)) {
        const value = out[2]!.slice(0, MAX_OUTPUT_CHARS);
        outputs[out[1]!] = value;
        if (out[1] === 'url') url = value;
      }
      tail.push(line.length > TAIL_LINE_CHARS ? `${line.slice(0, TAIL_LINE_CHARS)}…` : line);
      if (tail.length > TAIL_LINES) tail.shift();
      active.log(line);
    };

    const { execa } = await loadExeca();
    const started = Date.now();
    const subprocess = execa(argv[0]!, argv.slice(1), {
      cwd,
      env,
      extendEnv: true,
      preferLocal: true,
      localDir: root,
      // Its own process group, so a cancel stops the command and everything it started.
      detached: process.platform !== 'win32',
      stdin: 'ignore',
      buffer: false,
      reject: false,
      windowsHide: true,
    });
    const drained = Promise.all([readLines(subprocess.stdout, onLine), readLines(subprocess.stderr, onLine)]);
    const tree = subprocess.pid ? new ProcessTree(subprocess.pid) : undefined;
    const grace = this.options.killGraceMs ?? 5000;
    let stopping: 'cancel' | 'timeout' | undefined;
    let stoppedAt = 0;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (why: 'cancel' | 'timeout') => {
      if (stopping || !tree) return;
      stopping = why;
      stoppedAt = Date.now();
      active.log(
        `${LOG_PREFIX} ${why === 'timeout' ? `timed out after ${formatMs(this.timeoutMs)}` : 'cancelling'}: stopping the command (SIGTERM, then SIGKILL after ${formatMs(grace)})`,
      );
      tree.signal('SIGTERM');
      killTimer = setTimeout(() => tree.signal('SIGKILL'), grace);
    };
    const onAbort = () => stop('cancel');
    if (active.signal.aborted) onAbort();
    else active.signal.addEventListener('abort', onAbort, { once: true });
    const timeout = this.timeoutMs > 0 ? setTimeout(() => stop('timeout'), this.timeoutMs) : undefined;

    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
      subprocess.once('exit', (code, signal) => res({ code, signal }));
    });
    const settled = subprocess.then(
      (result) => ({
        failedToStart: result.failed && result.exitCode === undefined && !result.signal ? result.message : undefined,
      }),
      (err: unknown) => ({ failedToStart: messageOf(err) }),
    );
    if (subprocess.pid) {
      // Awaited, so this record cannot land after the final one; exit and output are already
      // being listened for.
      try {
        await active.recordProcess(subprocess.pid);
      } catch (err) {
        active.log(`${LOG_PREFIX} warning: could not record the command's process: ${messageOf(err)}`);
      }
    }
    try {
      const first = await Promise.race([exit.then((e) => ({ exit: e })), settled.then((s) => ({ settled: s }))]);
      let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      if ('exit' in first) {
        exited = first.exit;
        await Promise.race([drained, delay(DRAIN_MS, { keepAlive: false })]);
        subprocess.stdout?.destroy();
        subprocess.stderr?.destroy();
      } else if (first.settled.failedToStart !== undefined) {
        const reason = `could not start ${JSON.stringify(argv[0])}: ${firstLine(first.settled.failedToStart)}. Check the deploy command in flowport.config.ts.`;
        active.log(`${LOG_PREFIX} failed: ${reason}`);
        return { status: 'failed', attributes: { reason, command: argv } };
      } else {
        exited = await Promise.race([
          exit,
          delay(DRAIN_MS, { keepAlive: false }).then(() => ({
            code: subprocess.exitCode,
            signal: subprocess.signalCode,
          })),
        ]);
      }
      await settled;
      // Whatever the command started and left behind after a cancel or timeout gets the rest of the grace.
      if (stopping && tree?.anyAlive()) {
        await delay(Math.max(0, grace - (Date.now() - stoppedAt)));
        tree.signal('SIGKILL');
      }
      return outcome(exited, stopping, this.timeoutMs, {
        outputs,
        url,
        tail,
        argv,
        ms: Date.now() - started,
        log: (line: string) => active.log(line),
      });
    } finally {
      if (timeout) clearTimeout(timeout);
      if (killTimer) clearTimeout(killTimer);
      tree?.release();
      active.signal.removeEventListener('abort', onAbort);
    }
  }

  private get timeoutMs(): number {
    return this.options.timeoutMs ?? 30 * 60_000;
  }
}

function outcome(
  exited: { code: number | null; signal: NodeJS.Signals | null },
  stopping: 'cancel' | 'timeout' | undefined,
  timeoutMs: number,
  run: {
    outputs: Record<string, string>;
    url: string | undefined;
    tail: string[];
    argv: string[];
    ms: number;
    log: (line: string) => void;
  },
): RunOutcome {
  const base = { outputs: run.outputs, ...(run.url === undefined ? {} : { url: run.url }) };
  const exitInfo: Record<string, JsonValue> = {
    command: run.argv,
    exitCode: exited.code,
    ...(exited.signal ? { signal: exited.signal } : {}),
  };
  if (stopping === 'cancel') {
    run.log(`${LOG_PREFIX} cancelled after ${formatMs(run.ms)}`);
    return {
      status: 'cancelled',
      ...base,
      attributes: { ...exitInfo, reason: 'cancelled while the deploy command ran' },
    };
  }
  if (stopping === 'timeout') {
    const reason = `timed out after ${formatMs(timeoutMs)}`;
    run.log(`${LOG_PREFIX} failed: ${reason}`);
    return { status: 'failed', ...base, attributes: { ...exitInfo, timedOut: true, reason, lastLines: run.tail } };
  }
  if (exited.code === 0) {
    run.log(`${LOG_PREFIX} succeeded in ${formatMs(run.ms)}`);
    return { status: 'succeeded', ...base, attributes: exitInfo };
  }
  const reason = exited.signal
    ? `the deploy command was killed by ${exited.signal}`
    : `the deploy command exited with code ${exited.code}`;
  run.log(`${LOG_PREFIX} failed: ${reason}`);
  return { status: 'failed', ...base, attributes: { ...exitInfo, reason, lastLines: run.tail } };
}

function checkOptions(options: CommandDeployerOptions): void {
  const example = `e.g. commandDeployer({ command: ['node', 'scripts/deploy.mjs', '{flow}', '{env}'] })`;
  if (
    !Array.isArray(options?.command) ||
    options.command.length === 0 ||
    !options.command.every((a) => typeof a === 'string')
  ) {
    throw new TypeError(
      `commandDeployer: command must be a non-empty array of strings (the program, then its arguments), ${example}`,
    );
  }
  if (options.command[0]!.trim() === '')
    throw new TypeError(`commandDeployer: command[0] must name the program to run, ${example}`);
  const texts = [...options.command, ...Object.values(options.env ?? {})];
  for (const text of texts) {
    for (const m of text.matchAll(ANY_PLACEHOLDER)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
        throw new TypeError(
          `commandDeployer: unknown placeholder {${m[1]}} in ${JSON.stringify(text)}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`,
        );
      }
    }
  }
  if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs >= 0)) {
    throw new TypeError('commandDeployer: timeoutMs must be a number of milliseconds (0 for no timeout)');
  }
  if (options.worktree !== undefined && options.worktree !== 'auto' && options.worktree !== 'never') {
    throw new TypeError(`commandDeployer: worktree must be 'auto' or 'never'`);
  }
}

/** One pass, so a value that itself looks like `{env}` is never replaced again. */
function fill(text: string, values: Record<Placeholder, string>): string {
  return text.replace(PLACEHOLDER, (_, name: Placeholder) => values[name]);
}

/** Names reach the command as single argv elements; only what no argument or variable can hold is refused. */
function checkName(kind: string, name: string): void {
  if (name === '' || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new UsageError(`${kind} name ${JSON.stringify(name)} is empty or holds control characters`);
  }
}

function readLines(stream: Readable | null | undefined, onLine: (line: string) => void): Promise<void> {
  if (!stream) return Promise.resolve();
  return new Promise((res) => {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', onLine);
    lines.on('close', res);
    stream.on('error', () => res());
  });
}

/** For the log only: how the command would be typed, quoting what a reader could misread. */
function displayArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg);
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

let execaModule: Promise<typeof import('execa')> | undefined;
function loadExeca(): Promise<typeof import('execa')> {
  execaModule ??= import('execa');
  return execaModule;
}

/** `keepAlive: false` for a wait that only bounds another one: it must not hold the process open. */
function delay(ms: number, options: { keepAlive?: boolean } = {}): Promise<void> {
  return new Promise((r) => {
    const timer = setTimeout(r, ms);
    if (options.keepAlive === false) timer.unref();
  });
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m} min ${s} s` : `${m} min`;
}

/**
 * The deploy command, run by its runner: started in a process group of its own, its output read
 * line by line into the log (and `::flowport-output name=value` lines into outputs), stopped by
 * this runner only (a cancel, a timeout), and never left behind: a watchdog the runner starts
 * kills the command's group when the runner dies (kill -9), since no one else may signal it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import type { JsonValue } from '../model.js';
import { removeWorktree } from '../backend/git.js';
import { ProcessTree, projectCommandEnv } from '../backend/processes.js';
import { SecretMasker, SECRET_OUTPUTS } from '../secrets.js';
import { LOG_PREFIX, messageOf, type ActiveRun, type RunOutcome } from './life.js';
import { RUN_SPEC_VARIABLE, type CommandSpec } from './spec.js';
import { runSteps } from './steps.js';

const TAIL_LINES = 20;
const TAIL_LINE_CHARS = 500;
const MAX_OUTPUTS = 100;
const MAX_OUTPUT_CHARS = 4096;
/** After the command exits, how long its output may still drain (a leftover child can hold the pipe). */
const DRAIN_MS = 2000;

/**
 * Runs `spec`'s command to its end as `active`'s work (or its steps, when it has some: steps.ts),
 * then removes its worktree.
 */
export async function runCommand(spec: CommandSpec, active: ActiveRun): Promise<RunOutcome> {
  try {
    return spec.steps?.length ? await runSteps(spec, spec.steps, active) : await execute(spec, active);
  } finally {
    if (spec.worktree) await removeWorktree(spec.worktree.topLevel, spec.worktree.dir);
  }
}

async function execute(spec: CommandSpec, active: ActiveRun): Promise<RunOutcome> {
  const { argv } = spec;
  // Every line to the log, the tail and the terminal passes the masker: secret env values and outputs become •••.
  const masker = new SecretMasker({ env: spec.env, secretOutputs: spec.secretOutputs ?? [] });
  for (const line of spec.preamble) active.log(masker.mask(line));
  for (const warning of masker.warnings) active.log(`${LOG_PREFIX} ${warning}`);
  // The argv as recorded (attributes.command) and printed: a secret expanded into an argument
  // (`--token=${process.env.TOKEN}` in the config) reads •••. The command itself gets it as is.
  const recordedArgv = () => argv.map((arg) => masker.mask(arg));
  if (active.signal.aborted) {
    active.log(`${LOG_PREFIX} cancelled before the deploy command started`);
    return {
      status: 'cancelled',
      attributes: { reason: 'cancelled before the deploy command started', command: recordedArgv() },
    };
  }
  active.log(masker.mask(`${LOG_PREFIX} $ ${argv.map(displayArg).join(' ')}`));
  const ran = await runProcess({
    argv,
    cwd: spec.cwd,
    env: spec.env,
    localDir: spec.localDir,
    timeoutMs: spec.timeoutMs,
    killGraceMs: spec.killGraceMs,
    signal: active.signal,
    masker,
    line: (line) => active.log(line),
    note: (text) => active.log(`${LOG_PREFIX} ${text}`),
    // Awaited, so this record cannot land after the final one.
    started: (pid) =>
      active.recordProcess(pid).catch((err: unknown) => {
        active.log(`${LOG_PREFIX} warning: could not record the command's process: ${messageOf(err)}`);
      }),
  });
  if (ran.notStarted !== undefined) return failedToStart(recordedArgv(), ran.notStarted, active);
  return outcome(ran.exited, ran.stopped, spec.timeoutMs, {
    outputs: ran.outputs,
    url: ran.url,
    tail: ran.tail,
    argv: recordedArgv(), // with the secret outputs it printed masked too
    ms: ran.ms,
    log: (line: string) => active.log(line),
    secretOutputs: [...masker.declared].filter((name) => name in ran.outputs),
  });
}

/** One process for {@link runProcess} to run: a deploy command, or one target of a step (steps.ts). */
export interface ProcessRun {
  argv: string[];
  cwd: string;
  /** The command's own variables, over the runner's environment (the project's bins first on PATH). */
  env: Record<string, string>;
  localDir: string;
  /** 0 for none. */
  timeoutMs: number;
  killGraceMs: number;
  /** Aborted: the process and its group are stopped (SIGTERM, then SIGKILL after `killGraceMs`). */
  signal: AbortSignal;
  /** Masks what the process prints; learns the secret outputs it sets. */
  masker: SecretMasker;
  /** Each line the process prints, masked. */
  line(text: string): void;
  /** Flowport's own lines about the process ("cancelling: …"), without LOG_PREFIX. */
  note(text: string): void;
  /** Told the process id once it runs; awaited before {@link runProcess} returns. */
  started?(pid: number): Promise<void>;
}

/** How a process of {@link runProcess} ended. */
export interface ProcessResult {
  /** Why it never ran (a missing program): then nothing else is set but empty outputs. */
  notStarted?: string;
  exited: { code: number | null; signal: NodeJS.Signals | null };
  /** Why Flowport stopped it, when it did. */
  stopped?: 'cancel' | 'timeout';
  /** Its `::flowport-output` lines, values as printed (not masked). */
  outputs: Record<string, string>;
  url?: string;
  /** Its last lines, masked. */
  tail: string[];
  ms: number;
}

/**
 * Runs one process to its end: in a process group of its own (so a stop reaches all it started),
 * its lines masked and read for outputs, stopped on `signal` or its timeout, and watched by a
 * watchdog that kills its group should this runner die first.
 */
export async function runProcess(run: ProcessRun): Promise<ProcessResult> {
  const { argv, masker } = run;
  const outputs: Record<string, string> = {};
  let url: string | undefined;
  const tail: string[] = [];
  const onLine = (raw: string) => {
    const { output: out, shown: line } = masker.line(raw);
    if (out && (out.name in outputs || Object.keys(outputs).length < MAX_OUTPUTS)) {
      const value = out.value.slice(0, MAX_OUTPUT_CHARS);
      outputs[out.name] = value;
      if (out.name === 'url') url = value;
    }
    tail.push(line.length > TAIL_LINE_CHARS ? `${line.slice(0, TAIL_LINE_CHARS)}…` : line);
    if (tail.length > TAIL_LINES) tail.shift();
    run.line(line);
  };
  const notRun = (why: string): ProcessResult => ({
    notStarted: why,
    exited: { code: null, signal: null },
    outputs,
    tail,
    ms: 0,
  });

  const started = Date.now();
  let child: ChildProcess;
  try {
    child = spawn(argv[0]!, argv.slice(1), {
      cwd: run.cwd,
      env: commandEnv(run),
      // Its own process group: a cancel stops the command and everything it started.
      detached: process.platform !== 'win32',
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
  } catch (err) {
    return notRun(messageOf(err));
  }
  const spawned = new Promise<string | undefined>((res) => {
    child.once('spawn', () => res(undefined));
    child.once('error', (err) => res(err.message));
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.once('exit', (code, signal) => res({ code, signal }));
  });
  const drained = Promise.all([readLines(child.stdout, onLine), readLines(child.stderr, onLine)]);
  const notStarted = await spawned;
  if (notStarted !== undefined || !child.pid) return notRun(notStarted ?? 'no process');
  const watchdog = startWatchdog(child.pid);

  const tree = new ProcessTree(child.pid);
  const grace = run.killGraceMs;
  let stopping: 'cancel' | 'timeout' | undefined;
  let stoppedAt = 0;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (why: 'cancel' | 'timeout') => {
    if (stopping) return;
    stopping = why;
    stoppedAt = Date.now();
    run.note(
      `${why === 'timeout' ? `timed out after ${formatMs(run.timeoutMs)}` : 'cancelling'}: stopping the command (SIGTERM, then SIGKILL after ${formatMs(grace)})`,
    );
    tree.signal('SIGTERM');
    killTimer = setTimeout(() => tree.signal('SIGKILL'), grace);
  };
  const onAbort = () => stop('cancel');
  if (run.signal.aborted) onAbort();
  else run.signal.addEventListener('abort', onAbort, { once: true });
  const timeout = run.timeoutMs > 0 ? setTimeout(() => stop('timeout'), run.timeoutMs) : undefined;

  // Exit and output are already listened for.
  const recorded = run.started?.(child.pid);
  try {
    const exited = await exit;
    await Promise.race([drained, delay(DRAIN_MS)]);
    child.stdout?.destroy();
    child.stderr?.destroy();
    await recorded;
    // Whatever the command started and left behind after a cancel or timeout gets the rest of the grace.
    if (stopping && tree.anyAlive()) {
      await new Promise((r) => setTimeout(r, Math.max(0, grace - (Date.now() - stoppedAt))));
      tree.signal('SIGKILL');
    }
    return {
      exited,
      ...(stopping ? { stopped: stopping } : {}),
      outputs,
      ...(url === undefined ? {} : { url }),
      tail,
      ms: Date.now() - started,
    };
  } finally {
    if (timeout) clearTimeout(timeout);
    if (killTimer) clearTimeout(killTimer);
    watchdog?.stop();
    run.signal.removeEventListener('abort', onAbort);
  }
}

/**
 * A `sh` that waits for its stdin (a pipe from this runner) to close, then SIGKILLs the command's
 * process group. This runner stops it as soon as the command has ended; should the runner die
 * first (kill -9, a crash), the pipe closes and the command goes with it. The group id comes from
 * this process's own spawn, never from a record, and is an argument, not shell text.
 */
function startWatchdog(pgid: number): { stop(): void } | undefined {
  if (process.platform === 'win32') return undefined;
  let dog: ChildProcess;
  try {
    dog = spawn('/bin/sh', ['-c', 'read _; kill -s KILL -- "-$1" 2>/dev/null', 'flowport-watchdog', String(pgid)], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
  } catch {
    return undefined;
  }
  dog.on('error', () => undefined);
  dog.stdin?.on('error', () => undefined);
  dog.unref();
  (dog.stdin as { unref?: () => void } | null)?.unref?.();
  return {
    stop: () => {
      if (dog.exitCode === null && dog.signalCode === null) dog.kill('SIGKILL');
    },
  };
}

function failedToStart(argv: string[], message: string, active: ActiveRun): RunOutcome {
  const reason = `could not start ${JSON.stringify(argv[0])}: ${firstLine(message)}. Check the deploy command in flowport.config.ts.`;
  active.log(`${LOG_PREFIX} failed: ${reason}`);
  return { status: 'failed', attributes: { reason, command: argv } };
}

/** The runner's environment (without its spec), the command's variables, the project's bins first on PATH. */
function commandEnv(spec: Pick<ProcessRun, 'env' | 'localDir'>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base[RUN_SPEC_VARIABLE];
  return projectCommandEnv(spec.localDir, spec.env, base);
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
    /** Declared secret: the store seals them (secrets.ts). */
    secretOutputs: string[];
  },
): RunOutcome {
  const base = { outputs: run.outputs, ...(run.url === undefined ? {} : { url: run.url }) };
  const exitInfo: Record<string, JsonValue> = {
    ...(run.secretOutputs.length ? { [SECRET_OUTPUTS]: run.secretOutputs } : {}),
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

/** The longest line a command's output keeps; the rest of a longer one is cut, with a marker. */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * Splits a stream into lines, each at most MAX_LINE_CHARS long: a command that prints a line of
 * 512 MB without a newline (a binary, a minified bundle) would otherwise be held whole in memory,
 * and crashed the CLI that read it.
 */
export function readLines(stream: Readable | null | undefined, onLine: (line: string) => void): Promise<void> {
  if (!stream) return Promise.resolve();
  return new Promise((res) => {
    const decoder = new StringDecoder('utf8');
    let line = '';
    let cut = false;
    const take = (text: string) => {
      let start = 0;
      for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
        add(text.slice(start, nl));
        emit();
        start = nl + 1;
      }
      add(text.slice(start));
    };
    const add = (part: string) => {
      if (cut) return;
      line += part;
      if (line.length > MAX_LINE_CHARS) {
        line = `${line.slice(0, MAX_LINE_CHARS)} … [flowport: the rest of this line, over ${MAX_LINE_CHARS / 1024} KiB, was cut]`;
        cut = true;
      }
    };
    const emit = () => {
      onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      line = '';
      cut = false;
    };
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      take(decoder.end());
      if (line || cut) emit();
      res();
    };
    stream.on('data', (chunk: Buffer) => take(decoder.write(chunk)));
    // 'end' when the command closed it; 'close' alone when the stream was destroyed.
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  });
}

/** For the log only: how the command would be typed, quoting what a reader could misread. */
export function displayArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg);
}

export function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/** Bounds another wait: it must not hold the process open. */
function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m} min ${s} s` : `${m} min`;
}

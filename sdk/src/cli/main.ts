/**
 * The `flowport` CLI. Exit codes: 0 success, 1 a deploy or promote failed or was refused, 2 bad
 * input or config. Diagnostics go to stderr so stdout stays parseable with `--json`.
 */
import { Console } from 'node:console';
import { closest } from '../did-you-mean.js';
import { escapeJsonControls, sanitizeTerminalText } from '../terminal-text.js';
import { UsageError, flowportErrorKind, withNextStep } from '../errors.js';
import { USAGE, type CommandName } from './usage.js';
import { hintOf, type CommandHint } from '../hint.js';
import { asTypedHere } from './options.js';

export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
}

type Command = (args: string[], io: CommandIO) => Promise<number>;

/**
 * Each command's module is imported when that command runs: `flowport flows` with a warm cache
 * should not pay for loading the deploy machinery (the CLI's start is most of its run time).
 */
const lazy =
  <K extends string>(load: () => Promise<Record<K, Command>>, name: K): Command =>
  async (args, io) =>
    (await load())[name](args, io);

const COMMANDS: Record<CommandName, { run: Command; summary: string }> = {
  flows: { run: lazy(() => import('./flows.js'), 'flowsCommand'), summary: 'list the flows found in the source' },
  deployments: {
    run: lazy(() => import('./deployments.js'), 'deploymentsCommand'),
    summary: 'flows × environments: commit, status, age',
  },
  deploy: { run: lazy(() => import('./deploy.js'), 'deployCommand'), summary: 'deploy, streaming the log' },
  promote: { run: lazy(() => import('./promote.js'), 'promoteCommand'), summary: 'deploy what E1 runs to E2' },
  history: {
    run: lazy(() => import('./history.js'), 'historyCommand'),
    summary: 'every deployment of a flow, newest first',
  },
  releases: {
    run: lazy(() => import('./releases.js'), 'releasesCommand'),
    summary: "a flow's successful deployments in one environment, newest first",
  },
  rollback: {
    run: lazy(() => import('./rollback.js'), 'rollbackCommand'),
    summary: 'redeploy an earlier release (default: the one before the current)',
  },
  queue: {
    run: lazy(() => import('./queue.js'), 'queueCommand'),
    summary: 'the deploys waiting their turn, per flow and environment',
  },
  approvals: {
    run: lazy(() => import('./approvals.js'), 'approvalsCommand'),
    summary: 'the deploys waiting for approval, and what each needs',
  },
  approve: {
    run: lazy(() => import('./approve.js'), 'approveCommand'),
    summary: 'approve a deploy waiting for it (as your git user.email)',
  },
  reject: { run: lazy(() => import('./reject.js'), 'rejectCommand'), summary: 'reject a deploy waiting for approval' },
  lock: {
    run: lazy(() => import('./lock.js'), 'lockCommand'),
    summary: 'refuse deploys to an environment (or one flow in it) until unlocked',
  },
  unlock: { run: lazy(() => import('./unlock.js'), 'unlockCommand'), summary: 'lift a lock, recorded with who did' },
  locks: {
    run: lazy(() => import('./locks.js'), 'locksCommand'),
    summary: 'the locks that hold: who, since when, why',
  },
  logs: { run: lazy(() => import('./logs.js'), 'logsCommand'), summary: "print a deployment's log" },
  cancel: { run: lazy(() => import('./cancel.js'), 'cancelCommand'), summary: 'stop a deploy, from any process' },
  state: {
    run: lazy(() => import('./state.js'), 'stateCommand'),
    summary: "migrate the team store's schema, or copy the local history into it",
  },
};

const isCommand = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);

const HELP = `Usage: flowport <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${USAGE[name as CommandName]}\n      ${c.summary}`)
  .join('\n')}

--root DIR: the project folder. Default: the nearest folder, from the current one up, holding
flowport.config.{ts,mts,js,mjs}, else the nearest holding .git, else the current folder.
--yes, -y: deploy or promote to a protected environment without asking.
--json: print one JSON document on stdout (logs and messages go to stderr).
--no-cache: neither read nor write the flow scan cache.
flowport <command> --help: that command's usage.

Exit codes: 0 success, 1 a deploy or promote failed or was refused, 2 bad input or config.`;

/** What a terminal user does once a config problem is fixed (the editor reloads it on save). */
const NEXT_STEP = 'fix it and run the command again';

/** The `--json` output of a command that failed before it had a result to print (exit 2, or 1 when unexpected). */
export interface ErrorOutput {
  error: {
    /** `UsageError` (bad flags and arguments too), `ConfigError`, `DeployError`; `Error` when unexpected. */
    kind: string;
    /** As printed on stderr, without the `flowport: ` prefix. */
    message: string;
    /** The config file (ConfigError). */
    file?: string;
    /** 1-based line in `file`, when known. */
    line?: number;
    /** The command that fixes it, when there is one (the message ends with it as text). */
    hint?: CommandHint;
  };
}

export async function main(argv: string[], given: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  // With --json, stdout is one JSON document even when the command fails.
  const json = rest.includes('--json');
  const io = terminalSafe(given, json);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(HELP);
    return name ? 0 : 2;
  }
  if (name === '--version') {
    const { SDK_VERSION } = await import('../version.js');
    io.out(SDK_VERSION);
    return 0;
  }
  if (!isCommand(name)) {
    const near = closest(name, Object.keys(COMMANDS));
    const hint = near ? `: did you mean "${near}"?` : '';
    return reportError(new UsageError(`unknown command "${name}"${hint}`), io, json, `\n\n${HELP}`);
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`Usage: ${USAGE[name]}`);
    return 0;
  }
  try {
    return await COMMANDS[name].run(rest, io);
  } catch (err) {
    return reportError(unknownOption(err, name) ?? err, io, json);
  }
}

/**
 * Everything a command prints passes here: names, outputs and a deploy command's output are the
 * project's text, and may hold terminal control sequences. Colours stay; titles, clipboard
 * writes, cursor moves and the like are dropped. A JSON document keeps its data exactly (JSON
 * escapes ESC and C0 already; DEL and C1 are escaped too).
 */
function terminalSafe(io: CommandIO, json: boolean): CommandIO {
  return {
    out: (text) => io.out(json ? escapeJsonControls(text) : sanitizeTerminalText(text)),
    err: (text) => io.err(sanitizeTerminalText(text)),
  };
}

/** Node's parseArgs words an unknown flag for any program: say it for this command, with the flag meant. */
function unknownOption(err: unknown, command: CommandName): UsageError | undefined {
  if ((err as { code?: string } | null)?.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return undefined;
  const flag = /Unknown option '([^']+)'/.exec((err as Error).message)?.[1];
  if (!flag) return undefined;
  const known = [...new Set(USAGE[command].match(/--[a-z][a-z-]*|-[a-z]\b/g) ?? [])];
  const near = closest(flag, known, { prefixes: true });
  return new UsageError(
    `unknown option ${flag} for ${command}${near ? `: did you mean ${near}?` : '.'} Usage: ${USAGE[command]}`,
  );
}

/**
 * Prints the error (on stderr, and as {@link ErrorOutput} on stdout with `--json`); returns the
 * exit code. `stderrTail` is for a person only, such as the help after an unknown command.
 */
function reportError(err: unknown, io: CommandIO, json: boolean, stderrTail = ''): number {
  const { code, error, hint } = describeError(err);
  io.err(`flowport: ${error.message}${hint}${stderrTail}`);
  if (json) io.out(JSON.stringify({ error } satisfies ErrorOutput, null, 2));
  return code;
}

function describeError(err: unknown): { code: number; error: ErrorOutput['error']; hint: string } {
  const kind = flowportErrorKind(err);
  if (kind) {
    const { file, line } = err as { file?: unknown; line?: unknown };
    const hint = hintOf(err);
    const error: ErrorOutput['error'] = {
      kind,
      message: asTypedHere(withNextStep(err as Error, NEXT_STEP), hint),
      ...(typeof file === 'string' ? { file } : {}),
      ...(typeof line === 'number' && line > 0 ? { line } : {}),
      ...(hint ? { hint } : {}),
    };
    return { code: kind === 'UsageError' || kind === 'ConfigError' ? 2 : 1, error, hint: '' };
  }
  // Node's parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for bad flags.
  const code = (err as { code?: string } | null)?.code;
  if (code?.startsWith('ERR_PARSE_ARGS')) {
    const error = { kind: 'UsageError', message: (err as Error).message };
    return { code: 2, error, hint: '\nRun "flowport --help" for usage.' };
  }
  const message = `unexpected error: ${err instanceof Error ? (process.env.FLOWPORT_DEBUG ? err.stack : err.message) : String(err)}`;
  return { code: 1, error: { kind: 'Error', message }, hint: '' };
}

// stdout is the command's: its table, or exactly one JSON document with --json. Whatever else
// prints in this process (a config's console.log, a deployer of its own) goes to stderr.
const stdoutWrite = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);
const stderrConsole = new Console({ stdout: process.stderr, stderr: process.stderr });
for (const method of ['log', 'info', 'debug', 'dir', 'dirxml', 'table', 'group', 'groupCollapsed', 'trace'] as const) {
  (console as unknown as Record<string, unknown>)[method] = stderrConsole[method].bind(stderrConsole);
}

const io: CommandIO = {
  out: (text) => stdoutWrite(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
};

/**
 * A command ends by returning its exit code. Should the process end before that with 0 (a
 * process.exit(0) in project code, or nothing left to wait for while a promise never settled), a
 * script must not read it as success.
 */
let finished = false;
process.on('exit', (code) => {
  if (finished || code !== 0) return;
  process.stderr.write(
    'flowport: the command ended before it finished (project code called process.exit, or awaited a promise nothing resolves)\n',
  );
  process.exitCode = 1;
});

main(process.argv.slice(2), io).then(
  (code) => {
    finished = true;
    process.exitCode = code;
  },
  (err: unknown) => {
    finished = true;
    process.stderr.write(`flowport: ${String(err)}\n`);
    process.exitCode = 1;
  },
);

/**
 * The `flowport` CLI. Exit codes: 0 success, 1 the deploy (or promote) failed, 2 bad input or
 * config. Diagnostics go to stderr so stdout stays parseable with `--json`.
 */
import { flowportErrorKind } from '../errors.js';

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

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  flows: {
    run: lazy(() => import('./flows.js'), 'flowsCommand'),
    summary: 'flowport flows [--root DIR] [--json] [--no-cache]   list the flows found in the source',
  },
  deployments: {
    run: lazy(() => import('./deployments.js'), 'deploymentsCommand'),
    summary: 'flowport deployments [--flow F] [--env E] [--json]   flows × environments: commit, status, age',
  },
  deploy: {
    run: lazy(() => import('./deploy.js'), 'deployCommand'),
    summary: 'flowport deploy <flow…|--group G> --env E [--ref R] [--json]   deploy, streaming the log',
  },
  promote: {
    run: lazy(() => import('./promote.js'), 'promoteCommand'),
    summary: 'flowport promote <flow…|--group G> --from E1 --to E2 [--json]   deploy what E1 runs to E2',
  },
  history: {
    run: lazy(() => import('./history.js'), 'historyCommand'),
    summary: 'flowport history <flow> [--env E] [--limit N] [--json]   every deployment of a flow, newest first',
  },
  logs: {
    run: lazy(() => import('./logs.js'), 'logsCommand'),
    summary: "flowport logs <deploymentId> [--follow]   print a deployment's log",
  },
  cancel: {
    run: lazy(() => import('./cancel.js'), 'cancelCommand'),
    summary: 'flowport cancel <deploymentId> [--no-wait] [--timeout S] [--json]   stop a deploy, from any process',
  },
};

const USAGE = `Usage: flowport <command> [options]

Commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.summary}`)
  .join('\n')}

Exit codes: 0 success, 1 a deploy failed, 2 bad input or config.`;

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return name ? 0 : 2;
  }
  if (name === '--version') {
    const { SDK_VERSION } = await import('../version.js');
    io.out(SDK_VERSION);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`flowport: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    return reportError(err, io);
  }
}

function reportError(err: unknown, io: CommandIO): number {
  const kind = flowportErrorKind(err);
  if (kind) {
    io.err(`flowport: ${(err as Error).message}`);
    return kind === 'UsageError' || kind === 'ConfigError' ? 2 : 1;
  }
  // Node's parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for bad flags.
  const code = (err as { code?: string }).code;
  if (code?.startsWith('ERR_PARSE_ARGS')) {
    io.err(`flowport: ${(err as Error).message}\nRun "flowport --help" for usage.`);
    return 2;
  }
  io.err(
    `flowport: unexpected error: ${err instanceof Error ? (process.env.FLOWPORT_DEBUG ? err.stack : err.message) : String(err)}`,
  );
  return 1;
}

const io: CommandIO = {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
};

main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`flowport: ${String(err)}\n`);
    process.exitCode = 1;
  },
);

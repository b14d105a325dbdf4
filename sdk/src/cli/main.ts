/**
 * The `flowport` CLI. Exit codes: 0 success, 1 the deploy (or promote) failed, 2 bad input or
 * config. Diagnostics go to stderr so stdout stays parseable with `--json`.
 */
import { ConfigError, FlowportError, UsageError } from '../errors.js';
import { flowsCommand } from './flows.js';
import { deploymentsCommand } from './deployments.js';
import { deployCommand } from './deploy.js';
import { promoteCommand } from './promote.js';
import { historyCommand } from './history.js';
import { logsCommand } from './logs.js';
import { cancelCommand } from './cancel.js';

export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
}

type Command = (args: string[], io: CommandIO) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  flows: {
    run: flowsCommand,
    summary: 'flowport flows [--root DIR] [--json] [--no-cache]   list the flows found in the source',
  },
  deployments: {
    run: deploymentsCommand,
    summary: 'flowport deployments [--flow F] [--env E] [--json]   flows × environments: commit, status, age',
  },
  deploy: {
    run: deployCommand,
    summary: 'flowport deploy <flow…|--group G> --env E [--ref R] [--json]   deploy, streaming the log',
  },
  promote: {
    run: promoteCommand,
    summary: 'flowport promote <flow…|--group G> --from E1 --to E2 [--json]   deploy what E1 runs to E2',
  },
  history: {
    run: historyCommand,
    summary: 'flowport history <flow> [--env E] [--limit N] [--json]   every deployment of a flow, newest first',
  },
  logs: {
    run: logsCommand,
    summary: "flowport logs <deploymentId> [--follow]   print a deployment's log",
  },
  cancel: {
    run: cancelCommand,
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
  if (err instanceof UsageError || err instanceof ConfigError) {
    io.err(`flowport: ${err.message}`);
    return 2;
  }
  if (err instanceof FlowportError) {
    io.err(`flowport: ${err.message}`);
    return 1;
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

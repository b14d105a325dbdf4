/**
 * The command that fixes what a message is about, as data: the CLI prints it (with `--root` when
 * run from outside the project), an editor can offer it as an action.
 */
import { relative, resolve } from 'node:path';

export type HintCommand =
  | 'flows'
  | 'deployments'
  | 'deploy'
  | 'promote'
  | 'history'
  | 'releases'
  | 'rollback'
  | 'queue'
  | 'approvals'
  | 'approve'
  | 'reject'
  | 'lock'
  | 'unlock'
  | 'locks'
  | 'logs'
  | 'cancel';

export interface CommandHint {
  /** The `flowport` command. */
  command: HintCommand;
  /** Its arguments and flags, without `--root`: one element per argument, never shell text. */
  args: string[];
  /** The project it runs in (absolute), when it is not the one the message is about. */
  root?: string;
}

/** A message whose last words are a command: `${text}: ${commandLine(hint)}`, with the hint kept. */
export function withHint(text: string, hint: CommandHint): { message: string; hint: CommandHint } {
  return { message: `${text}: ${commandLine(hint)}`, hint };
}

/** `flowport promote x --from dev --to uat`, each argument quoted for a POSIX shell when it needs it. */
export function commandLine(hint: CommandHint, rootArg?: string): string {
  const root = rootArg === undefined ? [] : ['--root', rootArg];
  return ['flowport', hint.command, ...hint.args, ...root].map(shellWord).join(' ');
}

/**
 * `--root` as the user can type it from `cwd` (relative, unless the absolute path is shorter), or
 * undefined when the command as printed already finds that project from `cwd`.
 * `findsFromCwd` is the root a command run in `cwd` without `--root` works on.
 */
export function rootArgument(projectRoot: string, cwd: string, findsFromCwd: string): string | undefined {
  const root = resolve(projectRoot);
  if (resolve(findsFromCwd) === root) return undefined;
  const rel = relative(cwd, root) || '.';
  return rel.length <= root.length ? rel : root;
}

/** The hint's command line as typed from `cwd`, where `findRoot(cwd)` is the project found without `--root`. */
export function commandLineFrom(hint: CommandHint, projectRoot: string, cwd: string, findsFromCwd: string): string {
  return commandLine(hint, rootArgument(hint.root ?? projectRoot, cwd, findsFromCwd));
}

function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The hint an error or result carries, by shape (it may come from another copy of the SDK). */
export function hintOf(x: unknown): CommandHint | undefined {
  const hint = (x as { hint?: Partial<CommandHint> } | null | undefined)?.hint;
  return typeof hint?.command === 'string' && Array.isArray(hint.args) ? (hint as CommandHint) : undefined;
}

/**
 * `message` with its hint's command rewritten as typed from `cwd`: the SDK words a hint for the
 * project's own folder, and only the CLI knows where it was run.
 */
export function rerootMessage(
  message: string,
  hint: CommandHint | undefined,
  projectRoot: string,
  cwd: string,
  findsFromCwd: string,
): string {
  if (!hint) return message;
  const plain = commandLine(hint);
  const typed = commandLineFrom(hint, projectRoot, cwd, findsFromCwd);
  if (plain === typed) return message;
  // Not where it already is as typed: a message is rewritten once, whoever asks.
  const escaped = plain.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return message.replace(new RegExp(`${escaped}(?! --root)`, 'g'), () => typed);
}

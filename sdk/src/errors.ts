/**
 * Errors a user can act on. Each message says what went wrong and what to do; callers show the
 * message and keep `cause` for the details view / log.
 */
import type { CommandHint } from './hint.js';

/** Base class: `kind` lets a JSON-RPC peer or the CLI tell them apart after serialization. */
export class FlowportError extends Error {
  readonly kind: string = 'FlowportError';
  /** The command that fixes it, when there is one; the message ends with it as text. */
  readonly hint?: CommandHint;
  constructor(message: string, options?: { cause?: unknown; hint?: CommandHint }) {
    super(message, options);
    this.name = new.target.name;
    if (options?.hint) this.hint = options.hint;
  }
}

/** `flowport.config.*` cannot be loaded or is invalid. Points at the file and line to fix. */
export class ConfigError extends FlowportError {
  override readonly kind = 'ConfigError';
  /**
   * The message says only what is wrong (a compiler's words), not what to do. The next step
   * depends on where it is shown (save in the editor, run the command again in a terminal), so
   * each surface adds its own with {@link withNextStep}.
   */
  readonly needsNextStep: boolean;
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    options?: { cause?: unknown; needsNextStep?: boolean },
  ) {
    super(line > 0 ? `${file}:${line}: ${message}` : `${file}: ${message}`, options);
    this.needsNextStep = options?.needsNextStep ?? false;
  }
}

/** A deploy or promote was refused or failed before its command ran. */
export class DeployError extends FlowportError {
  override readonly kind = 'DeployError';
}

/** The caller asked for something that does not exist or is malformed (bad flag, unknown flow). */
export class UsageError extends FlowportError {
  override readonly kind = 'UsageError';
}

/**
 * The error's `kind` when it is a Flowport error. Checked by shape, not `instanceof`: the CLI, the
 * SDK host and a project's own copy of the `flowport` package each have their own classes.
 */
export function flowportErrorKind(err: unknown): string | undefined {
  const kind = (err as { kind?: unknown } | null)?.kind;
  return err instanceof Error && typeof kind === 'string' ? kind : undefined;
}

/** The error's message, ending with this surface's `nextStep` when it has none of its own. */
export function withNextStep(err: Error, nextStep: string): string {
  // By shape, as flowportErrorKind: the error may come from another copy of these classes.
  return (err as { needsNextStep?: unknown }).needsNextStep === true ? `${err.message} — ${nextStep}` : err.message;
}

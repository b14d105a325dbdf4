/**
 * Errors a user can act on. Each message says what went wrong and what to do; callers show the
 * message and keep `cause` for the details view / log.
 */

/** Base class: `kind` lets a JSON-RPC peer or the CLI tell them apart after serialization. */
export class FlowportError extends Error {
  readonly kind: string = 'FlowportError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** `flowport.config.*` cannot be loaded or is invalid. Points at the file and line to fix. */
export class ConfigError extends FlowportError {
  override readonly kind = 'ConfigError';
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    options?: { cause?: unknown },
  ) {
    super(line > 0 ? `${file}:${line}: ${message}` : `${file}: ${message}`, options);
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

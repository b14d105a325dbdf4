/**
 * Factories a config calls with no project arguments (`flows: typescriptFlows()`,
 * `deployments: localLedger()`) return a stand-in that the project binds to its root as the
 * config loads, as it binds `commandDeployer()` through `forProject`. Found by shape, through a
 * registered symbol: the config's copy of the `flowport` package may not be the CLI's.
 */
import { closest } from '../did-you-mean.js';
import { UsageError } from '../errors.js';

const FOR_ROOT = Symbol.for('flowport.forRoot');

export interface RootContext {
  /** Absolute project root. */
  root: string;
  /** `false`: the flow scan cache is off (`--no-cache`). */
  cache?: boolean;
}

/** A stand-in made without the project: `[FOR_ROOT](ctx)` makes the real thing. */
export interface RootBound<T> {
  readonly [FOR_ROOT]: (ctx: RootContext) => T;
}

/**
 * A stand-in for what `factory` makes once it knows the project root: it has the methods the
 * config's validation looks for, and each says how to use the factory when called unbound.
 */
export function unbound<S extends object, B = S>(
  factory: string,
  methods: readonly string[],
  bind: (ctx: RootContext) => B,
  extra: Record<string, unknown> = {},
): S & RootBound<B> {
  const notBound = () =>
    Promise.reject(
      new UsageError(
        `${factory}() without a root is bound to the project when flowport.config.ts loads; ` +
          `outside a config, pass the project folder: ${factory}({ root: '/path/to/project' })`,
      ),
    );
  const stand = Object.fromEntries(methods.map((m) => [m, notBound])) as Record<string, unknown>;
  return Object.assign(stand, extra, { [FOR_ROOT]: bind }) as unknown as S & RootBound<B>;
}

/** `value` bound to the project root when it is a stand-in, else `value` itself. */
export function bindToRoot<T>(value: T, ctx: RootContext): T {
  const bind = (value as Partial<RootBound<T>> | null | undefined)?.[FOR_ROOT];
  return typeof bind === 'function' ? bind(ctx) : value;
}

/** Whether `value` is a stand-in the project still has to bind. */
export function isRootBound(value: unknown): value is RootBound<unknown> {
  return typeof (value as Partial<RootBound<unknown>> | null | undefined)?.[FOR_ROOT] === 'function';
}

/**
 * Checks a factory's options object: an object (or nothing) whose keys are all known. Thrown while
 * the config loads, so the loader reports it at the config's line that made the call.
 */
export function checkFactoryOptions(
  factory: string,
  options: unknown,
  known: readonly string[],
  example: string,
): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new UsageError(`${factory}() takes an options object or nothing, not ${describe(options)}: ${example}`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = closest(key, known);
    throw new UsageError(
      `${factory}(): unknown option ${JSON.stringify(key)}${near ? `: did you mean ${JSON.stringify(near)}?` : ''} It takes ${known.join(', ')}: ${example}`,
    );
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return value === null ? 'null' : typeof value;
}

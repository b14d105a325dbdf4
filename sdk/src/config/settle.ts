/**
 * A config is the project's own code, and the CLI and the SDK host run it as they start. A config
 * that never settles (a promise nothing resolves, `process.exit(0)`) used to end every command
 * with exit 0 and no output, and one that loops (`while (true) {}`) held the process for good,
 * past SIGTERM: a loop cannot be interrupted from the thread it runs in.
 *
 * So a config is first evaluated in a worker thread, which can be stopped: only once it has
 * settled there (its module and, when it exports a function, that function's promise) is it
 * imported in this process. The two evaluate the very same compiled file (its name is its
 * content's hash), a few milliseconds apart, so a config that settled in the worker settles here
 * too. What could still differ (a config that reads the clock or the network) is bounded here
 * too, bar a loop that only the second evaluation enters; and the CLI never exits 0 from a
 * command that did not finish (see cli/main.ts). A config's
 * objects and functions (its finder, its deployer) are thus the ones it made in this process,
 * usable as they are, not copies.
 */
import { Worker } from 'node:worker_threads';
import { ConfigError, UsageError } from '../errors.js';

/** How long a config may take to load, unless `FLOWPORT_CONFIG_TIMEOUT_MS` says otherwise. */
export const DEFAULT_CONFIG_TIMEOUT_MS = 10_000;

/** The bound on a config's load: `FLOWPORT_CONFIG_TIMEOUT_MS` (0: none), else 10 s. */
export function configTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FLOWPORT_CONFIG_TIMEOUT_MS;
  if (raw === undefined || raw.trim() === '') return DEFAULT_CONFIG_TIMEOUT_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) {
    throw new UsageError(
      `FLOWPORT_CONFIG_TIMEOUT_MS=${raw}: give how long a config may take to load, in whole milliseconds (0: no limit)`,
    );
  }
  return ms;
}

/** How the worker's evaluation of the config ended. */
export type Settled =
  /** It settled: resolved or threw (the import here reports what it threw, with its real error). */
  | { kind: 'settled' }
  /** It called `process.exit(code)`; `stack` is where. */
  | { kind: 'exit'; code: number; stack: string }
  /** Nothing was left to wait for and it had not settled: it awaits a promise nothing can resolve. */
  | { kind: 'never' }
  /** Still running when the time was up (a loop, or a wait too long). */
  | { kind: 'timeout'; ms: number }
  /** Something it started threw outside the load's promise (an uncaught exception in a callback). */
  | { kind: 'uncaught'; error: unknown };

/**
 * Runs in the worker: evaluates the config module (and its function) and says it settled. The
 * worker's `process.exit` ends the worker only, but says so first. Plain JavaScript, evaluated
 * from this string, so that no bundle has to ship a worker file at a known path.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
process.setSourceMapsEnabled(true);
const exit = process.exit.bind(process);
process.exit = (code) => {
  const stack = new Error('process.exit(' + String(code ?? process.exitCode ?? 0) + ') called while loading the config').stack;
  parentPort.postMessage({ kind: 'exit', code: Number(code ?? process.exitCode ?? 0), stack });
  exit(code);
};
import(workerData.url)
  .then(async (mod) => {
    const value = mod.default;
    if (typeof value === 'function') await value({ root: workerData.root });
  })
  .then(
    () => parentPort.postMessage({ kind: 'settled' }),
    () => parentPort.postMessage({ kind: 'settled' }),
  );
`;

/** Evaluates the compiled config at `url` in a worker thread, for at most `timeoutMs` (0: no limit). */
export function settleInWorker(
  url: string,
  root: string,
  timeoutMs: number,
): Promise<{ outcome: Settled; output: string }> {
  return new Promise((resolve) => {
    // Its console goes nowhere unless it fails: once it settles, the import here prints it (once).
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { url, root },
      stdout: true,
      stderr: true,
    });
    let output = '';
    for (const stream of [worker.stdout, worker.stderr])
      stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let outcome: Settled | undefined;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            outcome ??= { kind: 'timeout', ms: timeoutMs };
            void worker.terminate();
          }, timeoutMs)
        : undefined;
    worker.on('message', (m: Settled) => {
      outcome ??= m;
      // Whatever the config left running (a server, a timer) is not waited for.
      void worker.terminate();
    });
    worker.on('error', (error) => {
      outcome ??= { kind: 'uncaught', error };
    });
    worker.on('exit', () => {
      clearTimeout(timer);
      resolve({ outcome: outcome ?? { kind: 'never' }, output });
    });
  });
}

/** The error for a config that did not settle in the worker (anything but `settled`). */
export function notSettledError(
  outcome: Exclude<Settled, { kind: 'settled' | 'exit' | 'uncaught' }>,
  file: string,
): ConfigError {
  if (outcome.kind === 'never') {
    return new ConfigError(
      'never finished loading: it awaits a promise that nothing resolves (at its top level, or in the function it exports). ' +
        'Every await in a config must end',
      file,
      0,
    );
  }
  return new ConfigError(
    `did not finish loading within ${formatMs(outcome.ms)}: a loop that never ends, or a wait that takes too long? ` +
      `FLOWPORT_CONFIG_TIMEOUT_MS sets the limit in milliseconds (now ${outcome.ms})`,
    file,
    0,
  );
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * `load` (the import of the config here), within `timeoutMs`: should this evaluation wait where
 * the worker's did not, it is still bounded.
 */
export async function bounded<T>(load: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  if (timeoutMs <= 0) return load;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
  });
  try {
    return await Promise.race([load, late]);
  } finally {
    clearTimeout(timer);
  }
}

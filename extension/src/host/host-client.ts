/**
 * Starts and talks to one SDK host process for one workspace folder. The host runs with the
 * editor's own Node (`process.execPath`, `ELECTRON_RUN_AS_NODE=1`), so users need no Node of
 * their own. When it dies unexpectedly it is restarted with exponential backoff.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import {
  createMessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type { CommandHint } from '../../../sdk/src/hint';
import { FLOWPORT_ERROR_CODE, Methods, type HostErrorData } from '../../../sdk/src/host/protocol';

const MAX_BACKOFF_MS = 30_000;
/** A stopped host that has not exited by then is killed: past the host's own wait for its runs (30 s). */
const STOP_KILL_AFTER_MS = 35_000;

export class HostClient implements vscode.Disposable {
  private child: ChildProcess | undefined;
  private connection: MessageConnection | undefined;
  private starting: Promise<MessageConnection> | undefined;
  private restarts = 0;
  private disposed = false;
  private restartTimer: NodeJS.Timeout | undefined;

  private readonly onDidStartEmitter = new vscode.EventEmitter<void>();
  /** Fires after every (re)start, so views reload their data. */
  readonly onDidStart = this.onDidStartEmitter.event;
  private readonly onNotificationEmitter = new vscode.EventEmitter<{ method: string; params: unknown }>();
  readonly onNotification = this.onNotificationEmitter.event;

  constructor(
    readonly folder: vscode.WorkspaceFolder,
    private readonly hostScript: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Counts (re)starts: a request that fails across a restart is stale, not an error to show. */
  generation = 0;

  /** The host's process id while it runs (the log and the tests use it). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The live connection, starting the host on first use. */
  connect(): Promise<MessageConnection> {
    if (this.disposed) return Promise.reject(new Error(`the SDK host of ${this.folder.name} is closed`));
    if (this.connection) return Promise.resolve(this.connection);
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  /**
   * `Flowport: Restart SDK Host`: a clean stop and start, backoff reset. Deploys go on: each runs
   * under a runner of its own, which the next host shows.
   */
  async restart(): Promise<void> {
    this.restarts = 0;
    this.stop();
    await this.connect();
  }

  private activeRuns = 0;
  private reloadAfterRuns: { promise: Promise<void>; resolve: () => void } | undefined;

  /** Runs a deploy or promote request; a reload asked for meanwhile waits until it ends. */
  async run<T>(request: (connection: MessageConnection) => Promise<T>): Promise<T> {
    this.activeRuns++;
    try {
      return await request(await this.connect());
    } finally {
      if (--this.activeRuns === 0 && this.reloadAfterRuns && !this.disposed) {
        const { resolve } = this.reloadAfterRuns;
        this.reloadAfterRuns = undefined;
        void this.restart().then(resolve, resolve);
      }
    }
  }

  /**
   * A changed config: restart the host, but not under a running deploy (the deploy goes on under
   * its runner and its task would re-attach from the store, but the live log would pause).
   * Resolves once the new host runs.
   */
  reloadWhenIdle(): Promise<void> {
    if (this.activeRuns === 0) return this.restart();
    if (!this.reloadAfterRuns) {
      this.log.info(`[${this.folder.name}] config changed: reloading once the running deploy ends`);
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.reloadAfterRuns = { promise, resolve };
    }
    return this.reloadAfterRuns.promise;
  }

  private async start(): Promise<MessageConnection> {
    const root = this.folder.uri.fsPath;
    this.log.info(`[${this.folder.name}] starting SDK host`);
    const child = spawn(process.execPath, [this.hostScript, '--root', root], {
      cwd: root,
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      for (const line of chunk.split(/\r?\n/)) if (line.trim()) this.log.info(`[${this.folder.name} host] ${line}`);
    });
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    const connection = createMessageConnection(
      new StreamMessageReader(child.stdout),
      new StreamMessageWriter(child.stdin),
    );
    for (const type of [Methods.runLog, Methods.flowsChanged, Methods.deploymentsChanged]) {
      connection.onNotification(type.method, (params: unknown) =>
        this.onNotificationEmitter.fire({ method: type.method, params }),
      );
    }
    connection.listen();
    this.connection = connection;
    this.generation++;
    this.onDidStartEmitter.fire();
    return connection;
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return; // an old host we stopped on purpose
    this.connection?.dispose();
    this.connection = undefined;
    this.child = undefined;
    if (this.disposed) return;
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.restarts++);
    this.log.warn(`[${this.folder.name}] SDK host exited (code ${code}, signal ${signal}); restarting in ${delay} ms`);
    this.restartTimer = setTimeout(() => void this.connect().catch((e: unknown) => this.log.error(String(e))), delay);
  }

  /**
   * Stops the host: TERM lets it finish what it is writing (its runs go on under their runners);
   * a host that does not exit in time (a config stuck in a loop) is killed.
   */
  private stop(): void {
    this.generation++;
    clearTimeout(this.restartTimer);
    const child = this.child;
    this.child = undefined;
    this.connection?.dispose();
    this.connection = undefined;
    if (!child) return;
    child.kill();
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_KILL_AFTER_MS);
    kill.unref();
    child.once('exit', () => clearTimeout(kill));
  }

  dispose(): void {
    this.disposed = true;
    this.reloadAfterRuns?.resolve();
    this.reloadAfterRuns = undefined;
    this.stop();
    this.onDidStartEmitter.dispose();
    this.onNotificationEmitter.dispose();
  }
}

/**
 * An error the host answered with. A Flowport error (a refusal: `DeployError`, `UsageError`,
 * `ConfigError`) keeps its kind and its own one-line message; anything else is a crash of the host.
 */
export class HostError extends Error {
  constructor(
    message: string,
    /** The Flowport error's class, or undefined when the host failed unexpectedly. */
    readonly kind: string | undefined,
    /** The command that fixes it, when the SDK names one. */
    readonly hint?: CommandHint,
  ) {
    super(message);
    this.name = 'HostError';
  }
}

/** A request's failure as the host meant it: vscode-jsonrpc's wrapper around a message taken off. */
export function hostError(err: unknown): HostError {
  if (err instanceof HostError) return err;
  if (err instanceof ResponseError) {
    const data = err.data as Partial<HostErrorData> | undefined;
    if (err.code === FLOWPORT_ERROR_CODE && typeof data?.kind === 'string')
      return new HostError(err.message, data.kind, data.hint);
    // An older host, or an unexpected throw: vscode-jsonrpc put "Request <method> failed with message: " before it.
    return new HostError(err.message.replace(/^Request \S+ failed with message: /, ''), undefined);
  }
  return new HostError(err instanceof Error ? err.message : String(err), undefined);
}

/**
 * The SDK host: a Node process per workspace folder that loads the project's config, keeps the
 * flow index in memory and runs deploys, speaking JSON-RPC over stdio (like a language server).
 * A broken config or a hung deploy stays in here and never blocks the editor.
 *
 *   node host.js --root <folder>
 */
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import {
  createMessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  type RequestHandler,
  type RequestHandler0,
  type RequestType,
  type RequestType0,
} from 'vscode-jsonrpc/node';
import { flowportErrorKind } from '../errors.js';
import { hintOf } from '../hint.js';
import { HostSession } from './session.js';
import { FLOWPORT_ERROR_CODE, Methods, type HostErrorData } from './protocol.js';

// stdout carries the protocol: anything user code prints (a config's console.log, or its
// process.stdout.write) goes to stderr, and only the protocol writer reaches the real stdout.
for (const level of ['log', 'info', 'debug'] as const) {
  console[level] = (...args: unknown[]) => console.error(...args);
}
const writeStdout = process.stdout.write.bind(process.stdout) as (
  chunk: Uint8Array | string,
  done: (err?: Error | null) => void,
) => boolean;
const protocolOut = new Writable({
  write(chunk: Buffer, _encoding, done) {
    writeStdout(chunk, (err) => done(err ?? null));
  },
});
process.stdout.write = (chunk: Uint8Array | string, ...rest: never[]) => process.stderr.write(chunk, ...rest);
// Its write errors (the editor gone) reach the protocol writer through `done`.
process.stdout.on('error', () => undefined);

const { values } = parseArgs({ options: { root: { type: 'string' } }, strict: true });
if (!values.root) {
  console.error('flowport host: --root <folder> is required');
  process.exit(2);
}

const connection = createMessageConnection(
  new StreamMessageReader(process.stdin),
  new StreamMessageWriter(protocolOut),
);
/** Tells the editor, while it listens: once it has gone (shutting down), there is no one to tell. */
function notify(send: () => Promise<void>): void {
  try {
    send().catch(() => undefined);
  } catch {
    // the connection is closed
  }
}
const session = new HostSession(values.root, {
  log: (runId, line) => notify(() => connection.sendNotification(Methods.runLog, { runId, line })),
  flowsChanged: (result) => notify(() => connection.sendNotification(Methods.flowsChanged, result)),
  deploymentsChanged: () => notify(() => connection.sendNotification(Methods.deploymentsChanged)),
  storeStatusChanged: (status) => notify(() => connection.sendNotification(Methods.storeStatusChanged, status)),
});

/**
 * A Flowport error (a refusal, a bad request) reaches the editor as itself: its own message and
 * kind, not vscode-jsonrpc's "Request … failed with message: …" wrapper, which reads as a crash.
 */
function typed<P, R>(handler: (params: P) => R | Promise<R>): (params: P) => Promise<R> {
  return async (params) => {
    try {
      return await handler(params);
    } catch (err) {
      const kind = flowportErrorKind(err);
      if (kind === undefined) throw err;
      const hint = hintOf(err);
      throw new ResponseError<HostErrorData>(FLOWPORT_ERROR_CODE, (err as Error).message, {
        kind,
        ...(hint ? { hint } : {}),
      });
    }
  };
}
/** connection.onRequest, with Flowport errors sent as themselves ({@link typed}). */
function on<P, R>(type: RequestType<P, R, void>, handler: (params: P) => R | Promise<R>): void {
  // The cast: vscode-jsonrpc's handler result type is conditional on R, which a generic R does not resolve.
  connection.onRequest(type, typed(handler) as RequestHandler<P, R, void>);
}
function on0<R>(type: RequestType0<R, void>, handler: () => R | Promise<R>): void {
  connection.onRequest(type, typed(handler) as RequestHandler0<R, void>);
}
on0(Methods.project, () => session.project());
on(Methods.flows, (q) => session.flows(q));
on(Methods.deployments, (q) => session.deployments(q));
on(Methods.preflight, (p) => session.preflight(p));
on(Methods.deploy, (p) => session.deploy(p));
on(Methods.promote, (p) => session.promote(p));
on(Methods.rollback, (p) => session.rollback(p));
on(Methods.releases, (p) => session.releases(p));
on0(Methods.locks, () => session.locks());
on(Methods.lock, (p) => session.lock(p));
on(Methods.unlock, (p) => session.unlock(p));
on0(Methods.approvals, () => session.approvals());
on(Methods.approve, (p) => session.decide(p.deploymentId, 'approved', p.comment));
on(Methods.reject, (p) => session.decide(p.deploymentId, 'rejected', p.reason));
on(Methods.cancel, (p) => session.cancel(p.runId));
on(Methods.cancelDeployment, (p) => session.cancelDeployment(p.deploymentId));
on(Methods.deploymentLog, (p) => session.deploymentLog(p.deploymentId, p.from));
on0(Methods.gitStatus, () => session.gitStatus());
on0(Methods.storeStatus, () => session.storeStatus());
on(Methods.commitDistances, (p) => session.commitDistances(p.pairs));
// A notification has no reply to carry an error: log it (stderr reaches the extension's log) so
// that one bad path never ends the host.
connection.onNotification(Methods.filesChanged, (p) =>
  session.filesChanged(p.paths).catch((err: unknown) => console.error('flowport host: files changed:', err)),
);
// The editor closed the connection or stopped the host (a restart sends TERM, and may close the
// connection too): the host exits at once. Deploys go on under their own runner processes, which
// this host only followed; the next host shows them running.
let shuttingDown = false;
function shutdown(): void {
  if (shuttingDown) return;
  shuttingDown = true;
  session.shutdown();
  process.exit(0);
}
connection.onClose(shutdown);
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, shutdown);
connection.listen();

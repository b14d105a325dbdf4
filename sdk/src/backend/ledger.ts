/**
 * The embedded local store: an append-only JSON-lines ledger under the project's state folder
 * (`.flowport/ledger.jsonl`) and one log file per deployment (`.flowport/logs/<id>.log`).
 *
 * Concurrency: every record is one `write()` to a file opened with O_APPEND, then fsync. On local
 * file systems the kernel appends each write whole, so several processes (VS Code windows, CLI
 * runs) never lose or interleave records, with no lock to go stale when a writer is killed. (Not
 * for network file systems: NFS does not keep O_APPEND atomic.)
 *
 * Crash safety: a record is acknowledged only after fsync. A writer killed mid-write leaves a torn
 * last line; readers skip it with a warning, and the next writer, seeing the file does not end in a
 * newline, starts its record on a new line so everything after stays readable.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, readFileSync, watch, type FSWatcher } from 'node:fs';
import { open, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { DeployError, UsageError } from '../errors.js';
import { FINAL_STATUSES, type DeploymentDetails, type DeploymentQuery, type JsonValue } from '../model.js';
import { checkFactoryOptions, unbound } from '../config/bind.js';
import { PRIVATE_FILE_MODE, privateDirsSync, sealDeployment } from '../secrets.js';
import { prepareStateDir } from '../finder/scan-cache.js';
import { currentInitiator, currentRunner, runnerState } from './processes.js';
import { LEDGER_FORMAT, parseLine, type DeploymentRecord, type LedgerRecord, type RunnerIdentity } from './records.js';
import type {
  CancelRequest,
  DeploymentChange,
  DeploymentStore,
  Lease,
  LogChunk,
  LogWriter,
  NewDeployment,
} from './store.js';

export interface LocalLedgerOptions {
  /** The project root. */
  root: string;
  /** State folder, relative to `root` or absolute. Default `.flowport` (it git-ignores itself). */
  dir?: string;
  /** Where warnings about damaged records go. Default: stderr, prefixed `flowport: warning:`. */
  warn?: (message: string) => void;
  /** How often a cancel watch polls when file events are missed. Default 500 ms. */
  pollMs?: number;
}

const LEDGER_METHODS = [
  'findDeployments',
  'create',
  'update',
  'getDeployment',
  'claim',
  'renewLease',
  'requestCancel',
  'watchCancel',
  'openLog',
  'readLog',
];

/**
 * Creates the local ledger. No file is touched until the first read or write. In
 * `flowport.config.ts`, call it without `root` (`deployments: localLedger()`): the project binds
 * it to its root as the config loads.
 */
export function localLedger(options?: Omit<LocalLedgerOptions, 'root'> & { root?: undefined }): LocalLedger;
export function localLedger(options: LocalLedgerOptions): LocalLedger;
export function localLedger(options?: Partial<LocalLedgerOptions>): LocalLedger {
  const example = "deployments: localLedger({ dir: '.flowport' })";
  checkFactoryOptions('localLedger', options, ['root', 'dir', 'warn', 'pollMs'], example);
  const { root, ...rest } = options ?? {};
  if (rest.dir !== undefined && (typeof rest.dir !== 'string' || rest.dir === ''))
    throw new UsageError(
      `localLedger(): dir must be a folder path, relative to the project root or absolute: ${example}`,
    );
  if (root !== undefined) {
    if (typeof root !== 'string' || root === '')
      throw new UsageError('localLedger(): root must be the project folder, a string; in a config leave it out');
    return new LocalLedger({ ...rest, root });
  }
  // Typed as the ledger it becomes: the project binds it before anything uses it.
  return unbound<LocalLedger>('localLedger', LEDGER_METHODS, (ctx) => new LocalLedger({ ...rest, root: ctx.root }));
}

/** A record read back from the ledger: a known one, or one of a type this SDK does not know. */
export type LedgerEvent = LedgerRecord | { type: string; v: number; at: string; [key: string]: JsonValue };

interface Entry {
  deployment: DeploymentDetails;
  runner: RunnerIdentity | undefined;
  /** Line order of the first and of the latest snapshot. */
  first: number;
  last: number;
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Give a writer this long to finish a line before an unterminated tail is called torn. */
const TAIL_SETTLE_MS = 30;

export class LocalLedger implements DeploymentStore {
  readonly root: string;
  /** The state folder. */
  readonly dir: string;
  /** The ledger file. */
  readonly file: string;
  readonly logsDir: string;
  /** One file per running deployment: its runner's lease, rewritten as it is renewed. */
  readonly leasesDir: string;
  private readonly warn: (message: string) => void;
  private readonly pollMs: number;

  private entries = new Map<string, Entry>();
  private cancels = new Map<string, CancelRequest>();
  private events_: LedgerEvent[] = [];
  private offset = 0;
  private ino = -1;
  private lines = 0;
  private warnedTornAt = -1;
  private warnedNewer = false;
  private reading: Promise<void> = Promise.resolve();
  private dirReady = false;
  private dirSynced = false;

  private watchers = new Map<string, Set<(request: CancelRequest) => void>>();
  private fsWatcher: FSWatcher | undefined;
  private pollTimer: NodeJS.Timeout | undefined;

  constructor(options: LocalLedgerOptions) {
    this.root = resolve(options.root);
    const dir = options.dir ?? '.flowport';
    this.dir = isAbsolute(dir) ? dir : join(this.root, dir);
    this.file = join(this.dir, 'ledger.jsonl');
    this.logsDir = join(this.dir, 'logs');
    this.leasesDir = join(this.dir, 'leases');
    this.warn = options.warn ?? ((m) => process.stderr.write(`flowport: warning: ${m}\n`));
    this.pollMs = options.pollMs ?? 500;
  }

  // ── reading ────────────────────────────────────────────────────────────────────────────────

  async findDeployments(query: DeploymentQuery = {}): Promise<DeploymentDetails[]> {
    await this.refresh();
    const flows = query.flows?.length ? new Set(query.flows) : undefined;
    const envs = query.envs?.length ? new Set(query.envs) : undefined;
    const matching = [...this.entries.values()]
      .filter((e) => (!flows || flows.has(e.deployment.flowName)) && (!envs || envs.has(e.deployment.env)))
      .sort((a, b) => a.first - b.first);
    if (query.history) {
      const views = matching.map((e) => this.view(e));
      if (!views.some((d, i) => d.status !== matching[i]!.deployment.status)) return views;
      // A runner judged gone may have recorded its outcome after the read above, just before it
      // exited: read what it appended, and judge again.
      await this.refresh();
      return matching.map((e) => this.view(this.entries.get(e.deployment.id) ?? e));
    }
    // The current deployment is the one that succeeded last: it overwrote whatever ran before.
    const current = new Map<string, Entry>();
    for (const e of matching) {
      if (e.deployment.status !== 'succeeded') continue;
      const key = `${e.deployment.flowName}\0${e.deployment.env}`;
      const seen = current.get(key);
      if (!seen || e.last > seen.last) current.set(key, e);
    }
    return [...current.values()].sort((a, b) => a.first - b.first).map((e) => this.view(e));
  }

  async getDeployment(id: string): Promise<DeploymentDetails | undefined> {
    await this.refresh();
    const entry = this.entries.get(id);
    const seen = entry && this.view(entry);
    if (!entry || seen!.status === entry.deployment.status) return seen;
    // Judged gone: its runner may have recorded the outcome just after the read above (see findDeployments).
    await this.refresh();
    const now = this.entries.get(id);
    return now && this.view(now);
  }

  /** Every valid record in file order, including types this SDK does not act on. */
  async events(): Promise<LedgerEvent[]> {
    await this.refresh();
    return [...this.events_];
  }

  /**
   * Liveness is the lease: a `running` deployment whose runner's lease ran out reads as
   * `interrupted`, wherever that runner was. A runner of this machine whose process is gone is
   * told at once (the lease would say so within seconds). A deployment with no lease (`pending`
   * until its runner claims it, or recorded by an older Flowport) is held only by a process of
   * this machine that provably still runs.
   */
  private view(entry: Entry): DeploymentDetails {
    const d = entry.deployment;
    if (!(d.status === 'running' || d.status === 'pending')) return d;
    const interrupted = (reason: string): DeploymentDetails => ({
      ...d,
      status: 'interrupted',
      attributes: { ...d.attributes, reason },
    });
    const lease = this.leaseOf(d.id);
    if (lease) {
      if (!(Date.parse(lease.until) > Date.now()))
        return interrupted(
          `its runner (pid ${lease.holder.pid} on ${lease.holder.host}) stopped renewing its lease while it was ${d.status}; the lease ran out at ${lease.until}`,
        );
      if (lease.holder.host === hostname() && runnerState(lease.holder) === 'gone')
        return interrupted(
          `its runner (pid ${lease.holder.pid} on ${lease.holder.host}) stopped while it was ${d.status}`,
        );
      return d;
    }
    if (entry.runner && runnerState(entry.runner) === 'alive') return d;
    const who = entry.runner ? `its runner (pid ${entry.runner.pid} on ${entry.runner.host})` : 'its runner';
    return interrupted(`${who} stopped while it was ${d.status}`);
  }

  private leasePath(id: string): string {
    if (!SAFE_ID.test(id)) throw new UsageError(`"${id}" is not a deployment id`);
    return join(this.leasesDir, `${id}.json`);
  }

  /** The lease of `id`'s runner, if it has one and it is well-formed. */
  private leaseOf(id: string): Lease | undefined {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(this.leasePath(id), 'utf8'));
    } catch {
      return undefined;
    }
    const lease = value as Partial<Lease> | null;
    const holder = lease?.holder;
    return typeof lease?.until === 'string' &&
      typeof holder?.pid === 'number' &&
      typeof holder.host === 'string' &&
      (holder.startTime === null || typeof holder.startTime === 'string')
      ? (lease as Lease)
      : undefined;
  }

  /** Reads what was appended since the last read. Serialized: one read at a time per ledger. */
  private refresh(): Promise<void> {
    const next = this.reading.then(() => this.readNew());
    this.reading = next.catch(() => undefined);
    return next;
  }

  private reset(): void {
    this.entries.clear();
    this.cancels.clear();
    this.events_ = [];
    this.offset = 0;
    this.lines = 0;
    this.warnedTornAt = -1;
  }

  private async readNew(): Promise<void> {
    for (let settleTries = 0; ; settleTries++) {
      let size: number;
      try {
        const st = await stat(this.file);
        if (st.ino !== this.ino || st.size < this.offset) {
          this.reset();
          this.ino = st.ino;
        }
        size = st.size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          this.reset();
          this.ino = -1;
          return;
        }
        throw err;
      }
      if (size > this.offset) await this.consume(size);
      if (this.offset === size || this.warnedTornAt === this.offset) return;
      // An unterminated tail: either a writer is in the middle of its write, or one died there.
      if (settleTries === 0) {
        await new Promise((r) => setTimeout(r, TAIL_SETTLE_MS));
        continue;
      }
      this.warnedTornAt = this.offset;
      this.warn(
        `${this.file}: ignoring an incomplete last record (${size - this.offset} bytes at byte ${this.offset}): a writer was stopped in the middle of writing it. Later records are read normally.`,
      );
      return;
    }
  }

  private async consume(size: number): Promise<void> {
    const fh = await openStateFile(this.file, 'r');
    let buf: Buffer;
    try {
      buf = Buffer.alloc(size - this.offset);
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, this.offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      buf = buf.subarray(0, got);
    } finally {
      await fh.close();
    }
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      this.lines++;
      const line = buf.toString('utf8', start, nl).trim();
      if (line) this.apply(line, this.lines);
      start = nl + 1;
    }
    this.offset += start;
    this.fireCancels();
  }

  private apply(line: string, lineNo: number): void {
    const parsed = parseLine(line);
    switch (parsed.kind) {
      case 'damaged':
        this.warn(
          `${this.file}:${lineNo}: skipped a damaged record (${parsed.why}); the records around it are intact.`,
        );
        return;
      case 'newer':
        if (!this.warnedNewer) {
          this.warnedNewer = true;
          this.warn(
            `${this.file}: skipped records written by a newer Flowport (format ${parsed.v}, this one reads ${LEDGER_FORMAT}). Upgrade the flowport package to see them.`,
          );
        }
        return;
      case 'other':
        this.events_.push(parsed.value as LedgerEvent);
        return;
      case 'record':
        break;
    }
    const record = parsed.record;
    if (record.type === 'deployment') {
      const prev = this.entries.get(record.deployment.id);
      // A deployment is one flow in one environment for good: a later record of its id that says
      // otherwise is forged or damaged, and would move its history to another flow.
      if (
        prev &&
        (prev.deployment.flowName !== record.deployment.flowName || prev.deployment.env !== record.deployment.env)
      ) {
        this.warn(
          `${this.file}:${lineNo}: skipped a record of deployment ${record.deployment.id} that moves it from ${prev.deployment.flowName} in ${prev.deployment.env} to ${record.deployment.flowName} in ${record.deployment.env}; the records around it are intact.`,
        );
        return;
      }
      this.events_.push(record);
      this.entries.set(record.deployment.id, {
        deployment: record.deployment,
        runner: record.runner,
        first: prev?.first ?? lineNo,
        last: lineNo,
      });
      return;
    }
    this.events_.push(record);
    if (record.type === 'cancel-request' && !this.cancels.has(record.deploymentId)) {
      this.cancels.set(record.deploymentId, {
        deploymentId: record.deploymentId,
        by: record.by,
        at: record.at,
        ...(record.reason === undefined ? {} : { reason: record.reason }),
      });
    }
  }

  // ── writing ────────────────────────────────────────────────────────────────────────────────

  async create(init: NewDeployment): Promise<DeploymentDetails> {
    const now = new Date();
    const at = now.toISOString();
    const id = newDeploymentId(now);
    const initiator = init.initiator ?? currentInitiator();
    const deployment: DeploymentDetails = {
      id,
      flowName: init.flowName,
      env: init.env,
      commit: init.commit,
      ref: init.ref,
      ...(init.packageVersion === undefined ? {} : { packageVersion: init.packageVersion }),
      status: 'pending',
      createdAt: at,
      updatedAt: at,
      initiator,
      ...(init.promotedFrom === undefined ? {} : { promotedFrom: init.promotedFrom }),
      logLocation: this.logPath(id),
      outputs: {},
      attributes: init.attributes ?? {},
    };
    await this.append({ v: LEDGER_FORMAT, type: 'deployment', at, by: initiator, deployment, runner: currentRunner() });
    await this.refresh();
    return deployment;
  }

  async update(id: string, change: DeploymentChange): Promise<DeploymentDetails> {
    return this.change(id, change, undefined);
  }

  async claim(id: string, leaseMs: number): Promise<DeploymentDetails> {
    // The lease first: no reader sees this runner's `running` record without the lease that keeps it so.
    await this.renewLease(id, leaseMs);
    return this.change(id, { status: 'running' }, currentRunner());
  }

  /** Rewritten whole (write, then rename): a reader sees the old lease or the new one. */
  async renewLease(id: string, leaseMs: number): Promise<void> {
    const now = Date.now();
    const lease: Lease = {
      holder: currentRunner(),
      until: new Date(now + leaseMs).toISOString(),
      renewedAt: new Date(now).toISOString(),
    };
    const path = this.leasePath(id);
    const next = `${path}.${process.pid}.tmp`;
    await this.ensureDir();
    privateDirsSync(this.leasesDir);
    await writeFile(next, JSON.stringify(lease) + '\n', { mode: 0o600 });
    await rename(next, path);
  }

  private async change(id: string, change: DeploymentChange, claimedBy: RunnerIdentity | undefined) {
    await this.refresh();
    const entry = this.entries.get(id);
    if (!entry) throw new DeployError(`no deployment ${id} in ${this.file}`);
    const prev = entry.deployment;
    if (FINAL_STATUSES.includes(prev.status)) {
      throw new DeployError(`deployment ${id} already ${prev.status}: a finished deployment does not change`);
    }
    const at = new Date().toISOString();
    // Secret outputs are encrypted before the record is written (secrets.ts).
    const next: DeploymentDetails = sealDeployment({
      ...prev,
      status: change.status ?? prev.status,
      updatedAt: at,
      outputs: { ...prev.outputs, ...change.outputs },
      attributes: { ...prev.attributes, ...change.attributes },
      ...(change.url === undefined ? {} : { url: change.url }),
    });
    const record: DeploymentRecord = {
      v: LEDGER_FORMAT,
      type: 'deployment',
      at,
      by: currentInitiator(),
      deployment: next,
    };
    // A finished deployment has no runner to watch; an unfinished one keeps the runner it had.
    const runner = claimedBy ?? entry.runner;
    if (!FINAL_STATUSES.includes(next.status) && runner) record.runner = runner;
    await this.append(record);
    if (FINAL_STATUSES.includes(next.status)) await unlink(this.leasePath(id)).catch(() => undefined);
    await this.refresh();
    return next;
  }

  /**
   * Appends a cancel request for the runner to act on. Nothing is signalled here: only a runner
   * stops its own command, so no record (forged, copied, from another machine) can name a process
   * for this one to signal.
   */
  async requestCancel(id: string, request: { by?: string; reason?: string } = {}): Promise<void> {
    await this.refresh();
    const entry = this.entries.get(id);
    if (!entry) throw new UsageError(`no deployment ${id} in ${this.file}`);
    const by = request.by ?? currentInitiator();
    await this.append({
      v: LEDGER_FORMAT,
      type: 'cancel-request',
      at: new Date().toISOString(),
      by,
      deploymentId: id,
      ...(request.reason === undefined ? {} : { reason: request.reason }),
    });
    await this.refresh();
    // Gone when the ledger was removed or replaced meanwhile (the state folder deleted, say).
    if (!this.entries.get(id)) throw this.vanished(entry.deployment, 'its cancel request was written');
  }

  private vanished(d: DeploymentDetails, while_: string): DeployError {
    return new DeployError(
      `deployment ${d.id} is no longer in ${this.file}: the ledger was removed or replaced while ${while_}, so no runner may see the cancel. If ${d.flowName} still deploys to ${d.env}, stop it where it runs; "flowport history ${d.flowName}" shows what the ledger holds now.`,
    );
  }

  /**
   * Appends one record and returns once it is on disk. Public so that record types added later
   * (see records.ts) need no change here.
   */
  async append(record: LedgerRecord): Promise<void> {
    const fh = await this.openInDir(this.file, 'a+');
    try {
      const { size } = await fh.stat();
      let lead = '';
      if (size > 0) {
        const last = Buffer.alloc(1);
        await fh.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) lead = '\n'; // end a torn line so this record starts clean
      }
      const data = Buffer.from(`${lead}${JSON.stringify(record)}\n`, 'utf8');
      for (let off = 0; off < data.length;) {
        const { bytesWritten } = await fh.write(data, off, data.length - off);
        if (bytesWritten <= 0) throw new Error(`could not write to ${this.file}`);
        off += bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (!this.dirSynced) {
      this.dirSynced = true;
      await syncDir(this.dir); // the file's directory entry, when this write created it
    }
  }

  /** Opens a file in the state folder, making the folder first (again, when it was removed since). */
  private async openInDir(path: string, flags: 'a' | 'a+'): Promise<FileHandle> {
    await this.ensureDir();
    try {
      return await openStateFile(path, flags);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // Removed since this ledger made it (ignored files cleaned, say): made again.
      this.dirReady = false;
      this.dirSynced = false;
      await this.ensureDir();
      return openStateFile(path, flags);
    }
  }

  private async ensureDir(): Promise<void> {
    if (this.dirReady) return;
    prepareStateDir(this.dir);
    privateDirsSync(this.logsDir); // state files are 0600 in 0700 folders
    this.dirReady = true;
  }

  // ── cancel requests ────────────────────────────────────────────────────────────────────────

  watchCancel(id: string, onCancel: (request: CancelRequest) => void): () => void {
    const existing = this.cancels.get(id);
    if (existing) {
      queueMicrotask(() => onCancel(existing));
      return () => undefined;
    }
    let set = this.watchers.get(id);
    if (!set) this.watchers.set(id, (set = new Set()));
    set.add(onCancel);
    this.startWatching();
    return () => {
      const s = this.watchers.get(id);
      s?.delete(onCancel);
      if (s?.size === 0) this.watchers.delete(id);
      if (this.watchers.size === 0) this.stopWatching();
    };
  }

  private startWatching(): void {
    if (this.pollTimer) return;
    const poll = () => void this.refresh().catch(() => undefined);
    this.pollTimer = setInterval(poll, this.pollMs);
    this.pollTimer.unref();
    try {
      // File events make a cancel from another process take effect at once; the poll covers
      // file systems where they do not arrive.
      this.fsWatcher = watch(this.dir, { persistent: false }, (_event, name) => {
        if (name === null || name === 'ledger.jsonl') poll();
      });
      this.fsWatcher.on('error', () => undefined);
    } catch {
      this.fsWatcher = undefined;
    }
  }

  private stopWatching(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    this.fsWatcher?.close();
    this.fsWatcher = undefined;
  }

  private fireCancels(): void {
    for (const [id, callbacks] of this.watchers) {
      const request = this.cancels.get(id);
      if (!request) continue;
      this.watchers.delete(id);
      for (const cb of callbacks) cb(request);
    }
    if (this.watchers.size === 0) this.stopWatching();
  }

  // ── logs ───────────────────────────────────────────────────────────────────────────────────

  logPath(id: string): string {
    if (!SAFE_ID.test(id)) throw new UsageError(`"${id}" is not a deployment id`);
    return join(this.logsDir, `${id}.log`);
  }

  async openLog(id: string): Promise<LogWriter> {
    const location = this.logPath(id);
    const fh = await this.openInDir(location, 'a');
    return new FileLogWriter(location, fh, this.warn);
  }

  async readLog(id: string, from = 0): Promise<LogChunk | undefined> {
    const path = this.logPath(id);
    let fh: FileHandle;
    try {
      fh = await openStateFile(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const { size } = await fh.stat();
      if (size <= from) return { text: '', next: from };
      const buf = Buffer.alloc(size - from);
      const { bytesRead } = await fh.read(buf, 0, buf.length, from);
      // Whole lines only, so a follower never splits a line (or a UTF-8 character) in two.
      const end = buf.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
      return { text: buf.toString('utf8', 0, end), next: from + end };
    } finally {
      await fh.close();
    }
  }
}

/** Batches lines into few writes; `close()` flushes and fsyncs. A failing disk never fails the deploy. */
class FileLogWriter implements LogWriter {
  private pending: string[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private scheduled = false;
  private failed = false;

  constructor(
    readonly location: string,
    private readonly fh: FileHandle,
    private readonly warn: (message: string) => void,
  ) {}

  line(text: string): void {
    this.pending.push(text + '\n');
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const data = this.pending.join('');
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      if (this.failed) return;
      try {
        await this.fh.write(data);
      } catch (err) {
        this.failed = true;
        this.warn(`could not write the log ${this.location}: ${(err as Error).message}`);
      }
    });
  }

  async close(): Promise<void> {
    this.flush();
    await this.flushing;
    try {
      await this.fh.sync();
    } catch {
      // reported by the write that failed
    }
    await this.fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // not supported on this platform (Windows): the file's own fsync is what is guaranteed there
  }
}

let lastStamp = '';
let lastSuffix = 0;

/**
 * `20250611-093012.345-3f9a1c`: UTC time to the millisecond, then 24 bits. Sorts by creation time.
 * The 24 bits start at random in each millisecond (below 2^23, so that they do not run over) and
 * count up for each further id this process makes in that millisecond: one process never makes
 * an id twice, and its ids sort in the order it made them. Two processes collide only when both
 * make one in the same millisecond and draw the same bits.
 */
export function newDeploymentId(now = new Date()): string {
  const iso = now.toISOString(); // 2025-06-11T09:30:12.345Z
  const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}.${iso.slice(20, 23)}`;
  lastSuffix = stamp === lastStamp ? (lastSuffix + 1) % 0x1000000 : randomBytes(3).readUIntBE(0, 3) >>> 1;
  lastStamp = stamp;
  return `${stamp}-${lastSuffix.toString(16).padStart(6, '0')}`;
}

const OPEN_FLAGS = {
  r: fsConstants.O_RDONLY,
  a: fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT,
  'a+': fsConstants.O_RDWR | fsConstants.O_APPEND | fsConstants.O_CREAT,
} as const;

/**
 * Opens a state file only as itself: never through a link (a `.flowport/ledger.jsonl` linked
 * elsewhere had records appended to its target) and only when it is a regular file.
 */
async function openStateFile(path: string, flags: keyof typeof OPEN_FLAGS): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    // O_NONBLOCK: a FIFO put in a state file's place would otherwise hang the open for good.
    const guard = (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0);
    fh = await open(path, OPEN_FLAGS[flags] | guard, PRIVATE_FILE_MODE);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw notAStateFile(path, 'a symbolic link');
    if (code === 'ENXIO') throw notAStateFile(path, 'not a regular file');
    throw err;
  }
  if (!(await fh.stat()).isFile()) {
    await fh.close();
    throw notAStateFile(path, 'not a regular file');
  }
  return fh;
}

function notAStateFile(path: string, what: string): DeployError {
  return new DeployError(
    `${path} is ${what}: Flowport keeps its state only in regular files of its own folder, and follows no links there. ` +
      `Remove it (or put the real file in its place) and run the command again.`,
  );
}

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
 *
 * Reading: a process folds the records into its state once, then reads only what was appended
 * since (ledger-fold.ts). A new process starts from the snapshot of that state a reader left
 * (`.flowport/ledger-snapshot.jsonl`, ledger-snapshot.ts) and reads the log after it: a cache of
 * the log, used only when it matches the log as it is, rebuilt from the log otherwise.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { open, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { DeployError, UsageError } from '../errors.js';
import { FINAL_STATUSES, type DeploymentDetails, type DeploymentQuery } from '../model.js';
import { checkFactoryOptions, unbound } from '../config/bind.js';
import { privateDirsSync, sealDeployment } from '../secrets.js';
import { prepareStateDir } from '../finder/scan-cache.js';
import { currentInitiator, currentRunner, runnerState } from './processes.js';
import { LEDGER_FORMAT, type DeploymentRecord, type LedgerRecord, type RunnerIdentity } from './records.js';
import { LedgerFold, type Entry, type FoldWarning, type LedgerEvent } from './ledger-fold.js';
import { CHECK_BYTES, encodeSnapshot, matchesLog, readSnapshot, writeSnapshot } from './ledger-snapshot.js';
import { openStateFile, readAt } from './state-file.js';
import type {
  CancelRequest,
  DeploymentChange,
  DeploymentStore,
  Lease,
  LogChunk,
  LogWriter,
  NewDeployment,
} from './store.js';
import { pendingDeployment, STORE_METHODS } from './store.js';
import { ledgerLocks, liftLedgerLock, takeLedgerLock } from './ledger-locks.js';
import type { EnvLock, LockRequest, LockResult, UnlockRequest } from './locks.js';
import type { ApprovalDecision } from './approvals.js';
import { ledgerDecisions, recordDecision } from './ledger-approvals.js';

export interface LocalLedgerOptions {
  /** The project root. */
  root: string;
  /** State folder, relative to `root` or absolute. Default `.flowport` (it git-ignores itself). */
  dir?: string;
  /** Where warnings about damaged records go. Default: stderr, prefixed `flowport: warning:`. */
  warn?: (message: string) => void;
  /** How often a cancel watch polls when file events are missed. Default 500 ms. */
  pollMs?: number;
  /**
   * How many bytes of the log a read replays before it leaves a snapshot of what they add up to
   * (`ledger-snapshot.jsonl`, a cache the next process starts from), and the smallest log a
   * snapshot is looked for in. Default 256 KiB. Not a `localLedger()` option: tests lower it.
   */
  snapshotAfterBytes?: number;
}

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
  return unbound<LocalLedger>('localLedger', STORE_METHODS, (ctx) => new LocalLedger({ ...rest, root: ctx.root }));
}

export type { LedgerEvent } from './ledger-fold.js';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Give a writer this long to finish a line before an unterminated tail is called torn. */
const TAIL_SETTLE_MS = 30;

export class LocalLedger implements DeploymentStore {
  readonly root: string;
  /** The state folder. */
  readonly dir: string;
  /** The ledger file. */
  readonly file: string;
  /** The snapshot of the ledger's state (ledger-snapshot.ts): a cache, rebuilt from the ledger. */
  readonly snapshotFile: string;
  readonly logsDir: string;
  /** One file per running deployment: its runner's lease, rewritten as it is renewed. */
  readonly leasesDir: string;
  private readonly warn: (message: string) => void;
  private readonly pollMs: number;
  private readonly snapshotAfterBytes: number;

  /** What the records read so far add up to. */
  private fold = this.newFold();
  private offset = 0;
  private ino = -1;
  /** The first bytes of the ledger and the last ones before `offset` (a snapshot's check). */
  private head: Buffer = Buffer.alloc(0);
  private tail: Buffer = Buffer.alloc(0);
  /** The offset of the last snapshot read or written; 0 when there was none. */
  private snapshotAt = 0;
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
    this.snapshotFile = join(this.dir, 'ledger-snapshot.jsonl');
    this.logsDir = join(this.dir, 'logs');
    this.leasesDir = join(this.dir, 'leases');
    this.warn = options.warn ?? ((m) => process.stderr.write(`flowport: warning: ${m}\n`));
    this.pollMs = options.pollMs ?? 500;
    this.snapshotAfterBytes = options.snapshotAfterBytes ?? 256 * 1024;
  }

  private get entries(): Map<string, Entry> {
    return this.fold.entries;
  }

  // ── reading ────────────────────────────────────────────────────────────────────────────────

  async findDeployments(query: DeploymentQuery = {}): Promise<DeploymentDetails[]> {
    await this.refresh(true);
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
    await this.refresh(true);
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
    await this.refresh(true);
    // Read from a snapshot, the fold has only the records after it: the log is replayed for them.
    await this.serialized(() => (this.fold.eventsAfter > 0 ? this.replayWhole() : undefined));
    return [...this.fold.events];
  }

  /**
   * The valid records of `types` in file order, as `events()` has them, but cheap for every type
   * except `deployment`: those records are kept as they are read, and snapshots carry them, so
   * this reads only what was appended since (`events()` replays the whole ledger after a
   * snapshot). For the record types folded over in file order: locks, queue entries, releases.
   */
  async recordsOf(types: readonly string[]): Promise<LedgerEvent[]> {
    if (types.includes('deployment')) return (await this.events()).filter((e) => types.includes(e.type));
    await this.refresh(true);
    return this.fold.carried.filter(([, r]) => types.includes(r.type)).map(([, r]) => r);
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
    if (!(d.status === 'running' || d.status === 'pending' || d.status === 'queued')) return d;
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

  /**
   * Reads what was appended since the last read. Serialized: one read at a time per ledger. A
   * read path (`mayWriteSnapshot`) also leaves a snapshot when it replayed much since the last
   * one; a write path never does, so writing stays one append.
   */
  private refresh(mayWriteSnapshot = false): Promise<void> {
    return this.serialized(async () => {
      await this.readNew(true);
      if (mayWriteSnapshot && this.offset - this.snapshotAt >= this.snapshotAfterBytes) await this.saveSnapshot();
    });
  }

  private serialized(work: () => Promise<void> | undefined): Promise<void> {
    const next = this.reading.then(work);
    this.reading = next.catch(() => undefined);
    return next;
  }

  private newFold(warn = (w: FoldWarning) => this.warnAbout(w)): LedgerFold {
    return new LedgerFold(warn);
  }

  private warnAbout({ line, text }: FoldWarning): void {
    if (line > 0) return this.warn(`${this.file}:${line}: ${text}`);
    if (this.warnedNewer) return; // the one file-wide warning: a newer format, said once
    this.warnedNewer = true;
    this.warn(`${this.file}: ${text}`);
  }

  private reset(): void {
    this.fold = this.newFold();
    this.offset = 0;
    this.head = Buffer.alloc(0);
    this.tail = Buffer.alloc(0);
    this.snapshotAt = 0;
    this.warnedTornAt = -1;
  }

  private async readNew(useSnapshot: boolean): Promise<void> {
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
      if (useSnapshot && this.offset === 0 && size >= this.snapshotAfterBytes) await this.loadSnapshot(size);
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

  /** Starts from the snapshot when there is one that describes this ledger; otherwise leaves all as it is. */
  private async loadSnapshot(size: number): Promise<void> {
    const snapshot = await readSnapshot(this.snapshotFile, this.logsDir, size);
    if (!snapshot) return;
    let fh: FileHandle;
    try {
      fh = await openStateFile(this.file, 'r');
    } catch {
      return; // gone or replaced meanwhile: the read that follows says what it is
    }
    let mark;
    try {
      const st = await fh.stat();
      mark = st.ino === this.ino ? await matchesLog(snapshot, fh, st.ino, st.size) : undefined;
    } finally {
      await fh.close();
    }
    if (!mark) return;
    this.fold = snapshot.restore((w) => this.warnAbout(w));
    this.offset = mark.offset;
    this.head = mark.head;
    this.tail = mark.tail;
    this.snapshotAt = mark.offset;
  }

  private async saveSnapshot(): Promise<void> {
    this.snapshotAt = this.offset; // tried once per stretch of log, whether or not it could be written
    try {
      await this.ensureDir();
    } catch {
      return; // a state folder that cannot be made ours: no cache in it
    }
    const mark = { ino: this.ino, offset: this.offset, head: this.head, tail: this.tail };
    await writeSnapshot(this.snapshotFile, () => encodeSnapshot(this.fold, mark, this.logsDir));
  }

  /**
   * Replays the whole ledger up to `offset` into a new fold, with every record for `events()`.
   * Its warnings were given when the snapshot was read, so they are not given again — unless the
   * ledger changed under the snapshot since, and it is read afresh.
   */
  private async replayWhole(): Promise<void> {
    let bytes: Buffer | undefined;
    try {
      const fh = await openStateFile(this.file, 'r');
      try {
        const st = await fh.stat();
        if (st.ino === this.ino && st.size >= this.offset) bytes = await readAt(fh, 0, this.offset);
      } finally {
        await fh.close();
      }
    } catch {
      bytes = undefined;
    }
    const n = Math.min(this.offset, CHECK_BYTES);
    if (
      bytes &&
      bytes.length === this.offset &&
      bytes.subarray(0, n).equals(this.head) &&
      bytes.subarray(this.offset - n).equals(this.tail)
    ) {
      let replaying = true; // quiet while it replays; what is appended after is warned about
      const fold = this.newFold((w) => {
        if (!replaying) this.warnAbout(w);
      });
      feedLines(fold, bytes);
      replaying = false;
      this.fold = fold;
      return;
    }
    this.reset();
    await this.readNew(false);
  }

  private async consume(size: number): Promise<void> {
    const fh = await openStateFile(this.file, 'r');
    let buf: Buffer;
    try {
      buf = await readAt(fh, this.offset, size - this.offset);
    } finally {
      await fh.close();
    }
    const used = feedLines(this.fold, buf);
    this.offset += used;
    this.keepCheckBytes(buf.subarray(0, used));
    this.fireCancels();
  }

  /** Keeps the ledger's first and latest bytes read, copied (not views of the whole read). */
  private keepCheckBytes(read: Buffer): void {
    if (read.length === 0) return;
    if (this.head.length < CHECK_BYTES)
      this.head = Buffer.concat([this.head, read.subarray(0, CHECK_BYTES - this.head.length)]);
    const tail =
      read.length >= CHECK_BYTES ? read.subarray(read.length - CHECK_BYTES) : Buffer.concat([this.tail, read]);
    this.tail = Buffer.from(tail.subarray(Math.max(0, tail.length - CHECK_BYTES)));
  }

  // ── writing ────────────────────────────────────────────────────────────────────────────────

  async create(init: NewDeployment): Promise<DeploymentDetails> {
    const now = new Date();
    const at = now.toISOString();
    const id = newDeploymentId(now);
    const initiator = init.initiator ?? currentInitiator();
    const deployment = pendingDeployment(init, { id, at, initiator, logLocation: this.logPath(id) });
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

  // ── locks (ledger-locks.ts) ─────────────────────────────────────────────────────────────────

  lock(request: LockRequest): Promise<LockResult> {
    return takeLedgerLock(this.lockRecords, request);
  }

  unlock(request: UnlockRequest): Promise<EnvLock | undefined> {
    return liftLedgerLock(this.lockRecords, request);
  }

  locks(): Promise<EnvLock[]> {
    return ledgerLocks(this.lockRecords);
  }

  /** The lock records alone: cheap after a snapshot, where `events()` replays the whole ledger (every deploy asks). */
  private readonly lockRecords = {
    events: () => this.recordsOf(['lock', 'unlock']),
    append: (record: LedgerRecord) => this.append(record),
  };

  // ── approvals (ledger-approvals.ts) ────────────────────────────────────────────────────────

  decide(decision: Omit<ApprovalDecision, 'at'>): Promise<ApprovalDecision> {
    return recordDecision(this.approvalRecords, decision);
  }

  decisions(deploymentId?: string): Promise<ApprovalDecision[]> {
    return ledgerDecisions(this.approvalRecords, deploymentId);
  }

  private readonly approvalRecords = {
    records: () => this.recordsOf(['approval']),
    append: (record: LedgerRecord) => this.append(record),
  };

  watchCancel(id: string, onCancel: (request: CancelRequest) => void): () => void {
    const existing = this.fold.cancels.get(id);
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
      const request = this.fold.cancels.get(id);
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

/** Feeds `fold` every complete line of `buf`; returns the bytes they took (up to the last newline). */
function feedLines(fold: LedgerFold, buf: Buffer): number {
  let start = 0;
  for (let nl = buf.indexOf(0x0a, start); nl >= 0; nl = buf.indexOf(0x0a, start)) {
    fold.line(buf.toString('utf8', start, nl));
    start = nl + 1;
  }
  return start;
}

/**
 * The team store: the deployments of every member (and CI) in one PostgreSQL database, through the
 * same {@link DeploymentStore} interface as the local ledger.
 *
 * Decisions are transactions. A runner's claim takes its flow × environment's advisory lock, then
 * interrupts the deployments ahead of it whose runners stopped renewing their leases (rows a live
 * writer holds are skipped, `FOR UPDATE SKIP LOCKED`), and runs only when nothing unfinished is
 * left ahead: two members never run one flow × environment at once. A lock is a row under a
 * unique index of what is held, so of two members locking one target, one holds. Liveness is the
 * lease, judged on the server's clock (members' clocks differ).
 *
 * Every write NOTIFYs `flowport_changes` in its transaction (live.ts). When the database cannot be
 * reached, writes are refused ({@link StoreUnreachable}) and reads return the last state this
 * process saw, with {@link PostgresStore.freshness} saying it is stale.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { DeployError, UsageError } from '../../errors.js';
import { FINAL_STATUSES, type DeploymentDetails, type DeploymentQuery } from '../../model.js';
import { maskDeployment, sealDeployment } from '../../secrets.js';
import type { ApprovalDecision } from '../approvals.js';
import type { EnvLock, LockRequest, LockResult, UnlockRequest } from '../locks.js';
import { newDeploymentId } from '../ledger.js';
import { currentRunner } from '../processes.js';
import { isDeployment, isRunner, type RunnerIdentity } from '../records.js';
import {
  LeaseLost,
  NotYourTurn,
  pendingDeployment,
  type CancelRequest,
  type DeploymentChange,
  type DeploymentStore,
  type LogChunk,
  type LogWriter,
  type NewDeployment,
} from '../store.js';
import { createPool, inTransaction, isUnreachable, redactUrl, StoreUnreachable } from './connection.js';
import { CHANNEL, LiveChanges, type LiveEvent } from './live.js';
import { LastSeen } from './last-seen.js';
import { logEnd, PostgresLogWriter, readLogChunks } from './logs.js';
import { migrate, schemaVersion, SCHEMA_VERSION, type MigrateResult } from './schema.js';
import type { RunnerStore } from '../../runner/spec.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:5432/db`; credentials may come from PG* variables instead. */
  url: string;
  /** The project root (bound by the config loader). */
  root: string;
  /** The project's name in the database (one database serves many repositories). Default: the `origin` remote's URL. */
  project?: string;
  /** Migrate the schema on first connect, instead of refusing until `flowport state migrate` ran. Default false. */
  migrate?: boolean;
  /** How long connecting may take before the store counts as unreachable. Default 3000 ms. */
  connectTimeoutMs?: number;
  /** How long a new deployment counts as held by the process that recorded it, before its runner renews the lease. Default 30 s. */
  pendingLeaseMs?: number;
  /** How often a cancel watch looks when no notification arrives. Default 1000 ms. */
  pollMs?: number;
  warn?: (message: string) => void;
}

const UNFINISHED = `('pending','queued','running')`;

interface DeploymentRow {
  record: unknown;
  status: string;
  lease_holder: unknown;
  lease_until: Date | null;
  expired: boolean;
}

/** The columns every read of deployments takes; `expired` on the server's clock. */
const DEPLOYMENT_COLUMNS = `d.record, d.status, d.lease_holder, d.lease_until,
  (d.lease_until IS NULL OR d.lease_until < clock_timestamp()) AS expired`;

export class PostgresStore implements DeploymentStore {
  readonly root: string;
  /** Where the database is, without its password: for messages and the status bar. */
  readonly where: string;
  private readonly url: string;
  private readonly options: PostgresStoreOptions;
  private readonly warn: (message: string) => void;
  private poolPromise: Promise<Pool> | undefined;
  private schemaChecked: Promise<void> | undefined;
  private projectName: string | undefined;
  private live: LiveChanges | undefined;
  /** The last answer to each query, for when the database cannot be reached. */
  private readonly lastSeen: LastSeen;
  private staleSince: { at: string; reason: string } | undefined;
  private identityPromise: Promise<string> | undefined;

  constructor(options: PostgresStoreOptions) {
    this.options = options;
    this.root = options.root;
    this.url = options.url;
    this.where = redactUrl(options.url);
    this.warn = options.warn ?? ((m) => process.stderr.write(`flowport: warning: ${m}\n`));
    this.lastSeen = new LastSeen(this.root, this.where, () => this.project);
  }

  /** The name this project's rows carry. */
  get project(): string {
    this.projectName ??= this.options.project ?? originProject(this.root);
    return this.projectName;
  }

  // ── connection and schema ──────────────────────────────────────────────────────────────────

  private pool(): Promise<Pool> {
    if (!this.url)
      return Promise.reject(
        new UsageError(
          'the team store has no database URL: the config passes process.env.FLOWPORT_DATABASE_URL, which is not set here. ' +
            'Set it to the team database (FLOWPORT_DATABASE_URL=postgres://user@host/flowport), then run this again',
        ),
      );
    this.poolPromise ??= createPool({
      url: this.url,
      connectTimeoutMs: this.options.connectTimeoutMs ?? 3000,
      max: 4,
    });
    return this.poolPromise;
  }

  /** The pool, once the schema is known to be this SDK's. Unreachable: throws {@link StoreUnreachable}. */
  private async ready(what: string): Promise<Pool> {
    const pool = await this.pool();
    this.schemaChecked ??= this.checkSchema(pool).catch((err: unknown) => {
      this.schemaChecked = undefined; // asked again next time: the server may be back
      throw err;
    });
    try {
      await this.schemaChecked;
    } catch (err) {
      throw this.wrap(err, what);
    }
    return pool;
  }

  private async checkSchema(pool: Pool): Promise<void> {
    const client = await pool.connect();
    try {
      const version = await schemaVersion(client);
      if (version === SCHEMA_VERSION) return;
      if (version > SCHEMA_VERSION)
        throw new UsageError(
          `the team store at ${this.where} has schema version ${version}, newer than this Flowport's (${SCHEMA_VERSION}): update flowport in this project (npm install flowport@latest)`,
        );
      if (!this.options.migrate)
        throw new UsageError(
          `the team store at ${this.where} ${version === 0 ? 'has no Flowport schema yet' : `has schema version ${version}, older than this Flowport's (${SCHEMA_VERSION})`}: run "flowport state migrate" once (or set postgresStore({ url, migrate: true }) to migrate on first connect)`,
        );
      await migrate(client);
    } finally {
      client.release();
    }
  }

  /** Applies the migrations the database lacks (`flowport state migrate`). */
  async migrate(): Promise<MigrateResult> {
    const pool = await this.pool();
    try {
      const client = await pool.connect();
      try {
        return await migrate(client);
      } finally {
        client.release();
      }
    } catch (err) {
      throw this.wrap(err, 'the schema was not migrated');
    }
  }

  /** An unreachable database as the refusal a user reads; anything else as it is. */
  private wrap(err: unknown, what: string): unknown {
    return isUnreachable(err) ? new StoreUnreachable(this.where, err, what) : err;
  }

  private async write<T>(what: string, work: (pool: Pool) => Promise<T>): Promise<T> {
    const pool = await this.ready(what);
    try {
      return await work(pool);
    } catch (err) {
      throw this.wrap(err, what);
    }
  }

  /** What a runner process needs to open this store again (runner/spec.ts): the URL goes in its environment only. */
  runnerStore(): RunnerStore {
    const { connectTimeoutMs, pendingLeaseMs, pollMs } = this.options;
    return {
      kind: 'team',
      root: this.root,
      url: this.url,
      project: this.project,
      ...(connectTimeoutMs === undefined ? {} : { connectTimeoutMs }),
      ...(pendingLeaseMs === undefined ? {} : { pendingLeaseMs }),
      ...(pollMs === undefined ? {} : { pollMs }),
    };
  }

  /** Whether reads come from the database now, or are the last state seen (and since when). */
  freshness(): { store: 'team'; where: string; stale?: { since: string; reason: string } } {
    const stale = this.staleSince ?? this.live?.stale;
    return {
      store: 'team',
      where: this.where,
      ...(stale ? { stale: { since: 'at' in stale ? stale.at : stale.since, reason: stale.reason } } : {}),
    };
  }

  /**
   * Hears every change another process (any member's) commits to this project, and the
   * connection going stale and coming back. Returns the unsubscribe.
   */
  watch(listener: (event: LiveEvent) => void): () => void {
    this.live ??= new LiveChanges(this.url, this.project, this.options.connectTimeoutMs ?? 3000);
    return this.live.subscribe((event) => {
      if (event.kind === 'changed' && event.notice?.k === 'log') return;
      listener(event);
    });
  }

  /** Closes the connections (a long-lived process that is done with the store; a CLI run need not). */
  async close(): Promise<void> {
    this.live?.close();
    const pool = this.poolPromise;
    this.poolPromise = undefined;
    this.schemaChecked = undefined;
    if (pool) await (await pool).end();
  }

  /** The database role this process logged in as: the identity every record of it carries. */
  identity(): Promise<string> {
    this.identityPromise ??= this.ready('who you are could not be read, so nothing was done')
      .then((pool) => pool.query<{ who: string }>('SELECT session_user AS who'))
      .then((r) => r.rows[0]!.who)
      .catch((err: unknown) => {
        this.identityPromise = undefined;
        throw this.wrap(err, 'who you are could not be read, so nothing was done');
      });
    return this.identityPromise;
  }

  // ── reading ────────────────────────────────────────────────────────────────────────────────

  async findDeployments(query: DeploymentQuery = {}): Promise<DeploymentDetails[]> {
    const key = JSON.stringify(['deployments', query.flows ?? null, query.envs ?? null, query.history ?? false]);
    return this.cachedRead(key, 'the deployments could not be read, so nothing was done', async (pool) => {
      const params = [this.project, query.flows?.length ? query.flows : null, query.envs?.length ? query.envs : null];
      const filter = `($2::text[] IS NULL OR d.flow_name = ANY($2)) AND ($3::text[] IS NULL OR d.env = ANY($3))`;
      if (!query.history) return this.currentViews(await readCurrent(pool, params));
      const r = await pool.query<DeploymentRow & { change_seq: string }>(
        `SELECT ${DEPLOYMENT_COLUMNS}, d.change_seq FROM flowport_deployments d WHERE d.project = $1 AND ${filter} ORDER BY d.seq`,
        params,
      );
      // What the cache compares (last-seen.ts): each row's change and its lease's judgement.
      const fingerprint = r.rows.map((row) => `${row.change_seq}${row.expired ? '!' : ''}`).join(',');
      return { value: this.views(r.rows), fingerprint };
    });
  }

  /**
   * A read that, when the database cannot be reached, answers with what it read last (in this
   * process, else in the state folder: last-seen.ts), and marks the store stale until a read works.
   */
  private async cachedRead<T>(
    key: string,
    what: string,
    read: (pool: Pool) => Promise<{ value: T; fingerprint?: string }>,
  ): Promise<T> {
    let value: T;
    let fingerprint: string | undefined;
    try {
      ({ value, fingerprint } = await read(await this.ready(what)));
    } catch (err) {
      const wrapped = this.wrap(err, what);
      const seen = wrapped instanceof StoreUnreachable ? this.lastSeen.recall(key) : undefined;
      if (!seen) throw wrapped;
      this.staleSince ??= { at: seen.at, reason: (wrapped as StoreUnreachable).why };
      return seen.value as T;
    }
    this.staleSince = undefined;
    this.lastSeen.remember(key, value, fingerprint);
    return value;
  }

  async getDeployment(id: string): Promise<DeploymentDetails | undefined> {
    const pool = await this.ready(`deployment ${id} was not read`);
    try {
      const r = await pool.query<DeploymentRow>(
        `SELECT ${DEPLOYMENT_COLUMNS} FROM flowport_deployments d WHERE d.project = $1 AND d.id = $2`,
        [this.project, id],
      );
      return this.views(r.rows)[0];
    } catch (err) {
      throw this.wrap(err, `deployment ${id} was not read`);
    }
  }

  /**
   * The pairs' current records (flowport_current's copies) as deployments: finished records, so no
   * lease to judge. A copy that is not a valid succeeded record of the deployment its row names is
   * left out with a warning, as a damaged history row is.
   */
  private currentViews(current: CurrentRows): { value: DeploymentDetails[]; fingerprint: string } {
    const out: DeploymentDetails[] = [];
    for (let i = 0; i < current.records.length; i++) {
      const record = current.records[i];
      if (!isDeployment(record) || record.status !== 'succeeded' || record.id !== current.ids[i]) {
        this.warn(`the team store at ${this.where} holds a deployment record that is not valid; it is left out`);
        continue;
      }
      out.push(maskDeployment(record));
    }
    // A pair's current record never changes once written: which deployments are current says it all.
    return { value: out, fingerprint: current.ids.join(',') };
  }

  /** Rows as deployments: a forged or damaged record is left out with a warning; an unfinished one whose lease ran out reads `interrupted`. */
  private views(rows: DeploymentRow[]): DeploymentDetails[] {
    const out: DeploymentDetails[] = [];
    for (const row of rows) {
      if (!isDeployment(row.record) || row.record.status !== row.status) {
        this.warn(`the team store at ${this.where} holds a deployment record that is not valid; it is left out`);
        continue;
      }
      const d = maskDeployment(row.record);
      if (FINAL_STATUSES.includes(d.status) || !row.expired) {
        out.push(d);
        continue;
      }
      out.push({ ...d, status: 'interrupted', attributes: { ...d.attributes, reason: expiredReason(row, d) } });
    }
    return out;
  }

  // ── writing deployments ────────────────────────────────────────────────────────────────────

  async create(init: NewDeployment): Promise<DeploymentDetails> {
    await this.ready('the deploy was not recorded, so nothing ran');
    const now = new Date();
    const id = newDeploymentId(now);
    const at = now.toISOString();
    // Who asked is who the database knows: a member cannot record a deploy as someone else.
    const initiator = await this.identity();
    const deployment = pendingDeployment(init, { id, at, initiator, logLocation: `flowport logs ${id}` });
    return this.write('the deploy was not recorded, so nothing ran', async (pool) => {
      await pool.query(
        `WITH ins AS (
           INSERT INTO flowport_deployments (project, id, flow_name, env, status, change_seq, record, lease_holder, lease_until)
           VALUES ($1, $2, $3, $4, 'pending', nextval('flowport_change_seq'), $5, $6, clock_timestamp() + make_interval(secs => $7))
           RETURNING change_seq)
         SELECT pg_notify('${CHANNEL}', json_build_object('p', $1::text, 'k', 'deployment', 'id', $2::text, 's', change_seq)::text) FROM ins`,
        [
          this.project,
          id,
          init.flowName,
          init.env,
          deployment,
          currentRunner(),
          (this.options.pendingLeaseMs ?? 30_000) / 1000,
        ],
      );
      return deployment;
    });
  }

  update(id: string, change: DeploymentChange): Promise<DeploymentDetails> {
    return this.write(`the change of ${id} was not recorded`, (pool) =>
      inTransaction(pool, async (client) => {
        const prev = await this.lockedRow(client, id);
        const next = sealDeployment({
          ...prev,
          status: change.status ?? prev.status,
          updatedAt: new Date().toISOString(),
          outputs: { ...prev.outputs, ...change.outputs },
          attributes: { ...prev.attributes, ...change.attributes },
          ...(change.url === undefined ? {} : { url: change.url }),
        });
        await this.store(client, next, FINAL_STATUSES.includes(next.status) ? 'clear' : 'keep');
        return maskDeployment(next);
      }),
    );
  }

  /** The deployment `id`, its row locked for this transaction; throws when it is missing or finished. */
  private async lockedRow(client: PoolClient, id: string): Promise<DeploymentDetails> {
    const r = await client.query<{ record: unknown }>(
      `SELECT record FROM flowport_deployments WHERE project = $1 AND id = $2 FOR UPDATE`,
      [this.project, id],
    );
    const prev = r.rows[0]?.record;
    if (!prev) throw new DeployError(`no deployment ${id} in the team store at ${this.where}`);
    if (!isDeployment(prev))
      throw new DeployError(`deployment ${id} in the team store at ${this.where} is not a valid record`);
    if (FINAL_STATUSES.includes(prev.status))
      throw new DeployError(`deployment ${id} already ${prev.status}: a finished deployment does not change`);
    return prev;
  }

  /** Writes `next` over its row, with the change's number, and announces it; a success becomes the pair's current. */
  private async store(
    client: PoolClient,
    next: DeploymentDetails,
    lease: 'keep' | 'clear' | { holder: RunnerIdentity; ms: number },
  ): Promise<void> {
    const leaseSql =
      lease === 'keep'
        ? ''
        : lease === 'clear'
          ? ', lease_holder = NULL, lease_until = NULL'
          : ', lease_holder = $5, lease_until = clock_timestamp() + make_interval(secs => $6)';
    const params: unknown[] = [this.project, next.id, next.status, next];
    if (typeof lease === 'object') params.push(lease.holder, lease.ms / 1000);
    const r = await client.query<{ change_seq: string; seq: string; flow_name: string; env: string }>(
      `UPDATE flowport_deployments SET status = $3, record = $4, change_seq = nextval('flowport_change_seq')${leaseSql}
        WHERE project = $1 AND id = $2 RETURNING change_seq, seq, flow_name, env`,
      params,
    );
    const row = r.rows[0]!;
    if (next.status === 'succeeded')
      await client.query(
        `INSERT INTO flowport_current (project, flow_name, env, deployment_id, change_seq, seq, record) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (project, flow_name, env) DO UPDATE
           SET deployment_id = excluded.deployment_id, change_seq = excluded.change_seq, seq = excluded.seq, record = excluded.record`,
        [this.project, row.flow_name, row.env, next.id, row.change_seq, row.seq, next],
      );
    await this.notify(client, 'deployment', next.id, row.change_seq);
  }

  private async notify(client: Pick<PoolClient, 'query'>, kind: string, id: string | undefined, seq?: string) {
    await client.query(
      `SELECT pg_notify('${CHANNEL}', json_build_object('p', $1::text, 'k', $2::text, 'id', $3::text, 's', ${seq === undefined ? `nextval('flowport_change_seq')` : '$4::bigint'})::text)`,
      seq === undefined ? [this.project, kind, id ?? null] : [this.project, kind, id ?? null, seq],
    );
  }

  /**
   * Takes `id` over for this runner, in one transaction under its flow × environment's advisory
   * lock: deployments ahead whose leases ran out are recorded `interrupted`; any other unfinished
   * one ahead means it is not this one's turn ({@link NotYourTurn}: the runner waits again).
   */
  claim(id: string, leaseMs: number): Promise<DeploymentDetails> {
    return this.write(`${id} was not claimed, so nothing ran`, async (pool) => {
      const outcome = await inTransaction(pool, async (client) => {
        const own = await this.lockedRow(client, id);
        const seq = await client.query<{ seq: string }>(
          `SELECT seq FROM flowport_deployments WHERE project = $1 AND id = $2`,
          [this.project, id],
        );
        const pair = [this.project, own.flowName, own.env, seq.rows[0]!.seq];
        await client.query(
          `SELECT pg_advisory_xact_lock(hashtextextended(json_build_array($1::text, $2::text, $3::text)::text, 0))`,
          [this.project, own.flowName, own.env],
        );
        const expired = await client.query<DeploymentRow>(
          `SELECT ${DEPLOYMENT_COLUMNS} FROM flowport_deployments d
            WHERE d.project = $1 AND d.flow_name = $2 AND d.env = $3 AND d.seq < $4 AND d.status IN ${UNFINISHED}
              AND (d.lease_until IS NULL OR d.lease_until < clock_timestamp())
            ORDER BY d.seq FOR UPDATE SKIP LOCKED`,
          pair,
        );
        for (const row of expired.rows) {
          if (!isDeployment(row.record)) continue;
          const d = row.record;
          await this.store(
            client,
            {
              ...d,
              status: 'interrupted',
              updatedAt: new Date().toISOString(),
              attributes: { ...d.attributes, reason: expiredReason(row, d) },
            },
            'clear',
          );
        }
        const ahead = await client.query<{ id: string; status: string }>(
          `SELECT id, status FROM flowport_deployments
            WHERE project = $1 AND flow_name = $2 AND env = $3 AND seq < $4 AND status IN ${UNFINISHED}
            ORDER BY seq LIMIT 1`,
          pair,
        );
        const turn = ahead.rows[0];
        if (turn) return { turn, running: undefined };
        // A lock taken since the runner last looked is decided here too: its runner looks again, and ends it.
        const locked = await client.query<{ id: string }>(
          `SELECT id FROM flowport_locks WHERE project = $1 AND env = $2 AND flow_name IN ('', $3) AND lifted_at IS NULL LIMIT 1`,
          [this.project, own.env, own.flowName],
        );
        if (locked.rows[0]) return { turn: { id: locked.rows[0].id, status: 'lock' }, running: undefined };
        const running: DeploymentDetails = { ...own, status: 'running', updatedAt: new Date().toISOString() };
        await this.store(client, running, { holder: currentRunner(), ms: leaseMs });
        return { turn: undefined, running: maskDeployment(running) };
      });
      if (outcome.turn) throw new NotYourTurn(id, outcome.turn.id, outcome.turn.status);
      return outcome.running;
    });
  }

  /**
   * The unfinished deployments recorded before `d` in its flow × environment: the queue's partial
   * index, not the pair's history (a waiting runner asks this at every look). Read from the
   * database always: a turn is never judged by the last state seen.
   */
  async unfinishedAhead(d: DeploymentDetails): Promise<DeploymentDetails[]> {
    const what = `the queue ahead of ${d.id} was not read`;
    const pool = await this.ready(what);
    try {
      const r = await pool.query<DeploymentRow>(
        `SELECT ${DEPLOYMENT_COLUMNS} FROM flowport_deployments d
          WHERE d.project = $1 AND d.flow_name = $2 AND d.env = $3 AND d.status IN ${UNFINISHED}
            AND d.seq < coalesce((SELECT seq FROM flowport_deployments WHERE project = $1 AND id = $4), 9223372036854775807)
          ORDER BY d.seq`,
        [this.project, d.flowName, d.env, d.id],
      );
      return this.views(r.rows).filter((x) => !FINAL_STATUSES.includes(x.status));
    } catch (err) {
      throw this.wrap(err, what);
    }
  }

  /**
   * Every change another process commits to this project (and one after a reconnect, to catch
   * up), and one once the LISTEN is in place: a look taken before it may have missed a change.
   */
  onChanges(onChange: () => void): () => void {
    let stopped = false;
    const unsubscribe = this.watch((event) => {
      if (event.kind === 'changed') onChange();
    });
    void this.live?.ready().then(() => stopped || onChange());
    return () => {
      stopped = true;
      unsubscribe();
    };
  }

  renewLease(id: string, leaseMs: number): Promise<void> {
    return this.write(`the lease of ${id} was not renewed`, async (pool) => {
      const r = await pool.query(
        `UPDATE flowport_deployments SET lease_holder = $3, lease_until = clock_timestamp() + make_interval(secs => $4)
          WHERE project = $1 AND id = $2 AND status IN ${UNFINISHED} RETURNING 1`,
        [this.project, id, currentRunner(), leaseMs / 1000],
      );
      if (r.rowCount === 0) throw new LeaseLost(id);
    });
  }

  // ── cancel requests ────────────────────────────────────────────────────────────────────────

  async requestCancel(id: string, request: { by?: string; reason?: string } = {}): Promise<void> {
    await this.write(`the cancel of ${id} was not recorded`, (pool) =>
      inTransaction(pool, async (client) => {
        const exists = await client.query(`SELECT 1 FROM flowport_deployments WHERE project = $1 AND id = $2`, [
          this.project,
          id,
        ]);
        if (exists.rowCount === 0) throw new UsageError(`no deployment ${id} in the team store at ${this.where}`);
        await client.query(
          `INSERT INTO flowport_cancel_requests (project, deployment_id, by_whom, at, reason) VALUES ($1, $2, session_user, clock_timestamp(), $3)`,
          [this.project, id, request.reason ?? null],
        );
        await this.notify(client, 'cancel', id);
      }),
    );
  }

  watchCancel(id: string, onCancel: (request: CancelRequest) => void): () => void {
    let done = false;
    const check = async () => {
      if (done) return;
      const pool = await this.pool();
      const r = await pool.query<{ by_whom: string; at: Date; reason: string | null }>(
        `SELECT by_whom, at, reason FROM flowport_cancel_requests WHERE project = $1 AND deployment_id = $2 ORDER BY seq LIMIT 1`,
        [this.project, id],
      );
      const row = r.rows[0];
      if (!row || done) return;
      stop();
      onCancel({
        deploymentId: id,
        by: row.by_whom,
        at: row.at.toISOString(),
        ...(row.reason === null ? {} : { reason: row.reason }),
      });
    };
    const look = () => void check().catch(() => undefined); // unreachable: the next look tries again
    const unsubscribe = this.watch((event) => {
      if (event.kind === 'changed' && (!event.notice || (event.notice.k === 'cancel' && event.notice.id === id)))
        look();
    });
    const poll = setInterval(look, this.options.pollMs ?? 1000);
    poll.unref();
    const stop = () => {
      done = true;
      clearInterval(poll);
      unsubscribe();
    };
    look();
    return stop;
  }

  // ── logs (logs.ts) ─────────────────────────────────────────────────────────────────────────

  openLog(id: string): Promise<LogWriter> {
    return this.write(`the log of ${id} was not opened`, async (pool) => {
      await pool.query(`UPDATE flowport_deployments SET has_log = true WHERE project = $1 AND id = $2`, [
        this.project,
        id,
      ]);
      const end = await logEnd(pool, this.project, id);
      return new PostgresLogWriter(pool, this.project, id, `flowport logs ${id}`, end, this.warn);
    });
  }

  async readLog(id: string, from = 0): Promise<LogChunk | undefined> {
    const pool = await this.ready(`the log of ${id} was not read`);
    try {
      return await readLogChunks(pool, this.project, id, from);
    } catch (err) {
      throw this.wrap(err, `the log of ${id} was not read`);
    }
  }

  // ── locks ──────────────────────────────────────────────────────────────────────────────────

  lock(request: LockRequest): Promise<LockResult> {
    return this.write(`${request.env} was not locked`, (pool) =>
      inTransaction(pool, async (client) => {
        const lockId = `lock-${randomUUID()}`;
        const taken = await client.query<LockRow>(
          `INSERT INTO flowport_locks (project, id, env, flow_name, reason, by_whom, at) VALUES ($1, $2, $3, $4, $5, session_user, clock_timestamp())
           ON CONFLICT (project, env, flow_name) WHERE lifted_at IS NULL DO NOTHING RETURNING ${LOCK_COLUMNS}`,
          [this.project, lockId, request.env, request.flowName ?? '', request.reason],
        );
        if (taken.rows[0]) {
          await this.notify(client, 'lock', undefined);
          return { lock: lockOf(taken.rows[0]), taken: true };
        }
        const held = await this.heldLock(client, request.env, request.flowName);
        if (!held) throw new DeployError(`${request.env} could not be locked: try again`);
        return { lock: held, taken: false };
      }),
    );
  }

  unlock(request: UnlockRequest): Promise<EnvLock | undefined> {
    return this.write(`${request.env} was not unlocked`, (pool) =>
      inTransaction(pool, async (client) => {
        const r = await client.query<LockRow>(
          `UPDATE flowport_locks SET lifted_at = clock_timestamp(), lifted_by = session_user
            WHERE project = $1 AND env = $2 AND flow_name = $3 AND lifted_at IS NULL AND ($4::text IS NULL OR id = $4)
            RETURNING ${LOCK_COLUMNS}`,
          [this.project, request.env, request.flowName ?? '', request.lockId ?? null],
        );
        if (!r.rows[0]) return undefined;
        await this.notify(client, 'lock', undefined);
        return lockOf(r.rows[0]);
      }),
    );
  }

  locks(): Promise<EnvLock[]> {
    return this.cachedRead('["locks"]', 'the locks could not be read, so nothing was done', async (pool) => {
      const r = await pool.query<LockRow>(
        `SELECT ${LOCK_COLUMNS} FROM flowport_locks WHERE project = $1 AND lifted_at IS NULL ORDER BY at, id`,
        [this.project],
      );
      return { value: r.rows.map(lockOf) };
    });
  }

  private async heldLock(client: PoolClient, env: string, flowName: string | undefined): Promise<EnvLock | undefined> {
    const r = await client.query<LockRow>(
      `SELECT ${LOCK_COLUMNS} FROM flowport_locks WHERE project = $1 AND env = $2 AND flow_name = $3 AND lifted_at IS NULL`,
      [this.project, env, flowName ?? ''],
    );
    return r.rows[0] && lockOf(r.rows[0]);
  }

  // ── approvals ──────────────────────────────────────────────────────────────────────────────

  /** Recorded only while the deployment still waits (its row locked meanwhile): a decision on a finished one is refused. */
  decide(decision: Omit<ApprovalDecision, 'at'>): Promise<ApprovalDecision> {
    return this.write(`the decision on ${decision.deploymentId} was not recorded`, (pool) =>
      inTransaction(pool, async (client) => {
        await this.lockedRow(client, decision.deploymentId);
        const r = await client.query<{ at: Date; by_whom: string }>(
          `INSERT INTO flowport_decisions (project, deployment_id, decision, by_whom, at, comment)
           VALUES ($1, $2, $3, session_user, clock_timestamp(), $4) RETURNING at, by_whom`,
          [this.project, decision.deploymentId, decision.decision, decision.comment ?? null],
        );
        await this.notify(client, 'decision', decision.deploymentId);
        // Recorded as the database role that decided, whatever the caller claimed.
        return { ...decision, by: r.rows[0]!.by_whom, at: r.rows[0]!.at.toISOString() };
      }),
    );
  }

  async decisions(deploymentId?: string): Promise<ApprovalDecision[]> {
    const pool = await this.ready('the approvals could not be read, so nothing was done');
    try {
      const r = await pool.query<{
        deployment_id: string;
        decision: 'approved' | 'rejected';
        by_whom: string;
        at: Date;
        comment: string | null;
      }>(
        `SELECT deployment_id, decision, by_whom, at, comment FROM flowport_decisions
          WHERE project = $1 AND ($2::text IS NULL OR deployment_id = $2) ORDER BY seq`,
        [this.project, deploymentId ?? null],
      );
      return r.rows.map((row) => ({
        deploymentId: row.deployment_id,
        decision: row.decision,
        by: row.by_whom,
        at: row.at.toISOString(),
        ...(row.comment === null ? {} : { comment: row.comment }),
      }));
    } catch (err) {
      throw this.wrap(err, 'the approvals could not be read, so nothing was done');
    }
  }

  // ── moving over (flowport state migrate --from local) ──────────────────────────────────────

  /**
   * Copies deployments (with their logs), held locks and decisions recorded elsewhere into this
   * store, each once: what is there already (by id) is left as it is. In one transaction, so a
   * copy that fails leaves nothing half-copied.
   */
  async importRecords(records: ImportRecords): Promise<ImportCounts> {
    return this.write('nothing was copied', (pool) =>
      inTransaction(pool, async (client) => {
        const counts: ImportCounts = { deployments: 0, logs: 0, locks: 0, decisions: 0, skipped: 0 };
        for (const { deployment: d, log } of records.deployments) {
          const r = await client.query(
            `INSERT INTO flowport_deployments (project, id, flow_name, env, status, change_seq, record, has_log)
             VALUES ($1, $2, $3, $4, $5, nextval('flowport_change_seq'), $6, $7) ON CONFLICT DO NOTHING RETURNING change_seq`,
            [
              this.project,
              d.id,
              d.flowName,
              d.env,
              d.status,
              { ...d, logLocation: `flowport logs ${d.id}` },
              log !== undefined,
            ],
          );
          if (r.rowCount === 0) {
            counts.skipped++;
            continue;
          }
          counts.deployments++;
          if (log) {
            await client.query(
              `INSERT INTO flowport_log_chunks (project, deployment_id, byte_offset, body) VALUES ($1, $2, 0, $3) ON CONFLICT DO NOTHING`,
              [this.project, d.id, log],
            );
            counts.logs++;
          }
        }
        // Current per pair: the success recorded last, as the local ledger reads it.
        for (const d of records.current) {
          await client.query(
            `INSERT INTO flowport_current (project, flow_name, env, deployment_id, change_seq, seq, record)
             SELECT project, flow_name, env, id, change_seq, seq, record::json FROM flowport_deployments WHERE project = $1 AND id = $2
             ON CONFLICT (project, flow_name, env) DO NOTHING`,
            [this.project, d.id],
          );
        }
        for (const l of records.locks) {
          const r = await client.query(
            `INSERT INTO flowport_locks (project, id, env, flow_name, reason, by_whom, at) VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT DO NOTHING RETURNING 1`,
            [this.project, l.id, l.env, l.flowName ?? '', l.reason, l.by, l.at],
          );
          counts.locks += r.rowCount ?? 0;
        }
        for (const x of records.decisions) {
          const r = await client.query(
            `INSERT INTO flowport_decisions (project, deployment_id, decision, by_whom, at, comment)
             SELECT $1, $2, $3, $4, $5, $6
              WHERE NOT EXISTS (SELECT 1 FROM flowport_decisions WHERE project = $1 AND deployment_id = $2 AND by_whom = $4 AND at = $5)
             RETURNING 1`,
            [this.project, x.deploymentId, x.decision, x.by, x.at, x.comment ?? null],
          );
          counts.decisions += r.rowCount ?? 0;
        }
        await this.notify(client, 'deployment', undefined);
        return counts;
      }),
    );
  }
}

export interface ImportRecords {
  /** Every deployment, in the order recorded, finished ones only, with its log. */
  deployments: Array<{ deployment: DeploymentDetails; log?: string }>;
  /** The current deployment of each pair. */
  current: DeploymentDetails[];
  locks: EnvLock[];
  decisions: ApprovalDecision[];
}

export interface ImportCounts {
  deployments: number;
  logs: number;
  locks: number;
  decisions: number;
  /** Deployments already in the store (an earlier copy). */
  skipped: number;
}

interface LockRow {
  id: string;
  env: string;
  flow_name: string;
  reason: string;
  by_whom: string;
  at: Date;
}

const LOCK_COLUMNS = 'id, env, flow_name, reason, by_whom, at';

function lockOf(row: LockRow): EnvLock {
  return {
    id: row.id,
    env: row.env,
    ...(row.flow_name === '' ? {} : { flowName: row.flow_name }),
    reason: row.reason,
    by: row.by_whom,
    at: row.at.toISOString(),
  };
}

interface CurrentRows {
  /** The deployment each pair's row names. */
  ids: string[];
  /** Its record as stored (unchecked), in the same order. */
  records: unknown[];
}

/**
 * The current row of each pair `params` selects, in the order recorded. The records come as their
 * text and are parsed as one array: one JSON.parse of the whole state costs less than pg's parse
 * of every row's json and the row objects around them (measured with `npm run bench:team`).
 */
async function readCurrent(pool: Pool, params: unknown[]): Promise<CurrentRows> {
  const r = await pool.query<[string, string]>({
    text: `SELECT c.deployment_id, c.record::text FROM flowport_current c
            WHERE c.project = $1 AND ($2::text[] IS NULL OR c.flow_name = ANY($2)) AND ($3::text[] IS NULL OR c.env = ANY($3))
            ORDER BY c.seq`,
    values: params,
    rowMode: 'array',
  });
  const ids = new Array<string>(r.rows.length);
  const texts = new Array<string>(r.rows.length);
  for (let i = 0; i < r.rows.length; i++) [ids[i], texts[i]] = r.rows[i]!;
  // Each text is valid JSON: the column is json, checked by the server on the way in.
  const records = JSON.parse(`[${texts.join(',')}]`) as unknown[];
  return { ids, records };
}

function expiredReason(row: DeploymentRow, d: DeploymentDetails): string {
  const holder = isRunner(row.lease_holder)
    ? `its runner (pid ${row.lease_holder.pid} on ${row.lease_holder.host})`
    : 'its runner';
  return row.lease_until
    ? `${holder} stopped renewing its lease while it was ${d.status}; the lease ran out at ${row.lease_until.toISOString()}`
    : `${holder} never took it while it was ${d.status}`;
}

/** The project's name by its `origin` remote, credentials and `.git` left out: the same in every clone. */
function originProject(root: string): string {
  let url = '';
  try {
    url = execFileSync('git', ['config', '--get', 'remote.origin.url'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // no git, or no origin: said below
  }
  if (!url)
    throw new UsageError(
      `postgresStore(): the repository at ${root} has no "origin" remote to name the project by in the team store; ` +
        "name it in the config: postgresStore({ url: process.env.FLOWPORT_DATABASE_URL, project: 'your-repository' })",
    );
  return url
    .replace(/^[a-z+]+:\/\/[^@/]*@/i, (m) => m.replace(/\/\/[^@/]*@/, '//'))
    .replace(/\.git\/?$/, '')
    .replace(/\/+$/, '');
}

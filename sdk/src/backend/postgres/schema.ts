/**
 * The team store's schema, versioned: each migration runs once, in its own transaction, and is
 * recorded in `flowport_schema`. Migrating takes a session advisory lock first, so two processes
 * migrating at once (two members' first connect, CI and a member) apply each step once: the second
 * waits, then finds nothing left to do.
 *
 * Every table is keyed by `project`: one database serves many repositories.
 */
import type { PoolClient } from 'pg';

/** The schema version this SDK reads and writes. */
export const SCHEMA_VERSION = 2;

/** Any constant 64-bit key: the lock every `flowport state migrate` takes (pg_advisory_lock). */
const MIGRATE_LOCK = 0x466c6f77706f7274n; // "Flowport"

const MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      -- One row per deployment. "record" is the whole DeploymentDetails as the runner last wrote it
      -- (secret outputs sealed); the columns beside it are what queries filter and order on.
      CREATE TABLE flowport_deployments (
        project      text        NOT NULL,
        id           text        NOT NULL,
        seq          bigserial   NOT NULL,
        flow_name    text        NOT NULL,
        env          text        NOT NULL,
        status       text        NOT NULL CHECK (status IN ('pending','queued','running','succeeded','failed','cancelled','interrupted')),
        change_seq   bigint      NOT NULL,
        record       jsonb       NOT NULL,
        lease_holder jsonb,
        lease_until  timestamptz,
        has_log      boolean     NOT NULL DEFAULT false,
        PRIMARY KEY (project, id)
      );
      -- The history of one flow × environment, in the order recorded (the queue's order).
      CREATE INDEX flowport_deployments_pair ON flowport_deployments (project, flow_name, env, seq);
      -- What is unfinished: the queue, and leases to judge.
      CREATE INDEX flowport_deployments_unfinished ON flowport_deployments (project, flow_name, env, seq)
        WHERE status IN ('pending','queued','running');
      CREATE INDEX flowport_deployments_order ON flowport_deployments (project, seq);

      -- The current deployment per flow × environment (the one that succeeded last), kept in the
      -- transaction that records the success: reading the current state is one row per pair.
      CREATE TABLE flowport_current (
        project       text   NOT NULL,
        flow_name     text   NOT NULL,
        env           text   NOT NULL,
        deployment_id text   NOT NULL,
        change_seq    bigint NOT NULL,
        PRIMARY KEY (project, flow_name, env)
      );

      -- Logs in chunks keyed by their byte offset: a reader anywhere follows a log by offset.
      CREATE TABLE flowport_log_chunks (
        project       text   NOT NULL,
        deployment_id text   NOT NULL,
        byte_offset   bigint NOT NULL,
        body          text   NOT NULL,
        PRIMARY KEY (project, deployment_id, byte_offset)
      );

      CREATE TABLE flowport_cancel_requests (
        seq           bigserial   PRIMARY KEY,
        project       text        NOT NULL,
        deployment_id text        NOT NULL,
        by_whom       text        NOT NULL,
        at            timestamptz NOT NULL,
        reason        text
      );
      CREATE INDEX flowport_cancel_requests_of ON flowport_cancel_requests (project, deployment_id, seq);

      -- Locks, lifted ones kept with who lifted them. At most one holds per target: the unique
      -- index decides between two members locking at once.
      CREATE TABLE flowport_locks (
        project    text        NOT NULL,
        id         text        NOT NULL,
        env        text        NOT NULL,
        flow_name  text        NOT NULL DEFAULT '',
        reason     text        NOT NULL,
        by_whom    text        NOT NULL,
        at         timestamptz NOT NULL,
        lifted_at  timestamptz,
        lifted_by  text,
        PRIMARY KEY (project, id)
      );
      CREATE UNIQUE INDEX flowport_locks_held ON flowport_locks (project, env, flow_name) WHERE lifted_at IS NULL;

      CREATE TABLE flowport_decisions (
        seq           bigserial   PRIMARY KEY,
        project       text        NOT NULL,
        deployment_id text        NOT NULL,
        decision      text        NOT NULL CHECK (decision IN ('approved','rejected')),
        by_whom       text        NOT NULL,
        at            timestamptz NOT NULL,
        comment       text
      );
      CREATE INDEX flowport_decisions_of ON flowport_decisions (project, deployment_id, seq);

      -- Every change takes the next number: NOTIFY carries it, and a member that was offline
      -- knows it missed changes when the last number is past the last one it saw.
      CREATE SEQUENCE flowport_change_seq;
    `,
  },
  {
    version: 2,
    sql: `
      -- The current deployment's record kept beside its pair, written in the transaction that
      -- records the success (a finished record never changes again): reading the current state is
      -- one narrow table, no join against the whole history (a join read 100,000 rows to find
      -- 5,000). Plain json, not jsonb: it is only ever sent back whole, and jsonb is re-serialized
      -- on every read. "seq" is the deployment's, for the order recorded.
      ALTER TABLE flowport_current ADD COLUMN seq bigint, ADD COLUMN record json;
      UPDATE flowport_current c SET seq = d.seq, record = d.record::json
        FROM flowport_deployments d WHERE d.project = c.project AND d.id = c.deployment_id;
      DELETE FROM flowport_current WHERE record IS NULL;
      ALTER TABLE flowport_current ALTER COLUMN seq SET NOT NULL, ALTER COLUMN record SET NOT NULL;
    `,
  },
];

export interface MigrateResult {
  from: number;
  to: number;
  applied: number[];
}

/** The version the database is at; 0 for a database Flowport never migrated. */
export async function schemaVersion(client: Pick<PoolClient, 'query'>): Promise<number> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('flowport_schema') AS t`);
  if (!exists.rows[0]?.t) return 0;
  const r = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM flowport_schema`);
  return r.rows[0]?.v ?? 0;
}

/**
 * Applies the migrations the database lacks (up to `upTo`: tests make an older database), under the
 * migration lock. Safe from many processes at once.
 */
export async function migrate(client: PoolClient, upTo = SCHEMA_VERSION): Promise<MigrateResult> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK.toString()]);
  try {
    const from = await schemaVersion(client);
    // Only when it is missing: CREATE ... IF NOT EXISTS asks for CREATE on the schema even when the
    // table is there, and a member's role (read and write, no DDL) copying its history would be refused.
    if (from === 0)
      await client.query(
        `CREATE TABLE IF NOT EXISTS flowport_schema (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (m.version <= from || m.version > upTo) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO flowport_schema (version) VALUES ($1)', [m.version]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
      applied.push(m.version);
    }
    return { from, to: Math.max(from, ...applied), applied };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK.toString()]);
  }
}

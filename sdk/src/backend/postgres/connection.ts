/**
 * Connecting to the team store: the pool (node-postgres, loaded only when a project uses the team
 * store), where the database is in words that never carry its password, and which errors mean
 * "the database cannot be reached" rather than "this was refused".
 */
import type { Pool, PoolClient } from 'pg';
import { DeployError } from '../../errors.js';

/** `postgres://user@host:5432/db`: the URL with its password (and any query string) left out, for messages and views. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return 'the configured database URL (not a valid URL)';
  }
}

/** The SQLSTATE classes and socket errors that mean the server is not there (or went away), not that it said no. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '57P01', // admin_shutdown: the server is restarting
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up
]);

export function isUnreachable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  if (typeof e?.code === 'string' && (UNREACHABLE_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|timeout expired|Client has encountered a connection error|connect ETIMEDOUT/i.test(
    message,
  );
}

/** The team store cannot be reached: nothing was done, and nothing is done locally instead. */
export class StoreUnreachable extends DeployError {
  readonly code = 'FLOWPORT_STORE_UNREACHABLE';
  /** The cause in a word or two: `ECONNREFUSED`, `timeout expired`. */
  readonly why: string;
  constructor(where: string, cause: unknown, what: string) {
    const why =
      (cause as { code?: string } | undefined)?.code ?? (cause instanceof Error ? cause.message : String(cause));
    super(
      `the team store at ${where} cannot be reached (${why}): ${what}. Flowport never records team work on this machine "for now"; ` +
        'run it again once the database is back (check FLOWPORT_DATABASE_URL and the network).',
    );
    this.why = why;
  }
}

export interface PoolOptions {
  url: string;
  /** How long connecting may take before the store counts as unreachable. */
  connectTimeoutMs: number;
  max: number;
}

/** A pool that lets the process exit when idle (a CLI run ends without closing it). */
export async function createPool(options: PoolOptions): Promise<Pool> {
  const pg = await import('pg');
  const PoolClass = pg.default?.Pool ?? pg.Pool;
  const pool = new PoolClass({
    connectionString: options.url,
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
    application_name: 'flowport',
  });
  // An idle client whose server went away: the next query reports it; this must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `work` in one transaction; rolled back when it throws. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  } finally {
    client.release();
  }
}

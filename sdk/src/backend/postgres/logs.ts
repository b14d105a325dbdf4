/**
 * Deployment logs in the team store: chunks keyed by (deployment, byte offset). The runner writes
 * what it printed every {@link FLUSH_MS}, so a member on another machine follows the log by offset
 * as it grows; a chunk that could not be written (the server restarting) is written with the next.
 */
import type { Pool } from 'pg';
import type { LogChunk, LogWriter } from '../store.js';

const FLUSH_MS = 150;
/** How long `close()` keeps trying to write the last lines while the server is away. */
const CLOSE_TRIES = 20;
const CLOSE_RETRY_MS = 500;

export class PostgresLogWriter implements LogWriter {
  private pending = '';
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private lastError: unknown;

  constructor(
    private readonly pool: Pool,
    private readonly project: string,
    private readonly deploymentId: string,
    readonly location: string,
    /** Where the log goes on: the end of what was written before (a log reopened). */
    private offset: number,
    private readonly warn: (message: string) => void,
  ) {}

  line(text: string): void {
    this.pending += `${text}\n`;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_MS);
  }

  private flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (!this.pending) return;
      const body = this.pending;
      try {
        const r = await this.pool.query<{ len: number }>(
          `WITH ins AS (
             INSERT INTO flowport_log_chunks (project, deployment_id, byte_offset, body) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING RETURNING octet_length(body) AS len)
           SELECT len FROM ins
           UNION ALL
           SELECT octet_length(body) FROM flowport_log_chunks
            WHERE project = $1 AND deployment_id = $2 AND byte_offset = $3 AND NOT EXISTS (SELECT 1 FROM ins)`,
          [this.project, this.deploymentId, this.offset, body],
        );
        // Written whole, or (an earlier try committed, its answer lost) written before: go on
        // after what is there. Lines added meanwhile stay pending for the next chunk.
        const written = r.rows[0]?.len ?? 0;
        const pendingBytes = Buffer.from(this.pending, 'utf8');
        this.pending = pendingBytes.subarray(written).toString('utf8');
        this.offset += written;
        this.lastError = undefined;
      } catch (err) {
        this.lastError = err; // kept pending: written with the next flush
      }
    });
    return this.writing;
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (let attempt = 1; ; attempt++) {
      await this.flush();
      if (!this.pending) return;
      if (attempt >= CLOSE_TRIES) {
        this.warn(
          `the last ${Buffer.byteLength(this.pending, 'utf8')} bytes of the log of ${this.deploymentId} could not be written to the team store (${messageOf(this.lastError)})`,
        );
        return;
      }
      await new Promise((r) => setTimeout(r, CLOSE_RETRY_MS));
    }
  }
}

/** The end of what `deploymentId`'s log holds: where a reopened log goes on. */
export async function logEnd(pool: Pool, project: string, deploymentId: string): Promise<number> {
  const r = await pool.query<{ end: string | null }>(
    `SELECT max(byte_offset + octet_length(body)) AS end FROM flowport_log_chunks WHERE project = $1 AND deployment_id = $2`,
    [project, deploymentId],
  );
  return Number(r.rows[0]?.end ?? 0);
}

/** The log of `deploymentId` from byte `from`, or undefined when it has none. */
export async function readLogChunks(
  pool: Pool,
  project: string,
  deploymentId: string,
  from: number,
): Promise<LogChunk | undefined> {
  const r = await pool.query<{ byte_offset: string; body: string; has_log: boolean | null }>(
    `SELECT c.byte_offset, c.body, d.has_log
       FROM flowport_deployments d
       LEFT JOIN flowport_log_chunks c
         ON c.project = d.project AND c.deployment_id = d.id AND c.byte_offset + octet_length(c.body) > $3
      WHERE d.project = $1 AND d.id = $2
      ORDER BY c.byte_offset`,
    [project, deploymentId, from],
  );
  if (r.rows.length === 0 || !r.rows[0]!.has_log) return undefined;
  const chunks = r.rows.filter((row) => row.byte_offset !== null);
  if (chunks.length === 0) return { text: '', next: from };
  const start = Number(chunks[0]!.byte_offset);
  const bytes = Buffer.concat(chunks.map((c) => Buffer.from(c.body, 'utf8')));
  const next = start + bytes.length;
  return { text: bytes.subarray(Math.max(0, from - start)).toString('utf8'), next };
}

function messageOf(err: unknown): string {
  return (err as { code?: string } | undefined)?.code ?? (err instanceof Error ? err.message : String(err));
}

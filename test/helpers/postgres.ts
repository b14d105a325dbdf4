/** A real PostgreSQL server for a test (scripts/postgres/server.mjs), stopped and removed when the test ends. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startPostgres, type PostgresServer } from '../../scripts/postgres/server.mjs';
import { onCleanup } from './tmp.js';

export interface TestPostgres extends PostgresServer {
  /** Runs `sql` with the server's own psql (argv, no shell); resolves to its unaligned, tuples-only output. */
  psql(sql: string): string;
}

/**
 * Starts a throw-away cluster (database `flowport`, trust auth on 127.0.0.1) and registers its
 * stop with onCleanup, so it is gone when the test (or, called from before(), the file) ends.
 */
export async function startTestPostgres(opts: Parameters<typeof startPostgres>[0] = {}): Promise<TestPostgres> {
  const server = await startPostgres({ log: (m) => console.error(m), ...opts });
  onCleanup(() => server.stop());
  return Object.assign(server, {
    psql(sql: string): string {
      const r = spawnSync(
        join(server.bin, 'psql'),
        ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-d', server.url, '-c', sql],
        {
          encoding: 'utf8',
          timeout: 30_000,
        },
      );
      if (r.status !== 0) throw new Error(`psql failed (${r.error?.message ?? r.status}): ${r.stderr}`);
      return r.stdout.trim();
    },
  });
}

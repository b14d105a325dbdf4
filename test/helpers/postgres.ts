/** A real PostgreSQL server for a test (scripts/postgres/server.mjs), stopped and removed when the test (or the file) ends. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after } from 'node:test';
import { startPostgres, type PostgresServer } from '../../scripts/postgres/server.mjs';
import { onCleanup } from './tmp.js';

export interface TestPostgres extends PostgresServer {
  /** Runs `sql` with the server's own psql (argv, no shell); resolves to its unaligned, tuples-only output. */
  psql(sql: string): string;
}

/** The servers started with scope 'file', stopped by the `after` hook below at the end of the file. */
const fileServers = new Set<PostgresServer>();
// Registered when a test file imports this module, so on the file's root: an `after` added from a
// before() hook would belong to the test that ran that hook (the first one) and end with it.
after(async () => {
  for (const server of [...fileServers]) {
    fileServers.delete(server);
    await server.stop();
  }
});

export type TestPostgresOptions = Parameters<typeof startPostgres>[0] & {
  /**
   * 'test' (the default): the stop joins onCleanup's list, run when the calling test ends (after the
   * processes its temp folders hold). 'file': called from a file's before(), the server is stopped by
   * this module's own `after` hook at the end of the file. (Not onCleanup's list: the first test's
   * tempDir cleanup runs every cleanup on it, and the server would be gone after the first test.)
   */
  scope?: 'test' | 'file';
};

/** Starts a throw-away cluster (database `flowport`, trust auth on 127.0.0.1), stopped as `scope` says. */
export async function startTestPostgres({ scope = 'test', ...opts }: TestPostgresOptions = {}): Promise<TestPostgres> {
  const server = await startPostgres({ log: (m) => console.error(m), ...opts });
  if (scope === 'file') fileServers.add(server);
  else onCleanup(() => server.stop());
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

// The store status through the SDK host, as the editor's status bar asks for it over JSON-RPC (a
// real host process, a real PostgreSQL server): the local ledger is local and live; a team store
// is team, goes stale when its server goes away and live again when it is back, told as
// storeStatusChanged, and neither where nor why ever carries the URL's password.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { Methods, type StoreStatus } from '../../../sdk/src/host/protocol.js';
import { redactReason } from '../../../sdk/src/host/session.js';
import { gitProject, startHost } from '../../helpers/host.js';
import { startTestPostgres } from '../../helpers/postgres.js';

const cli = new URL('../../../sdk/dist/cli.js', import.meta.url).pathname;
const PASSWORD = 'pw-must-not-show-91c';

test('redactReason drops a connection string password and password= pairs', () => {
  assert.equal(
    redactReason('getaddrinfo ENOTFOUND for postgres://me:s3cret@db.example:5432/x'),
    'getaddrinfo ENOTFOUND for postgres://me@db.example:5432/x',
  );
  assert.equal(redactReason("bad dsn host=db password='a b' user=me"), 'bad dsn host=db password=*** user=me');
  assert.equal(redactReason('ECONNREFUSED'), 'the server refuses connections (ECONNREFUSED)');
  assert.equal(redactReason('57P01'), 'the server shut down (57P01)');
});

test('the local ledger is local and live', async () => {
  const root = gitProject({ 'flowport.config.ts': `export default { environments: ['dev'] };\n` });
  const { connection } = startHost(root);
  const status = await connection.sendRequest(Methods.storeStatus);
  assert.equal(status.store, 'local');
  assert.equal(status.live, true);
});

test('a team store goes stale when its server is gone and live again when it is back, without the password', async () => {
  const pg = await startTestPostgres();
  const url = pg.url.replace('postgres@', `postgres:${PASSWORD}@`);
  const root = gitProject({
    'flowport.config.ts': `import { postgresStore } from 'flowport';
export default { environments: ['dev'], deployments: postgresStore({ url: process.env.FLOWPORT_DATABASE_URL, project: 'p' }) };
`,
  });
  // Migrated first, as a team does once (a listener that starts before the schema exists hears 42P01).
  execFileSync(process.execPath, [cli, 'state', 'migrate'], {
    cwd: root,
    env: { ...process.env, FLOWPORT_DATABASE_URL: url },
    stdio: 'ignore',
  });
  const { connection } = startHost(root, { FLOWPORT_DATABASE_URL: url });
  const told: StoreStatus[] = [];
  connection.onNotification(Methods.storeStatusChanged, (s: StoreStatus) => void told.push(s));
  await connection.sendRequest(Methods.deployments, {});
  const start = await connection.sendRequest(Methods.storeStatus);
  assert.deepEqual(start, { store: 'team', where: pg.url, live: true });

  const until = async (what: string, ok: () => boolean) => {
    const end = Date.now() + 15_000;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`no ${what}; told: ${JSON.stringify(told)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const restarting = pg.restart({ downMs: 1500 });
  await until('stale status', () => told.some((s) => !s.live));
  const stale = told.find((s) => !s.live)!;
  assert.equal(stale.store, 'team');
  assert.ok(stale.staleSince && stale.reason, JSON.stringify(stale));
  await restarting;
  await until('live status', () => told.at(-1)?.live === true);
  assert.ok(!JSON.stringify(told).includes(PASSWORD), JSON.stringify(told));
  assert.equal((await connection.sendRequest(Methods.storeStatus)).live, true);
});

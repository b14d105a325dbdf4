// The test PostgreSQL server (scripts/postgres/server.mjs) is a real one: psql reaches it, it
// survives a restart on the same port with its data, and stop() leaves no process nor folder behind.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { ensurePostgres, processGone } from '../../../scripts/postgres/server.mjs';
import { startTestPostgres } from '../../helpers/postgres.js';

test('a started server answers psql, keeps its data across restart(), and stop() removes its process and folder', async () => {
  const pg = await startTestPostgres();
  assert.match(pg.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/flowport$/);
  assert.equal(pg.psql('select 1'), '1');
  assert.equal(pg.psql('show listen_addresses'), '127.0.0.1');
  assert.equal(pg.psql('show max_connections'), '200');
  pg.psql('create table t (x int); insert into t values (42)');

  const before = pg.pid();
  assert.ok(before);
  await pg.restart();
  const after = pg.pid();
  assert.ok(after && after !== before, `a new postmaster after restart (${before} → ${after})`);
  assert.ok(processGone(before), 'the old postmaster is gone');
  assert.equal(pg.psql('select x from t'), '42', 'same cluster, same port, same data');

  await pg.stop();
  assert.ok(processGone(after), 'no postmaster after stop()');
  assert.equal(existsSync(pg.dataDir), false, 'data dir removed');
  assert.equal(existsSync(pg.socketDir), false, 'temp dir removed');
  const r = spawnSync('psql', ['-X', '-At', '-d', pg.url, '-c', 'select 1'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0, 'nothing answers on the port any more');
});

test('without a server and without apt-get, ensurePostgres says exactly what to install', async () => {
  // A search folder with no server in it, and a PATH with no apt-get: the path of a fresh machine
  // that is not Debian, taken without uninstalling anything.
  const script = `
    import { ensurePostgres } from ${JSON.stringify(new URL('../../../scripts/postgres/server.mjs', import.meta.url).pathname)};
    ensurePostgres({ log: () => {}, libDir: '/nonexistent', pgConfig: '/nonexistent/pg_config' }).then(
      () => console.log('found'),
      (e) => console.log(e.constructor.name + ': ' + e.message),
    );`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { PATH: '/nonexistent' },
  });
  assert.match(r.stdout, /^InstallError: .*needs, and this machine lacks:\n {2}- the PostgreSQL server/);
  assert.match(r.stdout, /no apt-get here: .*Fedora: postgresql-server/);
  assert.ok((await ensurePostgres({ log: () => {} })).bin.endsWith('/bin'), 'found on this machine');
});

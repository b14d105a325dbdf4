// A real PostgreSQL server for the tests and CI: Debian's `postgresql` package (installed with
// apt-get when missing, as the VS Code host installs chromium), run as a throw-away cluster in a
// fresh temp dir on 127.0.0.1 at a free port, and guaranteed gone again after stop(), Ctrl-C,
// SIGTERM or a normal exit. PostgreSQL refuses to run as root: as root, initdb and pg_ctl run as
// the `postgres` system user the package creates. Every child process gets an argv array (pg_ctl
// is never given `-o`, which it would hand to a shell: the settings go into postgresql.conf).
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { appendFile, chown, mkdtemp, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InstallError, installSystemPackages } from '../vscode-host/install.mjs';

export { InstallError };

/** @typedef {(msg: string) => void} Log */

const POSTGRESQL_NEED = {
  deb: 'postgresql',
  what: 'the PostgreSQL server (initdb, pg_ctl, postgres: the team store tests run against a real one)',
  others: 'Fedora: postgresql-server · Arch: postgresql · openSUSE: postgresql-server · macOS: brew install postgresql',
};

/** @param {string} dir */
function hasServer(dir) {
  return ['initdb', 'pg_ctl', 'postgres'].every((b) => {
    try {
      accessSync(path.join(dir, b), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The newest `<libDir>/<major>/bin` holding initdb + pg_ctl + postgres, else `pg_config --bindir`.
 * @param {{ libDir?: string, pgConfig?: string }} [where]
 * @returns {string | undefined}
 */
export function findPostgresBin({ libDir = '/usr/lib/postgresql', pgConfig = 'pg_config' } = {}) {
  let majors = [];
  try {
    majors = readdirSync(libDir)
      .filter((d) => /^\d+(\.\d+)?$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    /* no such folder */
  }
  for (const major of majors) {
    const bin = path.join(libDir, major, 'bin');
    if (hasServer(bin)) return bin;
  }
  // Debian's /usr/bin/pg_config is the client's and names /usr/lib/postgresql/<major>/bin, found above;
  // elsewhere (Fedora, a source build) it names the server's own folder.
  const r = spawnSync(pgConfig, ['--bindir'], { encoding: 'utf8', timeout: 10_000 });
  const dir = r.status === 0 ? r.stdout.trim() : '';
  return dir && hasServer(dir) ? dir : undefined;
}

/** `postgres --version` without its prefix: "15.18 (Debian 15.18-0+deb12u1)". @param {string} bin */
function serverVersion(bin) {
  const r = spawnSync(path.join(bin, 'postgres'), ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return (r.stdout ?? '').replace(/^postgres \(PostgreSQL\)\s*/, '').trim() || 'unknown version';
}

/**
 * Finds the PostgreSQL server binaries; installs Debian's `postgresql` with apt-get when they are
 * missing (as root, on Debian), else throws an InstallError saying exactly what to install.
 * `libDir` / `pgConfig` are where to look (tests point them at nothing to take the missing path).
 * @param {{ log?: Log, libDir?: string, pgConfig?: string }} [opts]
 * @returns {Promise<{ bin: string, version: string }>}
 */
export async function ensurePostgres({ log = (m) => console.error(m), libDir, pgConfig } = {}) {
  let bin = findPostgresBin({ libDir, pgConfig });
  if (!bin) {
    log(`[postgres] no PostgreSQL server in ${libDir ?? '/usr/lib/postgresql'}/<version>/bin nor from pg_config`);
    await installSystemPackages([POSTGRESQL_NEED], log, {
      purpose: "Flowport's team-store test server",
      tag: 'postgres',
    });
    bin = findPostgresBin({ libDir, pgConfig });
    if (!bin) {
      throw new InstallError(
        `apt-get installed postgresql, but no initdb + pg_ctl + postgres is in ${libDir ?? '/usr/lib/postgresql'}/<version>/bin ` +
          `nor in \`${pgConfig ?? 'pg_config'} --bindir\`.`,
      );
    }
  }
  return { bin, version: serverVersion(bin) };
}

/** @typedef {{ dataDir: string, tmp: string, asUser: string[], bin: string }} LiveCluster */
/** Clusters not yet stopped; stopped synchronously if this process exits first. @type {Set<LiveCluster>} */
const live = new Set();

/** Synchronous immediate stop + cleanup: usable from process 'exit' handlers. @param {LiveCluster} c */
function stopNow(c) {
  if (existsSync(path.join(c.dataDir, 'postmaster.pid'))) {
    const [cmd, ...args] = [...c.asUser, path.join(c.bin, 'pg_ctl'), 'stop', '-D', c.dataDir, '-m', 'immediate', '-w'];
    spawnSync(/** @type {string} */ (cmd), args, { cwd: c.tmp, stdio: 'ignore', timeout: 15_000 });
  }
  rmSync(c.tmp, { recursive: true, force: true });
  live.delete(c);
}

let handlersInstalled = false;
function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const c of [...live]) stopNow(c);
  });
  // A SIGINT/SIGTERM listener replaces Node's default "exit now", so re-create it after cleaning up.
  for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    process.on(sig, () => {
      for (const c of [...live]) stopNow(c);
      process.exit(128 + (os.constants.signals[sig] ?? 1));
    });
  }
}

/** The pid in `dataDir`'s postmaster.pid (its first line), if any. @param {string} dataDir */
function postmasterPid(dataDir) {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** No process `pid`, or only its zombie (exited, not yet reaped by its parent). @param {number} pid */
export function processGone(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    try {
      process.kill(pid, 0);
      return false;
    } catch (err) {
      return /** @type {NodeJS.ErrnoException} */ (err).code === 'ESRCH';
    }
  }
}

/** A port free on 127.0.0.1 right now. @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(addr.port));
    });
  });
}

/** Every folder from `dir` up can be entered by others (the `postgres` user must reach its data dir). @param {string} dir */
function othersCanEnter(dir) {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      if ((statSync(d).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (d === path.dirname(d)) return true;
  }
}

/** @param {string} cmd @param {string[]} args @param {import('node:child_process').SpawnOptions} opts */
function runQuiet(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (b) => (out += String(b)));
    child.stderr?.on('data', (b) => (out += String(b)));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? code}):\n${out.slice(-4000)}`));
    });
  });
}

/** @param {string} s a value for postgresql.conf */
const confString = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/**
 * Starts a throw-away PostgreSQL cluster: a fresh temp dir holds the data dir (`data/`), the
 * server log (`postgres.log`) and the unix socket; it listens on 127.0.0.1 only, at `port` or a free
 * one, trusts connections from there and the socket only, and has a database `flowport`.
 * fsync, synchronous_commit and full_page_writes are off (speed; a crash of the machine may lose
 * data, a crash or kill of the server does not). `settings` adds or overrides postgresql.conf lines.
 * @param {{ log?: Log, port?: number, settings?: Record<string, string | number | boolean> }} [opts]
 */
export async function startPostgres({ log = (m) => console.error(m), port, settings = {} } = {}) {
  const { bin } = await ensurePostgres({ log });
  installExitHandlers();

  const root = process.getuid?.() === 0;
  /** @type {string[]} */
  let asUser = [];
  let owner;
  if (root) {
    const id = (/** @type {string} */ flag) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout);
    const uid = id('-u');
    if (!Number.isInteger(uid) || uid <= 0) {
      throw new InstallError(
        'PostgreSQL refuses to run as root, and there is no `postgres` user to run it as ' +
          "(Debian's postgresql package creates one): `adduser --system --group postgres`, or run the tests as another user.",
      );
    }
    owner = { uid, gid: id('-g') };
    const runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser'].find((p) => existsSync(p)) ?? 'runuser';
    asUser = [runuser, '-u', 'postgres', '--'];
  }

  const base = !root || othersCanEnter(os.tmpdir()) ? os.tmpdir() : '/tmp';
  const tmp = await mkdtemp(path.join(base, 'flowport-pg-'));
  const dataDir = path.join(tmp, 'data');
  const logFile = path.join(tmp, 'postgres.log');
  /** @type {LiveCluster} */
  const entry = { dataDir, tmp, asUser, bin };
  live.add(entry);
  if (owner) await chown(tmp, owner.uid, owner.gid);
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C', PGTZ: 'UTC' };
  for (const k of Object.keys(env)) if (/^PG/.test(k) && k !== 'PGTZ') delete env[k]; // PGDATA, PGPORT, PGHOST…
  /** @param {string} tool @param {string[]} args */
  const pg = (tool, args) => {
    const [cmd, ...rest] = [...asUser, path.join(bin, tool), ...args];
    return runQuiet(/** @type {string} */ (cmd), rest, { cwd: tmp, env });
  };

  let thePort = port ?? 0;
  let running = false;
  const start = async () => {
    await pg('pg_ctl', ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-s']);
    running = true;
  };
  const stopServer = async () => {
    if (!existsSync(path.join(dataDir, 'postmaster.pid'))) return;
    const pid = postmasterPid(dataDir);
    await pg('pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60', '-s']);
    running = false;
    // pg_ctl returns once postmaster.pid is gone, which the postmaster removes just before it exits.
    const end = Date.now() + 5000;
    while (pid && !processGone(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  };
  const serverLog = () => {
    try {
      return readFileSync(logFile, 'utf8').slice(-4000);
    } catch {
      return '';
    }
  };

  try {
    await pg('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    // Trust only the socket (in this private temp dir) and 127.0.0.1; initdb's default also trusts ::1.
    await writeFile(path.join(dataDir, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
    if (owner) await chown(path.join(dataDir, 'pg_hba.conf'), owner.uid, owner.gid);
    const conf = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: tmp,
      max_connections: 200,
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      ...settings,
    };
    const lines = Object.entries(conf).map(([k, v]) => `${k} = ${typeof v === 'string' ? confString(v) : String(v)}`);
    // A port found free here may be taken before the server binds it (another suite at once): try another.
    for (let attempt = 1; ; attempt++) {
      if (!port) thePort = await freePort();
      await appendFile(path.join(dataDir, 'postgresql.conf'), `\n${[...lines, `port = ${thePort}`].join('\n')}\n`);
      try {
        await start();
        break;
      } catch (err) {
        if (port || attempt >= 3 || !/could not (bind|create listen)/i.test(serverLog())) throw err;
      }
    }
    await pg('createdb', ['-h', tmp, '-p', String(thePort), '-U', 'postgres', 'flowport']);
  } catch (err) {
    stopNow(entry);
    throw new Error(`${/** @type {Error} */ (err).message}\n--- postgres.log ---\n${serverLog()}`);
  }

  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${thePort}/flowport`,
    port: thePort,
    dataDir,
    socketDir: tmp,
    bin,
    /** The postmaster's pid while it runs (from postmaster.pid), else undefined. */
    pid: () => (running ? postmasterPid(dataDir) : undefined),
    /** Stops the server (fast: connections are cut, the data is kept), waits `downMs`, starts it on the same port. */
    restart: async ({ downMs = 0 } = {}) => {
      if (stopped) throw new Error('restart() after stop()');
      await stopServer();
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      try {
        await start();
      } catch (err) {
        throw new Error(`${/** @type {Error} */ (err).message}\n--- postgres.log ---\n${serverLog()}`);
      }
    },
    /** `pg_ctl stop -m fast`, then the temp dir (data, log, socket) is removed. Safe to call twice. */
    stop: async () => {
      if (stopped) return;
      stopped = true;
      try {
        await stopServer();
      } finally {
        stopNow(entry); // an immediate stop if the fast one failed, and the temp dir
      }
    },
  };
}

// CLI: `node scripts/postgres/server.mjs --install` ensures the server binaries only;
// `node scripts/postgres/server.mjs` starts one, prints its URL and stops it on Ctrl-C.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const fail = (/** @type {unknown} */ err) => {
    console.error(err instanceof InstallError ? err.message : String(/** @type {Error} */ (err)?.stack ?? err));
    process.exit(1);
  };
  const started = Date.now();
  if (process.argv.includes('--install')) {
    ensurePostgres().then(({ bin, version }) => {
      console.log(bin);
      console.error(`[postgres] PostgreSQL ${version} at ${bin} (${Date.now() - started} ms)`);
    }, fail);
  } else {
    startPostgres().then((server) => {
      console.log(server.url);
      console.error(
        `[postgres] started in ${Date.now() - started} ms, data in ${server.dataDir}; Ctrl-C stops it and removes the data`,
      );
      setInterval(() => {}, 1 << 30); // until a signal: the exit handlers stop the server
    }, fail);
  }
}

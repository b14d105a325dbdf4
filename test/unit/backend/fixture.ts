/** Real git repositories, real deploy scripts and real CLI processes for the backend tests. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FlowDetails, RunContext } from '../../../sdk/src/index.js';
import { cliPath, linkSdk, stopAtEnd, tempDir, writeTree } from '../../helpers/tmp.js';

const repoRoot = new URL('../../..', import.meta.url).pathname;
/** The built SDK bundle, for plain-node child processes (npm test builds it first). */
export const sdkDistUrl = pathToFileURL(join(repoRoot, 'sdk', 'dist', 'index.js')).href;

/** git with a fixed identity and no user or system config, so tests never depend on the machine. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    [
      '-c',
      'user.name=Flowport Test',
      '-c',
      'user.email=test@flowport.invalid',
      '-c',
      'commit.gpgsign=false',
      '-c',
      'init.defaultBranch=main',
      ...args,
    ],
    {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  ).trim();
}

/** Commits everything and returns the new HEAD. */
export function commitAll(root: string, message = 'change'): string {
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', message);
  return git(root, 'rev-parse', 'HEAD');
}

/**
 * The deploy script every test project uses. It records what it was given (argv, FLOWPORT_*
 * variables, cwd, the checked-out version.txt) in `$FLOWPORT_ROOT/out/<deploymentId>.json` and
 * behaves as the DEPLOY_* variables say (DEPLOY_TICKS=N prints `tick i` every 0.2 s, N times). DEPLOY_HOLD=1 makes it write `out/<deploymentId>.held` and
 * wait until `release(root)`: deploys that must overlap do, however slowly each one starts.
 */
export const DEPLOY_SCRIPT = `
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
const id = process.env.FLOWPORT_DEPLOYMENT_ID;
const out = join(process.env.FLOWPORT_ROOT, 'out');
mkdirSync(out, { recursive: true });
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('FLOWPORT_') || k === 'EXTRA'));
let version = null;
try { version = readFileSync('version.txt', 'utf8').trim(); } catch {}
writeFileSync(join(out, id + '.json'), JSON.stringify({ argv: process.argv.slice(2), env, cwd: process.cwd(), version, pid: process.pid }));
console.log('deploying ' + process.env.FLOWPORT_FLOW + ' to ' + process.env.FLOWPORT_ENV);
console.error('a line on stderr');
console.log('::flowport-output artifact=' + process.env.FLOWPORT_FLOW + '@' + process.env.FLOWPORT_ENV);
if (process.env.DEPLOY_IGNORE_TERM) process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
if (process.env.DEPLOY_SPAWN_CHILD) {
  const child = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  writeFileSync(join(out, id + '.child'), String(child.pid));
}
if (process.env.DEPLOY_HOLD) {
  // A barrier: says it holds, then waits until the test releases every held deploy.
  writeFileSync(join(out, id + '.held'), '');
  console.log('holding');
  while (!existsSync(join(out, 'release'))) await new Promise((r) => setTimeout(r, 20));
}
if (process.env.DEPLOY_TICKS) {
  // A deploy that prints as it goes: a broken pipe to whoever started it would show at once.
  for (let i = 0; i < Number(process.env.DEPLOY_TICKS); i++) {
    console.log('tick ' + i);
    await new Promise((r) => setTimeout(r, 200));
  }
}
if (process.env.DEPLOY_SLEEP) {
  console.log('sleeping');
  await new Promise((r) => setTimeout(r, Number(process.env.DEPLOY_SLEEP)));
}
if ((process.env.DEPLOY_FAIL ?? '').split(',').includes(process.env.FLOWPORT_FLOW)) {
  console.error('deploy of ' + process.env.FLOWPORT_FLOW + ' failed on purpose');
  process.exit(3);
}
console.log('::flowport-output url=https://deploy.test/' + process.env.FLOWPORT_ENV);
console.log('done');
`;

/** A committed git repository holding `files` plus the deploy script; returns its root. */
export function gitRepo(files: Record<string, string> = {}): string {
  const root = tempDir('flowport-backend-');
  writeTree(root, {
    'deploy.mjs': DEPLOY_SCRIPT,
    'version.txt': 'v1\n',
    '.gitignore': 'node_modules\nout\n',
    ...files,
  });
  git(root, 'init', '-q');
  commitAll(root, 'initial');
  return root;
}

const flowSource = (name: string) =>
  `import { defineFlow } from 'flowport';\nexport const f = defineFlow({ name: ${JSON.stringify(name)} }, async () => 1);\n`;

/**
 * A CLI project: flowport.config.ts with dev → uat → prod and commandDeployer running deploy.mjs,
 * flows (name → folder), committed. `config` replaces the config's body when given.
 */
export function cliProject(flows: Record<string, string>, config?: string): string {
  const files: Record<string, string> = {
    'flowport.config.ts':
      config ??
      [
        `import { defineConfig, commandDeployer } from 'flowport';`,
        `export default defineConfig({`,
        `  environments: ['dev', 'uat', 'prod'],`,
        `  deploy: commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'], killGraceMs: 500 }),`,
        `});`,
      ].join('\n'),
  };
  let i = 0;
  for (const [name, folder] of Object.entries(flows)) files[`src/${folder}/flow${i++}.ts`] = flowSource(name);
  const root = gitRepo(files);
  linkSdk(root);
  return root;
}

/** A flow as the finder would report it. */
export function flowOf(name: string, sourceRelative = 'src/flow.ts', grouping: string[] = ['src']): FlowDetails {
  return {
    id: `${sourceRelative}#${name}`,
    name,
    description: '',
    sourcePath: `/nowhere/${sourceRelative}`,
    sourceRelative,
    line: 1,
    grouping,
    attributes: {},
  };
}

/** A RunContext that keeps the lines it is given. */
export function collectingRun(signal: AbortSignal = new AbortController().signal): RunContext & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line), signal };
}

/** What the deploy script recorded for a deployment. */
export interface ScriptRecord {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  version: string | null;
  pid: number;
}

export function scriptRecord(root: string, deploymentId: string): ScriptRecord {
  const record = JSON.parse(readFileSync(join(root, 'out', `${deploymentId}.json`), 'utf8')) as ScriptRecord;
  // What the deployer set, not what it passed on from the environment the tests run in (CI sets
  // FLOWPORT_CACHE, say): a variable the command got unchanged from this process is not its own.
  for (const [k, v] of Object.entries(record.env)) if (process.env[k] === v) delete record.env[k];
  return record;
}

export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts the CLI without waiting for it. */
export function startCli(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Running {
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stopAtEnd(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (res) => {
      child.on('close', (code, signal) => res({ code, signal, stdout, stderr }));
    },
  );
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** Polls `check` until it returns something truthy. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 60_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A killed child of ours that is not reaped yet is a zombie: gone for every purpose here.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return existsSync(`/proc/${pid}`);
  }
}

/** Kills a process group left behind on purpose (the runner was killed -9 and its command kept running). */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone
  }
}

/** The deploys held by DEPLOY_HOLD: their deployment ids. */
export function held(root: string): string[] {
  const out = join(root, 'out');
  return existsSync(out)
    ? readdirSync(out)
        .filter((f) => f.endsWith('.held'))
        .map((f) => f.slice(0, -'.held'.length))
    : [];
}

/** Lets every deploy held by DEPLOY_HOLD (now or later) go on. */
export function release(root: string): void {
  mkdirSync(join(root, 'out'), { recursive: true });
  writeFileSync(join(root, 'out', 'release'), '');
}

export function writeText(path: string, text: string): void {
  writeFileSync(path, text);
}

/** A config like cliProject's, with dev only and the ledger kept in `dir` (a folder outside the project). */
export function ledgerInConfig(dir: string): string {
  return [
    `import { defineConfig, commandDeployer, localLedger } from 'flowport';`,
    `export default defineConfig({`,
    `  environments: ['dev'],`,
    `  deployments: localLedger({ dir: ${JSON.stringify(dir)} }),`,
    `  deploy: commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'] }),`,
    `});`,
  ].join('\n');
}

/**
 * Loads `flowport.config.{ts,mts,js,mjs}` from a project root: compiled by esbuild (so TypeScript
 * needs no other tool), imported, validated. Every failure is a {@link ConfigError} that names the
 * file and line. The compiled module is kept under `.flowport/config/` with the sizes and mtimes
 * of every file it was built from, so an unchanged config is imported without starting esbuild.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import { closest } from '../did-you-mean.js';
import { ConfigError, flowportErrorKind } from '../errors.js';
import { ensureStateDir } from '../finder/scan-cache.js';
import { CONFIG_EXAMPLE, environmentsOf, type EnvironmentConfig, type FlowportConfig } from './define.js';
import { lineOfImport, lineOfThrow } from './locate.js';
import { bounded, configTimeoutMs, notSettledError, settleInWorker } from './settle.js';

export const CONFIG_FILE_NAMES = [
  'flowport.config.ts',
  'flowport.config.mts',
  'flowport.config.js',
  'flowport.config.mjs',
];

/** Used when a project has no config file: flows are found under the root. */
export const DEFAULT_ENVIRONMENTS = ['dev', 'uat', 'prod'];

export interface LoadedConfig {
  root: string;
  /** Absolute path of the config file, or undefined when the defaults apply. */
  file: string | undefined;
  config: FlowportConfig;
  environments: EnvironmentConfig[];
}

export function findConfigFile(root: string): string | undefined {
  for (const name of CONFIG_FILE_NAMES) {
    const file = join(root, name);
    // A folder of that name is not a config.
    if (statSync(file, { throwIfNoEntry: false })?.isFile()) return file;
  }
  return undefined;
}

/**
 * The root of the project that holds `dir`, found as git and eslint find theirs: the nearest
 * folder from `dir` up that holds a config file, else the nearest that holds `.git` (a folder, or
 * a file in a worktree), else `dir` itself. So a command run from `src/jobs` sees the whole project.
 */
export function findProjectRoot(dir: string): string {
  const start = resolve(dir);
  return (
    nearestAncestor(start, (d) => findConfigFile(d) !== undefined) ??
    nearestAncestor(start, (d) => existsSync(join(d, '.git'))) ??
    start
  );
}

function nearestAncestor(start: string, holds: (dir: string) => boolean): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (holds(dir)) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

export interface LoadConfigOptions {
  /**
   * How long the config may take to load, in ms (0: no limit). Default: `FLOWPORT_CONFIG_TIMEOUT_MS`,
   * else 10 s. A config that takes longer, never settles or calls `process.exit` is a ConfigError.
   */
  timeoutMs?: number;
}

export async function loadConfig(rootDir: string, options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const root = resolve(rootDir);
  const file = findConfigFile(root);
  if (!file) {
    const config: FlowportConfig = { environments: DEFAULT_ENVIRONMENTS };
    return { root, file, config, environments: environmentsOf(config) };
  }
  const timeoutMs = options.timeoutMs ?? configTimeoutMs();
  const source = readFileSync(file, 'utf8');
  const compiled = (await reuseCompiled(root)) ?? (await compile(root, file));
  // Proven to settle where it can be stopped before it runs here (see settle.ts).
  if (timeoutMs > 0) await settles(compiled, root, file, source, timeoutMs);
  const tooLong = () => notSettledError({ kind: 'timeout', ms: timeoutMs }, file);
  const exported = await bounded(importConfig(compiled, file, source), timeoutMs, tooLong);
  let value: unknown = exported;
  if (typeof exported === 'function') {
    try {
      value = await bounded(
        Promise.resolve((exported as (ctx: { root: string }) => unknown)({ root })),
        timeoutMs,
        tooLong,
      );
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw await thrownWhileLoading(err, file, source, compiled);
    }
  }
  // valibot is most of what listing flows would load: only a project with a config needs it.
  const { validateConfig } = await import('./validate.js');
  const config = await validateConfig(value, file, source);
  return { root, file, config, environments: environmentsOf(config) };
}

/**
 * The files whose change means the config must load again: the config and the project files it
 * imports (as of its last compile), plus `also` (the file a ConfigError names). An editor watches
 * these; the CLI loads the config every run anyway.
 */
export function configSources(root: string, also?: string): string[] {
  const out = new Set<string>();
  const file = findConfigFile(resolve(root));
  if (file) out.add(file);
  // Never compiled, or compiled from another config file: the config alone.
  const inputs = readManifest(join(root, '.flowport', 'config'))?.inputs ?? {};
  if (file && file in inputs) for (const input of Object.keys(inputs)) out.add(input);
  if (also) out.add(also);
  return [...out];
}

interface CompiledManifest {
  output: string;
  /** Absolute input path → [size, mtimeMs] when compiled. */
  inputs: Record<string, [number, number]>;
}

/** The manifest in a compiled-config folder, when there is a readable one. */
function readManifest(dir: string): CompiledManifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as CompiledManifest;
  } catch {
    return undefined;
  }
}

function compiledDir(root: string): string {
  return join(ensureStateDir(root), 'config');
}

async function reuseCompiled(root: string): Promise<string | undefined> {
  const dir = join(root, '.flowport', 'config');
  const manifest = readManifest(dir);
  if (!manifest) return undefined;
  // The config file itself may have been renamed (.ts → .mjs): a new name is a new input set.
  const current = findConfigFile(root);
  if (!current || !(current in manifest.inputs)) return undefined;
  for (const [path, [size, mtimeMs]] of Object.entries(manifest.inputs)) {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st || st.size !== size || st.mtimeMs !== mtimeMs) return undefined;
  }
  const output = join(dir, manifest.output);
  return existsSync(output) ? output : undefined;
}

type Esbuild = typeof import('esbuild');

/**
 * esbuild ships a native binary per platform, so the editor extension does not bundle it: there
 * it comes from the project, which has it as a dependency of its `flowport` package.
 */
async function loadEsbuild(root: string, file: string): Promise<Esbuild> {
  try {
    return await import('esbuild');
  } catch {
    const fromProject = createRequire(join(root, 'package.json'));
    for (const via of [undefined, 'flowport/package.json']) {
      try {
        const base = via ? createRequire(fromProject.resolve(via)) : fromProject;
        return base('esbuild') as Esbuild;
      } catch {
        // try the next place
      }
    }
    throw new ConfigError(
      'compiling the config needs the flowport package in the project: run npm install --save-dev flowport',
      file,
      0,
    );
  }
}

async function compile(root: string, file: string): Promise<string> {
  const esbuild = await loadEsbuild(root, file);
  const dir = compiledDir(root);
  mkdirSync(dir, { recursive: true });
  // Only names the output for the source map's relative paths: nothing is written there.
  const staging = join(dir, 'staging.mjs');
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [file],
      absWorkingDir: root,
      outfile: staging,
      bundle: true,
      // Packages stay imports, resolved from the project like any Node program would.
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      metafile: true,
      write: false,
      logLevel: 'silent',
    });
  } catch (err) {
    const first = (err as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> })
      .errors?.[0];
    if (first) {
      const where = first.location ? resolve(root, first.location.file) : file;
      throw new ConfigError(first.text, where, first.location?.line ?? 0, { needsNextStep: true });
    }
    throw new ConfigError(`could not compile: ${String(err)}`, file, 0, { cause: err });
  }
  const code = result.outputFiles[0]!.text;
  const output = `flowport.config.${createHash('sha1').update(code).digest('hex').slice(0, 12)}.mjs`;
  // Several processes may compile at once: each writes its own temp file and renames it into
  // place, so an importer never sees half a module or half a manifest.
  writeAtomic(join(dir, output), code);
  const inputs: CompiledManifest['inputs'] = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const abs = resolve(root, input);
    const st = statSync(abs, { throwIfNoEntry: false });
    if (st) inputs[abs] = [st.size, st.mtimeMs];
  }
  writeAtomic(join(dir, 'manifest.json'), JSON.stringify({ output, inputs } satisfies CompiledManifest));
  return join(dir, output);
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Evaluates the compiled config in a worker first: a ConfigError unless it settles there in time. */
async function settles(compiled: string, root: string, file: string, source: string, timeoutMs: number): Promise<void> {
  // Proven once per compiled file: its name is its content's hash, so an unchanged config (and
  // every file it bundles) is not evaluated twice on every command. The worker costs ~0.13 s and
  // runs the config's top-level effects a second time; what this skips is only the case a
  // proven config loops on a later run (bar that, the import here is still bounded).
  const proven = `${compiled}.settled`;
  if (existsSync(proven)) return;
  const { outcome, output } = await settleInWorker(pathToFileURL(compiled).href, root, timeoutMs);
  if (outcome.kind === 'settled') {
    try {
      writeFileSync(proven, '');
    } catch {
      /* a read-only state folder: prove it again next time */
    }
    return;
  }
  // What it printed may say why; a config's output goes to stderr, never to a command's stdout.
  if (output) process.stderr.write(output.endsWith('\n') ? output : `${output}\n`);
  if (outcome.kind === 'exit') {
    const where = throwingSource(outcome.stack, file, compiledInputs(compiled));
    throw new ConfigError(
      `called process.exit(${outcome.code}) while loading: a config must not end the process; throw an Error to report a problem`,
      where?.file ?? file,
      where?.line ?? 0,
    );
  }
  if (outcome.kind === 'uncaught') throw await thrownWhileLoading(outcome.error, file, source, compiled);
  throw notSettledError(outcome, file);
}

async function importConfig(compiled: string, file: string, source: string): Promise<unknown> {
  // Stack traces then point at flowport.config.ts lines, not at the compiled module.
  process.setSourceMapsEnabled(true);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(compiled).href)) as { default?: unknown };
  } catch (err) {
    throw await thrownWhileLoading(err, file, source, compiled);
  }
  if (mod.default === undefined) throw new ConfigError(`has no default export: add \`${CONFIG_EXAMPLE}\``, file, 0);
  return mod.default;
}

/** What the config module or its function threw, at the line of the config that threw it. */
async function thrownWhileLoading(err: unknown, file: string, source: string, compiled: string): Promise<ConfigError> {
  if (!(err instanceof Error)) {
    // Only an Error has a stack to read the line from: look for a `throw` of this value instead.
    return new ConfigError(`threw while loading: ${inspect(err)}`, file, await lineOfThrow(source, err), {
      cause: err,
    });
  }
  // Node names the package in its message only, and the importer is the compiled config.
  const missing = /^Cannot find package '([^']+)' imported from (.+)$/.exec(err.message);
  if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && missing?.[2]?.endsWith(basename(compiled))) {
    const pkg = missing[1]!;
    // A misspelt import of flowport, or of a package the project has, is likelier than a missing one.
    const near = closest(pkg, ['flowport', ...projectPackages(dirname(file))]);
    const message =
      near && near !== pkg
        ? `cannot find package "${pkg}": did you mean "${near}"?`
        : `cannot find package "${pkg}": install it (npm install ${pkg}) or remove the import`;
    return new ConfigError(message, file, await lineOfImport(source, pkg), { cause: err });
  }
  const message = err.message.replaceAll(compiled, file);
  const where = throwingSource(err.stack ?? '', file, compiledInputs(compiled));
  if (where && where.file !== file) {
    // Named by its own path and line, where the fix is; the config is what loaded it.
    const loading = `threw while loading the config (${basename(file)} imports it)`;
    return new ConfigError(`${loading}: ${message}`, where.file, where.line, { cause: err });
  }
  // A factory called wrongly (typescriptFlows('src')) says what to write: it did not crash.
  const prefix = flowportErrorKind(err) === 'UsageError' ? '' : 'threw while loading: ';
  return new ConfigError(`${prefix}${message}`, file, where?.line ?? 0, { cause: err });
}

/**
 * The innermost stack frame in one of the config's own source files: the config, or a project
 * file it imports (`inputs`, by real path → path as the project names it). The compiled module
 * bundles them, and source maps make the stack name them. A frame in a package or in Node is not
 * the place to fix. Frames are matched against these known paths, as paths and as file URLs: a
 * path may hold spaces, brackets or a colon, and the message above the frames anything at all.
 */
function throwingSource(
  stack: string,
  config: string,
  inputs: ReadonlyMap<string, string>,
): { file: string; line: number } | undefined {
  const spellings: Array<[spelling: string, file: string]> = [];
  for (const [real, input] of inputs) {
    for (const path of new Set([input, real])) spellings.push([path, input], [pathToFileURL(path).href, input]);
  }
  const frames = stack.split('\n').filter((l) => /^\s+at /.test(l));
  for (const frame of frames) {
    for (const [spelling, file] of spellings) {
      const line = lineAfter(frame, spelling);
      if (line !== undefined) return { file, line };
    }
  }
  // Should no path compare (no manifest, another spelling), the config's name still does.
  const name = basename(config);
  for (const frame of frames) {
    const line = lineAfter(frame, `/${name}`, false) ?? lineAfter(frame, `\\${name}`, false);
    if (line !== undefined) return { file: config, line };
  }
  return undefined;
}

/** The line in "…<location>:<line>:<column>…" of a stack frame, if `location` (or, not `whole`, a path ending so) is there. */
function lineAfter(frame: string, location: string, whole = true): number | undefined {
  const at = frame.lastIndexOf(`${location}:`);
  if (at === -1) return undefined;
  // The whole location, not the tail of a longer path: a frame has it after "at " or "(".
  if (whole && !/[( ]/.test(frame[at - 1] ?? '')) return undefined;
  const m = /^:(\d+):\d+/.exec(frame.slice(at + location.length));
  return m ? Number(m[1]) : undefined;
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The dependencies named in the package.json beside the config, if there is one. */
function projectPackages(dir: string): string[] {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    return ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'].flatMap((k) =>
      Object.keys((pkg[k] as Record<string, string> | undefined) ?? {}),
    );
  } catch {
    return [];
  }
}

/** The source files bundled into `compiled` (from the manifest written beside it), by real path. */
function compiledInputs(compiled: string): Map<string, string> {
  // No manifest: throwingSource falls back to the config's name.
  const inputs = Object.keys(readManifest(dirname(compiled))?.inputs ?? {});
  return new Map(inputs.map((input) => [realOrSelf(input), input]));
}

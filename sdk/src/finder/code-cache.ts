/**
 * A V8 code cache for the parser's CommonJS modules (TypeScript and typescript-estree) on Node
 * before 22.1; later Nodes have `module.enableCompileCache()` built in and use that.
 *
 * Why not the `v8-compile-cache` package: it saves each module's cache as compiled, before it
 * runs, so the cache holds only top-level code and every parser function is compiled again in
 * every process. Here the cache is made when the process exits, after the scan, so it holds the
 * functions compiled while parsing (about 0.1 s of a cold `flowport flows`, measured). And the
 * hook is installed only while the parser loads: other code (the config's dynamic import, which
 * a permanent hook breaks) is never compiled through it.
 *
 * The cache lives in the user's own cache folder, never a shared temp folder: cached data is code.
 * V8 checks every cache against its source and its own version and flags, and rejects a stale one;
 * a rejected or missing cache is written again at exit. Any failure only means no cache.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** The parts of Node's CommonJS loader this hook stands in for. */
interface CjsModule {
  exports: unknown;
  filename: string;
  require(id: string): unknown;
}
interface CjsLoader {
  prototype: { _compile(this: CjsModule, content: string, filename: string): unknown };
  wrap(content: string): string;
  _resolveFilename(request: string, parent: CjsModule, isMain: boolean, options?: unknown): string;
  _cache: Record<string, unknown>;
  _extensions: Record<string, unknown>;
}

const require = createRequire(import.meta.url);
const Module = require('node:module') as CjsLoader & { enableCompileCache?: () => unknown };

/** Scripts compiled through the hook whose cache is to be written at exit. */
const toSave: Array<{ script: Script; path: string }> = [];

/** Runs `load` with the parser's modules compiled from (and, at exit, into) the code cache. */
export async function withParserCodeCache<T>(load: () => Promise<T>): Promise<T> {
  if (typeof Module.enableCompileCache === 'function') {
    Module.enableCompileCache();
    return load();
  }
  const dir = cacheDir();
  if (!dir) return load();
  const original = Module.prototype._compile;
  Module.prototype._compile = function (this: CjsModule, content: string, filename: string) {
    return compileCached(this, content, filename, dir);
  };
  try {
    return await load();
  } finally {
    Module.prototype._compile = original;
  }
}

function compileCached(mod: CjsModule, content: string, filename: string, dir: string): unknown {
  const path = join(dir, `${createHash('sha1').update(filename).digest('hex')}.bin`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(path);
  } catch {
    // no cache yet
  }
  const script = new Script(Module.wrap(content), { filename, ...(cachedData ? { cachedData } : {}) });
  if (!cachedData || script.cachedDataRejected) {
    if (toSave.length === 0) process.once('exit', saveAll);
    toSave.push({ script, path });
  }
  const localRequire = Object.assign((id: string) => mod.require(id), {
    resolve: (request: string, options?: unknown) => Module._resolveFilename(request, mod, false, options),
    cache: Module._cache,
    extensions: Module._extensions,
    main: require.main,
  });
  const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
  return wrapper.call(mod.exports, mod.exports, localRequire, mod, filename, dirname(filename));
}

/** At exit: the caches now hold every function the scan compiled. Written whole or not at all. */
function saveAll(): void {
  for (const { script, path } of toSave) {
    try {
      const temp = `${path}.${process.pid}.tmp`;
      writeFileSync(temp, script.createCachedData());
      renameSync(temp, path);
    } catch {
      // a cache is an optimisation: a read-only home, a full disk, … only cost speed
    }
  }
}

/** `$XDG_CACHE_HOME/flowport/code-cache/<node version>`, or `~/.cache/…`; undefined when unusable. */
function cacheDir(): string | undefined {
  try {
    const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
    const dir = join(base, 'flowport', 'code-cache', process.version);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  } catch {
    return undefined;
  }
}

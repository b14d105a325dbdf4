/**
 * Parses one candidate file with typescript-estree. The parser (TypeScript included) takes
 * ~0.2–0.5 s to load, so it is loaded on first use only: a warm run that finds every file
 * unchanged never loads it.
 */
import { createRequire } from 'node:module';
import { extractFlows, type FileScan } from './extract.js';
import type { CallMarker } from './markers.js';

type ParserModule = typeof import('./parser-module.js');
let parser: ParserModule | undefined;

/** Loads the parser (once). Call before {@link scanSource}. */
export async function loadParser(): Promise<void> {
  if (parser) return;
  enableCompileCache();
  parser = await import('./parser-module.js');
}

/** V8's code cache halves the parser's load time: built in from Node 22.1, a package before. */
function enableCompileCache(): void {
  const require = createRequire(import.meta.url);
  const mod = require('node:module') as { enableCompileCache?: () => unknown };
  if (typeof mod.enableCompileCache === 'function') mod.enableCompileCache();
  else {
    try {
      require('v8-compile-cache');
    } catch {
      // Not installed (e.g. inside the extension's bundle, which runs on Node 22+ anyway).
    }
  }
}

const JSX_EXTENSIONS = new Set(['.tsx', '.jsx', '.js', '.mjs', '.cjs']);

/** `ext` includes the dot. Never throws for bad source: syntax errors become problems. */
export function scanSource(text: string, ext: string, markers: readonly CallMarker[]): FileScan {
  if (!parser) throw new Error('loadParser() must finish before scanSource()');
  const { parse } = parser;
  // Without its BOM: a `#!` line must come first. Lines do not move; offsets point into `source`.
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    const program = parse(source, { loc: true, range: true, jsx: JSX_EXTENSIONS.has(ext) });
    return extractFlows(program, source, ext, markers);
  } catch (err) {
    const e = err as { lineNumber?: number; message?: string };
    return {
      flows: [],
      problems: [
        {
          line: e.lineNumber ?? 0,
          severity: 'error',
          message: `syntax error, file skipped: ${e.message ?? String(err)}`,
        },
      ],
    };
  }
}

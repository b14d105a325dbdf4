/**
 * Parses one candidate file with typescript-estree. The parser (TypeScript included) takes
 * ~0.2–0.5 s to load, so it is loaded on first use only: a warm run that finds every file
 * unchanged never loads it.
 */
import { createRequire } from 'node:module';
import type * as Estree from '@typescript-eslint/typescript-estree';
import { extractFlows, type FileScan } from './extract.js';
import type { CallMarker } from './markers.js';

const require = createRequire(import.meta.url);
let parser: typeof Estree | undefined;

function loadParser(): typeof Estree {
  if (!parser) {
    enableCompileCache();
    parser = require('@typescript-eslint/typescript-estree') as typeof Estree;
  }
  return parser;
}

/** Loads the parser now rather than on the first changed file (long-lived processes). */
export function preloadParser(): void {
  loadParser();
}

/** V8's code cache halves the parser's load time: built in from Node 22.1, a package before. */
function enableCompileCache(): void {
  const mod = require('node:module') as { enableCompileCache?: () => unknown };
  if (typeof mod.enableCompileCache === 'function') mod.enableCompileCache();
  else require('v8-compile-cache');
}

const JSX_EXTENSIONS = new Set(['.tsx', '.jsx', '.js', '.mjs', '.cjs']);

/** `ext` includes the dot. Never throws for bad source: syntax errors become problems. */
export function scanSource(text: string, ext: string, markers: readonly CallMarker[]): FileScan {
  const { parse } = loadParser();
  // A BOM would shift nothing in lines but would in offsets; blank it to keep offsets = text.
  const source = text.charCodeAt(0) === 0xfeff ? ' ' + text.slice(1) : text;
  try {
    const program = parse(source, { loc: true, range: true, comment: true, jsx: JSX_EXTENSIONS.has(ext) });
    return extractFlows(program, source, markers);
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

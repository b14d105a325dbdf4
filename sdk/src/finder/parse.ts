/**
 * Parses one candidate file: TypeScript's parser reads the whole file, and typescript-estree
 * converts to ESTree only the top-level statements that can matter to a flow. The parser
 * (TypeScript included) takes ~0.2–0.5 s to load, so it is loaded on first use only: a warm run
 * that finds every file unchanged never loads it.
 *
 * Why convert only some statements: in a cold run, converting a whole file to ESTree costs more
 * than TypeScript's parse of it (measured on the bench corpus's 100 flow files: ~0.4 s to parse
 * them, ~0.7 s more to convert them whole), and most of a flow file is code that spells no marker.
 * typescript-estree takes a `ts.SourceFile` as its input; we give it one whose other statements
 * are empty statements over the same text ranges, so every offset, line and statement boundary
 * stays what it was.
 *
 * What only typescript-estree's converter rejects (a grammar error TypeScript's parser accepts,
 * such as `abstract` on a function, or an expression nested deeper than its recursion goes) is
 * found only in the statements it converts: elsewhere it no longer hides the file's flows.
 */
import { createRequire } from 'node:module';
import type { TSESTree } from '@typescript-eslint/typescript-estree';
import type * as TS from 'typescript';
import { extractFlows, namesThatMatter, type FileProblem, type FileScan } from './extract.js';
import { flattenDeepBrackets, MAX_DEPTH } from './flatten.js';
import { hitIn, offsetsOf } from './hits.js';
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

/**
 * Part of the scan cache's key, beside extract.ts's: bump it when reading or parsing the same
 * bytes can yield other flows, problems or lines.
 */
export const PARSE_VERSION = 1;

/** `ext` includes the dot. Never throws for bad source: syntax errors become problems. */
export function scanSource(text: string, ext: string, markers: readonly CallMarker[]): FileScan {
  return inEditorLines(scanParsed(text, ext, markers), text);
}

function scanParsed(text: string, ext: string, markers: readonly CallMarker[]): FileScan {
  const p = loaded();
  const source = withoutBom(text);
  const jsx = JSX_EXTENSIONS.has(ext);
  try {
    return scanOnce(p, source, ext, jsx, markers);
  } catch (err) {
    if (err instanceof RangeError) {
      // TypeScript's own parse ran out of stack: read the file without its deepest brackets.
      const flat = flattenDeepBrackets(p.ts, source, jsx);
      if (flat.emptied.length > 0) {
        try {
          const scan = scanOnce(p, flat.text, ext, jsx, markers);
          for (const at of flat.emptied) scan.problems.push(emptiedProblem(tsLineAt(source, at)));
          scan.problems.sort((a, b) => a.line - b.line);
          return scan;
        } catch {
          // Still unreadable: the file is skipped, as the first error says.
        }
      }
    }
    return syntaxError(err);
  }
}

/** Throws typescript-estree's error for a syntax error, a RangeError when TypeScript's parse overflows. */
function scanOnce(
  p: ParserModule,
  source: string,
  ext: string,
  jsx: boolean,
  markers: readonly CallMarker[],
): FileScan {
  let program: TSESTree.Program;
  const tooDeep: number[] = [];
  try {
    program = convertWhatMatters(p, source, jsx, markers, tooDeep);
  } catch (err) {
    // A syntax error, or TypeScript's own parse too deep: converting the whole file fails too.
    if (err instanceof p.TSError || err instanceof RangeError) throw err;
    // Should TypeScript assert on the partial tree, the whole file converted as usual is the answer.
    program = fullProgram(p, source, jsx);
    tooDeep.length = 0;
  }
  const scan = extractFlows(program, source, ext, markers);
  for (const line of tooDeep) scan.problems.push(tooDeepProblem(line));
  return scan;
}

function emptiedProblem(line: number): FileProblem {
  return {
    line,
    severity: 'warning',
    message: `brackets nest deeper than the parser can follow (over ${MAX_DEPTH}): the file is read with what is inside the ${MAX_DEPTH}th left out (a flow in it is not found)`,
  };
}

/** TypeScript's 1-based line of `offset`: it breaks lines at U+2028 and U+2029 too ({@link inEditorLines} maps it). */
function tsLineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0d) {
      if (text.charCodeAt(i + 1) === 0x0a) i++;
      line++;
    } else if (c === 0x0a || c === 0x2028 || c === 0x2029) line++;
  }
  return line;
}

function tooDeepProblem(line: number): FileProblem {
  return {
    line,
    severity: 'warning',
    message:
      'an expression in this statement nests deeper than the parser can follow: the statement is skipped (a flow in it is not found), the rest of the file is read',
  };
}

/**
 * The same file converted whole, as typescript-estree's `parse` does: what {@link scanSource}
 * falls back to, and what its tests compare it with.
 */
export function scanSourceWhole(text: string, ext: string, markers: readonly CallMarker[]): FileScan {
  const p = loaded();
  const source = withoutBom(text);
  try {
    return inEditorLines(extractFlows(fullProgram(p, source, JSX_EXTENSIONS.has(ext)), source, ext, markers), text);
  } catch (err) {
    return inEditorLines(syntaxError(err), text);
  }
}

/**
 * `scan` with its lines counted as editors and git count them. TypeScript (and so every ESTree
 * `loc`) also breaks lines at U+2028 and U+2029, which VS Code, git and terminals show within a
 * line: a flow after two of them was reported two lines low. Only `\n`, `\r\n` and `\r` count.
 */
function inEditorLines(scan: FileScan, text: string): FileScan {
  if (!text.includes('\u2028') && !text.includes('\u2029')) return scan;
  const toEditor = editorLineOfTsLine(text);
  const fix = (line: number) => (line > 0 ? (toEditor[line - 1] ?? line) : line);
  for (const f of scan.flows) f.line = fix(f.line);
  for (const p of scan.problems) p.line = fix(p.line);
  return scan;
}

/** For each TypeScript line (index 0 for line 1), the editor's 1-based line it starts on. */
export function editorLineOfTsLine(text: string): number[] {
  const out = [1];
  let editorLine = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0d) {
      if (text.charCodeAt(i + 1) === 0x0a) i++;
      out.push(++editorLine);
    } else if (c === 0x0a) out.push(++editorLine);
    else if (c === 0x2028 || c === 0x2029) out.push(editorLine);
  }
  return out;
}

function loaded(): ParserModule {
  if (!parser) throw new Error('loadParser() must finish before scanSource()');
  return parser;
}

function fullProgram(p: ParserModule, source: string, jsx: boolean): TSESTree.Program {
  return p.parse(source, { loc: true, range: true, jsx });
}

/**
 * The program {@link scanSource} reads: each top-level statement that cannot matter to a flow is
 * an empty statement. Throws like typescript-estree's `parse` for a file with a syntax error.
 */
export function programOfWhatMatters(text: string, ext: string, markers: readonly CallMarker[]): TSESTree.Program {
  return convertWhatMatters(loaded(), withoutBom(text), JSX_EXTENSIONS.has(ext), markers);
}

/** Without its BOM: a `#!` line must come first. Lines do not move; offsets point into the result. */
function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Two conversions of one TypeScript parse: first the import, export and require statements, to
 * learn the names this file gives the markers; then every statement that spells one of them. A
 * file TypeScript could not parse throws typescript-estree's error for it, as `parse` would.
 * (A require is kept by the word `require`, not by its module's name: `'flow\x70ort'` is
 * 'flowport' too.)
 */
function convertWhatMatters(
  p: ParserModule,
  source: string,
  jsx: boolean,
  markers: readonly CallMarker[],
  /** Gets the 1-based line of each statement left out because it nests too deep to convert. */
  tooDeep: number[] = [],
): TSESTree.Program {
  const { ts } = p;
  // As typescript-estree's own parse creates it without a project: latest target, parent pointers,
  // no JSDoc parsing (extract.ts reads the few comments it needs from the text).
  const file = ts.createSourceFile(
    jsx ? 'estree.tsx' : 'estree.ts',
    source,
    { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone },
    true,
    jsx ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const modules = markers.flatMap((m) => (m.module === undefined ? [] : [m.module]));
  const imports = convertStatements(p, file, offsetsOf(source, [...modules, 'require']), []);
  // The requires again: `const fp = require('flow\x70ort')` spells no other name that matters.
  return convertStatements(p, file, offsetsOf(source, [...namesThatMatter(imports, markers), 'require']), tooDeep);
}

/**
 * `file` converted with each statement that holds none of `hits` (its comments included) left
 * empty. A statement typescript-estree's recursive converter cannot follow (a concatenation of
 * thousands of strings, which TypeScript parses in a loop) is left empty too, and its line added
 * to `tooDeep`: it no longer hides the flows of the other statements.
 */
function convertStatements(
  p: ParserModule,
  file: TS.SourceFile,
  hits: readonly number[],
  tooDeep: number[],
): TSESTree.Program {
  const { ts } = p;
  const kept = file.statements.map((s) => alwaysKept(ts, s) || hitIn(hits, s.pos, s.end));
  try {
    return convertKept(p, file, kept);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
  }
  // Rare: find the statements that overflow, each converted alone.
  const alone = file.statements.map(() => false);
  file.statements.forEach((s, i) => {
    if (!kept[i] || alwaysKept(ts, s)) return;
    alone[i] = true;
    try {
      convertKept(p, file, alone);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      kept[i] = false;
      tooDeep.push(file.getLineAndCharacterOfPosition(s.getStart(file)).line + 1);
    }
    alone[i] = false;
  });
  return convertKept(p, file, kept);
}

function convertKept(p: ParserModule, file: TS.SourceFile, kept: readonly boolean[]): TSESTree.Program {
  const { ts } = p;
  const statements = file.statements.map((s, i) =>
    kept[i] ? s : ts.setTextRange(ts.factory.createEmptyStatement(), s),
  );
  const partial = ts.factory.updateSourceFile(
    file,
    ts.setTextRange(ts.factory.createNodeArray(statements), file.statements),
  );
  return p.parseAndGenerateServices(partial, { loc: true, range: true, preserveNodeMaps: false }).ast;
}

/**
 * Statements extract.ts reads whatever they spell: imports, export lists and `export default
 * name` (how a tagged function or a flow's const is exported), and string directives (`'use
 * strict'` tells a sloppy script from a strict one). All are short. (`export default <call>`
 * holds a flow only when it spells a marker, like any other statement.)
 */
function alwaysKept(ts: ParserModule['ts'], s: TS.Statement): boolean {
  const k = ts.SyntaxKind;
  switch (s.kind) {
    case k.ImportDeclaration:
    case k.ImportEqualsDeclaration:
    case k.ExportDeclaration:
      return true;
    case k.ExportAssignment: {
      let e = (s as TS.ExportAssignment).expression;
      while (ts.isParenthesizedExpression(e)) e = e.expression;
      return ts.isIdentifier(e);
    }
    case k.ExpressionStatement:
      return ts.isStringLiteral((s as TS.ExpressionStatement).expression);
    default:
      return false;
  }
}

function syntaxError(err: unknown): FileScan {
  const e = err as { lineNumber?: number; message?: string };
  // typescript-estree's errors carry a line; anything else (a stack overflow) is the parser's limit.
  const what =
    typeof e.lineNumber === 'number'
      ? 'syntax error'
      : err instanceof RangeError
        ? 'an expression nests deeper than the parser can follow'
        : 'could not be parsed';
  return {
    flows: [],
    problems: [
      {
        line: e.lineNumber ?? 0,
        severity: 'error',
        message: `${what}, file skipped: ${e.message ?? String(err)}`,
      },
    ],
  };
}

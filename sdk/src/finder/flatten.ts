/**
 * The last resort for a file TypeScript's own parser cannot follow: its recursive descent runs
 * out of stack at about a thousand nested brackets (generated data, minified code). Such a file
 * is read again with each bracket nested deeper than {@link MAX_DEPTH} emptied, the brackets
 * kept and the inside turned into spaces (a `0` where an expression must stand), newlines kept:
 * every offset and line stays what it was, and the flows of the rest of the file are found.
 *
 * The token walk uses TypeScript's scanner, which needs the parser's context for two tokens; it
 * is given the usual guesses (a `/` after an operator or `(` starts a regular expression, a `}`
 * closing a template's `${` continues the template). A wrong guess gives a file that still does
 * not parse, and the file is reported as before.
 */
import type * as TS from 'typescript';

/** Deeper than any hand-written code, far shallower than where the parser or converter overflow. */
export const MAX_DEPTH = 200;

export interface Flattened {
  text: string;
  /** Offsets of the brackets whose inside was emptied. */
  emptied: number[];
}

export function flattenDeepBrackets(ts: typeof TS, text: string, jsx: boolean): Flattened {
  const k = ts.SyntaxKind;
  const scanner = ts.createScanner(
    ts.ScriptTarget.Latest,
    true,
    jsx ? ts.LanguageVariant.JSX : ts.LanguageVariant.Standard,
    text,
  );
  /** Open brackets: their kind and offset; templates' `${` are entries too, not counted as depth. */
  const open: Array<{ kind: 'bracket' | 'template'; pos: number; close: number }> = [];
  let depth = 0;
  const cuts: Array<[start: number, end: number, paren: boolean]> = [];
  let previous: TS.SyntaxKind = k.Unknown;
  for (let token = scanner.scan(); token !== k.EndOfFileToken; token = scanner.scan()) {
    if ((token === k.SlashToken || token === k.SlashEqualsToken) && startsExpression(ts, previous)) {
      token = scanner.reScanSlashToken();
    }
    if (token === k.CloseBraceToken && open.at(-1)?.kind === 'template') {
      token = scanner.reScanTemplateToken(false);
      open.pop();
      if (token === k.TemplateMiddle) open.push({ kind: 'template', pos: scanner.getTokenStart(), close: 0 });
      previous = token;
      continue;
    }
    if (token === k.TemplateHead) open.push({ kind: 'template', pos: scanner.getTokenStart(), close: 0 });
    else if (token === k.OpenParenToken || token === k.OpenBracketToken || token === k.OpenBraceToken) {
      depth++;
      open.push({ kind: 'bracket', pos: scanner.getTokenStart(), close: token });
    } else if (token === k.CloseParenToken || token === k.CloseBracketToken || token === k.CloseBraceToken) {
      const top = open.pop();
      if (top?.kind === 'bracket') {
        if (depth === MAX_DEPTH) cuts.push([top.pos + 1, scanner.getTokenStart(), top.close !== k.OpenBraceToken]);
        depth--;
      }
    }
    previous = token;
  }
  if (cuts.length === 0) return { text, emptied: [] };
  let out = '';
  let at = 0;
  for (const [start, end, needsExpression] of cuts) {
    const inside = text.slice(start, end).replace(/[^\r\n\u2028\u2029]/g, ' ');
    out += text.slice(at, start) + (needsExpression && inside.length > 0 ? `0${inside.slice(1)}` : inside);
    at = end;
  }
  return { text: out + text.slice(at), emptied: cuts.map(([start]) => start - 1) };
}

/** After these tokens a `/` begins a regular expression, not a division. */
function startsExpression(ts: typeof TS, previous: TS.SyntaxKind): boolean {
  const k = ts.SyntaxKind;
  switch (previous) {
    case k.Identifier:
    case k.NumericLiteral:
    case k.BigIntLiteral:
    case k.StringLiteral:
    case k.RegularExpressionLiteral:
    case k.NoSubstitutionTemplateLiteral:
    case k.TemplateTail:
    case k.CloseParenToken:
    case k.CloseBracketToken:
    case k.CloseBraceToken:
    case k.ThisKeyword:
    case k.SuperKeyword:
    case k.TrueKeyword:
    case k.FalseKeyword:
    case k.NullKeyword:
    case k.PlusPlusToken:
    case k.MinusMinusToken:
      return false;
    default:
      return true;
  }
}

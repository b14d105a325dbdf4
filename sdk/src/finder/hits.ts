/**
 * Where names occur in a file's text. A node or statement whose source range holds none of the
 * names a marker needs cannot hold a flow, so the finder neither converts nor walks it.
 */

/** Sorted offsets where any of `names` occurs in `text`. */
export function offsetsOf(text: string, names: Iterable<string>): number[] {
  const out: number[] = [];
  for (const name of new Set(names)) {
    if (!name) continue;
    for (let i = text.indexOf(name); i !== -1; i = text.indexOf(name, i + name.length)) out.push(i);
  }
  return out.sort((a, b) => a - b);
}

/** Whether one of the sorted `hits` lies in `[start, end)`. */
export function hitIn(hits: readonly number[], start: number, end: number): boolean {
  let lo = 0;
  let hi = hits.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (hits[mid]! < start) lo = mid + 1;
    else hi = mid;
  }
  return lo < hits.length && hits[lo]! < end;
}

/**
 * Whether `text` writes `name` where a call of it could be: after no identifier character, and
 * followed (past spaces, quotes, `]`, `)` and `!`) by `(`, `<` (type arguments) or `?.(`. So
 * `x.task(…)`, `task<P>(…)`, `x['task'](…)`, `(x.task)(…)` and `x.task?.(…)` do; the word in
 * prose, `const task =`, `task.run()` and `subtask(…)` do not. A first pass for markers without
 * a module: what it rejects no parser could read a call of `name` in. (It may accept a comment
 * or a string; the parse decides those.)
 */
export function spellsCall(text: string, name: string): boolean {
  for (let i = text.indexOf(name); i !== -1; i = text.indexOf(name, i + 1)) {
    if (i > 0 && isIdentifierChar(text.charCodeAt(i - 1))) continue;
    let j = i + name.length;
    while (j < text.length && AFTER_CALLEE.has(text.charCodeAt(j))) j++;
    const c = text.charCodeAt(j);
    if (c === 0x28 /* ( */ || c === 0x3c /* < */) return true;
    if (c === 0x3f /* ? */ && text.charCodeAt(j + 1) === 0x2e /* . */ && text.charCodeAt(j + 2) === 0x28) return true;
  }
  return false;
}

/** What may stand between a callee's name and its call's `(`: spaces, a computed key's end, parentheses, `!`. */
const AFTER_CALLEE = new Set([...' \t\n\r\v\f\'"`])!'].map((c) => c.charCodeAt(0)));

/** Letters, digits, `_`, `$`, and anything beyond ASCII (which identifiers may hold). */
function isIdentifierChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x5f ||
    c === 0x24 ||
    c > 0x7f
  );
}

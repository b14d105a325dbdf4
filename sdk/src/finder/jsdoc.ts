/** Just enough JSDoc reading for flows: the description text and the `@flow [name]` tag. */

export interface FlowTag {
  /** The name given after the tag, if any (`@flow nightly-billing`). */
  name?: string;
  /** The comment's text before its first tag, lines joined with spaces. */
  description: string;
}

/**
 * Reads a block comment's value (the text between `/*` and `*\/`). Returns undefined when it is
 * not a JSDoc comment or has no `@flow` tag. `@flowType` and the like are not the tag.
 */
export function readFlowTag(commentValue: string): FlowTag | undefined {
  if (!commentValue.startsWith('*')) return undefined;
  const lines = commentValue
    .slice(1)
    .split(/\r\n|\r|\n/)
    .map((l) => l.replace(/^\s*\*?\s?/, '').trimEnd());
  const description: string[] = [];
  let inTags = false;
  let tag: FlowTag | undefined;
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed.startsWith('@')) inTags = true;
    if (!inTags) {
      if (trimmed) description.push(trimmed);
      continue;
    }
    const m = /^@flow(?![\w-])\s*(\S+)?/.exec(trimmed);
    if (m) tag = { name: m[1], description: '' };
  }
  if (!tag) return undefined;
  tag.description = description.join(' ');
  return tag;
}

/**
 * The value of the JSDoc block that ends right before `end`, with only whitespace between, found
 * in `text[start, end)`: the trivia between two top-level statements, which holds nothing but
 * whitespace and comments. Reading it here spares the parser's comment collection, which costs
 * a quarter of each parse. A comment separated from the declaration by another comment or by code
 * documents something else.
 */
export function jsdocBefore(text: string, start: number, end: number): string | undefined {
  let last: [number, number] | undefined;
  let i = start === 0 && text.startsWith('#!') ? lineEnd(text, 0) : start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
      const close = text.indexOf('*/', i + 2);
      if (close === -1 || close + 2 > end) return undefined;
      last = [i, close + 2];
      i = close + 2;
    } else if (c === SLASH && text.charCodeAt(i + 1) === SLASH) {
      last = undefined;
      i = lineEnd(text, i);
    } else if (/\s/.test(text[i]!)) {
      i++;
    } else {
      last = undefined; // not trivia: nothing before it documents the declaration
      i++;
    }
  }
  if (!last || text.charCodeAt(last[0] + 2) !== STAR) return undefined;
  return text.slice(last[0] + 2, last[1] - 2);
}

const SLASH = 0x2f;
const STAR = 0x2a;

function lineEnd(text: string, from: number): number {
  const m = /[\r\n\u2028\u2029]/g;
  m.lastIndex = from;
  return m.exec(text)?.index ?? text.length;
}

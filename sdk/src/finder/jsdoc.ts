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
    .split(/\r?\n/)
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

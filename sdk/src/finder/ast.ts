/** Walking typescript-estree's trees without its visitor keys: every property that holds nodes. */
import type { TSESTree } from '@typescript-eslint/typescript-estree';

type Node = TSESTree.Node;

/** Properties that point back up or hold no child nodes. */
const NOT_CHILDREN = new Set(['parent', 'loc', 'range', 'comments', 'tokens']);

export function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

/** Calls `visit` with each child node of `node`, in source order, until it returns true. Returns whether one did. */
export function forEachChild(node: Node, visit: (child: Node) => boolean | void): boolean {
  for (const key in node) {
    if (NOT_CHILDREN.has(key)) continue;
    const value = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(value)) {
      for (const v of value) if (isNode(v) && visit(v) === true) return true;
    } else if (isNode(value) && visit(value) === true) {
      return true;
    }
  }
  return false;
}

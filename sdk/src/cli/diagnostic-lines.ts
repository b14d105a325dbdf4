/**
 * How `flowport flows` prints the finder's diagnostics: `path:line: message` with the path
 * relative to the project root (what the table's SOURCE column shows, and what a terminal in the
 * root turns into a link), errors before warnings, and at most {@link MAX_PRINTED} of them.
 */
import type { Diagnostic } from '../model.js';
import { relativeToRoot } from '../project.js';

/** More than a screenful of problems is read as "many": the first ones are what to fix first. */
export const MAX_PRINTED = 30;

/** The lines to print for `diagnostics`, capped with "… and N more". */
export function diagnosticLines(diagnostics: readonly Diagnostic[], root: string, max = MAX_PRINTED): string[] {
  // A stable sort: errors first, each kind in the finder's (path) order.
  const ordered = [...diagnostics].sort((a, b) => rank(a) - rank(b));
  const lines = ordered.slice(0, max).map((d) => {
    const file = relativeToRoot(root, d.file);
    return d.line > 0 ? `${file}:${d.line}: ${d.message}` : `${file}: ${d.message}`;
  });
  const more = ordered.length - lines.length;
  if (more > 0) {
    const errors = ordered.slice(max).filter((d) => d.severity === 'error').length;
    const kinds = errors === 0 ? 'warnings' : errors === more ? 'errors' : `problems, ${errors} of them errors`;
    lines.push(`… and ${more} more ${kinds}: fix these first, or see each in the editor's Problems panel`);
  }
  return lines;
}

function rank(d: Diagnostic): number {
  return d.severity === 'error' ? 0 : 1;
}

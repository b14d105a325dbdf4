/**
 * What a flow name may not hold. A name travels: into argv (`{flow}`), environment variables,
 * paths a deploy script builds (`targets/<env>/<flow>`), terminals and the editor. A name with
 * `..` once led a deploy script out of its folder and deleted the project's `src/`; one starting
 * with `-` reads as an option to any command it is passed to; control characters rewrite a
 * terminal (titles, the clipboard, the cursor) or hide text.
 */
import { UsageError } from '../errors.js';
import type { FlowDetails } from '../model.js';

/** C0 and C1 controls, DEL, line and paragraph separators, zero-width and bidirectional controls. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/;

/** Why `name` cannot be a flow's name, or undefined when it can. */
export function flowNameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'a flow name must not be empty';
  const control = CONTROL.exec(name);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return `flow name ${quoteName(name)} holds a control character (U+${code}): use letters, digits, "-", "_" and "."`;
  }
  if (name.startsWith('-')) {
    return `flow name ${quoteName(name)} starts with "-": a command it is passed to would read it as an option`;
  }
  if (name.includes('..')) {
    return `flow name ${quoteName(name)} holds "..": joined into a path, it would lead out of its folder`;
  }
  return undefined;
}

/** `name` quoted for a message, with every control character escaped: safe in any terminal. */
export function quoteName(name: string): string {
  return JSON.stringify(name).replace(
    new RegExp(CONTROL.source, 'g'),
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Every flow's name checked before any flow starts: a batch whose third name cannot be deployed
 * safely is refused whole, naming each such flow where it is defined (a finder of a project's own
 * is not checked by the built-in finder's scan).
 */
export function refuseUnsafeNames(flows: readonly FlowDetails[]): void {
  const problems = flows.flatMap((f) => {
    const problem = flowNameProblem(f.name);
    if (!problem) return [];
    const where = f.sourceRelative ? `${f.sourceRelative}${f.line > 0 ? `:${f.line}` : ''}: ` : '';
    return [`${where}${problem}`];
  });
  if (problems.length === 0) return;
  throw new UsageError(
    `nothing was started: ${problems.length === 1 ? 'a flow name' : `${problems.length} flow names`} cannot be used. Rename ${problems.length === 1 ? 'it' : 'them'}:\n  ${problems.join('\n  ')}`,
  );
}

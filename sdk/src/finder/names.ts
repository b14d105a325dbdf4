/**
 * What a flow name may not hold. A name travels: into argv (`{flow}`), environment variables,
 * paths a deploy script builds (`targets/<env>/<flow>`), terminals and the editor. A name with
 * `..` once led a deploy script out of its folder and deleted the project's `src/`; one starting
 * with `-` reads as an option to any command it is passed to; control characters rewrite a
 * terminal (titles, the clipboard, the cursor) or hide text.
 */

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

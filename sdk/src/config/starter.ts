/**
 * The text of a starter `flowport.config.ts`, as "Create flowport.config.ts" writes it: the
 * default environments, and the flows found so far listed in its comment.
 *
 * The file is code that runs the moment anything loads it, and a flow's name and path are the
 * project's text, not ours: a name holding `*\/ import('node:fs')…; /*` once closed the comment
 * and became live code. So each is written as a JSON string that nothing can leave the comment
 * from: a star before a slash is written with the slash escaped (a JSON escape, so the string
 * still reads back as the name), and line separators and invisible or bidirectional controls as
 * `\u` escapes.
 */

/** What a starter config lists of each flow. */
export interface StarterFlow {
  name: string;
  /** POSIX path from the project root. */
  sourceRelative: string;
  line: number;
}

/** `value` as a JSON string literal that cannot end a block comment or a line. */
export function commentSafeString(value: string): string {
  return JSON.stringify(value)
    .replaceAll('*/', '*\\/')
    .replace(
      // JSON.stringify escapes C0 controls, " and \; not these, which end a line in JavaScript
      // (U+2028, U+2029), or hide or reorder text (DEL, C1, zero-width, bidirectional).
      /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
}

export function starterConfigText(flows: readonly StarterFlow[]): string {
  const found = flows.map(
    (f) => ` *   ${commentSafeString(f.name)}  (${commentSafeString(`${f.sourceRelative}:${Math.trunc(f.line)}`)})`,
  );
  return [
    `import { defineConfig } from 'flowport';`,
    ``,
    `/**`,
    ` * Flowport: environments in promotion order, and how a flow is deployed.`,
    found.length
      ? ` * Flows found in this project:\n${found.join('\n')}`
      : ` * No flows found yet: mark one with defineFlow({ name: '…' }, handler) or a @flow tag in a function's JSDoc.`,
    ` */`,
    `export default defineConfig({`,
    `  environments: ['dev', 'uat', { name: 'prod', protected: true }],`,
    `  // deploy: commandDeployer({ command: ['node', 'scripts/deploy.mjs', '{flow}', '{env}'] }),`,
    `});`,
    ``,
  ].join('\n');
}

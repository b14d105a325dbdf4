/**
 * Which calls count as flows. `defineFlow` from `flowport` is built in; teams add their
 * framework's units (Trigger.dev tasks, Inngest functions, …) as extra {@link CallMarker}s.
 */

/** A call that declares a flow, e.g. `{ callee: 'task', module: '@trigger.dev/sdk', nameFrom: 'id' }`. */
export interface CallMarker {
  /** Exported name of the function that declares a unit (`defineFlow`, `task`, `createFunction`). */
  callee: string;
  /**
   * Module the callee must be imported from (named, aliased, namespace import or `require`).
   * Omit it for methods called on an instance, such as Inngest's `inngest.createFunction(…)`:
   * then any call of a property with that name counts.
   */
  module?: string;
  /** Property of the first (object literal) argument that holds the name. Default `name`. */
  nameFrom?: string;
  /** Recorded as `attributes.marker`; defaults to `callee`. */
  kind?: string;
}

export const DEFINE_FLOW: Required<Omit<CallMarker, 'kind'>> & { kind: string } = {
  callee: 'defineFlow',
  module: 'flowport',
  nameFrom: 'name',
  kind: 'defineFlow',
};

/** The JSDoc tag that marks an exported function as a flow. */
export const FLOW_TAG = '@flow';

/**
 * A cheap text test run on every file before any parsing: a file that cannot contain a marker
 * is never parsed. It must never say no to a file that holds a flow; saying yes too often only
 * costs a parse.
 */
export function mayContainFlow(text: string, markers: readonly CallMarker[]): boolean {
  if (text.includes(FLOW_TAG) && JSDOC_FLOW_TAG.test(text)) return true;
  for (const m of markers) {
    if (!text.includes(m.callee)) continue;
    if (m.module === undefined || text.includes(`'${m.module}'`) || text.includes(`"${m.module}"`)) return true;
  }
  return false;
}

/** `@flow` inside a `/** … *\/` block: plain `/* @flow *\/` and `// @flow` comments are not JSDoc. */
const JSDOC_FLOW_TAG = /\/\*\*(?:[^*]|\*(?!\/))*@flow(?![\w-])/;

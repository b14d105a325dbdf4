/**
 * Which calls count as flows. `defineFlow` from `flowport` is built in; the presets
 * ({@link PRESETS}) add a framework's units (Trigger.dev tasks) when a package depends on that
 * framework; teams add others as extra {@link CallMarker}s.
 */
import type { JsonValue } from '../model.js';
import { closest } from '../did-you-mean.js';

/**
 * A call that declares a flow. Trigger.dev's are a preset and need no marker; written as markers
 * they would be `{ callee: 'task', module: '@trigger.dev/sdk', nameFrom: 'id' }` (which also
 * matches `import { task } from '@trigger.dev/sdk/v3'`, see {@link CallMarker.subpaths}) and
 * `{ callee: 'schedules.task', module: '@trigger.dev/sdk', nameFrom: 'id' }`.
 */
export interface CallMarker {
  /**
   * Exported name of the function that declares a unit (`defineFlow`, `task`, `createFunction`),
   * or `object.method` for a method of an exported object (`schedules.task`: the call
   * `schedules.task({…})` where `schedules` is imported from {@link module}). Anything else (a
   * longer path, a call, spaces) could never match and is a config error.
   */
  callee: string;
  /**
   * Module the callee (for `object.method`, the object) must be imported from: named, aliased,
   * namespace import (`sdk.task(…)`, `sdk.schedules.task(…)`) or `require`. Omit it for methods
   * called on an instance, such as Inngest's `inngest.createFunction(…)`: then any call of a
   * property with that name counts (`x.createFunction(…)`; for `a.b`, any `a.b(…)` or `x.a.b(…)`).
   * A marker without a module makes every file that spells the callee a candidate for parsing:
   * give the module whenever there is one.
   */
  module?: string;
  /**
   * Whether {@link module} also matches its subpaths: `@trigger.dev/sdk` matches
   * `@trigger.dev/sdk/v3` and `@trigger.dev/sdk/ai`, never `@trigger.dev/sdk-extra`. Default
   * `true`: a module names a package, and a package's subpaths are its own entry points (the
   * exact match missed most tasks of real Trigger.dev projects, which import from `/v3`). Set
   * `false` when a subpath exports another function of the same name.
   */
  subpaths?: boolean;
  /** Property of the first (object literal) argument that holds the name. Default `name`. */
  nameFrom?: string;
  /** Recorded as `attributes.marker`; defaults to `callee`. */
  kind?: string;
}

/** A marker as the finder uses it: a preset's carries its framework, recorded in `attributes`. */
export interface FinderMarker extends CallMarker {
  /** The preset this marker belongs to: its flows count only where that preset is on. */
  framework?: string;
}

export const DEFINE_FLOW: Required<Omit<CallMarker, 'kind'>> & { kind: string } = {
  callee: 'defineFlow',
  module: 'flowport',
  // As before subpaths existed: flowport's subpaths export no defineFlow of their own.
  subpaths: false,
  nameFrom: 'name',
  kind: 'defineFlow',
};

/** A framework whose units are flows wherever a package depends on it. */
export interface Preset {
  /** The key of `flows.presets` in the config, e.g. `trigger.dev`. */
  name: string;
  /** A file's nearest `package.json` depending on one of these (dependencies, dev or peer) turns it on. */
  packages: string[];
  markers: FinderMarker[];
}

const TRIGGER_SDK = '@trigger.dev/sdk';

/**
 * Built-in presets. Trigger.dev: `task`, `schemaTask`, `schedules.task` and `toolTask` from
 * `@trigger.dev/sdk` and its subpaths (`/v3`, `/ai`), the name from `id`; each flow's
 * `attributes` say `{ framework: 'trigger.dev', kind: 'schemaTask' }`.
 */
export const PRESETS: readonly Preset[] = [
  {
    name: 'trigger.dev',
    packages: [TRIGGER_SDK],
    markers: ['task', 'schemaTask', 'schedules.task', 'toolTask'].map((callee) => ({
      callee,
      module: TRIGGER_SDK,
      subpaths: true,
      nameFrom: 'id',
      kind: callee,
      framework: 'trigger.dev',
    })),
  },
];

export const PRESET_NAMES: readonly string[] = PRESETS.map((p) => p.name);

/** `flows.presets`: a preset set to `true` is on everywhere, `false` nowhere; a missing one is detected. */
export type PresetSwitches = Record<string, boolean>;

/**
 * Why `presets` is not a valid `flows.presets`, or undefined. Shared with the config's validation.
 */
export function presetSwitchesProblem(presets: unknown): string | undefined {
  if (presets === undefined) return undefined;
  const example = `{ ${JSON.stringify(PRESET_NAMES[0])}: false }`;
  if (typeof presets !== 'object' || presets === null || Array.isArray(presets)) {
    return `presets must be an object such as ${example}`;
  }
  for (const [name, on] of Object.entries(presets)) {
    if (!PRESET_NAMES.includes(name)) {
      const near = closest(name, [...PRESET_NAMES]);
      return `unknown preset ${JSON.stringify(name)}: ${near ? `did you mean ${JSON.stringify(near)}? Presets are` : 'presets are'} ${PRESET_NAMES.join(', ')}`;
    }
    if (typeof on !== 'boolean') return `presets.${name} must be true (on everywhere) or false (off)`;
  }
  return undefined;
}

/** The JSDoc tag that marks an exported function as a flow. */
export const FLOW_TAG = '@flow';

/** `task` or `schedules.task`: an identifier, or one identifier's property. */
const CALLEE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?$/;

/**
 * Why `marker` could never match a call, or undefined when it can. The config's validation
 * reports it at the marker's line; `typescriptFlows({ markers })` throws it.
 */
export function markerProblem(marker: unknown): string | undefined {
  if (typeof marker !== 'object' || marker === null || Array.isArray(marker)) {
    return 'each marker must be an object such as { callee: "task", module: "@trigger.dev/sdk", nameFrom: "id" }';
  }
  const m = marker as Record<string, unknown>;
  const known = ['callee', 'module', 'subpaths', 'nameFrom', 'kind'];
  const unknown = Object.keys(m).find((k) => !known.includes(k));
  if (unknown !== undefined) return `unknown marker setting ${JSON.stringify(unknown)}: expected ${known.join(', ')}`;
  if (typeof m.callee !== 'string' || !CALLEE.test(m.callee)) {
    return `callee must be a function's name ("task") or an object's method ("schedules.task"), not ${describe(m.callee)}: no call could match it`;
  }
  if (m.module !== undefined && (typeof m.module !== 'string' || m.module.trim() === '' || m.module.endsWith('/'))) {
    return `module must be the module the callee is imported from, such as "@trigger.dev/sdk", not ${describe(m.module)}`;
  }
  if (m.subpaths !== undefined && typeof m.subpaths !== 'boolean') return 'subpaths must be true or false';
  if (m.nameFrom !== undefined && (typeof m.nameFrom !== 'string' || m.nameFrom.trim() === '')) {
    return `nameFrom must be the property of the first argument that holds the name, such as "id", not ${describe(m.nameFrom)}`;
  }
  if (m.kind !== undefined && typeof m.kind !== 'string') return 'kind must be a string';
  return undefined;
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : typeof value === 'string' ? JSON.stringify(value) : typeof value;
}

/** `['schedules', 'task']` for `schedules.task`, `['task']` for `task`. */
export function calleePath(marker: CallMarker): [string] | [string, string] {
  const dot = marker.callee.indexOf('.');
  return dot === -1 ? [marker.callee] : [marker.callee.slice(0, dot), marker.callee.slice(dot + 1)];
}

/** The name every call of the marker spells at the call itself: `task` for `schedules.task`. */
export function calleeName(marker: CallMarker): string {
  return calleePath(marker).at(-1)!;
}

/** Whether an import or require of `source` brings the marker's module. */
export function isMarkerModule(source: unknown, marker: CallMarker): boolean {
  const { module } = marker;
  if (module === undefined || typeof source !== 'string') return false;
  if (source === module) return true;
  return marker.subpaths !== false && source.startsWith(module) && source[module.length] === '/';
}

/** What a flow found by `marker` records in its `attributes` (an export name and a group are added). */
export function markerAttributes(marker: FinderMarker): Record<string, JsonValue> {
  const kind = marker.kind ?? marker.callee;
  return marker.framework ? { marker: kind, framework: marker.framework, kind } : { marker: kind };
}

/**
 * A cheap text test run on every file before any parsing: a file that cannot contain a marker
 * is never parsed. It must never say no to a file that holds a flow; saying yes too often only
 * costs a parse. A marker with a module needs the module's string right after a quote (its
 * subpaths begin with it too), and every part of its callee.
 */
export function mayContainFlow(text: string, markers: readonly CallMarker[]): boolean {
  if (text.includes(FLOW_TAG) && JSDOC_FLOW_TAG.test(text)) return true;
  // The module first, once per module: presets share theirs, and it is the rarer word (`task` is not).
  let written: Map<string, boolean> | undefined;
  for (const m of markers) {
    if (m.module !== undefined) {
      const exact = m.subpaths === false;
      const key = `${exact ? '=' : '/'}${m.module}`;
      written ??= new Map();
      let found = written.get(key);
      if (found === undefined) {
        const quoted = (q: string) => text.includes(exact ? `${q}${m.module}${q}` : `${q}${m.module}`);
        written.set(key, (found = quoted("'") || quoted('"')));
      }
      if (!found) continue;
    }
    if (calleePath(m).every((part) => text.includes(part))) return true;
  }
  return false;
}

/** `@flow` inside a `/** … *\/` block: plain `/* @flow *\/` and `// @flow` comments are not JSDoc. */
const JSDOC_FLOW_TAG = /\/\*\*(?:[^*]|\*(?!\/))*@flow(?![\w-])/;

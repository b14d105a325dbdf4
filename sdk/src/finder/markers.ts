/**
 * Which calls count as flows. `defineFlow` from `flowport` is built in; the presets
 * ({@link PRESETS}) add a framework's units (Trigger.dev tasks, Inngest functions, BullMQ workers,
 * Mastra workflows, CDK stacks, Temporal workflows) when a package depends on that
 * framework; teams add others as extra {@link CallMarker}s.
 */
import type { JsonValue } from '../model.js';
import { closest } from '../did-you-mean.js';
import { mayBeTemporal } from './temporal.js';

/**
 * A call (or `new` expression) that declares a flow. The frameworks of {@link PRESETS} need no
 * marker; written as markers, Trigger.dev's would be
 * `{ callee: 'task', module: '@trigger.dev/sdk', nameFrom: 'id' }` (which also matches
 * `import { task } from '@trigger.dev/sdk/v3'`, see {@link CallMarker.subpaths}) and
 * `{ callee: 'schedules.task', module: '@trigger.dev/sdk', nameFrom: 'id' }`; BullMQ's
 * `new Worker('emails', …)` would be
 * `{ callee: 'Worker', module: 'bullmq', new: true, nameFrom: { argument: 0 } }`.
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
  /**
   * Whether the unit is declared with `new`: `new Worker('emails', …)`. Then {@link callee} names
   * the class (`Worker`, or `object.Class`) and only `new` expressions match; without it only
   * calls do (`Worker(…)` is not `new Worker(…)`). Default `false`.
   */
  new?: boolean;
  /**
   * Where the name is written. A string is the property of the first argument, an object literal,
   * that holds it: `'id'` for `task({ id: 'hello' })`. `{ argument: n }` is the n-th argument
   * itself (from 0), a string literal: `{ argument: 0 }` for `new Worker('emails', …)`,
   * `{ argument: 1 }` for `new ApiStack(app, 'Api')`. Default `'name'`.
   */
  nameFrom?: string | NameArgument;
  /** Recorded as `attributes.marker`; defaults to `callee`. */
  kind?: string;
}

/** {@link CallMarker.nameFrom} for a name that is an argument itself: `{ argument: 0 }` is the first. */
export interface NameArgument {
  argument: number;
}

/**
 * A marker as the finder uses it: a preset's carries its framework, recorded in `attributes`, and
 * may match what a config's marker cannot say (a client's method, a subclass).
 */
export interface FinderMarker extends CallMarker {
  /** The preset this marker belongs to: its flows count only where that preset is on. */
  framework?: string;
  /**
   * Inngest: the callee (with no {@link CallMarker.module}) is a method of a client, an instance
   * of `className` from `module`. The object it is called on must be a name of this file's top
   * level that is either a `const` set to `new Inngest(…)` right there, or an import (clients live
   * in a file of their own: `import { inngest } from './client'`), not a parameter, a local
   * variable or a property. The call must have three arguments (options, trigger, handler), or two
   * where the options (the first, an object literal) hold `triggersIn`; on a client created in
   * the same file, where no look-alike method can hide, any two.
   */
  client?: { className: string; module: string; triggersIn: string };
  /**
   * AWS CDK, with {@link CallMarker.new}: `new X(…)` matches too where X is a class of this file
   * that extends the callee (directly or through another class of the file), or where X is
   * imported and the first argument is this file's top-level `const` set to `new <scopeClass>(…)`
   * of the same module (`new MyStack(app, 'Id')` beside `const app = new cdk.App()`).
   */
  subclasses?: { scopeClass: string };
  /**
   * Temporal: not a call at all. {@link CallMarker.module} is the worker's package, whose
   * `workflowsPath` names a workflows module; a file importing `module` here (or, with
   * `everyFile`, any file: one named like a workflows module) records its exported functions as
   * candidates, kept when a worker names the file (see temporal.ts).
   */
  workflows?: { module: string; everyFile?: boolean };
}

export const DEFINE_FLOW: Required<Omit<CallMarker, 'kind'>> & { kind: string } = {
  callee: 'defineFlow',
  module: 'flowport',
  // As before subpaths existed: flowport's subpaths export no defineFlow of their own.
  subpaths: false,
  new: false,
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

/** A preset's marker: its framework in `attributes`, and its `kind` that of the callee unless said. */
function presetMarker(framework: string, marker: Omit<FinderMarker, 'framework'>): FinderMarker {
  return { kind: marker.callee, ...marker, framework };
}

/**
 * Built-in presets, each flow's `attributes` saying `{ framework, kind }`:
 * - `trigger.dev`: `task`, `schemaTask`, `schedules.task` and `toolTask` from `@trigger.dev/sdk`
 *   and its subpaths (`/v3`, `/ai`), the name from `id`.
 * - `inngest`: `inngest.createFunction({ id }, { event }, handler)` (v3) and
 *   `inngest.createFunction({ id, triggers }, handler)` (v4) on an `Inngest` client (see
 *   {@link FinderMarker.client}), the name from `id`; kind `createFunction`.
 * - `bullmq`: `new Worker('queue-name', …)` from `bullmq`, the name the queue's; kind `Worker`.
 * - `mastra`: `createWorkflow({ id })` from `@mastra/core` or its subpaths (`/workflows`).
 * - `temporal`: the exported functions of the workflows modules a worker names
 *   (`Worker.create({ workflowsPath: require.resolve('./workflows') })` from `@temporalio/worker`),
 *   the name the function's export name; kind `workflow` (see {@link FinderMarker.workflows}).
 * - `aws-cdk`: `new SomeStack(app, 'StackId', …)` for `Stack` of `aws-cdk-lib` (or CDK v1's
 *   `@aws-cdk/core`) and the classes that extend it (see {@link FinderMarker.subclasses}), the
 *   name from the second argument; kind `Stack`.
 */
export const PRESETS: readonly Preset[] = [
  {
    name: 'trigger.dev',
    packages: [TRIGGER_SDK],
    markers: ['task', 'schemaTask', 'schedules.task', 'toolTask'].map((callee) =>
      presetMarker('trigger.dev', { callee, module: TRIGGER_SDK, subpaths: true, nameFrom: 'id' }),
    ),
  },
  {
    name: 'inngest',
    packages: ['inngest'],
    markers: [
      presetMarker('inngest', {
        callee: 'createFunction',
        nameFrom: 'id',
        // v3: (options, trigger, handler); v4 moved the triggers into the options.
        client: { className: 'Inngest', module: 'inngest', triggersIn: 'triggers' },
      }),
    ],
  },
  {
    name: 'bullmq',
    packages: ['bullmq'],
    markers: [presetMarker('bullmq', { callee: 'Worker', module: 'bullmq', new: true, nameFrom: { argument: 0 } })],
  },
  {
    name: 'mastra',
    packages: ['@mastra/core'],
    markers: [
      presetMarker('mastra', { callee: 'createWorkflow', module: '@mastra/core', subpaths: true, nameFrom: 'id' }),
    ],
  },
  {
    name: 'temporal',
    packages: ['@temporalio/worker', '@temporalio/workflow'],
    markers: [
      presetMarker('temporal', {
        callee: 'workflowsPath',
        module: '@temporalio/worker',
        kind: 'workflow',
        workflows: { module: '@temporalio/workflow' },
      }),
    ],
  },
  {
    name: 'aws-cdk',
    packages: ['aws-cdk-lib', '@aws-cdk/core'],
    // The package itself: its subpaths (`aws-cdk-lib/aws-s3`) export constructs, not Stack or App.
    markers: ['aws-cdk-lib', '@aws-cdk/core'].map((module) =>
      presetMarker('aws-cdk', {
        callee: 'Stack',
        module,
        subpaths: false,
        new: true,
        nameFrom: { argument: 1 },
        subclasses: { scopeClass: 'App' },
      }),
    ),
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
  const known = ['callee', 'module', 'subpaths', 'new', 'nameFrom', 'kind'];
  const unknown = Object.keys(m).find((k) => !known.includes(k));
  if (unknown !== undefined) return `unknown marker setting ${JSON.stringify(unknown)}: expected ${known.join(', ')}`;
  if (typeof m.callee !== 'string' || !CALLEE.test(m.callee)) {
    return `callee must be a function's name ("task") or an object's method ("schedules.task"), not ${describe(m.callee)}: no call could match it`;
  }
  if (m.module !== undefined && (typeof m.module !== 'string' || m.module.trim() === '' || m.module.endsWith('/'))) {
    return `module must be the module the callee is imported from, such as "@trigger.dev/sdk", not ${describe(m.module)}`;
  }
  if (m.subpaths !== undefined && typeof m.subpaths !== 'boolean') return 'subpaths must be true or false';
  if (m.new !== undefined && typeof m.new !== 'boolean') {
    return 'new must be true (the unit is declared with `new Callee(…)`) or false';
  }
  return (
    nameFromProblem(m.nameFrom) ??
    (m.kind !== undefined && typeof m.kind !== 'string' ? 'kind must be a string' : undefined)
  );
}

/** Why `nameFrom` could never give a name, or undefined. */
function nameFromProblem(nameFrom: unknown): string | undefined {
  if (nameFrom === undefined) return undefined;
  if (typeof nameFrom === 'object' && nameFrom !== null && !Array.isArray(nameFrom)) {
    const keys = Object.keys(nameFrom);
    const n = (nameFrom as Record<string, unknown>).argument;
    if (keys.length === 1 && typeof n === 'number' && Number.isInteger(n) && n >= 0) return undefined;
    return `nameFrom must be { argument: n }, n the argument's position from 0 ({ argument: 0 } for new Worker("emails", …)), not ${JSON.stringify(nameFrom)}`;
  }
  if (typeof nameFrom !== 'string' || nameFrom.trim() === '') {
    return `nameFrom must be the property of the first argument that holds the name, such as "id", or { argument: n } for the n-th argument itself, not ${describe(nameFrom)}`;
  }
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
export function isMarkerModule(source: unknown, marker: Pick<CallMarker, 'module' | 'subpaths'>): boolean {
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
export function mayContainFlow(text: string, markers: readonly FinderMarker[]): boolean {
  if (text.includes(FLOW_TAG) && JSDOC_FLOW_TAG.test(text)) return true;
  // The modules first, all in one pass over the text: presets share theirs, and they are the
  // rarer words (`task` is not). Five presets' modules cost what two string searches did.
  const finder = moduleFinder(markers);
  let written: string[] | undefined;
  if (finder) {
    for (const match of text.matchAll(finder)) (written ??= []).push(match[1]!);
  }
  for (const m of markers) {
    if (m.workflows) {
      if (mayBeTemporal(text)) return true;
      continue;
    }
    if (m.module !== undefined && !written?.some((w) => isWritten(w, m))) continue;
    if (calleePath(m).every((part) => text.includes(part))) return true;
    // `new ApiStack(app, 'Api')` beside `const app = new App()` spells no `Stack`.
    if (m.subclasses && text.includes(m.subclasses.scopeClass)) return true;
  }
  return false;
}

/** Whether `written`, a module name found after a quote, may be `m`'s module or one of its subpaths. */
function isWritten(written: string, m: FinderMarker): boolean {
  // (A longer module found where `m`'s is its prefix, `@acme/jobs-extra`, only costs a parse.)
  return written === m.module || (m.subpaths !== false && written.startsWith(m.module!));
}

/** One regular expression per markers list (a finder's lists live as long as it does). */
const moduleFinders = new WeakMap<readonly FinderMarker[], RegExp | null>();

/**
 * Finds each marker's module right after a quote, the module's name captured: `'@trigger.dev/sdk`
 * (its subpaths too) or, for an exact module, `'flowport` before a quote. Longer names first, so
 * one that begins with another is still found. Null when no marker has a module.
 */
function moduleFinder(markers: readonly FinderMarker[]): RegExp | null {
  let finder = moduleFinders.get(markers);
  if (finder !== undefined) return finder;
  const alternatives = new Set<string>();
  for (const m of [...markers].sort((a, b) => (b.module?.length ?? 0) - (a.module?.length ?? 0))) {
    if (m.module === undefined) continue;
    const escaped = m.module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    alternatives.add(m.subpaths === false ? `${escaped}(?=['"])` : escaped);
  }
  finder = alternatives.size ? new RegExp(`['"](${[...alternatives].join('|')})`, 'g') : null;
  moduleFinders.set(markers, finder);
  return finder;
}

/** `@flow` inside a `/** … *\/` block: plain `/* @flow *\/` and `// @flow` comments are not JSDoc. */
const JSDOC_FLOW_TAG = /\/\*\*(?:[^*]|\*(?!\/))*@flow(?![\w-])/;

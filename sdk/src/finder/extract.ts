/**
 * Reads flows out of one file's ESTree (from typescript-estree). Pure: no I/O, no parser loading,
 * so it runs the same in the CLI, in a worker and in the SDK host.
 */
import type { TSESTree } from '@typescript-eslint/typescript-estree';
import type { JsonValue } from '../model.js';
import { jsdocBefore, readFlowTag } from './jsdoc.js';
import {
  FLOW_TAG,
  calleeName,
  calleePath,
  isMarkerModule,
  markerAttributes,
  type CallMarker,
  type FinderMarker,
} from './markers.js';
import { forEachChild } from './ast.js';
import { hitIn, offsetsOf } from './hits.js';
import { isShadowed, scopeContext, type ScopeContext } from './scope.js';
import { readTemporal, temporalNames, type TemporalScan } from './temporal.js';

/**
 * Part of the scan cache's key: bump it whenever the same text can yield other flows or problems,
 * so that caches written by an earlier finder are not trusted (the SDK version alone moves too
 * rarely for that).
 */
export const EXTRACT_VERSION = 6;

/** A flow as found in one file, before it gets its project-wide id and paths. */
export interface ScannedFlow {
  name: string;
  line: number;
  description: string;
  attributes: Record<string, JsonValue>;
}

/** A problem in one file. `line` is 1-based, 0 for the whole file. */
export interface FileProblem {
  line: number;
  message: string;
  severity: 'error' | 'warning';
  /** Set when a preset's marker found it: it counts only where that preset is on. */
  framework?: string;
}

/** Besides its own flows, a file's part of the Temporal preset (see temporal.ts): {@link TemporalScan}. */
export interface FileScan extends TemporalScan {
  flows: ScannedFlow[];
  problems: FileProblem[];
  /**
   * The presets whose markers alone made this file a candidate: its problems without a framework
   * of their own (a syntax error) count only where one of them is on.
   */
  onlyFor?: string[];
  /**
   * Set instead of parsing: the file was a candidate only for these presets, none of them on for
   * its package then. It is read again should one of them come on (a package.json changed).
   */
  deferredFor?: string[];
}

type Node = TSESTree.Node;

/** How each marker's callee is reachable in this file: local names and namespace objects. */
interface Binding {
  marker: FinderMarker;
  /**
   * `defineFlow`, or `df` after `import { defineFlow as df }`; for a callee `schedules.task`, the
   * local names of `schedules`.
   */
  locals: Set<string>;
  /** `fp` after `import * as fp from 'flowport'`, `import fp = require('flowport')` or `const fp = require('flowport')`. */
  namespaces: Set<string>;
  /** {@link FinderMarker.client}: how this file reaches its clients. */
  client?: {
    /** Top-level `const`s set to `new Inngest(…)` here. */
    local: Set<string>;
    /** Names this file imports (from any module): a client made in another file. */
    imported: Set<string>;
    /** Local names of the client's class (`Inngest`, or `ns.Inngest` through these namespaces). */
    classes: Imported;
  };
  /** {@link FinderMarker.subclasses}: the classes `new` may name instead of the callee. */
  subclasses?: {
    /** Classes of this file that extend the callee, directly or through each other. */
    local: Set<string>;
    /** Names this file imports from modules other than the marker's. */
    imported: Set<string>;
    /** Top-level `const`s set to `new App(…)` here: an imported class made on one is a stack. */
    scopes: Set<string>;
    /** Local names of the scope's class (`App`). */
    scopeClass: Imported;
  };
}

/** How a module's export is reachable: by local names, or as a property of a namespace. */
interface Imported {
  locals: Set<string>;
  namespaces: Set<string>;
}

/** What the readers of one file share. */
interface FileContext {
  program: TSESTree.Program;
  scope: ScopeContext;
  /** Local name → exported name, from `export { … }` and `export default name`; computed on first use. */
  exports?: Map<string, string>;
}

/**
 * `text` is the source the program was parsed from (offsets in `range` point into it); `ext`
 * (with the dot) tells a sloppy-mode script from a module.
 */
export function extractFlows(
  program: TSESTree.Program,
  text: string,
  ext: string,
  markers: readonly FinderMarker[],
): FileScan {
  const scan: FileScan = { flows: [], problems: [] };
  const file: FileContext = { program, scope: scopeContext(program, ext) };
  const bindings = markers.filter((m) => !m.workflows).map((marker) => bindingsOf(program, marker));
  for (const m of markers) if (m.workflows) readTemporal(program, m, scan);
  const hits = offsetsOf(text, bindings.flatMap(spelledAtCall));
  walk(program, [], hits, (node, ancestors) => {
    if (node.type !== 'CallExpression' && node.type !== 'NewExpression') return;
    for (const b of bindings) {
      if (isMarkerCall(node, b, ancestors, file.scope)) {
        readCallFlow(node, ancestors, b.marker, scan, file);
        return;
      }
    }
  });
  readTaggedFunctions(file, text, scan);
  scan.flows.sort((a, b) => a.line - b.line);
  return scan;
}

/**
 * Every name a top-level statement must spell for {@link extractFlows} to read anything from it:
 * the `@flow` tag, each marker's module, callee and the local names this file binds the callee to
 * (or, for a module the file does not bind, `require`: see {@link spelledAtCall}), and what the
 * presets' markers must see besides the call: an Inngest client's class, a CDK app's class and
 * `new`. `imports` needs to hold only the file's import, export and require statements. (Export lists
 * and `export default name` matter too, but they spell none of these: keep them always. A call
 * through a namespace, `fp.defineFlow(…)`, spells the callee.)
 */
export function namesThatMatter(imports: TSESTree.Program, markers: readonly FinderMarker[]): string[] {
  const names = [FLOW_TAG];
  for (const marker of markers) {
    if (marker.workflows) {
      names.push(...temporalNames(imports, marker));
      continue;
    }
    names.push(...spelledAtCall(bindingsOf(imports, marker)));
    if (marker.module !== undefined) names.push(marker.module);
  }
  return names;
}

/**
 * Names one of which every call of the marker spells: its callee's last part and the local names
 * bound to it. A marker whose module this file does not import or require by name can only be
 * called as `require('…').task(…)`, which spells `require`: so a file that merely says `task` is
 * not walked for the Trigger.dev preset (nor its statements converted) unless it imports the SDK.
 */
function spelledAtCall(b: Binding): string[] {
  const scopeClass = b.subclasses?.scopeClass.locals ?? [];
  const bound = b.locals.size > 0 || b.namespaces.size > 0 || b.subclasses?.scopeClass.locals.size;
  if (b.marker.module !== undefined && !bound) return ['require'];
  const names = [calleeName(b.marker), ...b.locals];
  // The client's `const inngest = new Inngest(…)` must be converted, to be known.
  if (b.client) names.push(...b.client.classes.locals, ...b.client.classes.namespaces);
  // `new ApiStack(app, 'Api')` spells only names of other modules, and `new`; `const app = new
  // App()` spells App. (Only files that import the CDK get here.)
  if (b.subclasses) names.push(...scopeClass, 'new');
  return names;
}

function bindingsOf(program: TSESTree.Program, marker: FinderMarker): Binding {
  const b: Binding = { marker, locals: new Set(), namespaces: new Set() };
  if (marker.client) {
    const { className, module } = marker.client;
    const classes = importedAs(program, { module, subpaths: false }, className);
    b.client = { local: madeWith(program, classes, className), imported: importedNames(program), classes };
  }
  if (marker.module === undefined) return b;
  // What the module exports: the callee, or for `schedules.task` the object `schedules`.
  const { locals, namespaces } = importedAs(program, marker, calleePath(marker)[0]);
  b.locals = locals;
  b.namespaces = namespaces;
  if (marker.subclasses) {
    const scopeClass = importedAs(program, marker, marker.subclasses.scopeClass);
    b.subclasses = {
      local: subclassesOf(program, b),
      imported: importedNames(program, marker),
      scopes: madeWith(program, scopeClass, marker.subclasses.scopeClass),
      scopeClass,
    };
  }
  return b;
}

/**
 * The local names of `exported` from `from`'s module (named, aliased, destructured from a
 * require) and the namespaces that hold it (`import * as ns`, `import ns = require(…)`,
 * `const ns = require(…)`).
 */
function importedAs(program: TSESTree.Program, from: ModuleRef, exported: string): Imported {
  const b: Imported = { locals: new Set(), namespaces: new Set() };
  for (const stmt of program.body) {
    if (stmt.type === 'ImportDeclaration' && isMarkerModule(stmt.source.value, from) && stmt.importKind !== 'type') {
      for (const s of stmt.specifiers) {
        if (s.type === 'ImportNamespaceSpecifier') b.namespaces.add(s.local.name);
        else if (s.type === 'ImportSpecifier' && s.importKind !== 'type' && nameOf(s.imported) === exported) {
          b.locals.add(s.local.name);
        }
      }
    }
    if (
      stmt.type === 'TSImportEqualsDeclaration' &&
      stmt.importKind !== 'type' &&
      stmt.moduleReference.type === 'TSExternalModuleReference' &&
      isMarkerModule(stmt.moduleReference.expression.value, from)
    ) {
      b.namespaces.add(stmt.id.name);
    }
    // CommonJS: const { defineFlow } = require('flowport') / const fp = require('flowport')
    if (stmt.type === 'VariableDeclaration') {
      for (const d of stmt.declarations) {
        if (!isRequireOf(d.init, from)) continue;
        if (d.id.type === 'Identifier') b.namespaces.add(d.id.name);
        if (d.id.type === 'ObjectPattern') {
          for (const p of d.id.properties) {
            if (p.type === 'Property' && keyName(p.key) === exported && p.value.type === 'Identifier') {
              b.locals.add(p.value.name);
            }
          }
        }
      }
    }
  }
  return b;
}

/** Every value name the file imports, but from `except`'s framework (see below). */
function importedNames(program: TSESTree.Program, except?: ModuleRef): Set<string> {
  const names = new Set<string>();
  const framework = except?.module;
  // The framework's own modules: the package and its subpaths, and for a scoped one
  // (`@aws-cdk/core`) its scope's other packages (`@aws-cdk/aws-s3`).
  const scope = framework?.startsWith('@') ? framework.slice(0, framework.indexOf('/') + 1) : undefined;
  const skip = (source: unknown) =>
    framework !== undefined &&
    typeof source === 'string' &&
    (isMarkerModule(source, { module: framework }) ||
      (scope !== undefined && scope !== '' && source.startsWith(scope)));
  for (const stmt of program.body) {
    if (stmt.type === 'ImportDeclaration' && stmt.importKind !== 'type') {
      if (skip(stmt.source.value)) continue;
      for (const s of stmt.specifiers)
        if (!(s.type === 'ImportSpecifier' && s.importKind === 'type')) names.add(s.local.name);
    }
    if (stmt.type === 'VariableDeclaration') {
      for (const d of stmt.declarations) {
        const init = d.init;
        const source = init?.type === 'CallExpression' && isRequire(init) ? init.arguments[0] : undefined;
        if (source?.type !== 'Literal' || skip(source.value)) continue;
        if (d.id.type === 'Identifier') names.add(d.id.name);
        if (d.id.type === 'ObjectPattern') {
          for (const p of d.id.properties)
            if (p.type === 'Property' && p.value.type === 'Identifier') names.add(p.value.name);
        }
      }
    }
  }
  return names;
}

/** Top-level `const x = new C(…)` (or `export const`), C the class `name` reached as `classes` says: the names x. */
function madeWith(program: TSESTree.Program, classes: Imported, name: string): Set<string> {
  const made = new Set<string>();
  for (const stmt of program.body) {
    const decl = stmt.type === 'ExportNamedDeclaration' ? stmt.declaration : stmt;
    if (decl?.type !== 'VariableDeclaration' || decl.kind !== 'const') continue;
    for (const d of decl.declarations) {
      if (d.id.type === 'Identifier' && d.init?.type === 'NewExpression' && isClassRef(d.init.callee, classes, name)) {
        made.add(d.id.name);
      }
    }
  }
  return made;
}

/** Whether `ref` names the exported class `name`: one of its local names, or `ns.name` on a namespace. */
function isClassRef(ref: Node, classes: Imported, name: string): boolean {
  if (ref.type === 'Identifier') return classes.locals.has(ref.name);
  return (
    ref.type === 'MemberExpression' &&
    ref.object.type === 'Identifier' &&
    classes.namespaces.has(ref.object.name) &&
    memberName(ref) === name
  );
}

/** Top-level classes of the file that extend the marker's callee, directly or through one another. */
function subclassesOf(program: TSESTree.Program, b: Binding): Set<string> {
  const classes: Array<{ name: string; base: Node }> = [];
  for (const stmt of program.body) {
    const decl =
      stmt.type === 'ExportNamedDeclaration' || stmt.type === 'ExportDefaultDeclaration' ? stmt.declaration : stmt;
    if (decl?.type === 'ClassDeclaration' && decl.id && decl.superClass)
      classes.push({ name: decl.id.name, base: decl.superClass });
  }
  const found = new Set<string>();
  const callee = calleeName(b.marker);
  for (let grew = true; grew;) {
    grew = false;
    for (const c of classes) {
      if (found.has(c.name)) continue;
      const base = c.base;
      const direct = isClassRef(base, b, callee) || (base.type === 'Identifier' && found.has(base.name));
      if (direct) {
        found.add(c.name);
        grew = true;
      }
    }
  }
  return found;
}

function isRequireOf(init: TSESTree.Expression | null | undefined, marker: ModuleRef): boolean {
  return (
    init?.type === 'CallExpression' &&
    isRequire(init) &&
    init.arguments[0]?.type === 'Literal' &&
    isMarkerModule(init.arguments[0].value, marker)
  );
}

function isRequire(call: TSESTree.CallExpression): boolean {
  return call.callee.type === 'Identifier' && call.callee.name === 'require';
}

/** `ancestors` tell whether a local function or variable hides the imported name at the call. */
function isMarkerCall(call: MarkerCall, b: Binding, ancestors: readonly Node[], scope: ScopeContext): boolean {
  if ((call.type === 'NewExpression') !== (b.marker.new === true)) return false;
  const callee = call.callee;
  const path = calleePath(b.marker);
  const imported = (n: Node, names: Set<string>) =>
    n.type === 'Identifier' && names.has(n.name) && !isShadowed(n.name, ancestors, scope);
  if (b.subclasses && callee.type === 'Identifier' && !isShadowed(callee.name, ancestors, scope)) {
    const s = b.subclasses;
    if (s.local.has(callee.name)) return true;
    const first = call.arguments[0];
    if (s.imported.has(callee.name) && first?.type === 'Identifier' && imported(first, s.scopes)) return true;
  }
  if (path.length === 1) {
    if (callee.type === 'Identifier') return imported(callee, b.locals);
    if (callee.type !== 'MemberExpression' || memberName(callee) !== path[0]) return false;
    if (b.client) return isClientCall(call, callee.object, b.client, imported);
    if (b.marker.module === undefined) return true;
    if (isRequireOf(callee.object, b.marker)) return true; // require('flowport').defineFlow(…)
    return imported(callee.object, b.namespaces);
  }
  // `schedules.task(…)`: the method called on the object, that object imported or reached through
  // a namespace (`sdk.schedules.task(…)`, `require('@trigger.dev/sdk').schedules.task(…)`).
  if (callee.type !== 'MemberExpression' || memberName(callee) !== path[1]) return false;
  const object = callee.object;
  if (b.marker.module === undefined) {
    return (
      (object.type === 'Identifier' && object.name === path[0]) ||
      (object.type === 'MemberExpression' && memberName(object) === path[0])
    );
  }
  if (imported(object, b.locals)) return true;
  if (object.type !== 'MemberExpression' || memberName(object) !== path[0]) return false;
  return isRequireOf(object.object, b.marker) || imported(object.object, b.namespaces);
}

/**
 * `inngest.createFunction(…)`: on a client made in this file or imported, with the arguments of a
 * function's definition (see {@link FinderMarker.client}).
 */
function isClientCall(
  call: MarkerCall,
  object: Node,
  client: NonNullable<Binding['client']>,
  imported: (n: Node, names: Set<string>) => boolean,
): boolean {
  const local = imported(object, client.local);
  if (!local && !imported(object, client.imported)) return false;
  const n = call.arguments.length;
  if (n === 3) return true;
  if (n !== 2) return false;
  const options = call.arguments[0];
  return (
    local ||
    (options?.type === 'ObjectExpression' &&
      options.properties.some((p) => p.type === 'Property' && !p.computed && keyName(p.key) === 'triggers'))
  );
}

type MarkerCall = TSESTree.CallExpression | TSESTree.NewExpression;

/** A module, with or without its subpaths. */
type ModuleRef = Pick<CallMarker, 'module' | 'subpaths'>;

function readCallFlow(
  call: MarkerCall,
  ancestors: Node[],
  marker: FinderMarker,
  scan: FileScan,
  file: FileContext,
): void {
  const line = call.loc.start.line;
  const framework = marker.framework ? { framework: marker.framework } : {};
  const nameFrom = marker.nameFrom ?? 'name';
  if (typeof nameFrom === 'object') {
    const n = nameFrom.argument;
    const name = literalString(call.arguments[n]);
    if (name === undefined) {
      scan.problems.push({
        line,
        severity: 'error',
        message: `${marker.new ? 'new ' : ''}${marker.callee}: flow name must be a string literal, the ${ordinal(n)} argument`,
        ...framework,
      });
      return;
    }
    const attributes: Record<string, JsonValue> = markerAttributes(marker);
    const exportName = exportNameOf(ancestors, file);
    if (exportName) attributes.exportName = exportName;
    scan.flows.push({ name, line, description: '', attributes });
    return;
  }
  const nameKey = nameFrom;
  const meta = call.arguments[0];
  if (meta?.type !== 'ObjectExpression') {
    scan.problems.push({
      line,
      severity: 'error',
      message: `${marker.callee}: the first argument must be an object literal with a string-literal \`${nameKey}\``,
      ...(marker.framework ? { framework: marker.framework } : {}),
    });
    return;
  }
  const props = new Map<string, TSESTree.Node>();
  for (const p of meta.properties) {
    if (p.type === 'Property' && !p.computed) {
      const k = keyName(p.key);
      if (k !== undefined) props.set(k, p.value);
    }
  }
  const name = literalString(props.get(nameKey));
  if (name === undefined) {
    scan.problems.push({
      line,
      severity: 'error',
      message: 'flow name must be a string literal',
      ...(marker.framework ? { framework: marker.framework } : {}),
    });
    return;
  }
  const attributes: Record<string, JsonValue> = markerAttributes(marker);
  const exportName = exportNameOf(ancestors, file);
  if (exportName) attributes.exportName = exportName;
  const group = literalGroup(props.get('group'));
  if (group) attributes.group = group;
  scan.flows.push({ name, line, description: literalString(props.get('description')) ?? '', attributes });
}

/**
 * Functions with a `@flow` JSDoc tag directly above that the module exports: `export function f`,
 * `export const f = () => …`, `export default function`, or declared first and exported by
 * `export { f }` / `export { f as g }`.
 */
function readTaggedFunctions(file: FileContext, text: string, scan: FileScan): void {
  const { program } = file;
  let previousEnd = 0;
  for (const stmt of program.body) {
    const start = previousEnd;
    previousEnd = stmt.range[1];
    const fn = taggableFunction(stmt);
    if (!fn) continue;
    const doc = jsdocBefore(text, start, stmt.range[0]);
    const tag = doc === undefined ? undefined : readFlowTag(doc);
    if (!tag) continue;
    let exportName: string | undefined = fn.exportName;
    if (!exportName && fn.local) exportName = localExports(file).get(fn.local);
    if (!exportName) continue; // not exported: a helper, not a flow
    const name = tag.name ?? fn.local;
    if (!name) {
      scan.problems.push({
        line: stmt.loc.start.line,
        severity: 'error',
        message: 'an anonymous default export needs a name after the tag: @flow <name>',
      });
      continue;
    }
    scan.flows.push({
      name,
      line: stmt.loc.start.line,
      description: tag.description,
      attributes: { marker: 'jsdoc', exportName },
    });
  }
}

/** A top-level function a JSDoc tag can mark: its local name and, when exported right there, its export name. */
function taggableFunction(stmt: TSESTree.ProgramStatement): { local?: string; exportName?: string } | undefined {
  if (stmt.type === 'ExportDefaultDeclaration') {
    const d = stmt.declaration;
    const isFunction =
      d.type === 'FunctionDeclaration' || d.type === 'FunctionExpression' || d.type === 'ArrowFunctionExpression';
    return isFunction ? { local: d.id?.name, exportName: 'default' } : undefined;
  }
  if (stmt.type === 'ExportNamedDeclaration') {
    const local = stmt.declaration && functionName(stmt.declaration);
    return local ? { local, exportName: local } : undefined;
  }
  const local = functionName(stmt);
  return local ? { local } : undefined;
}

/** `function f` or `const f = () => …` / `const f = function …`. */
function functionName(decl: TSESTree.Node): string | undefined {
  if (decl.type === 'FunctionDeclaration') return decl.id?.name;
  if (decl.type === 'VariableDeclaration' && decl.kind === 'const' && decl.declarations.length === 1) {
    const d = decl.declarations[0]!;
    const init = d.init;
    if (
      d.id.type === 'Identifier' &&
      (init?.type === 'ArrowFunctionExpression' || init?.type === 'FunctionExpression')
    ) {
      return d.id.name;
    }
  }
  return undefined;
}

/**
 * Local name → exported name, from `export { a, b as c }` and `export default a` (not re-exports
 * from another module, not type-only exports).
 */
function localExports(file: FileContext): Map<string, string> {
  if (file.exports) return file.exports;
  const out = new Map<string, string>();
  for (const stmt of file.program.body) {
    if (stmt.type === 'ExportDefaultDeclaration' && stmt.declaration.type === 'Identifier') {
      out.set(stmt.declaration.name, 'default');
    }
    if (stmt.type !== 'ExportNamedDeclaration' || stmt.source || stmt.exportKind === 'type') continue;
    for (const s of stmt.specifiers) {
      if (s.exportKind === 'type' || s.local.type !== 'Identifier' || out.has(s.local.name)) continue;
      out.set(s.local.name, nameOf(s.exported));
    }
  }
  file.exports = out;
  return out;
}

function exportNameOf(ancestors: Node[], file: FileContext): string | undefined {
  // Nearest declaration that binds the call's result: `export const x = defineFlow(…)`, or a
  // top-level `const x = defineFlow(…)` exported by `export { x }` / `export default x`.
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const a = ancestors[i]!;
    if (a.type === 'ExportDefaultDeclaration') return 'default';
    if (a.type === 'VariableDeclarator' && a.id.type === 'Identifier') {
      // Declarator ← VariableDeclaration ← (ExportNamedDeclaration | Program) when it is top level.
      const holder = ancestors[i - 2];
      if (holder?.type === 'ExportNamedDeclaration') return a.id.name;
      return holder?.type === 'Program' ? localExports(file).get(a.id.name) : undefined;
    }
    if (a.type.startsWith('Function') || a.type === 'ArrowFunctionExpression') return undefined;
  }
  return undefined;
}

function ordinal(n: number): string {
  return ['first', 'second', 'third', 'fourth', 'fifth'][n] ?? `${n + 1}th`;
}

function literalString(node: Node | undefined): string | undefined {
  if (node?.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node?.type === 'TemplateLiteral' && node.expressions.length === 0)
    return node.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

function literalGroup(node: Node | undefined): string[] | undefined {
  const single = literalString(node);
  if (single !== undefined) return [single];
  if (node?.type !== 'ArrayExpression') return undefined;
  const parts = node.elements.map((e) => literalString(e ?? undefined));
  return parts.every((p): p is string => p !== undefined) ? parts : undefined;
}

function keyName(key: Node): string | undefined {
  if (key.type === 'Identifier') return key.name;
  if (key.type === 'Literal' && typeof key.value === 'string') return key.value;
  return undefined;
}

function nameOf(n: TSESTree.Identifier | TSESTree.StringLiteral): string {
  return n.type === 'Identifier' ? n.name : n.value;
}

function memberName(m: TSESTree.MemberExpression): string | undefined {
  if (!m.computed && m.property.type === 'Identifier') return m.property.name;
  if (m.computed && m.property.type === 'Literal' && typeof m.property.value === 'string') return m.property.value;
  return undefined;
}

/**
 * Depth-first walk over the child nodes whose source holds one of `hits` (sorted offsets of the
 * names a marker call must spell): a subtree without one cannot hold a marker call, so most of a
 * file is never visited. `ancestors` excludes `node` itself.
 */
function walk(
  node: Node,
  ancestors: Node[],
  hits: readonly number[],
  visit: (node: Node, ancestors: Node[]) => void,
): void {
  visit(node, ancestors);
  ancestors.push(node);
  forEachChild(node, (child) => {
    if (hitIn(hits, child.range[0], child.range[1])) walk(child, ancestors, hits, visit);
  });
  ancestors.pop();
}

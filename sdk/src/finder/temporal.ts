/**
 * The Temporal preset: a workflow is an exported function of a module a worker names with
 * `workflowsPath`. No one file tells: the worker's file knows the module's path, the module knows
 * its functions. So each file's scan records its part ({@link WorkerRef}s in a worker's file,
 * {@link WorkflowCandidates} in a file that may be a workflows module) and {@link temporalFlows}
 * joins them when the scans are assembled.
 *
 * Which files carry candidates: those that import `@temporalio/workflow` (every workflow file
 * written from Temporal's docs does, for `proxyActivities` and the like), those named
 * `workflows.ts` or `workflows/index.ts`, and any other file a worker names or a named module
 * re-exports from (typescript-flows.ts reads those again as workflows modules once the workers'
 * files have told it). From the named module, `export * from './x'` and `export { a, b as c }
 * from './x'` are followed to any depth; a re-export from a package is not followed.
 */
import type { TSESTree } from '@typescript-eslint/typescript-estree';
import { posix } from 'node:path';
import { forEachChild } from './ast.js';
import type { FileProblem, ScannedFlow } from './extract.js';
import type { FinderMarker } from './markers.js';

type Node = TSESTree.Node;

export const TEMPORAL_WORKER = '@temporalio/worker';
export const TEMPORAL_WORKFLOW = '@temporalio/workflow';

/** A worker's `workflowsPath`, as a module path relative to the worker's own folder (`./workflows`). */
export interface WorkerRef {
  line: number;
  module: string;
}

/** What a possible workflows module exports: its functions and its relative re-exports. */
export interface WorkflowCandidates {
  /** Exported functions, named by their export name (what Temporal registers the workflow type as). */
  functions: ScannedFlow[];
  /** `export * from './x'` (no names) and `export { a as b } from './x'` ([local, exported] pairs). */
  reexports: Array<{ module: string; names?: Array<[string, string]> }>;
}

/** What extract.ts records for the Temporal marker in one file. */
export interface TemporalScan {
  workers?: WorkerRef[];
  workflows?: WorkflowCandidates;
}

/** Whether a root-relative path is named as Temporal's docs name a workflows module. */
export function isWorkflowsModulePath(rel: string): boolean {
  const parts = rel.split('/');
  const base = stripExtension(parts.at(-1)!);
  return base === 'workflows' || (base === 'index' && parts.at(-2) === 'workflows');
}

/** The cheap first pass: whether the text may hold a worker's `workflowsPath` or a workflow module. */
export function mayBeTemporal(text: string): boolean {
  return (
    (text.includes(TEMPORAL_WORKER) && text.includes('workflowsPath')) ||
    text.includes(`'${TEMPORAL_WORKFLOW}`) ||
    text.includes(`"${TEMPORAL_WORKFLOW}`)
  );
}

function importsFrom(program: TSESTree.Program, module: string): boolean {
  const isIt = (s: unknown) => typeof s === 'string' && (s === module || s.startsWith(`${module}/`));
  for (const stmt of program.body) {
    if (stmt.type === 'ImportDeclaration' && isIt(stmt.source.value)) return true;
    if (
      stmt.type === 'TSImportEqualsDeclaration' &&
      stmt.moduleReference.type === 'TSExternalModuleReference' &&
      isIt(stmt.moduleReference.expression.value)
    )
      return true;
    if (stmt.type === 'VariableDeclaration') {
      for (const d of stmt.declarations) {
        const init = d.init;
        if (
          init?.type === 'CallExpression' &&
          init.callee.type === 'Identifier' &&
          init.callee.name === 'require' &&
          init.arguments[0]?.type === 'Literal' &&
          isIt(init.arguments[0].value)
        )
          return true;
      }
    }
  }
  return false;
}

/**
 * Names a statement must spell to be converted for this marker (see extract.ts namesThatMatter):
 * `workflowsPath` in a worker's file; in a possible workflows module, `export` and the local names
 * its export lists export (`function f() {}` then `export { f }`).
 */
export function temporalNames(imports: TSESTree.Program, marker: FinderMarker): string[] {
  const names: string[] = [];
  if (importsFrom(imports, TEMPORAL_WORKER)) names.push('workflowsPath');
  if (marker.workflows?.everyFile || importsFrom(imports, TEMPORAL_WORKFLOW)) {
    names.push('export');
    for (const stmt of imports.body) {
      if (stmt.type !== 'ExportNamedDeclaration' || stmt.source) continue;
      for (const s of stmt.specifiers) if (s.local.type === 'Identifier') names.push(s.local.name);
    }
  }
  return names;
}

/** Reads this file's part of the Temporal preset into `scan`. */
export function readTemporal(
  program: TSESTree.Program,
  marker: FinderMarker,
  scan: TemporalScan & { problems: FileProblem[] },
): void {
  if (importsFrom(program, TEMPORAL_WORKER)) {
    const workers: WorkerRef[] = [];
    visitAll(program, (node) => {
      if (node.type !== 'Property' || node.computed || keyName(node.key) !== 'workflowsPath') return;
      const line = node.loc.start.line;
      const module = workflowsModule(node.value, program);
      if (module !== undefined) workers.push({ line, module });
      else
        scan.problems.push({
          line,
          severity: 'warning',
          framework: 'temporal',
          message:
            "workflowsPath: cannot tell which module this names without running it, so its workflows are not listed: write require.resolve('./workflows'), new URL('./workflows', import.meta.url) or path.join(__dirname, 'workflows')",
        });
    });
    if (workers.length) scan.workers = workers;
  }
  if (marker.workflows?.everyFile || importsFrom(program, TEMPORAL_WORKFLOW)) {
    const found = candidates(program);
    if (found.functions.length || found.reexports.length) scan.workflows = found;
  }
}

/** Every node of the (partly converted) program. */
function visitAll(node: Node, visit: (node: Node) => void): void {
  visit(node);
  forEachChild(node, (child) => visitAll(child, visit));
}

/**
 * The module `value` names, relative to the file's folder, for the forms Temporal's docs and
 * samples write: `require.resolve('./workflows')`; `new URL('./workflows', import.meta.url)`,
 * as its `.pathname` or in `fileURLToPath(…)` (the extension may be `${path.extname(import.meta.url)}`);
 * `path.join(__dirname, 'workflows')` / `path.resolve(…)` (or `import.meta.dirname`); a template
 * `${__dirname}/workflows`; or a `const` of this file set to one of those. Undefined otherwise.
 */
function workflowsModule(value: Node, program: TSESTree.Program, depth = 0): string | undefined {
  if (value.type === 'Identifier') {
    if (depth > 2) return undefined;
    const init = constInit(program, value.name);
    return init ? workflowsModule(init, program, depth + 1) : undefined;
  }
  if (value.type === 'TSAsExpression' || value.type === 'TSNonNullExpression') {
    return workflowsModule(value.expression, program, depth);
  }
  // .pathname of a URL
  if (value.type === 'MemberExpression' && propName(value) === 'pathname') {
    return value.object.type === 'NewExpression' ? urlModule(value.object) : undefined;
  }
  if (value.type === 'TemplateLiteral') {
    // `${__dirname}/workflows`
    const [head, tail] = value.quasis;
    if (value.expressions.length === 1 && head?.value.cooked === '' && isDirname(value.expressions[0]!)) {
      const rest = tail?.value.cooked;
      return rest?.startsWith('/') ? relativeModule(`.${rest}`) : undefined;
    }
    return undefined;
  }
  if (value.type !== 'CallExpression') return undefined;
  const callee = value.callee;
  const name = callee.type === 'Identifier' ? callee.name : callee.type === 'MemberExpression' ? propName(callee) : '';
  if (name === 'resolve' && callee.type === 'MemberExpression' && isIdent(callee.object, 'require')) {
    const spec = literal(value.arguments[0]);
    return spec !== undefined && spec.startsWith('.') ? relativeModule(spec) : undefined;
  }
  if (name === 'fileURLToPath') {
    const arg = value.arguments[0];
    return arg?.type === 'NewExpression' ? urlModule(arg) : undefined;
  }
  if (name === 'join' || name === 'resolve') {
    const [first, ...rest] = value.arguments;
    if (!first || !isDirname(first) || rest.length === 0) return undefined;
    const parts = rest.map((a) => literal(a));
    if (parts.some((p) => p === undefined || p.startsWith('/'))) return undefined;
    return relativeModule(`./${posix.join(...(parts as string[]))}`);
  }
  return undefined;
}

/** `new URL('./workflows', import.meta.url)`: './workflows'. */
function urlModule(n: TSESTree.NewExpression): string | undefined {
  if (!isIdent(n.callee, 'URL') || n.arguments.length !== 2 || !isImportMetaUrl(n.arguments[1]!)) return undefined;
  const first = n.arguments[0]!;
  let spec = literal(first);
  // `./workflows${path.extname(import.meta.url)}`: the module whatever it is compiled to.
  if (spec === undefined && first.type === 'TemplateLiteral' && first.expressions.length === 1) {
    const ext = first.expressions[0]!;
    const isExtname =
      ext.type === 'CallExpression' &&
      (isIdent(ext.callee, 'extname') ||
        (ext.callee.type === 'MemberExpression' && propName(ext.callee) === 'extname'));
    if (isExtname && first.quasis[1]?.value.cooked === '') spec = first.quasis[0]?.value.cooked ?? undefined;
  }
  return spec !== undefined && spec.startsWith('.') ? relativeModule(spec) : undefined;
}

/** `./workflows.js` → `./workflows`: the source and what it compiles to are one module. */
function relativeModule(spec: string): string {
  const normal = posix.normalize(stripExtension(spec.replace(/\/+$/, '')));
  return normal.startsWith('.') ? normal : `./${normal}`;
}

const EXTENSIONS = /\.(?:[cm]?[jt]s|[jt]sx)$/;

function stripExtension(path: string): string {
  return path.replace(EXTENSIONS, '');
}

function isDirname(n: Node): boolean {
  return (
    isIdent(n, '__dirname') ||
    (n.type === 'MemberExpression' && n.object.type === 'MetaProperty' && propName(n) === 'dirname')
  );
}

function isImportMetaUrl(n: Node): boolean {
  return n.type === 'MemberExpression' && n.object.type === 'MetaProperty' && propName(n) === 'url';
}

/** The initializer of `const name = …` anywhere among the converted statements (first found). */
function constInit(program: TSESTree.Program, name: string): Node | undefined {
  let found: Node | undefined;
  visitAll(program, (node) => {
    if (found || node.type !== 'VariableDeclarator' || node.id.type !== 'Identifier' || node.id.name !== name) return;
    if (node.init) found = node.init;
  });
  return found;
}

/** The file's exported functions and its relative re-exports. */
function candidates(program: TSESTree.Program): WorkflowCandidates {
  const functions: ScannedFlow[] = [];
  const reexports: WorkflowCandidates['reexports'] = [];
  const localFunctions = new Map<string, number>();
  const add = (exportName: string, line: number) =>
    functions.push({
      name: exportName,
      line,
      description: '',
      attributes: { marker: 'workflow', framework: 'temporal', kind: 'workflow', exportName },
    });
  for (const stmt of program.body) {
    const local = functionDeclared(stmt);
    if (local) localFunctions.set(local, stmt.loc.start.line);
  }
  for (const stmt of program.body) {
    if (stmt.type === 'ExportAllDeclaration' && stmt.exportKind !== 'type' && !stmt.exported) {
      const spec = stmt.source.value;
      if (spec.startsWith('.')) reexports.push({ module: relativeModule(spec) });
      continue;
    }
    if (stmt.type !== 'ExportNamedDeclaration' || stmt.exportKind === 'type') continue;
    if (stmt.declaration) {
      const name = functionDeclared(stmt.declaration);
      if (name) add(name, stmt.loc.start.line);
      continue;
    }
    const names: Array<[string, string]> = [];
    for (const s of stmt.specifiers) {
      if (s.exportKind === 'type') continue;
      const localName = keyName(s.local);
      const exported = keyName(s.exported);
      if (localName === undefined || exported === undefined) continue;
      if (stmt.source) names.push([localName, exported]);
      else if (localFunctions.has(localName)) add(exported, localFunctions.get(localName)!);
    }
    if (stmt.source && names.length && stmt.source.value.startsWith('.')) {
      reexports.push({ module: relativeModule(stmt.source.value), names });
    }
  }
  functions.sort((a, b) => a.line - b.line);
  return { functions, reexports };
}

/** `function f` (async or not) or `const f = async () => …` / `const f = function …`: f. */
function functionDeclared(decl: Node): string | undefined {
  if (decl.type === 'FunctionDeclaration') return decl.id?.name;
  if (decl.type === 'VariableDeclaration' && decl.declarations.length === 1) {
    const d = decl.declarations[0];
    const init = d.init;
    if (d.id.type === 'Identifier' && (init?.type === 'ArrowFunctionExpression' || init?.type === 'FunctionExpression'))
      return d.id.name;
  }
  return undefined;
}

function isIdent(n: Node, name: string): boolean {
  return n.type === 'Identifier' && n.name === name;
}

function literal(n: Node | undefined): string | undefined {
  if (n?.type === 'Literal' && typeof n.value === 'string') return n.value;
  if (n?.type === 'TemplateLiteral' && n.expressions.length === 0) return n.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

function keyName(key: Node): string | undefined {
  if (key.type === 'Identifier') return key.name;
  if (key.type === 'Literal' && typeof key.value === 'string') return key.value;
  return undefined;
}

function propName(m: TSESTree.MemberExpression): string | undefined {
  if (!m.computed && m.property.type === 'Identifier') return m.property.name;
  return m.computed ? literal(m.property) : undefined;
}

/** A workflow found by the join, with the file it is written in. */
export interface JoinedWorkflow {
  rel: string;
  flow: ScannedFlow;
}

/**
 * The workflows of the modules the workers name: `workers` are the worker files (root-relative)
 * with their references, `modules` the files that carry candidates, by root-relative path, and
 * `resolve` the file a module path written in a file stands for (the finder's own resolution, the
 * one it reads named modules by). Each module is listed once however many workers name it.
 */
export function temporalFlows(
  workers: ReadonlyArray<{ rel: string; refs: readonly WorkerRef[] }>,
  modules: ReadonlyMap<string, WorkflowCandidates>,
  resolve: (from: string, module: string) => string | undefined,
): JoinedWorkflow[] {
  const moduleOf = (from: string, module: string) => {
    const rel = resolve(from, module);
    return rel !== undefined && modules.has(rel) ? rel : undefined;
  };
  const out: JoinedWorkflow[] = [];
  const seen = new Set<string>();
  // A file read for all its exports once; by names otherwise (rare): the key says which.
  const visit = (rel: string, names: ReadonlyMap<string, string> | undefined) => {
    const key = names ? `${rel}\0${[...names].join('\0')}` : rel;
    if (seen.has(key) || seen.has(rel)) return;
    seen.add(key);
    const c = modules.get(rel)!;
    for (const f of c.functions) {
      if (!names) out.push({ rel, flow: f });
      else if (names.has(f.name)) {
        const exported = names.get(f.name)!;
        out.push({ rel, flow: { ...f, name: exported, attributes: { ...f.attributes, exportName: exported } } });
      }
    }
    for (const r of c.reexports) {
      const target = moduleOf(rel, r.module);
      if (!target) continue;
      if (!r.names) visit(target, names);
      else {
        const picked = new Map<string, string>();
        for (const [local, exported] of r.names) {
          if (!names) picked.set(local, exported);
          else if (names.has(exported)) picked.set(local, names.get(exported)!);
        }
        if (picked.size) visit(target, picked);
      }
    }
  };
  for (const { rel, refs } of workers) {
    for (const ref of refs) {
      const target = moduleOf(rel, ref.module);
      if (target) visit(target, undefined);
    }
  }
  return out;
}

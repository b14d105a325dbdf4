/**
 * Reads flows out of one file's ESTree (from typescript-estree). Pure: no I/O, no parser loading,
 * so it runs the same in the CLI, in a worker and in the SDK host.
 */
import type { TSESTree } from '@typescript-eslint/typescript-estree';
import type { JsonValue } from '../model.js';
import { readFlowTag } from './jsdoc.js';
import type { CallMarker } from './markers.js';

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
}

export interface FileScan {
  flows: ScannedFlow[];
  problems: FileProblem[];
}

type Node = TSESTree.Node;

/** How each marker's callee is reachable in this file: local names and namespace objects. */
interface Binding {
  marker: CallMarker;
  /** `defineFlow`, or `df` after `import { defineFlow as df }`. */
  locals: Set<string>;
  /** `fp` after `import * as fp from 'flowport'` or `const fp = require('flowport')`. */
  namespaces: Set<string>;
}

/** `text` is the source the program was parsed from (offsets in `range` point into it). */
export function extractFlows(program: TSESTree.Program, text: string, markers: readonly CallMarker[]): FileScan {
  const scan: FileScan = { flows: [], problems: [] };
  const bindings = markers.map((marker) => bindingsOf(program, marker));
  walk(program, [], (node, ancestors) => {
    if (node.type !== 'CallExpression') return;
    for (const b of bindings) {
      if (isMarkerCall(node, b)) {
        readCallFlow(node, ancestors, b.marker, scan);
        return;
      }
    }
  });
  readTaggedFunctions(program, text, scan);
  scan.flows.sort((a, b) => a.line - b.line);
  return scan;
}

function bindingsOf(program: TSESTree.Program, marker: CallMarker): Binding {
  const b: Binding = { marker, locals: new Set(), namespaces: new Set() };
  if (marker.module === undefined) return b;
  for (const stmt of program.body) {
    if (stmt.type === 'ImportDeclaration' && stmt.source.value === marker.module && stmt.importKind !== 'type') {
      for (const s of stmt.specifiers) {
        if (s.type === 'ImportNamespaceSpecifier') b.namespaces.add(s.local.name);
        else if (s.type === 'ImportSpecifier' && s.importKind !== 'type' && nameOf(s.imported) === marker.callee) {
          b.locals.add(s.local.name);
        }
      }
    }
    // CommonJS: const { defineFlow } = require('flowport') / const fp = require('flowport')
    if (stmt.type === 'VariableDeclaration') {
      for (const d of stmt.declarations) {
        if (!isRequireOf(d.init, marker.module)) continue;
        if (d.id.type === 'Identifier') b.namespaces.add(d.id.name);
        if (d.id.type === 'ObjectPattern') {
          for (const p of d.id.properties) {
            if (p.type === 'Property' && keyName(p.key) === marker.callee && p.value.type === 'Identifier') {
              b.locals.add(p.value.name);
            }
          }
        }
      }
    }
  }
  return b;
}

function isRequireOf(init: TSESTree.Expression | null, module: string): boolean {
  return (
    init?.type === 'CallExpression' &&
    init.callee.type === 'Identifier' &&
    init.callee.name === 'require' &&
    init.arguments[0]?.type === 'Literal' &&
    init.arguments[0].value === module
  );
}

function isMarkerCall(call: TSESTree.CallExpression, b: Binding): boolean {
  const callee = call.callee;
  if (callee.type === 'Identifier') return b.locals.has(callee.name);
  if (callee.type !== 'MemberExpression' || memberName(callee) !== b.marker.callee) return false;
  if (b.marker.module === undefined) return true;
  return callee.object.type === 'Identifier' && b.namespaces.has(callee.object.name);
}

function readCallFlow(call: TSESTree.CallExpression, ancestors: Node[], marker: CallMarker, scan: FileScan): void {
  const line = call.loc.start.line;
  const nameKey = marker.nameFrom ?? 'name';
  const meta = call.arguments[0];
  if (meta?.type !== 'ObjectExpression') {
    scan.problems.push({
      line,
      severity: 'error',
      message: `${marker.callee}: the first argument must be an object literal with a string-literal \`${nameKey}\``,
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
    scan.problems.push({ line, severity: 'error', message: 'flow name must be a string literal' });
    return;
  }
  const attributes: Record<string, JsonValue> = { marker: marker.kind ?? marker.callee };
  const exportName = exportNameOf(ancestors);
  if (exportName) attributes.exportName = exportName;
  const group = literalGroup(props.get('group'));
  if (group) attributes.group = group;
  scan.flows.push({ name, line, description: literalString(props.get('description')) ?? '', attributes });
}

/** `export function f` / `export const f = () => …` with a `@flow` JSDoc tag directly above. */
function readTaggedFunctions(program: TSESTree.Program, text: string, scan: FileScan): void {
  const comments = (program.comments ?? []).filter((c) => c.type === 'Block' && c.value.startsWith('*'));
  if (comments.length === 0) return;
  for (const stmt of program.body) {
    if (stmt.type !== 'ExportNamedDeclaration' || !stmt.declaration) continue;
    const exported = exportedFunctionName(stmt.declaration);
    if (!exported) continue;
    const doc = jsdocBefore(stmt, comments, text);
    const tag = doc && readFlowTag(doc.value);
    if (!tag) continue;
    scan.flows.push({
      name: tag.name ?? exported,
      line: stmt.loc.start.line,
      description: tag.description,
      attributes: { marker: 'jsdoc', exportName: exported },
    });
  }
}

function exportedFunctionName(decl: TSESTree.NamedExportDeclarations): string | undefined {
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

/** The JSDoc block that ends right before `node`, with only whitespace between them. */
function jsdocBefore(node: Node, comments: TSESTree.Comment[], text: string): TSESTree.Comment | undefined {
  let last: TSESTree.Comment | undefined;
  for (const c of comments) {
    if (c.range[1] > node.range[0]) break;
    last = c;
  }
  // A comment separated from the declaration by code documents something else.
  return last && text.slice(last.range[1], node.range[0]).trim() === '' ? last : undefined;
}

function exportNameOf(ancestors: Node[]): string | undefined {
  // Nearest declaration that binds the call's result: `export const x = defineFlow(…)`.
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const a = ancestors[i]!;
    if (a.type === 'ExportDefaultDeclaration') return 'default';
    if (a.type === 'VariableDeclarator' && a.id.type === 'Identifier') {
      const exported = ancestors[i - 2]?.type === 'ExportNamedDeclaration';
      return exported ? a.id.name : undefined;
    }
    if (a.type.startsWith('Function') || a.type === 'ArrowFunctionExpression') return undefined;
  }
  return undefined;
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

const SKIPPED_KEYS = new Set(['parent', 'loc', 'range', 'comments', 'tokens']);

/** Depth-first walk over every child node; `ancestors` excludes `node` itself. */
function walk(node: Node, ancestors: Node[], visit: (node: Node, ancestors: Node[]) => void): void {
  visit(node, ancestors);
  ancestors.push(node);
  for (const key in node) {
    if (SKIPPED_KEYS.has(key)) continue;
    const value = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(value)) {
      for (const v of value) if (isNode(v)) walk(v, ancestors, visit);
    } else if (isNode(value)) {
      walk(value, ancestors, visit);
    }
  }
  ancestors.pop();
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

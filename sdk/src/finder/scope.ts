/**
 * Just enough scope analysis to tell whether a name at a call site still means the module-level
 * import: `function f(defineFlow) { defineFlow({…}) }` calls the parameter, not flowport's.
 * It runs only for calls that look like markers, so it walks ancestors instead of building a
 * scope tree for every file.
 */
import type { TSESTree } from '@typescript-eslint/typescript-estree';

type Node = TSESTree.Node;

/** True when an enclosing function, block, loop, catch or class rebinds `name` below module level. */
export function isShadowed(name: string, ancestors: readonly Node[]): boolean {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    if (declares(ancestors[i]!, name)) return true;
  }
  return false;
}

function declares(scope: Node, name: string): boolean {
  switch (scope.type) {
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      if (scope.type === 'FunctionExpression' && scope.id?.name === name) return true;
      if (scope.params.some((p) => bindsIn(p, name))) return true;
      // `var` anywhere in the body is hoisted to the function.
      return scope.body !== null && scope.body !== undefined && hasVar(scope.body, name);
    case 'BlockStatement':
    case 'StaticBlock':
    case 'TSModuleBlock':
      return scope.body.some((s) => declaresInBlock(s, name));
    case 'SwitchStatement':
      return scope.cases.some((c) => c.consequent.some((s) => declaresInBlock(s, name)));
    case 'ForStatement':
      return scope.init?.type === 'VariableDeclaration' && declarationBinds(scope.init, name);
    case 'ForInStatement':
    case 'ForOfStatement':
      return scope.left.type === 'VariableDeclaration' && declarationBinds(scope.left, name);
    case 'CatchClause':
      return scope.param !== null && bindsIn(scope.param, name);
    case 'ClassExpression':
    case 'ClassDeclaration':
      return scope.id?.name === name;
    default:
      return false;
  }
}

/** Lexical declarations of a block's own statements (a `var` is found by {@link hasVar}). */
function declaresInBlock(stmt: Node, name: string): boolean {
  const decl = stmt.type === 'ExportNamedDeclaration' && stmt.declaration ? stmt.declaration : stmt;
  if (decl.type === 'VariableDeclaration') return decl.kind !== 'var' && declarationBinds(decl, name);
  if (decl.type === 'FunctionDeclaration' || decl.type === 'ClassDeclaration' || decl.type === 'TSEnumDeclaration') {
    return decl.id?.name === name;
  }
  return false;
}

function declarationBinds(decl: TSESTree.VariableDeclaration, name: string): boolean {
  return decl.declarations.some((d) => bindsIn(d.id, name));
}

/** Does a binding pattern (parameter, declarator id, catch param) introduce `name`? */
function bindsIn(pattern: Node, name: string): boolean {
  switch (pattern.type) {
    case 'Identifier':
      return pattern.name === name;
    case 'AssignmentPattern':
      return bindsIn(pattern.left, name);
    case 'RestElement':
      return bindsIn(pattern.argument, name);
    case 'ArrayPattern':
      return pattern.elements.some((e) => e !== null && bindsIn(e, name));
    case 'ObjectPattern':
      return pattern.properties.some((p) => bindsIn(p.type === 'Property' ? p.value : p, name));
    case 'TSParameterProperty':
      return bindsIn(pattern.parameter, name);
    default:
      return false;
  }
}

/** A `var` declaring `name` in a function body, not looking into nested functions. */
function hasVar(node: Node, name: string): boolean {
  if (node.type === 'VariableDeclaration') {
    if (node.kind === 'var' && declarationBinds(node, name)) return true;
  }
  for (const key in node) {
    if (key === 'parent' || key === 'loc' || key === 'range') continue;
    const value = (node as unknown as Record<string, unknown>)[key];
    for (const child of Array.isArray(value) ? value : [value]) {
      if (!isNode(child) || isFunction(child)) continue;
      if (hasVar(child, name)) return true;
    }
  }
  return false;
}

function isFunction(n: Node): boolean {
  return n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression';
}

export function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

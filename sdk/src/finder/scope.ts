/**
 * Just enough scope analysis to tell whether a name at a call site still means the module-level
 * import: `function f(defineFlow) { defineFlow({…}) }` calls the parameter, not flowport's.
 * It runs only for calls that look like markers, so it walks ancestors instead of building a
 * scope tree for every file; the `var`s of each function are collected once and remembered.
 */
import type { TSESTree } from '@typescript-eslint/typescript-estree';
import { forEachChild } from './ast.js';

type Node = TSESTree.Node;

export interface ScopeContext {
  /**
   * Sloppy-mode script (a `.js`/`.cjs`/`.jsx` file without import/export or "use strict"): there a
   * function declared in a block is also a `var` of the enclosing function (Annex B).
   */
  sloppy: boolean;
  /** `var` names per function, namespace or static block: filled on first use. */
  vars: WeakMap<Node, Set<string>>;
}

export function scopeContext(program: TSESTree.Program, ext: string): ScopeContext {
  const script = program.sourceType === 'script' && ['.js', '.cjs', '.jsx'].includes(ext);
  const strict = program.body.some(
    (s) => s.type === 'ExpressionStatement' && 'directive' in s && s.directive === 'use strict',
  );
  return { sloppy: script && !strict, vars: new WeakMap() };
}

/** True when an enclosing function, block, loop, catch, class or namespace rebinds `name`. */
export function isShadowed(name: string, ancestors: readonly Node[], ctx: ScopeContext): boolean {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    // The child on the path to the call: a parameter's default value cannot see the body's `var`s.
    const via = ancestors[i + 1];
    if (declares(ancestors[i]!, name, via, ctx)) return true;
  }
  return false;
}

function declares(scope: Node, name: string, via: Node | undefined, ctx: ScopeContext): boolean {
  switch (scope.type) {
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      if (scope.type === 'FunctionExpression' && scope.id?.name === name) return true;
      if (scope.params.some((p) => bindsIn(p, name))) return true;
      return via !== undefined && via === scope.body && varsOf(scope.body, ctx).has(name);
    case 'StaticBlock':
    case 'TSModuleBlock':
      // Their `var`s stay inside them, as a function's do.
      return scope.body.some((s) => declaresInBlock(s, name)) || varsOf(scope, ctx).has(name);
    case 'BlockStatement':
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

/** Lexical declarations of a block's own statements (`var`s are found by {@link varsOf}). */
function declaresInBlock(stmt: Node, name: string): boolean {
  const decl = stmt.type === 'ExportNamedDeclaration' && stmt.declaration ? stmt.declaration : stmt;
  switch (decl.type) {
    case 'VariableDeclaration':
      return decl.kind !== 'var' && declarationBinds(decl, name);
    case 'FunctionDeclaration':
    case 'ClassDeclaration':
    case 'TSEnumDeclaration':
    case 'TSImportEqualsDeclaration':
      return decl.id?.name === name;
    case 'TSModuleDeclaration':
      return decl.id.type === 'Identifier' && decl.id.name === name;
    default:
      return false;
  }
}

function declarationBinds(decl: TSESTree.VariableDeclaration, name: string): boolean {
  return decl.declarations.some((d) => bindsIn(d.id, name));
}

/** Does a binding pattern (parameter, declarator id, catch param) introduce `name`? */
function bindsIn(pattern: Node, name: string): boolean {
  const names = new Set<string>();
  collectBindings(pattern, names);
  return names.has(name);
}

function collectBindings(pattern: Node, into: Set<string>): void {
  switch (pattern.type) {
    case 'Identifier':
      into.add(pattern.name);
      return;
    case 'AssignmentPattern':
      return collectBindings(pattern.left, into);
    case 'RestElement':
      return collectBindings(pattern.argument, into);
    case 'ArrayPattern':
      for (const e of pattern.elements) if (e !== null) collectBindings(e, into);
      return;
    case 'ObjectPattern':
      for (const p of pattern.properties) collectBindings(p.type === 'Property' ? p.value : p, into);
      return;
    case 'TSParameterProperty':
      return collectBindings(pattern.parameter, into);
    default:
      return;
  }
}

/** The `var` names of a function body, namespace or static block, not looking into nested ones. */
function varsOf(scope: Node, ctx: ScopeContext): Set<string> {
  let names = ctx.vars.get(scope);
  if (!names) {
    names = new Set();
    collectVars(scope, names, ctx);
    ctx.vars.set(scope, names);
  }
  return names;
}

function collectVars(node: Node, into: Set<string>, ctx: ScopeContext): void {
  if (node.type === 'VariableDeclaration' && node.kind === 'var') {
    for (const d of node.declarations) collectBindings(d.id, into);
  }
  forEachChild(node, (child) => {
    if (child.type === 'FunctionDeclaration' && ctx.sloppy && child.id) into.add(child.id.name);
    if (!opensVarScope(child)) collectVars(child, into, ctx);
  });
}

/** Nodes whose `var`s are their own. */
function opensVarScope(n: Node): boolean {
  return (
    n.type === 'FunctionDeclaration' ||
    n.type === 'FunctionExpression' ||
    n.type === 'ArrowFunctionExpression' ||
    n.type === 'StaticBlock' ||
    n.type === 'TSModuleBlock'
  );
}

/**
 * Finds where something is written in the config's source: the value at a path
 * (`environments[1].protected`), an import, a `throw`. Only used to report an error, so the
 * parser (~0.3 s to load) is loaded here on first use, never when a config loads fine.
 */
import type { TSESTree } from '@typescript-eslint/typescript-estree';
import { forEachChild } from '../finder/ast.js';

type Node = TSESTree.Node;

/** Object keys and array indices from the config down to a value, as in a valibot issue's path. */
export type ValuePath = ReadonlyArray<string | number>;

/**
 * 1-based line of the value at `path`, or of the deepest part of the path the source spells out
 * (a computed key, a spread or a variable stops it), else of `export default`, else 1.
 */
export async function lineOfPath(source: string, path: ValuePath): Promise<number> {
  const program = await parseSource(source);
  const exported = program && exportedValue(program);
  if (!program || !exported) return 1;
  let node = valueOf(exported, program);
  for (const key of path) {
    const next = childAt(node, key);
    if (!next) break;
    node = next;
  }
  return node.loc.start.line;
}

/** 1-based line of the `import` of package `pkg` (or of a subpath of it), or 0. */
export async function lineOfImport(source: string, pkg: string): Promise<number> {
  const program = await parseSource(source);
  const found = program?.body.find(
    (s) => s.type === 'ImportDeclaration' && (s.source.value === pkg || s.source.value.startsWith(`${pkg}/`)),
  );
  return found?.loc.start.line ?? 0;
}

/** 1-based line of a `throw` of the literal `value`, or 0: a thrown non-Error has no stack to tell. */
export async function lineOfThrow(source: string, value: unknown): Promise<number> {
  const program = await parseSource(source);
  const found =
    program &&
    findNode(
      program,
      (n) => n.type === 'ThrowStatement' && n.argument.type === 'Literal' && n.argument.value === value,
    );
  return found?.loc.start.line ?? 0;
}

/** The config's syntax tree, or undefined: a line is a help, never a reason to lose the error. */
async function parseSource(source: string): Promise<TSESTree.Program | undefined> {
  try {
    const { parse } = await import('../finder/parser-module.js');
    return parse(source, { loc: true });
  } catch {
    // esbuild compiled it, yet typescript-estree may refuse what esbuild takes (or not load).
    return undefined;
  }
}

/** What `export default …` (or `module.exports = …` in a .js config) exports. */
function exportedValue(program: TSESTree.Program): Node | undefined {
  for (const s of program.body) {
    if (s.type === 'ExportDefaultDeclaration') return s.declaration;
    if (s.type === 'ExpressionStatement' && s.expression.type === 'AssignmentExpression') {
      const { left, right } = s.expression;
      if (
        left.type === 'MemberExpression' &&
        isIdentifier(left.object, 'module') &&
        isIdentifier(left.property, 'exports')
      ) {
        return right;
      }
    }
  }
  return undefined;
}

/**
 * The node closest to the config object that `node` evaluates to: through `defineConfig(…)`,
 * `as`/`satisfies`, a function's returned value and a top-level declaration of a name.
 */
function valueOf(node: Node, program: TSESTree.Program): Node {
  // Keeps `const a = b, b = a` from looping.
  const seen = new Set<Node>();
  for (let next: Node | undefined = node; next && !seen.has(next); next = inner(node, program)) {
    seen.add(next);
    node = next;
  }
  return node;
}

function inner(node: Node, program: TSESTree.Program): Node | undefined {
  switch (node.type) {
    case 'CallExpression':
      return node.arguments[0];
    case 'ArrowFunctionExpression':
    case 'FunctionExpression':
    case 'FunctionDeclaration':
      if (node.body.type !== 'BlockStatement') return node.body;
      return (
        node.body.body.findLast((s): s is TSESTree.ReturnStatement => s.type === 'ReturnStatement')?.argument ??
        undefined
      );
    case 'Identifier':
      return declaration(program, node.name);
    default:
      return isCast(node) ? node.expression : undefined;
  }
}

/** What a top-level `const name = …` or `function name` declares. */
function declaration(program: TSESTree.Program, name: string): Node | undefined {
  for (const s of program.body) {
    const d = s.type === 'ExportNamedDeclaration' && s.declaration ? s.declaration : s;
    if (d.type === 'FunctionDeclaration' && d.id?.name === name) return d;
    if (d.type === 'VariableDeclaration') {
      const found = d.declarations.find((v) => isIdentifier(v.id, name));
      if (found?.init) return found.init;
    }
  }
  return undefined;
}

/** The property (for a key) or element (for an index) of an object or array literal. */
function childAt(node: Node, key: string | number): Node | undefined {
  const value = withoutCast(node.type === 'Property' ? node.value : node);
  if (value.type === 'ObjectExpression' && typeof key === 'string') {
    // The last one wins, as it does when the object is built.
    return value.properties.findLast((p) => p.type === 'Property' && !p.computed && keyName(p.key) === key);
  }
  if (value.type === 'ArrayExpression' && typeof key === 'number') {
    // A spread before the element shifts the indices by a length the source does not tell.
    const spread = value.elements.findIndex((e) => e?.type === 'SpreadElement');
    if (spread !== -1 && spread <= key) return undefined;
    return value.elements[key] ?? undefined;
  }
  return undefined;
}

type Cast =
  TSESTree.TSAsExpression | TSESTree.TSSatisfiesExpression | TSESTree.TSNonNullExpression | TSESTree.TSTypeAssertion;

/** `x as const`, `x satisfies T`, `x!` and `<T>x`: the value is `x`. */
function isCast(node: Node): node is Cast {
  return (
    node.type === 'TSAsExpression' ||
    node.type === 'TSSatisfiesExpression' ||
    node.type === 'TSNonNullExpression' ||
    node.type === 'TSTypeAssertion'
  );
}

function withoutCast(node: Node): Node {
  while (isCast(node)) node = node.expression;
  return node;
}

function keyName(key: TSESTree.Property['key']): string | undefined {
  if (key.type === 'Identifier') return key.name;
  return key.type === 'Literal' ? String(key.value) : undefined;
}

function isIdentifier(node: Node, name: string): boolean {
  return node.type === 'Identifier' && node.name === name;
}

/** The first node, depth first, that `test` accepts. */
function findNode(node: Node, test: (node: Node) => boolean): Node | undefined {
  if (test(node)) return node;
  let found: Node | undefined;
  forEachChild(node, (child) => (found = findNode(child, test)) !== undefined);
  return found;
}

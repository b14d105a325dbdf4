import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { test } from 'node:test';
import { typescriptFlows, type FlowDetails } from '../../../sdk/src/index.js';
import { tempDir, writeTree } from '../../helpers/tmp.js';

async function flowsIn(files: Record<string, string>, markers?: Parameters<typeof typescriptFlows>[0]['markers']) {
  const root = tempDir();
  writeTree(root, files);
  const index = typescriptFlows({ root, markers, cache: false });
  const flows = await index.findFlows();
  return { root, index, flows, summary: flows.map((f: FlowDetails) => `${f.sourceRelative}:${f.line} ${f.name}`) };
}

test('defineFlow from flowport: plain, aliased, namespace, require, default export, template name', async () => {
  const { flows, summary } = await flowsIn({
    'src/a.ts': `import { defineFlow } from 'flowport';\n\nexport const a = defineFlow({ name: 'plain', description: 'Plain one', group: ['nightly'] }, async () => 1);\n`,
    'src/b.ts': `import { defineFlow as df } from 'flowport';\nexport default df({ name: \`aliased\` }, () => 2);\n`,
    'src/c.mts': `import * as fp from 'flowport';\nconst x = 1;\nexport const c = fp.defineFlow({ 'name': "namespaced" }, () => x);\n`,
    'src/d.cjs': `const { defineFlow } = require('flowport');\nmodule.exports = defineFlow({ name: 'required' }, () => 4);\n`,
    'src/e.cts': `const fp = require('flowport');\nexports.e = fp.defineFlow({ name: 'required-ns' }, () => 5);\n`,
  });
  assert.deepEqual(summary, [
    'src/a.ts:3 plain',
    'src/b.ts:2 aliased',
    'src/c.mts:3 namespaced',
    'src/d.cjs:2 required',
    'src/e.cts:2 required-ns',
  ]);
  const plain = flows[0]!;
  assert.equal(plain.id, 'src/a.ts#plain');
  assert.equal(plain.description, 'Plain one');
  assert.deepEqual(plain.grouping, ['src']);
  assert.deepEqual(plain.attributes, { marker: 'defineFlow', exportName: 'a', group: ['nightly'] });
  assert.equal(flows[1]!.attributes.exportName, 'default');
  assert.ok(plain.sourcePath.endsWith('/src/a.ts'));
});

test('JSDoc @flow on exported functions and const arrows; name from the tag or the function', async () => {
  const { flows, summary } = await flowsIn({
    'jobs/nightly.ts': [
      `/**`,
      ` * Rebuilds the nightly report.`,
      ` * Second line.`,
      ` * @flow`,
      ` */`,
      `export async function nightlyReport() {}`,
      ``,
      `/** @flow cleanup-job */`,
      `export const cleanup = async () => {};`,
      ``,
      `/** @flow fn-expr */`,
      `export const viaExpression = function () {};`,
      ``,
      `/** @flowType not the tag */`,
      `export function notAFlow() {}`,
      ``,
      `/** @flow not-exported */`,
      `function hidden() {}`,
      ``,
      `/** @flow separated */`,
      `const between = 1;`,
      `export function separatedByCode() {}`,
      ``,
      `/** @flow not-a-function */`,
      `export const value = 42;`,
    ].join('\n'),
  });
  assert.deepEqual(summary, [
    'jobs/nightly.ts:6 nightlyReport',
    'jobs/nightly.ts:9 cleanup-job',
    'jobs/nightly.ts:12 fn-expr',
  ]);
  assert.equal(flows[0]!.description, 'Rebuilds the nightly report. Second line.');
  assert.deepEqual(flows[1]!.attributes, { marker: 'jsdoc', exportName: 'cleanup' });
});

test('decoys: markers in comments and strings, defineFlow from another module, type-only import', async () => {
  const { summary, index } = await flowsIn({
    'a.ts': [
      `import { defineFlow } from './local';`,
      `// defineFlow({ name: 'in-comment' }) from 'flowport'`,
      `/* @flow block-comment */`,
      `const s = "import { defineFlow } from 'flowport'; defineFlow({ name: 'in-string' })";`,
      'const t = `/** @flow in-template */`;',
      `export const notOurs = defineFlow({ name: 'not-from-flowport' }, () => 0);`,
    ].join('\n'),
    'b.ts': `import type { defineFlow } from 'flowport';\ndeclare const x: typeof defineFlow;\n`,
    'c.ts': `import { defineFlow } from 'flowport';\nfunction inner() { const defineFlow = (x: unknown) => x; }\n// only a comment mentions defineFlow({ name: 'x' })\n`,
  });
  assert.deepEqual(summary, []);
  assert.deepEqual(index.diagnostics, []);
});

test("a local binding that hides the import is not flowport's defineFlow", async () => {
  const { summary } = await flowsIn({
    'shadow.ts': [
      `import { defineFlow } from 'flowport';`,
      `import * as fp from 'flowport';`,
      `function param(defineFlow: any) { return defineFlow({ name: 'shadowed-param' }); }`,
      `{ const defineFlow = (x: any) => x; defineFlow({ name: 'shadowed-block' }); }`,
      `function hoisted() { if (1) { var defineFlow = (x: any) => x; } return defineFlow({ name: 'shadowed-var' }); }`,
      `const arrow = ({ fp }: any) => fp.defineFlow({ name: 'shadowed-namespace' });`,
      `try {} catch (defineFlow) { defineFlow({ name: 'shadowed-catch' }); }`,
      `for (const defineFlow of []) defineFlow({ name: 'shadowed-loop' });`,
      `function nested() { return () => defineFlow({ name: 'outer-still-flowport' }); }`,
      `function sibling() { const defineFlow = 1; }`,
      `export const real = defineFlow({ name: 'real' }, () => sibling());`,
    ].join('\n'),
  });
  assert.deepEqual(summary, ['shadow.ts:9 outer-still-flowport', 'shadow.ts:11 real']);
});

test('scopes: namespaces, static blocks, parameter defaults, sloppy-mode block functions', async () => {
  const { summary } = await flowsIn({
    'ns.ts': [
      `import { defineFlow } from 'flowport';`,
      `import * as fp from 'flowport';`,
      `namespace A { var defineFlow = (o: any) => o; defineFlow({ name: 'ns-var' }); }`,
      `class C { static { var defineFlow = (o: any) => o; defineFlow({ name: 'static-var' }); } }`,
      `namespace B { import defineFlow = A; defineFlow({ name: 'ns-import-equals' }); }`,
      `namespace D { namespace fp { export const defineFlow = (o: any) => o; } fp.defineFlow({ name: 'ns-namespace' }); }`,
      `export function f() { class K { static { var defineFlow = 1; } } return defineFlow({ name: 'static-var-stays-inside' }); }`,
      `export function g(x = defineFlow({ name: 'param-default-sees-import' })) { var defineFlow = 1; return x; }`,
    ].join('\n'),
    'sloppy.js': [
      `const { defineFlow } = require('flowport');`,
      `function o() { if (1) { function defineFlow(x) { return x; } } return defineFlow({ name: 'annex-b-hoisted' }); }`,
      `module.exports = defineFlow({ name: 'sloppy-real' }, () => o());`,
    ].join('\n'),
    'strict.mjs': [
      `import { defineFlow } from 'flowport';`,
      `function o() { if (1) { function defineFlow(x) { return x; } } return defineFlow({ name: 'block-scoped-in-modules' }); }`,
    ].join('\n'),
  });
  assert.deepEqual(summary, [
    'ns.ts:7 static-var-stays-inside',
    'ns.ts:8 param-default-sees-import',
    'sloppy.js:3 sloppy-real',
    'strict.mjs:2 block-scoped-in-modules',
  ]);
});

test('thousands of marker calls inside one function are all found', async () => {
  const calls = Array.from({ length: 3000 }, (_, i) => `defineFlow({ name: 'f${i}' })`).join(',\n');
  const { flows } = await flowsIn({
    'many.ts': `import { defineFlow } from 'flowport';\nexport function all() { var x = 1; return [\n${calls}\n]; }\n`,
  });
  assert.equal(flows.length, 3000);
});

test('more import forms: import-equals, inline require, export { x } after the declaration', async () => {
  const { summary, flows } = await flowsIn({
    'a.ts': `import fp = require('flowport');
export const a = fp.defineFlow({ name: 'import-equals' }, () => 1);
`,
    'b.cjs': `module.exports = require('flowport').defineFlow({ name: 'inline-require' }, () => 1);
`,
    'c.ts': `import { defineFlow } from 'flowport';
const c = defineFlow({ name: 'exported-later' }, () => 1);
export { c as renamed };
`,
  });
  assert.deepEqual(summary, ['a.ts:2 import-equals', 'b.cjs:1 inline-require', 'c.ts:2 exported-later']);
  assert.equal(flows[2]!.attributes.exportName, 'renamed');
});

test('JSDoc @flow on default exports and on functions exported by name later; CR-only lines', async () => {
  const { summary, flows, index } = await flowsIn({
    'd/named.ts': `/** Named default.\n * @flow */
export default async function nightly() {}
`,
    'd/anon.ts': `/** @flow anon-job */
export default () => {};
`,
    'd/nameless.ts': `/** @flow */
export default function () {}
`,
    'd/later.ts': `/**\n * Later.\n * @flow\n */
function later() {}
/** @flow arrow-later */
const arrow = () => {};
/** @flow never-exported */
function hidden() {}
export { later, arrow as viaArrow };
`,
    'd/cr.ts': `/**\r * Old Mac lines.\r * @flow cr-only\r */\rexport function cr() {}\r`,
    'e/default-later.ts': `/** @flow default-later */\nfunction run() {}\nexport default run;\n`,
    'e/type-only.ts': `/** @flow not-a-value */\nconst specType = () => {};\nexport { type specType };\n`,
    'e/bom-shebang.js': `\ufeff#!/usr/bin/env node\n/** @flow bom-shebang */\nexport function b() {}\n`,
  });
  assert.deepEqual(summary, [
    'd/anon.ts:2 anon-job',
    'd/cr.ts:5 cr-only',
    'd/later.ts:5 later',
    'd/later.ts:7 arrow-later',
    'd/named.ts:3 nightly',
    'e/bom-shebang.js:3 bom-shebang',
    'e/default-later.ts:2 default-later',
  ]);
  assert.equal(flows.find((f) => f.name === 'default-later')!.attributes.exportName, 'default');
  assert.equal(flows[1]!.description, 'Old Mac lines.');
  assert.deepEqual(flows[3]!.attributes, { marker: 'jsdoc', exportName: 'viaArrow' });
  assert.deepEqual(flows[4]!.attributes, { marker: 'jsdoc', exportName: 'default' });
  assert.deepEqual(
    index.diagnostics.map((d) => `${d.line}: ${d.message}`),
    ['2: an anonymous default export needs a name after the tag: @flow <name>'],
  );
});

test('JSDoc is read only from the comment right above: a line comment or code between breaks it', async () => {
  const { summary } = await flowsIn({
    'j.ts': [
      `#!/usr/bin/env node`,
      `/** @flow after-shebang */`,
      `export function a() {}`,
      `/** @flow broken-by-line-comment */`,
      `// eslint-disable-next-line`,
      `export function b() {}`,
      `/** @flow */ /* plain block after it */`,
      `export function c() {}`,
      `/* not jsdoc @flow */`,
      `export function d() {}`,
      `/** @flow kept-across-blank-lines */`,
      ``,
      `export function e() {}`,
    ].join('\n'),
  });
  assert.deepEqual(summary, ['j.ts:3 after-shebang', 'j.ts:13 kept-across-blank-lines']);
});

test('tsx and jsx files parse with JSX enabled', async () => {
  const { summary } = await flowsIn({
    'ui/page.tsx': `import { defineFlow } from 'flowport';\nconst el = <div className="x">{1}</div>;\nexport const render = defineFlow({ name: 'render-page' }, () => el);\n`,
    'ui/legacy.jsx': `import { defineFlow } from 'flowport';\nexport const old = defineFlow({ name: 'legacy-jsx' }, () => <span />);\n`,
    'ui/cast.ts': `import { defineFlow } from 'flowport';\nconst n = <number>(1 as unknown);\nexport const cast = defineFlow({ name: 'angle-cast' }, () => n);\n`,
  });
  assert.deepEqual(summary, ['ui/cast.ts:3 angle-cast', 'ui/legacy.jsx:2 legacy-jsx', 'ui/page.tsx:3 render-page']);
});

test('CRLF line endings and a BOM give the same lines as LF', async () => {
  const lf = `import { defineFlow } from 'flowport';\n\n/** Doc.\n * @flow tagged */\nexport function t() {}\n\nexport const f = defineFlow({ name: 'called' }, () => 1);\n`;
  const { summary } = await flowsIn({
    'lf/x.ts': lf,
    'crlf/x.ts': lf.replace(/\n/g, '\r\n'),
    'bom/x.ts': '\ufeff' + lf.replace(/\n/g, '\r\n'),
  });
  const lines = (dir: string) => summary.filter((s) => s.startsWith(dir)).map((s) => s.split(':')[1]);
  assert.deepEqual(lines('lf/'), ['5 tagged', '7 called']);
  assert.deepEqual(lines('crlf/'), lines('lf/'));
  assert.deepEqual(lines('bom/'), lines('lf/'));
});

test('problems become diagnostics and the scan goes on', async () => {
  const { root, summary, index } = await flowsIn({
    'a/broken.ts': `import { defineFlow } from 'flowport';\nexport const x = ;\nexport const y = defineFlow({ name: 'after-error' }, () => 1);\n`,
    'a/dynamic.ts': `import { defineFlow } from 'flowport';\nconst n = 'x';\nexport const d = defineFlow({ name: n }, () => 1);\nexport const t = defineFlow({ name: \`t-\${n}\` }, () => 1);\nexport const v = defineFlow(meta, () => 1);\n`,
    'a/one.ts': `import { defineFlow } from 'flowport';\nexport const one = defineFlow({ name: 'same' }, () => 1);\n`,
    'b/two.ts': `import { defineFlow } from 'flowport';\n\nexport const two = defineFlow({ name: 'same' }, () => 2);\n`,
    'b/fine.ts': `import { defineFlow } from 'flowport';\nexport const fine = defineFlow({ name: 'fine' }, () => 3);\n`,
  });
  assert.deepEqual(summary, ['a/one.ts:2 same', 'b/fine.ts:2 fine', 'b/two.ts:3 same']);
  const twice = await flowsIn({
    'x.ts': `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'twice' }, () => 1);\nexport const b = defineFlow({ name: 'twice' }, () => 2);\n`,
  });
  assert.deepEqual(
    twice.flows.map((f) => f.id),
    ['x.ts#twice', 'x.ts#twice~2'],
    'ids stay unique while a name is repeated in one file',
  );
  const diags = index.diagnostics.map((d) => `${relative(root, d.file)}:${d.line}: ${d.message}`);
  assert.ok(
    diags.some((d) => d.startsWith('a/broken.ts:2: syntax error')),
    diags.join('\n'),
  );
  assert.ok(diags.includes('a/dynamic.ts:3: flow name must be a string literal'), diags.join('\n'));
  assert.ok(diags.includes('a/dynamic.ts:4: flow name must be a string literal'), diags.join('\n'));
  assert.ok(
    diags.some((d) => d.startsWith('a/dynamic.ts:5: defineFlow: the first argument must be an object literal')),
  );
  assert.ok(
    diags.some((d) => d.startsWith('a/one.ts:2: duplicate flow name "same" in 2 places: a/one.ts:2, b/two.ts:3')),
  );
  assert.ok(!diags.some((d) => d.startsWith('b/two.ts:3: duplicate')), 'one diagnostic per name, at its first place');
});

test('extra markers: Trigger.dev tasks by module, Inngest createFunction by method', async () => {
  const { summary, flows } = await flowsIn(
    {
      'trigger/t.ts': `import { task } from '@trigger.dev/sdk';\nexport const t = task({ id: 'send-emails', run: async () => {} });\n`,
      'trigger/other.ts': `import { task } from './elsewhere';\nexport const t = task({ id: 'not-trigger' });\n`,
      'inngest/f.ts': `import { Inngest } from 'inngest';\nconst inngest = new Inngest({ id: 'app' });\nexport const f = inngest.createFunction({ id: 'sync-users' }, { event: 'x' }, async () => {});\n`,
    },
    [
      { callee: 'task', module: '@trigger.dev/sdk', nameFrom: 'id' },
      { callee: 'createFunction', nameFrom: 'id', kind: 'inngest' },
    ],
  );
  assert.deepEqual(summary, ['inngest/f.ts:3 sync-users', 'trigger/t.ts:2 send-emails']);
  assert.equal(flows[0]!.attributes.marker, 'inngest');
  assert.equal(flows[1]!.attributes.marker, 'task');
});

// The finder converts to ESTree only the statements that can hold a flow (parse.ts). Whatever it
// reads must be what the whole file, converted as typescript-estree's `parse` does, would give.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { before, test } from 'node:test';
import { makeCorpus } from '../../../scripts/corpus/make-corpus.mjs';
import { DEFINE_FLOW, mayContainFlow, type CallMarker } from '../../../sdk/src/finder/markers.js';
import { loadParser, programOfWhatMatters, scanSource, scanSourceWhole } from '../../../sdk/src/finder/parse.js';
import { tempDir } from '../../helpers/tmp.js';

const TRIGGER: CallMarker = { callee: 'task', module: '@trigger.dev/sdk', nameFrom: 'id' };
const MARKERS = [DEFINE_FLOW, TRIGGER];

before(loadParser);

/** Same flows and problems both ways; returns how many statements were left unconverted. */
function assertSame(text: string, ext: string, what: string): number {
  const partial = scanSource(text, ext, MARKERS);
  assert.deepEqual(partial, scanSourceWhole(text, ext, MARKERS), what);
  if (partial.problems.some((p) => p.message.startsWith('syntax error'))) return 0;
  // Read without the fallback to a whole conversion: the partial tree itself must convert.
  return programOfWhatMatters(text, ext, MARKERS).body.filter((s) => s.type === 'EmptyStatement').length;
}

/** Each source is one file; what matters is that both conversions agree on it. */
const TRICKY: Array<[ext: string, what: string, text: string]> = [
  [
    '.ts',
    'type arguments and modifiers (typescript-estree looks up tokens from the file root)',
    `import { defineFlow } from 'flowport';\nconst m = new Map<string, number>();\nclass K { private constructor() {} static make<T>() { return new K(); } }\n` +
      `export const a = defineFlow<number>({ name: 'typed' }, async () => K.make<string>() && m.get('x'));\n`,
  ],
  [
    '.ts',
    'an alias that spells no marker name, used far from its import',
    `import { defineFlow as df } from 'flowport';\nimport data from './d.json' with { type: 'json' };\nexport * as more from './more';\n` +
      `function unrelated() { return data; }\n\nexport const b = df({ name: 'aliased-far' }, unrelated);\n`,
  ],
  [
    '.ts',
    'a namespace import, a local that hides it in another function, and a flow in a namespace',
    `import * as fp from 'flowport';\nfunction local(fp: { defineFlow(x: unknown): void }) { fp.defineFlow({ name: 'not-a-flow' }); }\n` +
      `export namespace jobs { export const n = fp.defineFlow({ name: 'in-namespace' }, () => local); }\n`,
  ],
  [
    '.ts',
    'a flow const exported by a later export list, and a tagged function exported by default later',
    `import { defineFlow } from 'flowport';\nconst late = defineFlow({ name: 'exported-late' }, () => 1);\nenum Level { Low, High }\n` +
      `/** Tagged, exported below. @flow tagged-late */\nfunction tagged() { return Level.High; }\nexport { late as renamed };\nexport default tagged;\n`,
  ],
  [
    '.ts',
    'decorators and overloads between flows',
    `import { defineFlow } from 'flowport';\nfunction dec(..._a: unknown[]) {}\n@dec class Service { @dec method() {} }\n` +
      `export function over(a: string): void;\nexport function over(a: unknown) {}\nexport const c = defineFlow({ name: 'after-decorators' }, () => new Service());\n`,
  ],
  [
    '.js',
    'a sloppy script: a block function named like the import hides it (Annex B)',
    `const { defineFlow } = require('flowport');\nfunction o() { if (1) { function defineFlow(x) { return x; } } return defineFlow({ name: 'hidden' }); }\nmodule.exports = o;\n`,
  ],
  [
    '.js',
    "the same under 'use strict': the block function stays in its block",
    `'use strict';\nconst { defineFlow } = require('flowport');\nfunction o() { if (1) { function defineFlow(x) { return x; } } return defineFlow({ name: 'strict' }); }\nmodule.exports = o;\n`,
  ],
  [
    '.tsx',
    'JSX around a flow, an extra marker, and a non-literal name',
    `import { defineFlow } from 'flowport';\nimport { task } from '@trigger.dev/sdk';\nexport const View = () => <div title="defineFlow">{1}</div>;\n` +
      `export const t = task({ id: 'nightly-task', run: async () => {} });\nconst n = 'x';\nexport const bad = defineFlow({ name: n }, () => 1);\n`,
  ],
  [
    '.mts',
    'a BOM, a shebang, CRLF and JSDoc across statements',
    `\uFEFF#!/usr/bin/env node\r\n/** Documents helper, not the flow. */\r\nconst helper = 1;\r\n/**\r\n * Nightly.\r\n * @flow\r\n */\r\nexport async function nightly() { return helper; }\r\n`,
  ],
  [
    '.ts',
    'duplicate names and an inline require',
    `export const a = require('flowport').defineFlow({ name: 'twice' }, () => 1);\nexport const b = require('flowport').defineFlow({ name: 'twice' }, () => 2);\n`,
  ],
  [
    '.js',
    "an alias from a require whose module name is spelled with an escape ('flow\\x70ort')",
    `import type { Flow } from 'flowport';\nconst { defineFlow: df } = require('flow\\x70ort');\nexport const a = df({ name: 'escaped-module' }, () => 1);\n`,
  ],
  [
    '.cjs',
    'a namespace from a require whose module name is spelled with an escape',
    `const fp = require('flow\\u0070ort');\nmodule.exports = fp.defineFlow({ name: 'escaped-namespace' }, () => 1);\n// defineFlow from 'flowport'\n`,
  ],
  [
    '.ts',
    'a parenthesized export default of a name',
    `import { defineFlow } from 'flowport';\nconst f = defineFlow({ name: 'default-paren' }, () => 1);\nexport default (f);\n`,
  ],
  [
    '.ts',
    'a syntax error TypeScript reports',
    `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'a' }, () => 1;\n`,
  ],
];

for (const [ext, what, text] of TRICKY) {
  test(`partial conversion reads what the whole file gives: ${what}`, () => {
    assertSame(text, ext, what);
  });
}

test('every candidate file of a generated corpus reads the same converted in part or whole', () => {
  const root = tempDir();
  makeCorpus({ out: root, files: 400, flowEvery: 4 });
  let compared = 0;
  let unconverted = 0;
  const visit = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) visit(path);
      else if (/\.[cm]?[jt]sx?$/.test(e.name)) {
        const text = readFileSync(path, 'utf8');
        if (!mayContainFlow(text, MARKERS)) continue;
        unconverted += assertSame(text, extname(e.name), path);
        compared++;
      }
    }
  };
  visit(root);
  assert.ok(compared >= 100, `compared ${compared} files`);
  // Most of a flow file is code without a marker: it must not have been converted.
  assert.ok(unconverted > compared * 3, `${unconverted} statements left unconverted in ${compared} files`);
});

test('an expression too deep for the converter, outside every flow statement, no longer hides the flows', () => {
  // Far deeper than any stack: how deep the converter gets depends on how warm its code is.
  const deep = Array.from({ length: 50_000 }, (_, i) => `'s${i}'`).join(' + ');
  const text = `import { defineFlow } from 'flowport';\nconst sql = ${deep};\nexport const a = defineFlow({ name: 'found' }, () => sql);\n`;
  assert.deepEqual(
    scanSource(text, '.ts', MARKERS).flows.map((f) => f.name),
    ['found'],
  );
  assert.match(
    scanSourceWhole(text, '.ts', MARKERS).problems[0]?.message ?? '',
    /nests deeper than the parser can follow, file skipped: Maximum call stack/,
  );
  // Inside the flow's statement it cannot be converted: that statement alone is skipped, and said.
  const inFlow = `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'x' }, () => ${deep});\n`;
  const scan = scanSource(inFlow, '.ts', MARKERS);
  assert.deepEqual(scan.flows, []);
  assert.deepEqual(
    scan.problems.map((p) => [p.line, p.severity]),
    [[2, 'warning']],
  );
  assert.match(scan.problems[0]!.message, /nests deeper than the parser can follow: the statement is skipped/);
});

test('a grammar error only typescript-estree reports, outside every flow statement, no longer hides the flows', () => {
  // TypeScript parses this file; typescript-estree's whole conversion rejects the `abstract`
  // function. The statement converts only when it could hold a flow, so the flow is found (and
  // the compiler still reports the error when the project builds).
  const text = `import { defineFlow } from 'flowport';\nabstract function g() {}\nexport const a = defineFlow({ name: 'found' }, () => 1);\n`;
  assert.deepEqual(
    scanSource(text, '.ts', MARKERS).flows.map((f) => f.name),
    ['found'],
  );
  assert.match(scanSourceWhole(text, '.ts', MARKERS).problems[0]?.message ?? '', /'abstract' modifier/);

  const inFlow = `import { defineFlow } from 'flowport';\nexport abstract function g() { defineFlow({ name: 'x' }); }\n`;
  assert.match(scanSource(inFlow, '.ts', MARKERS).problems[0]?.message ?? '', /syntax error, file skipped: 'abstract'/);
});

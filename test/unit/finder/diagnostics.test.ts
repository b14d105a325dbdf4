// Diagnostics stay readable however many there are: a project whose tests reused one flow name in
// 446 files once printed 4 MB (each file's line listing up to 216 others).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { typescriptFlows } from '../../../sdk/src/index.js';
import { diagnosticLines, MAX_PRINTED } from '../../../sdk/src/cli/diagnostic-lines.js';
import type { Diagnostic } from '../../../sdk/src/model.js';
import { tempDir, writeTree } from '../../helpers/tmp.js';

const flow = (name: string) =>
  `import { defineFlow } from 'flowport';\nexport const f = defineFlow({ name: '${name}' }, async () => 1);\n`;

test('a name reused in 40 files is one diagnostic, at its first place, with the count and three places', async () => {
  const root = tempDir();
  const files: Record<string, string> = { 'src/unique.ts': flow('unique') };
  for (let i = 0; i < 40; i++) files[`test/t${String(i).padStart(2, '0')}.test.ts`] = flow('same');
  files['src/again.ts'] = flow('other') + `export const g = defineFlow({ name: 'other' }, async () => 2);\n`;
  writeTree(root, files);
  const index = typescriptFlows({ root, cache: false });
  await index.findFlows();
  const dups = index.diagnostics.filter((d) => d.message.startsWith('duplicate'));
  assert.deepEqual(
    dups.map((d) => [d.file, d.line, d.severity, d.message]),
    [
      [
        join(root, 'src/again.ts'),
        2,
        'warning',
        'duplicate flow name "other" in 2 places: src/again.ts:2, src/again.ts:3: rename all but one so deployments stay apart',
      ],
      [
        join(root, 'test/t00.test.ts'),
        2,
        'warning',
        'duplicate flow name "same" in 40 places: test/t00.test.ts:2, test/t01.test.ts:2, test/t02.test.ts:2 … and 37 more: rename all but one so deployments stay apart',
      ],
    ],
  );
});

test('flowport flows prints paths relative to the root, errors first, at most MAX_PRINTED lines', () => {
  const root = '/proj';
  const at = (i: number, severity: Diagnostic['severity']): Diagnostic => ({
    file: `/proj/src/f${i}.ts`,
    line: i,
    severity,
    message: `problem ${i}`,
  });
  assert.deepEqual(diagnosticLines([at(1, 'warning'), at(3, 'error'), { ...at(2, 'error'), line: 0 }], root), [
    'src/f3.ts:3: problem 3',
    'src/f2.ts: problem 2',
    'src/f1.ts:1: problem 1',
  ]);
  // 21 errors (the even lines) among 42: all of them come before the first warning.
  const many = Array.from({ length: MAX_PRINTED + 12 }, (_, i) => at(i + 1, i % 2 ? 'error' : 'warning'));
  const lines = diagnosticLines(many, root);
  assert.equal(lines.length, MAX_PRINTED + 1);
  const firstWarning = lines.findIndex((l) => Number(/(\d+)$/.exec(l)?.[1]) % 2 === 1);
  assert.equal(firstWarning, 21, lines.join('\n'));
  assert.equal(lines.at(-1), `… and 12 more warnings: fix these first, or see each in the editor's Problems panel`);
  assert.deepEqual(diagnosticLines(many.slice(0, MAX_PRINTED), root).length, MAX_PRINTED, 'no cap line when all fit');
});

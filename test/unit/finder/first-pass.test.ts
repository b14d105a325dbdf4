// A marker without a module is looked for where its callee is written as a call, not wherever
// the word is: `{ callee: 'task' }` made a cold scan parse every file that says task (8.3 s
// against 1.2 s on a 3,910-file repository).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { typescriptFlows } from '../../../sdk/src/index.js';
import { spellsCall } from '../../../sdk/src/finder/hits.js';
import { tempDir, writeTree } from '../../helpers/tmp.js';

test('spellsCall: the callee followed by a call, past spaces, quotes, brackets, parentheses and !', () => {
  const calls = [
    'jobs.task({ id: 1 })',
    'jobs.task ({})',
    'jobs\n  .task(\n{})',
    'jobs.task<Payload>({})',
    "jobs['task']({})",
    '(jobs.task)({})',
    'jobs.task?.({})',
    'jobs.task!({})',
    'task(',
  ];
  for (const text of calls) assert.equal(spellsCall(text, 'task'), true, text);
  const words = [
    'the next task in the queue',
    'const task = next();',
    'task.run();',
    'subtask({})',
    'tasks({})',
    '$task({})',
    'task?.id',
    'function f(task: Task) {}',
    'task',
    '',
  ];
  for (const text of words) assert.equal(spellsCall(text, 'task'), false, text);
});

test('a marker without a module parses only the files that call it; the flows are the same', async () => {
  const root = tempDir();
  const files: Record<string, string> = {
    'calls/member.ts': `import { jobs } from './jobs';\nexport const a = jobs.task({ id: 'member-call' });\n`,
    'calls/typed.ts': `import { jobs } from './jobs';\nexport const b = jobs.task<{ n: number }>({ id: 'typed-call' });\n`,
    'calls/spaced.ts': `import { jobs } from './jobs';\nexport const c = jobs\n  .task ({ id: 'spaced-call' });\n`,
    'calls/optional.ts': `import { jobs } from './jobs';\nexport const d = jobs.task?.({ id: 'optional-call' });\n`,
  };
  for (let i = 0; i < 30; i++) {
    files[`words/w${i}.ts`] = [
      `// the next task in the queue (${i})`,
      `export const task = { run: () => ${i}, label: 'task' };`,
      `task.run();`,
      `export function subtask(t: typeof task) { return t; }`,
    ].join('\n');
  }
  writeTree(root, files);
  const index = typescriptFlows({ root, cache: false, markers: [{ callee: 'task', nameFrom: 'id' }] });
  const flows = await index.findFlows();
  assert.deepEqual(
    flows.map((f) => `${f.sourceRelative}:${f.line} ${f.name}`),
    [
      'calls/member.ts:2 member-call',
      'calls/optional.ts:2 optional-call',
      'calls/spaced.ts:2 spaced-call',
      'calls/typed.ts:2 typed-call',
    ],
  );
  assert.equal(index.lastScan.read, 34);
  assert.equal(index.lastScan.parsed, 4, 'the 30 files that only say task are not parsed');
  assert.deepEqual(index.diagnostics, []);
});

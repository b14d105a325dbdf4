/**
 * A failed pre-deploy check, kept per folder × flow × environment (model/failed-checks.ts): set by
 * a refused preflight, cleared by a passing one or a deploy's start, and on the board's cell only
 * as names, messages and masked last lines.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildBoardFolder } from '../../../extension/src/board/snapshot.js';
import { FailedChecks } from '../../../extension/src/model/failed-checks.js';
import type { CheckResult } from '../../../sdk/src/host/protocol.js';
import { flowAt as flow } from '../../helpers/records.js';

const FOLDER = 'file:///p';
const red = (overrides: Partial<CheckResult> = {}): CheckResult => ({
  name: 'ci status',
  label: 'ci status',
  env: 'uat',
  ok: false,
  durationMs: 12,
  message: 'exited with code 3',
  output: ['one', 'two', '\x1b[31mbuild 41 is red\x1b[0m: https://ci:hunter2@ci.example/b/41'],
  ...overrides,
});

test('a refused preflight marks each flow it failed for; a passing one and a deploy clear the mark', () => {
  const marks = new FailedChecks();
  let fired = 0;
  marks.onDidChange(() => fired++);
  marks.record(FOLDER, ['a', 'b'], 'uat', [red(), red({ name: 'lint', label: 'lint [b]', flow: 'b' })], {
    action: 'deploy',
    ref: 'HEAD',
  });
  assert.equal(fired, 1);
  assert.deepEqual(
    marks.get(FOLDER, 'a', 'uat')?.checks.map((c) => c.name),
    ['ci status'],
  );
  assert.deepEqual(
    marks.get(FOLDER, 'b', 'uat')?.checks.map((c) => c.name),
    ['ci status', 'lint'],
  );
  assert.equal(marks.get(FOLDER, 'a', 'dev'), undefined, 'only the target');
  assert.equal(marks.get('file:///other', 'a', 'uat'), undefined, 'only the folder');
  // The terminal's colours and a URL's password never reach a view.
  assert.deepEqual(
    marks.get(FOLDER, 'a', 'uat')?.checks[0]?.output.at(-1),
    'build 41 is red: https://ci:•••@ci.example/b/41',
  );

  marks.record(FOLDER, ['a'], 'uat', [{ ...red(), ok: true, message: 'passed', output: [] }], { action: 'deploy' });
  assert.equal(marks.get(FOLDER, 'a', 'uat'), undefined, 'passing checks clear it');
  assert.ok(marks.get(FOLDER, 'b', 'uat'), 'the other flow keeps its own');
  marks.clear(FOLDER, ['b'], 'uat');
  assert.equal(marks.get(FOLDER, 'b', 'uat'), undefined, 'a deploy that starts clears it');
  assert.equal(fired, 3);
  marks.clear(FOLDER, ['b'], 'uat');
  assert.equal(fired, 3, 'nothing to clear, nothing fired');
});

test('the board cell carries the failed check, masked, and nothing of the run but its action', () => {
  const marks = new FailedChecks();
  marks.record(FOLDER, ['send-invoices'], 'uat', [red()], { action: 'promote', from: 'dev', to: 'uat' });
  const { folder } = buildBoardFolder(
    {
      key: FOLDER,
      name: 'p',
      environments: [{ name: 'dev' }, { name: 'uat' }],
      flows: [flow('send-invoices', 'src/billing/invoices.ts')],
      deployments: [],
      failedCheckFor: marks.lookup(FOLDER),
    },
    () => undefined,
  );
  const [dev, uat] = folder.groups[0]!.rows[0]!.cells;
  assert.equal(dev?.failedCheck, undefined);
  assert.deepEqual(uat?.failedCheck?.checks, [
    {
      name: 'ci status',
      message: 'exited with code 3',
      output: ['one', 'two', 'build 41 is red: https://ci:•••@ci.example/b/41'],
    },
  ]);
  assert.equal(uat?.failedCheck?.action, 'promote');
  assert.doesNotMatch(JSON.stringify(folder), /hunter2/);
});

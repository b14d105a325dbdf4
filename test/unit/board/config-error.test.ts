import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildBoardFolder } from '../../../extension/src/board/snapshot.js';
import { checkMessage } from '../../../extension/src/board/validate.js';
import { gridColumns, gridMinWidth, groupId } from '../../../webview/board/cells.js';

const environments = [{ name: 'dev' }, { name: 'uat' }, { name: 'prod', protected: true }];

test('a folder whose config failed carries the error and its location, and no groups', () => {
  const configError = { message: 'flowport.config.ts:3: broken on purpose', location: 'flowport.config.ts:3' };
  const { folder } = buildBoardFolder(
    { key: 'file:///p', name: 'p', environments, flows: [], deployments: [], configError },
    () => undefined,
  );
  assert.deepEqual(folder.configError, configError);
  assert.deepEqual(folder.groups, []);
  assert.equal(folder.problem, undefined);
});

test('openConfig names a folder of the workspace, nothing else', () => {
  const noFlows = () => undefined;
  const hasFolder = (key: string) => key === 'file:///p';
  assert.deepEqual(checkMessage({ type: 'openConfig', folder: 'file:///p', extra: 1 }, noFlows, hasFolder), {
    ok: true,
    message: { type: 'openConfig', folder: 'file:///p' },
  });
  assert.deepEqual(checkMessage({ type: 'openConfig', folder: 'file:///elsewhere' }, noFlows, hasFolder), {
    ok: false,
    error: 'openConfig: unknown folder "file:///elsewhere"',
  });
  assert.equal(checkMessage({ type: 'openConfig' }, noFlows, hasFolder).ok, false);
  // Without a folder lookup no folder is known.
  assert.equal(checkMessage({ type: 'openConfig', folder: 'file:///p' }, noFlows).ok, false);
});

test('a group id survives an HTML attribute: no NUL (the parser would turn it into U+FFFD)', () => {
  const id = groupId('file:///work/a%20b', 'src/billing');
  assert.doesNotMatch(id, /[\u0000-\u001f]/);
  // A folder key is a URI string, which has no spaces: the space after it ends it.
  assert.notEqual(groupId('file:///p', 'src'), groupId('file:///p', 'src/billing'));
});

test("the grid's minimum width is the sum of its column minimums", () => {
  const envs = environments.map((e) => ({ name: e.name, protected: e.protected === true }));
  assert.equal(
    gridColumns(envs),
    'minmax(16rem, 1.3fr) minmax(8.5rem, 1fr) 2.25rem minmax(8.5rem, 1fr) 2.25rem minmax(8.5rem, 1fr)',
  );
  assert.equal(gridMinWidth(envs), '46rem');
  assert.equal(gridMinWidth([]), '16rem');
});

/**
 * "Preflight counts only flows that would really change", as a user meets it: a promote with nothing
 * to send to a protected environment needs no yes. (In-process: test/unit/backend/preflight.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FlowRunResult } from '../../../sdk/src/index.js';
import { flowport } from '../../helpers/cli.js';
import { cliProject } from '../backend/fixture.js';

const config = [
  `import { defineConfig, commandDeployer } from 'flowport';`,
  `export default defineConfig({`,
  `  environments: ['dev', 'uat', { name: 'prod', protected: true }],`,
  `  deploy: commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'] }),`,
  `});`,
].join('\n');

test('a promote to protected prod of flows prod already runs: "nothing to promote", no --yes asked, nothing recorded', () => {
  const root = cliProject({ nightly: 'jobs', weekly: 'jobs' }, config);
  assert.equal(flowport(['deploy', 'nightly', 'weekly', '--env', 'dev'], { cwd: root }).code, 0);
  assert.equal(flowport(['promote', 'nightly', 'weekly', '--from', 'dev', '--to', 'uat'], { cwd: root }).code, 0);
  const sent = flowport(['promote', 'nightly', 'weekly', '--from', 'uat', '--to', 'prod', '--yes'], { cwd: root });
  assert.equal(sent.code, 0, sent.stderr);
  const history = () => flowport(['history', 'nightly', '--json'], { cwd: root }).stdout;
  const before = history();

  // No --yes, and no terminal (the test's stdin is not one): nothing would change, so nothing to confirm.
  for (const flows of [['nightly'], ['nightly', 'weekly']]) {
    const again = flowport(['promote', ...flows, '--from', 'uat', '--to', 'prod'], { cwd: root });
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout + again.stderr, /--yes|protected/);
    assert.match(again.stdout, /"nightly": prod already runs [0-9a-f]{12}, the commit uat runs; nothing to promote/);
    const json = flowport(['promote', ...flows, '--from', 'uat', '--to', 'prod', '--json'], { cwd: root });
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(
      (JSON.parse(json.stdout) as { results: FlowRunResult[] }).results.map((r) => [r.flow, r.outcome]),
      flows.map((f) => [f, 'unchanged']),
    );
  }
  assert.equal(history(), before, 'nothing was recorded');
});

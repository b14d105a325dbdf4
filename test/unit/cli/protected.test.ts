import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flowport } from '../../helpers/cli.js';
import { cliProject } from '../backend/fixture.js';

const config = [
  `import { defineConfig, commandDeployer } from 'flowport';`,
  `export default defineConfig({`,
  `  environments: ['dev', { name: 'prod', protected: true }],`,
  `  deploy: commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'] }),`,
  `});`,
].join('\n');

test('a protected environment needs --yes when no one is at the terminal', () => {
  const root = cliProject({ nightly: 'jobs' }, config);
  const refused = flowport(['deploy', 'nightly', '--env', 'prod'], { cwd: root });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /prod is a protected environment: pass --yes to deploy to it without a prompt/);
  const history = flowport(['history', 'nightly', '--json'], { cwd: root });
  assert.equal(
    (JSON.parse(history.stdout) as { deployments: unknown[] }).deployments.length,
    0,
    'nothing was recorded',
  );

  assert.equal(flowport(['deploy', 'nightly', '--env', 'dev'], { cwd: root }).code, 0, 'dev is not protected');
  const promoteRefused = flowport(['promote', 'nightly', '--from', 'dev', '--to', 'prod'], { cwd: root });
  assert.equal(promoteRefused.code, 2);
  const promoted = flowport(['promote', 'nightly', '--from', 'dev', '--to', 'prod', '--yes'], { cwd: root });
  assert.equal(promoted.code, 0, promoted.stderr);
});

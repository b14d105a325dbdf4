import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localLedger } from '../../../sdk/src/index.js';
import { flowport } from '../../helpers/cli.js';
import type { ErrorOutput } from '../../../sdk/src/cli/main.js';
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
  assert.equal(refused.code, 1, 'a refusal, as the README says: exit 1');
  assert.match(refused.stderr, /prod is a protected environment: pass --yes to deploy to it without a prompt/);
  const history = flowport(['history', 'nightly', '--json'], { cwd: root });
  assert.equal(
    (JSON.parse(history.stdout) as { deployments: unknown[] }).deployments.length,
    0,
    'nothing was recorded',
  );

  assert.equal(flowport(['deploy', 'nightly', '--env', 'dev'], { cwd: root }).code, 0, 'dev is not protected');
  const promoteRefused = flowport(['promote', 'nightly', '--from', 'dev', '--to', 'prod', '--json'], { cwd: root });
  assert.equal(promoteRefused.code, 1);
  assert.equal((JSON.parse(promoteRefused.stdout) as ErrorOutput).error.kind, 'DeployError');
  const promoted = flowport(['promote', 'nightly', '--from', 'dev', '--to', 'prod', '--yes'], { cwd: root });
  assert.equal(promoted.code, 0, promoted.stderr);
});

test('what can refuse without running anything does so before the protected-environment prompt', () => {
  const root = cliProject(
    { nightly: 'jobs' },
    config.replace(`['dev', { name: 'prod', protected: true }]`, `['dev', 'uat', { name: 'prod', protected: true }]`),
  );
  assert.equal(flowport(['deploy', 'nightly', '--env', 'dev'], { cwd: root }).code, 0);
  const skipping = flowport(['promote', 'nightly', '--from', 'dev', '--to', 'prod'], { cwd: root });
  assert.equal(skipping.code, 2);
  assert.match(skipping.stderr, /the next environment after dev is uat/);
  assert.doesNotMatch(skipping.stderr, /--yes/, 'the route is refused, not the missing --yes');

  // Nothing in uat to promote: refused per flow, nothing sent, so no yes is needed.
  const nothing = flowport(['promote', 'nightly', '--from', 'uat', '--to', 'prod'], { cwd: root });
  assert.equal(nothing.code, 1);
  assert.match(nothing.stdout, /uat has no successful deployment of "nightly"/);
  assert.doesNotMatch(nothing.stdout + nothing.stderr, /--yes/);

  const noDeploy = cliProject({ nightly: 'jobs' }, config.replace(/^ {2}deploy: .*\n/m, ''));
  const refused = flowport(['deploy', 'nightly', '--env', 'prod'], { cwd: noDeploy });
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /no deploy command is configured/);
  assert.doesNotMatch(refused.stderr, /--yes/);
});

test('--no-queue: a flow still deploying to the protected environment is refused before the prompt, and nothing starts', async () => {
  const root = cliProject({ nightly: 'jobs', weekly: 'jobs' }, config);
  assert.equal(flowport(['deploy', 'nightly', 'weekly', '--env', 'dev'], { cwd: root }).code, 0);
  // Another runner (this test process, alive) has a deploy of nightly to prod under way.
  const ledger = localLedger({ root });
  const busy = await ledger.create({ flowName: 'nightly', env: 'prod', commit: 'c'.repeat(40), ref: 'HEAD' });

  for (const args of [
    ['deploy', 'nightly', 'weekly', '--env', 'prod', '--no-queue'],
    ['promote', 'nightly', 'weekly', '--from', 'dev', '--to', 'prod', '--no-queue'],
  ]) {
    const refused = flowport(args, { cwd: root });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      refused.stderr,
      new RegExp(`"nightly" is already deploying to prod: deployment ${busy.id} \\(pending,`),
    );
    assert.match(refused.stderr, /flowport cancel \S+\nNothing was started \(1 other flow included\)/);
    assert.doesNotMatch(refused.stderr, /--yes/, `${args[0]}: refused before the protected-environment prompt`);
  }
  const prod = (await ledger.findDeployments({ envs: ['prod'], history: true })).map((d) => d.id);
  assert.deepEqual(prod, [busy.id], 'nothing else was recorded in prod');

  // --json: the refusal is the error document.
  const json = flowport(['deploy', 'nightly', '--env', 'prod', '--yes', '--json', '--no-queue'], { cwd: root });
  assert.equal(json.code, 1);
  assert.equal((JSON.parse(json.stdout) as { error: { kind: string } }).error.kind, 'DeployError');
});

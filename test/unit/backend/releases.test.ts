/** Releases and rollback through the real CLI: real git commits, real deploy processes, the local ledger. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ReleasesOutput } from '../../../sdk/src/cli/releases.js';
import type { FlowRunResult } from '../../../sdk/src/index.js';
import { flowport } from '../../helpers/cli.js';
import { cliProject, commitAll, scriptRecord } from './fixture.js';

/** Deploys `version` (committed first) of `flow` to `env` and returns the deployment id. */
function deployVersion(root: string, flow: string, env: string, version: string): string {
  writeFileSync(join(root, 'version.txt'), `${version}\n`);
  commitAll(root, version);
  return deploy(root, ['deploy', flow, '--env', env]).deployment!.id;
}

function deploy(root: string, args: string[]): FlowRunResult {
  const r = flowport([...args, '--json', '--yes'], { cwd: root });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return (JSON.parse(r.stdout) as { results: FlowRunResult[] }).results[0]!;
}

function releases(root: string, flow: string, env: string): ReleasesOutput['releases'] {
  const r = flowport(['releases', flow, '--env', env, '--json'], { cwd: root });
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as ReleasesOutput).releases;
}

test('releases lists the successful deployments newest first; rollback restores the one before, which reads rolled back', () => {
  const root = cliProject({ billing: 'jobs' });
  const v1 = deployVersion(root, 'billing', 'prod', 'r1');
  const v2 = deployVersion(root, 'billing', 'prod', 'r2');
  const v3 = deployVersion(root, 'billing', 'prod', 'r3');
  assert.deepEqual(
    releases(root, 'billing', 'prod').map((r) => [r.deploymentId, r.state]),
    [
      [v3, 'current'],
      [v2, 'superseded'],
      [v1, 'superseded'],
    ],
  );

  const back = deploy(root, ['rollback', 'billing', '--env', 'prod']);
  assert.equal(back.outcome, 'succeeded', back.message);
  const restored = back.deployment!;
  assert.equal(scriptRecord(root, restored.id).version, 'r2', "the code of r2's commit, though HEAD is r3");
  assert.deepEqual(restored.attributes.rollback, { restores: v2, replaces: v3 });
  assert.match(back.message, new RegExp(`rolled back to [0-9a-f]{12} \\(release ${v2}, replacing ${v3}\\)`));

  const after = releases(root, 'billing', 'prod');
  assert.deepEqual(
    after.map((r) => [r.deploymentId, r.state, r.rolledBackBy ?? null]),
    [
      [restored.id, 'current', null],
      [v3, 'rolled back', restored.id],
      [v2, 'superseded', null],
      [v1, 'superseded', null],
    ],
  );
  assert.deepEqual(after[0]!.rollback, { restores: v2, replaces: v3 });

  // Again: back past v2 (the commit that runs now) and v3 (rolled back), to v1; not to and fro.
  const further = deploy(root, ['rollback', 'billing', '--env', 'prod']);
  assert.equal(scriptRecord(root, further.deployment!.id).version, 'r1');
  assert.deepEqual(further.deployment!.attributes.rollback, { restores: v1, replaces: restored.id });

  const table = flowport(['releases', 'billing', '--env', 'prod'], { cwd: root });
  assert.match(table.stdout, /^RELEASE\s+STATE\s+COMMIT/);
  assert.match(table.stdout, new RegExp(`${v3}\\s+rolled back .*rolled back by ${restored.id}`));
});

test('rollback --to a release by a unique part of its id; to the current one is a no-op, to a failed deployment refused', () => {
  const root = cliProject({ billing: 'jobs' });
  const v1 = deployVersion(root, 'billing', 'uat', 'r1');
  deployVersion(root, 'billing', 'uat', 'r2');
  const v3 = deployVersion(root, 'billing', 'uat', 'r3');
  const to = deploy(root, ['rollback', 'billing', '--env', 'uat', '--to', v1.slice(-8)]);
  assert.equal(scriptRecord(root, to.deployment!.id).version, 'r1');
  assert.deepEqual(to.deployment!.attributes.rollback, { restores: v1, replaces: v3 });

  const same = deploy(root, ['rollback', 'billing', '--env', 'uat', '--to', to.deployment!.id]);
  assert.equal(same.outcome, 'unchanged');
  assert.match(same.message, /already runs release/);
  assert.equal(releases(root, 'billing', 'uat').length, 4, 'a no-op records nothing');

  const failed = flowport(['deploy', 'billing', '--env', 'uat', '--json'], {
    cwd: root,
    env: { DEPLOY_FAIL: 'billing' },
  });
  assert.equal(failed.code, 1);
  const failedId = (JSON.parse(failed.stdout) as { results: FlowRunResult[] }).results[0]!.deployment!.id;
  const refused = flowport(['rollback', 'billing', '--env', 'uat', '--to', failedId], { cwd: root });
  assert.equal(refused.code, 1);
  assert.match(
    refused.stdout + refused.stderr,
    /not a release of "billing" in uat \(only a successful deployment is\).*flowport releases billing --env uat/s,
  );
});

test('nothing to roll back to: no release at all, or only one commit ever ran there', () => {
  const root = cliProject({ billing: 'jobs' });
  const none = flowport(['rollback', 'billing', '--env', 'dev'], { cwd: root });
  assert.equal(none.code, 1);
  assert.match(none.stdout + none.stderr, /dev has no release of it .*flowport deploy billing --env dev/s);

  deploy(root, ['deploy', 'billing', '--env', 'dev']);
  deploy(root, ['deploy', 'billing', '--env', 'dev']);
  const same = flowport(['rollback', 'billing', '--env', 'dev'], { cwd: root });
  assert.equal(same.code, 1);
  assert.match(same.stdout + same.stderr, /no earlier release runs another commit than the current/);
  const ledger = readFileSync(join(root, '.flowport', 'ledger.jsonl'), 'utf8')
    .trim()
    .split('\n');
  const ids = new Set(ledger.map((l) => (JSON.parse(l) as { deployment?: { id: string } }).deployment?.id));
  assert.equal(ids.size, 2, 'a refused rollback records nothing');
});

test("a release carries its deploy settings' digest: same commit, other config shows", () => {
  const config = (extra: string) =>
    [
      `import { defineConfig, commandDeployer } from 'flowport';`,
      `export default defineConfig({`,
      `  environments: ['dev', 'uat', 'prod'],`,
      `  deploy: commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'${extra}], env: { API_TOKEN: 's3cr3t-value' } }),`,
      `});`,
    ].join('\n');
  const root = cliProject({ billing: 'jobs' }, config(''));
  deploy(root, ['deploy', 'billing', '--env', 'dev']);
  deploy(root, ['deploy', 'billing', '--env', 'dev']);
  writeFileSync(join(root, 'flowport.config.ts'), config(`, '--fast'`));
  deploy(root, ['deploy', 'billing', '--env', 'dev']);
  const [changed, same, first] = releases(root, 'billing', 'dev');
  assert.match(first!.settingsDigest!, /^sha256:[0-9a-f]{16}$/);
  assert.equal(same!.settingsDigest, first!.settingsDigest);
  assert.notEqual(changed!.settingsDigest, first!.settingsDigest);
  assert.equal(changed!.commit, first!.commit);
});

test("a release's digest covers the flow's steps and the targets they run on, and leaves other flows' as they were", () => {
  const config = (web: string, parallel: number) =>
    [
      `import { defineConfig, commandDeployer } from 'flowport';`,
      `export default defineConfig({`,
      `  environments: [{ name: 'dev', targets: { web: [${web}] } }],`,
      `  deploy: commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'] }),`,
      `  releases: { billing: { steps: [{ name: 'roll', group: 'web', command: ['node', 'deploy.mjs', '{target}'], parallel: ${parallel} }] } },`,
      `});`,
    ].join('\n');
  const root = cliProject({ billing: 'jobs', other: 'jobs' }, config(`'w1'`, 1));
  deploy(root, ['deploy', 'billing', 'other', '--env', 'dev']);
  deploy(root, ['deploy', 'billing', 'other', '--env', 'dev']);
  writeFileSync(join(root, 'flowport.config.ts'), config(`'w1', 'w2'`, 1));
  deploy(root, ['deploy', 'billing', 'other', '--env', 'dev']);
  writeFileSync(join(root, 'flowport.config.ts'), config(`'w1', 'w2'`, 2));
  deploy(root, ['deploy', 'billing', 'other', '--env', 'dev']);
  const [parallel, moreTargets, same, first] = releases(root, 'billing', 'dev');
  assert.equal(same!.settingsDigest, first!.settingsDigest);
  assert.notEqual(moreTargets!.settingsDigest, first!.settingsDigest, 'another target is another config');
  assert.notEqual(parallel!.settingsDigest, moreTargets!.settingsDigest, 'another parallel limit is another config');
  // A flow without a release: its digest is the deployer's alone, unchanged by the release of another.
  const others = releases(root, 'other', 'dev');
  assert.equal(new Set(others.map((r) => r.settingsDigest)).size, 1);
});

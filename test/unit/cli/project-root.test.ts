import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FlowDetails } from '../../../sdk/src/index.js';
import type { DeploymentMatrix } from '../../../sdk/src/cli/deployments.js';
import { flowport } from '../../helpers/cli.js';
import { tempDir, writeTree } from '../../helpers/tmp.js';
import { cliProject } from '../backend/fixture.js';

const flow = (name: string) =>
  `import { defineFlow } from 'flowport';\nexport const f = defineFlow({ name: '${name}' }, async () => 1);\n`;

const sources = (r: { stdout: string; stderr: string }) =>
  (JSON.parse(r.stdout || '[]') as FlowDetails[]).map((f) => f.sourceRelative);

test('from a subfolder, every command works on the project that holds it', () => {
  const root = cliProject({ nightly: 'jobs' });
  const sub = join(root, 'src', 'jobs');
  const deployed = flowport(['deploy', 'nightly', '--env', 'dev'], { cwd: sub });
  assert.equal(deployed.code, 0, deployed.stderr);
  const matrix = flowport(['deployments', '--json'], { cwd: sub });
  assert.equal(matrix.code, 0, matrix.stderr);
  const row = (JSON.parse(matrix.stdout) as DeploymentMatrix).flows.find((f) => f.flow === 'nightly');
  assert.equal(row?.environments.dev?.current?.status, 'succeeded');
  assert.deepEqual(sources(flowport(['flows', '--json'], { cwd: sub })), ['src/jobs/flow0.ts']);
  assert.equal(existsSync(join(sub, '.flowport')), false, 'no state folder in the subfolder');
});

test('the nearest config wins, else the nearest .git (a file in a worktree); --root is exactly that folder', () => {
  const root = tempDir();
  writeTree(root, {
    '.git': 'gitdir: /elsewhere/.git/worktrees/wt\n',
    'pkg/flowport.config.mjs': `export default { environments: ['dev'] };\n`,
    'pkg/lib/a.ts': flow('a'),
    'tools/deep/b.ts': flow('b'),
  });
  const fromPkg = flowport(['flows', '--json'], { cwd: join(root, 'pkg', 'lib') });
  assert.equal(fromPkg.code, 0, fromPkg.stderr);
  assert.deepEqual(sources(fromPkg), ['lib/a.ts'], 'the package with the config');
  const fromTools = flowport(['flows', '--json'], { cwd: join(root, 'tools', 'deep') });
  assert.equal(fromTools.code, 0, fromTools.stderr);
  assert.deepEqual(
    sources(fromTools),
    ['tools/deep/b.ts'],
    'the folder holding .git, without pkg: a project of its own',
  );
  assert.match(
    fromTools.stderr,
    /pkg\/flowport\.config\.mjs: 1 flow in a project of its own, not listed here: flowport flows --root \.\.\/\.\.\/pkg/,
  );
  const exact = flowport(['flows', '--json', '--root', join(root, 'tools')], { cwd: join(root, 'pkg', 'lib') });
  assert.deepEqual(sources(exact), ['deep/b.ts']);
});

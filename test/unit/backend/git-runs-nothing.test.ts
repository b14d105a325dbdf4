/**
 * A repository's own git config cannot make Flowport run a program: core.fsmonitor (run by every
 * `git status`) and hooks (post-checkout, run when a worktree is checked out for a deploy of
 * another commit) each leave a mark if they run, and a real deploy must leave none.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { flowport } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';
import { cliProject, commitAll, git } from './fixture.js';

/** A program that appends `name` to `marks` when run. */
function markingProgram(dir: string, name: string, marks: string): string {
  const path = join(dir, `${name}.sh`);
  writeFileSync(path, `#!/bin/sh\necho ${name} >> '${marks}'\nexit 0\n`);
  chmodSync(path, 0o755);
  return path;
}

test('deploying another commit runs neither the repository fsmonitor nor its post-checkout hook', () => {
  const root = cliProject({ billing: 'billing' });
  const first = git(root, 'rev-parse', 'HEAD');
  writeFileSync(join(root, 'version.txt'), 'v2\n');
  commitAll(root, 'v2');

  const outside = tempDir();
  const marks = join(outside, 'marks');
  git(root, 'config', 'core.fsmonitor', markingProgram(outside, 'fsmonitor', marks));
  const hook = join(root, '.git', 'hooks', 'post-checkout');
  writeFileSync(hook, `#!/bin/sh\necho post-checkout >> '${marks}'\n`);
  chmodSync(hook, 0o755);
  // The marks are real: git itself runs both when asked to.
  git(root, 'status', '--porcelain');
  git(root, 'checkout', '-q', 'HEAD');
  assert.match(readFileSync(marks, 'utf8'), /fsmonitor/);
  assert.match(readFileSync(marks, 'utf8'), /post-checkout/);
  writeFileSync(marks, '');

  const r = flowport(['deploy', 'billing', '--env', 'dev', '--ref', first, '--json'], { cwd: root });
  assert.equal(r.code, 0, r.stderr);
  const { results } = JSON.parse(r.stdout) as { results: { deployment: { commit: string } }[] };
  assert.equal(results[0]!.deployment.commit, first, 'the older commit was deployed (from a worktree)');
  assert.equal(existsSync(marks) ? readFileSync(marks, 'utf8') : '', '', 'nothing the repository configured ran');
});

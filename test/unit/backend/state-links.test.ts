/**
 * The state folder holds no links: a `.flowport/ledger.jsonl` linked elsewhere had records
 * appended to its target. A linked ledger, a linked state folder and a FIFO in the ledger's place
 * each end the command with a clear error, and the link's target is untouched.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { flowport } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';
import { cliProject } from './fixture.js';

function prepare(place: (state: string, outside: string) => void) {
  const root = cliProject({ billing: 'billing' });
  const state = join(root, '.flowport');
  rmSync(state, { recursive: true, force: true });
  mkdirSync(state);
  const outside = tempDir();
  place(state, outside);
  return { root, outside };
}

test('a linked ledger: deploy and deployments refuse it, and its target is untouched', () => {
  const { root, outside } = prepare((state, outside) => {
    writeFileSync(join(outside, 'precious.txt'), 'keep me\n');
    symlinkSync(join(outside, 'precious.txt'), join(state, 'ledger.jsonl'));
  });
  const deploy = flowport(['deploy', 'billing', '--env', 'dev'], { cwd: root });
  assert.notEqual(deploy.code, 0);
  assert.match(
    deploy.stderr + deploy.stdout,
    /ledger\.jsonl is a symbolic link: Flowport keeps its state only in regular files/,
  );
  const read = flowport(['deployments'], { cwd: root });
  assert.notEqual(read.code, 0);
  assert.match(read.stderr, /is a symbolic link/);
  assert.equal(readFileSync(join(outside, 'precious.txt'), 'utf8'), 'keep me\n');
});

test('a linked state folder is refused before anything is written through it', () => {
  const root = cliProject({ billing: 'billing' });
  const outside = tempDir();
  rmSync(join(root, '.flowport'), { recursive: true, force: true });
  symlinkSync(outside, join(root, '.flowport'));
  const deploy = flowport(['deploy', 'billing', '--env', 'dev'], { cwd: root });
  assert.notEqual(deploy.code, 0);
  assert.match(deploy.stderr + deploy.stdout, /\.flowport is a symbolic link/);
  assert.deepEqual(readdirSync(outside), [], 'nothing was written through the link');
});

test('a FIFO in the ledger’s place is refused at once, not waited on', { timeout: 60_000 }, () => {
  const { root } = prepare((state) => execFileSync('mkfifo', [join(state, 'ledger.jsonl')]));
  const deploy = flowport(['deploy', 'billing', '--env', 'dev'], { cwd: root });
  assert.notEqual(deploy.code, 0);
  assert.match(deploy.stderr + deploy.stdout, /ledger\.jsonl is not a regular file/);
});

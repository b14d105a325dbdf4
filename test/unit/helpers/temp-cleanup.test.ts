// The temp-folder helper cleans up after a test whose process writes into its folder as it stops
// (as the SDK host does with its scan cache): the process is stopped and gone before the folder is
// removed. Run as a test file of its own, with a temp directory of its own, looked at afterwards.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const helpers = new URL('../../helpers/tmp.ts', import.meta.url).pathname;

const INNER = `
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { stopAtEnd, tempDir } from ${JSON.stringify(helpers)};

test('a process that writes into its folder as it stops', async () => {
  const dir = tempDir();
  const child = spawn(process.execPath, ['-e', \`
    const { mkdirSync, writeFileSync } = require('node:fs');
    process.on('SIGTERM', () => {
      mkdirSync(\${JSON.stringify(dir)} + '/.flowport/cache', { recursive: true });
      writeFileSync(\${JSON.stringify(dir)} + '/.flowport/cache/flows.json', '{}');
      process.exit(0);
    });
    console.log('ready');
    setInterval(() => {}, 1000);
  \`], { stdio: ['ignore', 'pipe', 'inherit'] });
  stopAtEnd(child);
  await new Promise((resolve) => child.stdout.once('data', resolve));
});
`;

test('a test folder is removed after the processes started in it have stopped, whatever they write as they stop', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'flowport-cleanup-'));
  try {
    const inner = join(tmp, 'inner.test.ts');
    writeFileSync(inner, INNER);
    mkdirSync(join(tmp, 'tmp'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', inner], {
      // Without NODE_TEST_CONTEXT: node:test would take the file for a nested run and skip it.
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, TMPDIR: join(tmp, 'tmp') },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^# pass 1$/m, 'the inner test ran');
    assert.deepEqual(
      readdirSync(join(tmp, 'tmp')).filter((f) => f.startsWith('flowport-test-')),
      [],
      'nothing left behind',
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

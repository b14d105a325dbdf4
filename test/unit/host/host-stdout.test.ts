// The SDK host's stdout is the JSON-RPC channel: a config that writes to it (console.log, or
// process.stdout.write at its top level) must not corrupt it. A real host over stdio.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { Methods } from '../../../sdk/src/host/protocol.js';
import { exited, linkSdk, onCleanup, tempDir, writeTree } from '../../helpers/tmp.js';

const hostScript = new URL('../../../sdk/dist/host.js', import.meta.url).pathname;

test(
  'a config that writes to stdout as it loads: the host still answers, and what it wrote goes to stderr',
  { timeout: 30_000 },
  async () => {
    const root = tempDir();
    linkSdk(root);
    writeTree(root, {
      'flowport.config.ts': [
        `import { defineConfig } from 'flowport';`,
        `process.stdout.write('Content-Length: 5\\r\\n\\r\\nnoise from the config\\n');`,
        `console.log('a console.log of the config');`,
        `export default defineConfig({ environments: ['dev', 'prod'] });`,
      ].join('\n'),
      'jobs/a.ts': `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'alpha' }, async () => 1);\n`,
    });
    const child = spawn(process.execPath, [hostScript, '--root', root], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const connection = createMessageConnection(
      new StreamMessageReader(child.stdout),
      new StreamMessageWriter(child.stdin),
    );
    connection.listen();
    onCleanup(async () => {
      await exited(child);
      connection.dispose();
    });
    const { flows } = await connection.sendRequest(Methods.flows, {});
    assert.deepEqual(
      flows.map((f) => f.name),
      ['alpha'],
    );
    assert.match(stderr, /noise from the config/);
    assert.match(stderr, /a console\.log of the config/);
  },
);

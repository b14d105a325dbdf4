// A finder of the project's own is not checked by the built-in finder's scan: the SDK host checks
// every name of a batch before it starts any flow, as the CLI does. A real host over stdio.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc/node';
import { Methods } from '../../../sdk/src/host/protocol.js';
import { gitProject, startHost } from '../../helpers/host.js';

const flow = (name: string) =>
  `{ id: 'jobs.ts#' + ${JSON.stringify(name)}, name: ${JSON.stringify(name)}, description: '', sourcePath: 'jobs.ts', sourceRelative: 'jobs.ts', line: 1, grouping: [], attributes: {} }`;

test(
  "the host refuses a batch holding a flow name its project's own finder reports unsafe, and starts none of it",
  { timeout: 60_000 },
  async () => {
    const root = gitProject({
      '.gitignore': 'node_modules/\nran/\n',
      'flowport.config.ts': [
        `import { commandDeployer, defineConfig } from 'flowport';`,
        `export default defineConfig({`,
        `  environments: ['dev'],`,
        `  flows: { findFlows: async () => [${flow('fine')}, ${flow('../up')}] },`,
        // Each run leaves a mark named by its deployment id.
        `  deploy: commandDeployer({ command: [process.execPath, '-e', "const fs = require('node:fs'); fs.mkdirSync('ran', { recursive: true }); fs.writeFileSync('ran/' + process.env.FLOWPORT_DEPLOYMENT_ID, '')"] }),`,
        `});`,
      ].join('\n'),
    });
    const { connection } = startHost(root);
    const err = await connection
      .sendRequest(Methods.deploy, { runId: 'r1', flowIds: ['jobs.ts#fine', 'jobs.ts#../up'], env: 'dev' })
      .then(
        () => assert.fail('the batch was not refused'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof ResponseError, String(err));
    assert.match(err.message, /nothing was started: a flow name cannot be used/);
    assert.match(err.message, /jobs\.ts:1: /);
    // The good flow of the batch was not deployed either: nothing ran, nothing was recorded.
    const deployments = await connection.sendRequest(Methods.deployments, {});
    assert.deepEqual(deployments, []);
    assert.equal(existsSync(join(root, 'ran')) ? readdirSync(join(root, 'ran')).length : 0, 0);
  },
);

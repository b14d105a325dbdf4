// Inputs across flows through the SDK host, as the editor deploys (a real host process, real git,
// the local ledger): api gets db's outputs, the secret one included, and nothing the host sends the
// editor (log notifications, results, deployments) holds the secret in clear; an unmet dependency
// comes back as a refused result naming it and the fix, with nothing recorded.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Methods, type RunLogParams } from '../../../sdk/src/host/protocol.js';
import { gitProject, startHost } from '../../helpers/host.js';
import { tempDir } from '../../helpers/tmp.js';

const SECRET = 'host-secret-5c4b3a2910';

const FILES = {
  'flowport.config.ts': `import { commandDeployer, defineConfig, output } from 'flowport';
export default defineConfig({
  environments: ['dev', 'uat'],
  deploy: commandDeployer({ command: [process.execPath, 'deploy.mjs', '{input:LOGIN}'] }),
  releases: { api: { inputs: { DATABASE_URL: output('db', 'url'), LOGIN: output('db', 'token') } } },
});
`,
  'deploy.mjs': `import { writeFileSync } from 'node:fs';
if (process.env.FLOWPORT_FLOW === 'db') {
  console.log('::flowport-output url=postgres://db.' + process.env.FLOWPORT_ENV);
  console.log('::flowport-secret token=' + process.env.TEST_SECRET);
} else {
  writeFileSync('got.json', JSON.stringify({ argv: process.argv.slice(2), login: process.env.LOGIN, url: process.env.DATABASE_URL }));
  console.log('api logs in with ' + process.env.LOGIN);
}
`,
  'src/api.ts': `import { defineFlow } from 'flowport';\nexport const api = defineFlow({ name: 'api' }, async () => 1);\n`,
  'src/db.ts': `import { defineFlow } from 'flowport';\nexport const db = defineFlow({ name: 'db' }, async () => 1);\n`,
};
const API = 'src/api.ts#api';
const DB = 'src/db.ts#db';

test("the host deploys api with db's outputs as inputs and sends the editor no secret; an unmet dependency is a refused result", async () => {
  const root = gitProject(FILES);
  const keyFile = join(tempDir('flowport-key-'), 'secret.key');
  const { connection } = startHost(root, { TEST_SECRET: SECRET, FLOWPORT_SECRET_KEY_FILE: keyFile });
  const sent: unknown[] = [];
  connection.onNotification(Methods.runLog, (p: RunLogParams) => {
    sent.push(p);
  });

  const [refused] = await connection.sendRequest(Methods.deploy, { runId: 'r0', flowIds: [API], env: 'dev' });
  sent.push(refused);
  assert.equal(refused!.outcome, 'refused', JSON.stringify(refused));
  assert.match(refused!.message, /api needs db's output url in dev .*deploy it first: flowport deploy db --env dev/);
  assert.equal(refused!.deployment, null);

  const results = await connection.sendRequest(Methods.deploy, { runId: 'r1', flowIds: [DB, API], env: 'dev' });
  sent.push(results);
  assert.deepEqual(
    results.map((r) => r.outcome),
    ['succeeded', 'succeeded'],
    JSON.stringify(results),
  );
  const got = JSON.parse(readFileSync(join(root, 'got.json'), 'utf8')) as {
    argv: string[];
    login: string;
    url: string;
  };
  assert.deepEqual(got, { argv: [SECRET], login: SECRET, url: 'postgres://db.dev' });
  const api = results[1]!.deployment!;
  assert.deepEqual(Object.keys(api.attributes.inputs as object), ['DATABASE_URL', 'LOGIN']);
  sent.push(await connection.sendRequest(Methods.deployments, { history: true }));
  const text = JSON.stringify(sent);
  assert.match(text, /api logs in with •••/);
  assert.ok(!text.includes(SECRET), `the host sent the secret:\n${text}`);
});

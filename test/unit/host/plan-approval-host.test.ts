// Several flows promoted from the editor into an environment that asks for approval: through the SDK
// host as the editor asks over JSON-RPC (a real host process, real git, the local ledger), the plan
// asks once; the editor's approvals list shows that one request, and once another identity approves
// it (the CLI here) the promote runs both flows in order and answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Methods } from '../../../sdk/src/host/protocol.js';
import { localLedger } from '../../../sdk/src/index.js';
import { flowport } from '../../helpers/cli.js';
import { gitProject, startHost } from '../../helpers/host.js';
import { waitFor } from '../backend/fixture.js';

const FILES = {
  'flowport.config.ts': `import { commandDeployer, defineConfig, output } from 'flowport';
export default defineConfig({
  environments: ['uat', { name: 'prod', approval: { required: 1 } }],
  deploy: commandDeployer({ command: [process.execPath, 'deploy.mjs'] }),
  releases: { api: { inputs: { DATABASE_URL: output('db', 'url') } } },
});
`,
  'deploy.mjs': `console.log('::flowport-output url=postgres://db.' + process.env.FLOWPORT_ENV);\n`,
  'src/api.ts': `import { defineFlow } from 'flowport';\nexport const api = defineFlow({ name: 'api' }, async () => 1);\n`,
  'src/db.ts': `import { defineFlow } from 'flowport';\nexport const db = defineFlow({ name: 'db' }, async () => 1);\n`,
};
const API = 'src/api.ts#api';
const DB = 'src/db.ts#db';
const as = (email: string) => ({ GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'user.email', GIT_CONFIG_VALUE_0: email });

test('a promote of several flows from the editor asks one approval for the plan, then runs them in order', async () => {
  const root = gitProject(FILES);
  const { connection } = startHost(root, as('alice@example.test'));
  const uat = await connection.sendRequest(Methods.deploy, { runId: 'uat', flowIds: [DB, API], env: 'uat' });
  assert.deepEqual(
    uat.map((r) => r.outcome),
    ['succeeded', 'succeeded'],
    JSON.stringify(uat),
  );

  const checked = await connection.sendRequest(Methods.preflight, {
    action: 'promote',
    flowIds: [API, DB],
    from: 'uat',
    to: 'prod',
  });
  assert.ok(
    checked.plan?.some((l) => /gate: prod needs 1 approval for the whole plan/.test(l)),
    JSON.stringify(checked.plan),
  );

  const promoted = connection.sendRequest(Methods.promote, { runId: 'p', flowIds: [API, DB], from: 'uat', to: 'prod' });
  const pending = await waitFor(async () => {
    const { requests } = await connection.sendRequest(Methods.approvals);
    return requests.length ? requests : undefined;
  }, 'the plan to ask for approval');
  assert.deepEqual(
    pending.map((r) => [r.deployment.flowName, r.request.plan?.steps.map((s) => s.flow)]),
    [['db', ['db', 'api']]],
  );
  assert.deepEqual(await localLedger({ root }).findDeployments({ flows: ['api'], envs: ['prod'], history: true }), []);

  const bob = flowport(['approve', pending[0]!.deployment.id], { cwd: root, env: as('bob@example.test') });
  assert.equal(bob.code, 0, bob.stderr);
  const results = await promoted;
  assert.deepEqual(
    results.map((r) => [r.flow, r.outcome, r.deployment?.attributes.approvedWithPlan]),
    [
      ['db', 'succeeded', pending[0]!.deployment.id],
      ['api', 'succeeded', pending[0]!.deployment.id],
    ],
  );
});

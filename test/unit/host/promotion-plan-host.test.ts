// Several flows promoted together from the editor, through the SDK host as the editor asks over
// JSON-RPC (a real host process, real git, the local ledger): preflight hands back the plan to show
// before the run, and the run keeps the plan's order and stops at the first flow that fails.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Methods } from '../../../sdk/src/host/protocol.js';
import { gitProject, startHost } from '../../helpers/host.js';

// api reads db's url; the deploy fails for the flow named in $FAIL_FLOW when it goes to uat.
const FILES = {
  'flowport.config.ts': `import { commandDeployer, defineConfig, output } from 'flowport';
export default defineConfig({
  environments: ['dev', 'uat'],
  deploy: commandDeployer({ command: [process.execPath, 'deploy.mjs'] }),
  releases: { api: { inputs: { DATABASE_URL: output('db', 'url') } } },
});
`,
  'deploy.mjs': `if (process.env.FLOWPORT_ENV === 'uat' && process.env.FLOWPORT_FLOW === process.env.FAIL_FLOW) process.exit(4);
console.log('::flowport-output url=postgres://db.' + process.env.FLOWPORT_ENV);
`,
  'src/api.ts': `import { defineFlow } from 'flowport';\nexport const api = defineFlow({ name: 'api' }, async () => 1);\n`,
  'src/db.ts': `import { defineFlow } from 'flowport';\nexport const db = defineFlow({ name: 'db' }, async () => 1);\n`,
};
const API = 'src/api.ts#api';
const DB = 'src/db.ts#db';

test('preflight of a promote of several flows returns the plan; the run follows it and stops at a failure', async () => {
  const root = gitProject(FILES);
  const { connection } = startHost(root, { FAIL_FLOW: 'db' });
  const dev = await connection.sendRequest(Methods.deploy, { runId: 'dev', flowIds: [DB, API], env: 'dev' });
  assert.deepEqual(
    dev.map((r) => r.outcome),
    ['succeeded', 'succeeded'],
    JSON.stringify(dev),
  );

  const checked = await connection.sendRequest(Methods.preflight, {
    action: 'promote',
    flowIds: [API, DB],
    from: 'dev',
    to: 'uat',
  });
  assert.equal(checked.refusal, undefined, checked.refusal);
  assert.match(checked.plan?.[0] ?? '', /^Plan: promote 2 flows from dev to uat, in dependency order$/);
  assert.match(checked.plan?.[1] ?? '', /^ {2}1\. db /);
  assert.match(checked.plan?.[2] ?? '', /^ {2}2\. api .*\[after db\]$/);

  // Asked in the order api, db: db goes first, fails, and api is never started.
  const results = await connection.sendRequest(Methods.promote, {
    runId: 'p',
    flowIds: [API, DB],
    from: 'dev',
    to: 'uat',
  });
  assert.deepEqual(
    results.map((r) => [r.flow, r.outcome]),
    [
      ['db', 'failed'],
      ['api', 'cancelled'],
    ],
  );
  assert.match(results[1]!.message, /not started: db before it in the plan did not get to uat/);
  assert.equal(results[1]!.deployment, null);
});

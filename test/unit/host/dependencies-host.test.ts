// The SDK host tells the editor each flow's dependencies (ProjectState.dependencies, from the
// config's releases): the flows it reads an output() of, so the tree and the board can mark them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Methods } from '../../../sdk/src/host/protocol.js';
import { gitProject, startHost } from '../../helpers/host.js';

test('the project state maps each flow that reads outputs to those flows; a broken config maps none', async () => {
  const root = gitProject({
    'flowport.config.ts': [
      `import { current, defineConfig, output, phase } from 'flowport';`,
      `export default defineConfig({`,
      `  environments: ['dev', 'prod'],`,
      `  releases: {`,
      `    api: { inputs: { DATABASE_URL: output('db', 'url'), CACHE: output('cache', 'host'), DB_AGAIN: output('db', 'name'), PREV: current('api').output('version') } },`,
      `    web: { inputs: { API: output('api', 'url') } },`,
      `    db: { build: { command: ['true'] } },`,
      `    worker: { inputs: { BIN: phase('build').output('bin'), V: current('db').output('version') }, build: { command: ['true'] } },`,
      `  },`,
      `});`,
      ``,
    ].join('\n'),
  });
  const { connection } = startHost(root);
  const project = await connection.sendRequest(Methods.project);
  assert.equal(project.configProblem, undefined, project.configProblem?.message);
  // current() and phase() inputs are no dependency; each flow once, in the order written.
  assert.deepEqual(project.dependencies, { api: ['db', 'cache'], web: ['api'] });

  const broken = gitProject({ 'flowport.config.ts': `throw new Error('boom');\n` });
  const other = startHost(broken);
  const state = await other.connection.sendRequest(Methods.project);
  assert.ok(state.configProblem);
  assert.deepEqual(state.dependencies, {});
});

// The SDK host as the extension uses it: a real process speaking JSON-RPC over stdio.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Methods, type RunLogParams } from '../../../sdk/src/host/protocol.js';
import { localLedger, type FlowRunResult } from '../../../sdk/src/index.js';
import { flowport } from '../../helpers/cli.js';
import { waitFor } from '../backend/fixture.js';
import { gitProject, startHost } from '../../helpers/host.js';
import { writeTree } from '../../helpers/tmp.js';

/** Says what it deploys, leaves `out/<deploymentId>` behind to show it ran, and outputs a url. */
const deployScript = [
  `import { mkdirSync, writeFileSync } from 'node:fs';`,
  `mkdirSync('out', { recursive: true });`,
  `writeFileSync('out/' + process.env.FLOWPORT_DEPLOYMENT_ID, '');`,
  `console.log('deploying ' + process.env.FLOWPORT_FLOW + ' to ' + process.env.FLOWPORT_ENV);`,
  `console.log('::flowport-output url=https://example.invalid/' + process.env.FLOWPORT_ENV);`,
].join('\n');

test('project, flows, deploy with live log lines, deployments, and a change notification', async () => {
  const root = gitProject({
    'flowport.config.ts': `import { commandDeployer, defineConfig } from 'flowport';\nexport default defineConfig({ environments: ['dev', 'prod'], deploy: commandDeployer({ command: [process.execPath, 'deploy.mjs'] }) });\n`,
    'deploy.mjs': deployScript,
    'jobs/a.ts': `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'alpha' }, async () => 1);\n`,
  });
  const { connection } = startHost(root);
  const project = await connection.sendRequest(Methods.project);
  assert.deepEqual(
    project.environments.map((e) => e.name),
    ['dev', 'prod'],
  );
  assert.equal(project.configFile, join(root, 'flowport.config.ts'));
  const { flows } = await connection.sendRequest(Methods.flows, {});
  assert.deepEqual(
    flows.map((f) => f.id),
    ['jobs/a.ts#alpha'],
  );

  const lines: string[] = [];
  connection.onNotification(Methods.runLog, (p: RunLogParams) => {
    if (p.runId === 'r1') lines.push(p.line);
  });
  let changed = 0;
  connection.onNotification(Methods.deploymentsChanged, () => {
    changed++;
  });
  const results = await connection.sendRequest(Methods.deploy, {
    runId: 'r1',
    flowIds: ['jobs/a.ts#alpha'],
    env: 'dev',
  });
  assert.equal(results[0]!.outcome, 'succeeded', JSON.stringify(results));
  assert.ok(lines.includes('deploying alpha to dev'), lines.join('\n'));

  const deployments = await connection.sendRequest(Methods.deployments, {});
  assert.equal(deployments.length, 1);
  assert.equal(deployments[0]!.env, 'dev');
  assert.equal(deployments[0]!.outputs.url, 'https://example.invalid/dev');
  // Sent before the deploy's answer, so it has arrived by now.
  assert.ok(changed >= 1, 'deploymentsChanged was sent');
});

test('a deploy by another process (the CLI) is reported: deploymentsChanged, and the host reads it', async () => {
  const root = gitProject({
    'deploy.mjs': deployScript,
    'jobs/a.ts': `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'alpha' }, async () => 1);\n`,
  });
  // The ledger in a folder of its own: only what records deployments writes there (the scan
  // cache and the compiled config stay in .flowport/).
  writeTree(root, {
    'flowport.config.ts': [
      `import { commandDeployer, defineConfig, localLedger } from 'flowport';`,
      `export default defineConfig({`,
      `  environments: ['dev', 'prod'],`,
      `  deployments: localLedger({ root: ${JSON.stringify(root)}, dir: 'ledger' }),`,
      `  deploy: commandDeployer({ command: [process.execPath, 'deploy.mjs'] }),`,
      `});`,
    ].join('\n'),
  });
  const { connection } = startHost(root);
  let changed = 0;
  connection.onNotification(Methods.deploymentsChanged, () => {
    changed++;
  });
  await connection.sendRequest(Methods.project); // the host watches the store from here on
  assert.deepEqual(await connection.sendRequest(Methods.deployments, {}), []);

  // This host runs nothing: only its store watcher can tell of this deploy.
  const cli = flowport(['deploy', 'alpha', '--env', 'dev', '--json'], { cwd: root });
  assert.equal(cli.code, 0, cli.stderr);
  const [made] = (JSON.parse(cli.stdout) as { results: FlowRunResult[] }).results;
  await waitFor(() => changed > 0, 'the host to report the deploy made outside it');
  const seen = await connection.sendRequest(Methods.deployments, {});
  assert.deepEqual(
    seen.map((d) => [d.id, d.status]),
    [[made!.deployment!.id, 'succeeded']],
  );
});

test('preflight: a flow still deploying to the target refuses a run that may not queue; a promote says which flows it would send', async () => {
  const root = gitProject({
    'flowport.config.ts': `import { commandDeployer, defineConfig } from 'flowport';\nexport default defineConfig({ environments: ['dev', 'prod'], deploy: commandDeployer({ command: [process.execPath, 'deploy.mjs'] }) });\n`,
    'deploy.mjs': deployScript,
    'jobs/a.ts': `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'alpha' }, async () => 1);\nexport const b = defineFlow({ name: 'beta' }, async () => 2);\n`,
  });
  const { connection } = startHost(root);
  const flowIds = ['jobs/a.ts#alpha', 'jobs/a.ts#beta'];
  assert.deepEqual(await connection.sendRequest(Methods.preflight, { action: 'deploy', flowIds, env: 'prod' }), {
    sending: ['alpha', 'beta'],
  });
  // Nothing in dev yet: a promote would send nothing (each flow is refused when it runs).
  assert.deepEqual(
    await connection.sendRequest(Methods.preflight, { action: 'promote', flowIds, from: 'dev', to: 'prod' }),
    { sending: [] },
  );
  // This test process, alive, is deploying alpha to prod.
  const busy = await localLedger({ root }).create({
    flowName: 'alpha',
    env: 'prod',
    commit: 'c'.repeat(40),
    ref: 'HEAD',
  });
  // By default the deploy would wait its turn; the editor's "don't queue" refuses instead.
  assert.deepEqual(await connection.sendRequest(Methods.preflight, { action: 'deploy', flowIds, env: 'prod' }), {
    sending: ['alpha', 'beta'],
  });
  const refused = await connection.sendRequest(Methods.preflight, {
    action: 'deploy',
    flowIds,
    env: 'prod',
    queue: false,
  });
  assert.deepEqual(refused.sending, ['alpha', 'beta']);
  assert.match(
    refused.refusal ?? '',
    new RegExp(`"alpha" is already deploying to prod: deployment ${busy.id} \\(pending,`),
  );
  assert.match(refused.refusal ?? '', /\nNothing was started \(1 other flow included\)\.$/);
  assert.equal(
    (
      await connection.sendRequest(Methods.preflight, {
        action: 'deploy',
        flowIds: ['jobs/a.ts#beta'],
        env: 'prod',
        queue: false,
      })
    ).refusal,
    undefined,
    'beta is free',
  );
});

// Changed with the runner (issue 12): a stopped host used to cancel its runs (a closed or
// reloaded window sent a prod rollout SIGTERM halfway). Now each deploy runs under a runner
// process of its own: the host only follows it, and a stopped or killed host leaves it going.
for (const [how, stop, code] of [
  ['the editor closes the connection', (child: ReturnType<typeof spawn>) => child.stdin!.end(), 0],
  ['the editor stops it (TERM)', (child: ReturnType<typeof spawn>) => child.kill('SIGTERM'), 0],
  ['it is killed -9', (child: ReturnType<typeof spawn>) => child.kill('SIGKILL'), null],
] as const) {
  test(`the host, when ${how}, leaves its deploy running: it ends succeeded with its outputs, and the next host shows it`, async () => {
    const root = gitProject({
      'flowport.config.ts': `import { commandDeployer, defineConfig } from 'flowport';\nexport default defineConfig({ environments: ['dev'], deploy: commandDeployer({ command: [process.execPath, 'deploy.mjs'] }) });\n`,
      // Prints every 0.2 s until the test releases it, then outputs a url and exits 0.
      'deploy.mjs': [
        `import { existsSync } from 'node:fs';`,
        `console.log('started ' + process.pid);`,
        `for (let i = 0; !existsSync('release'); i++) { console.log('tick ' + i); await new Promise((r) => setTimeout(r, 200)); }`,
        `console.log('::flowport-output url=https://example.invalid/dev');`,
      ].join('\n'),
      'jobs/a.ts': `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'alpha' }, async () => 1);\n`,
    });
    const { connection, child } = startHost(root);
    const lines: string[] = [];
    connection.onNotification(Methods.runLog, (p: RunLogParams) => {
      lines.push(p.line);
    });
    void connection
      .sendRequest(Methods.deploy, { runId: 'r1', flowIds: ['jobs/a.ts#alpha'], env: 'dev' })
      .catch(() => {});
    const started = await waitFor(() => lines.find((l) => l.startsWith('started ')), 'the deploy command to start');
    const commandPid = Number(started.split(' ')[1]);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    stop(child);
    assert.equal(await exited, code);
    // It prints on: with the host gone there is no pipe to break, and no one cancelled it.
    await new Promise((r) => setTimeout(r, 600));
    assert.doesNotThrow(() => process.kill(commandPid, 0), 'the deploy command still runs');

    const next = startHost(root);
    const [seen] = await next.connection.sendRequest(Methods.deployments, { history: true });
    assert.equal(seen!.status, 'running', JSON.stringify(seen));
    writeFileSync(join(root, 'release'), '');
    const done = await waitFor(async () => {
      const [d] = await next.connection.sendRequest(Methods.deployments, { history: true });
      return d?.status === 'succeeded' ? d : undefined;
    }, 'the deploy to succeed');
    assert.deepEqual(done.outputs, { url: 'https://example.invalid/dev' });
    const log = readFileSync(done.logLocation!, 'utf8');
    assert.match(log, /tick 3\n/);
    assert.match(log, /\[flowport\] succeeded in /);
  });
}

test('a host follows the log of a run it did not start (the CLI’s) and cancels it by id: its runner stops it', async () => {
  const root = gitProject({
    'flowport.config.ts': `import { commandDeployer, defineConfig } from 'flowport';\nexport default defineConfig({ environments: ['dev'], deploy: commandDeployer({ command: [process.execPath, 'deploy.mjs'] }) });\n`,
    'deploy.mjs': `console.log('started ' + process.pid);\nfor (let i = 0; ; i++) { console.log('tick ' + i); await new Promise((r) => setTimeout(r, 200)); }\n`,
    'jobs/a.ts': `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'alpha' }, async () => 1);\n`,
  });
  const r = flowport(['deploy', 'alpha', '--env', 'dev', '--detach', '--json'], { cwd: root });
  assert.equal(r.code, 0, r.stderr);
  const id = (JSON.parse(r.stdout) as { results: FlowRunResult[] }).results[0]!.deployment!.id;
  const { connection } = startHost(root);
  let log = '';
  let from = 0;
  await waitFor(async () => {
    const chunk = await connection.sendRequest(Methods.deploymentLog, { deploymentId: id, from });
    if (chunk) {
      log += chunk.text;
      from = chunk.next;
    }
    return /tick 3\n/.test(log);
  }, 'the log to grow');
  const commandPid = Number(/started (\d+)/.exec(log)![1]);
  await connection.sendRequest(Methods.cancelDeployment, { deploymentId: id });
  const cancelled = await waitFor(async () => {
    const [d] = await connection.sendRequest(Methods.deployments, { history: true });
    return d?.status === 'cancelled' ? d : undefined;
  }, 'its runner to cancel it');
  assert.equal(cancelled.id, id);
  await waitFor(() => {
    try {
      process.kill(commandPid, 0);
      return false;
    } catch {
      return true;
    }
  }, 'the command to be stopped');
  await assert.rejects(
    connection.sendRequest(Methods.deploymentLog, { deploymentId: '../../etc/passwd' }),
    /not a deployment id/,
  );
});

test('a cancel that comes before its run starts cancels it as it starts; no deploy command refuses in preflight', async () => {
  const root = gitProject({
    'flowport.config.ts': `import { commandDeployer, defineConfig } from 'flowport';\nexport default defineConfig({ environments: ['dev'], deploy: commandDeployer({ command: [process.execPath, 'deploy.mjs'] }) });\n`,
    'deploy.mjs': deployScript,
    'jobs/a.ts': `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'alpha' }, async () => 1);\n`,
  });
  const { connection } = startHost(root);
  await connection.sendRequest(Methods.cancel, { runId: 'early' });
  const [result] = await connection.sendRequest(Methods.deploy, {
    runId: 'early',
    flowIds: ['jobs/a.ts#alpha'],
    env: 'dev',
  });
  assert.equal(result!.outcome, 'cancelled', JSON.stringify(result));
  assert.equal(readdirSync(root).includes('out'), false, 'the deploy command never ran');

  const bare = gitProject({
    'flowport.config.ts': `export default { environments: ['dev'] };\n`,
    'jobs/a.ts': `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'alpha' }, async () => 1);\n`,
  });
  const host = startHost(bare);
  const refused = await host.connection.sendRequest(Methods.preflight, {
    action: 'deploy',
    flowIds: ['jobs/a.ts#alpha'],
    env: 'dev',
  });
  assert.match(refused.refusal ?? '', /no deploy command is configured/);
});

test('a config that throws is reported as data; the host keeps answering', async () => {
  const root = gitProject({ 'flowport.config.ts': `throw new Error('no token');\nexport default {};\n` });
  const { connection, child } = startHost(root);
  const project = await connection.sendRequest(Methods.project);
  assert.match(project.configProblem?.message ?? '', /flowport\.config\.ts:1: threw while loading: no token/);
  assert.equal(project.configProblem?.line, 1);
  assert.deepEqual(await connection.sendRequest(Methods.flows, {}), { flows: [], diagnostics: [] });
  assert.equal(child.exitCode, null, 'still running');
});

test('a file the config imports that throws: the problem names it, and the editor is told to watch it', async () => {
  const root = gitProject({
    'flowport.config.ts': `import { token } from './config/token';\nexport default { environments: ['dev'], note: token };\n`,
    'config/token.ts': `export const token: string = process.env.NOPE_TOKEN ?? '';\nif (!token) throw new Error('no token');\n`,
  });
  const { connection } = startHost(root);
  const project = await connection.sendRequest(Methods.project);
  assert.equal(project.configFile, join(root, 'flowport.config.ts'));
  assert.equal(project.configProblem?.file, join(root, 'config/token.ts'));
  assert.equal(project.configProblem?.line, 2);
  assert.deepEqual([...project.configSources].sort(), [
    join(root, 'config/token.ts'),
    join(root, 'flowport.config.ts'),
  ]);
});

test('a config that does not compile says what to do in the editor: save, and it reloads', async () => {
  const root = gitProject({ 'flowport.config.ts': `export default {\n  environments: ['dev'],\n  flows: {,\n};\n` });
  const { connection } = startHost(root);
  const project = await connection.sendRequest(Methods.project);
  assert.match(project.configProblem?.message ?? '', /:3: .+ — fix this and save; Flowport reloads the config$/);
});

test(
  'console output and stdout writes of the config go to stderr, never into the protocol stream',
  { timeout: 30_000 },
  async () => {
    const root = gitProject({
      // A write that looks like a protocol header: on the protocol's stdout it would derail it.
      'flowport.config.ts': `process.stdout.write('Content-Length: 5\\r\\n\\r\\nnoise from the config\\n');\nconsole.log('hello from config');\nexport default { environments: ['dev'] };\n`,
    });
    const { connection, stderr } = startHost(root);
    const project = await connection.sendRequest(Methods.project);
    assert.deepEqual(
      project.environments.map((e) => e.name),
      ['dev'],
    );
    // stderr is another pipe: it may arrive after the answer.
    await waitFor(() => /hello from config/.test(stderr()), 'the console.log on stderr');
    await waitFor(() => /noise from the config/.test(stderr()), 'the stdout write on stderr');
  },
);

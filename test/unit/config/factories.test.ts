/**
 * Every factory a config calls (typescriptFlows, localLedger, commandDeployer, defaultPromoter)
 * works with no project arguments, through a real config file, the real loader and the real CLI;
 * a wrong call is a ConfigError at the config's line.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openProject, type FlowDetails } from '../../../sdk/src/index.js';
import type { ErrorOutput } from '../../../sdk/src/cli/main.js';
import { flowport } from '../../helpers/cli.js';
import { cliProject } from '../backend/fixture.js';

const configWith = (...lines: string[]) =>
  [
    `import { defineConfig, commandDeployer, defaultPromoter, localLedger, typescriptFlows } from 'flowport';`,
    `export default defineConfig({`,
    `  environments: ['dev', 'uat'],`,
    ...lines.map((l) => `  ${l}`),
    `});`,
  ].join('\n');

const DEPLOY = `deploy: commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'] }),`;

test('typescriptFlows(), localLedger(), commandDeployer() and defaultPromoter() with no project arguments deploy and promote', () => {
  const root = cliProject(
    { nightly: 'jobs' },
    configWith(
      `flows: typescriptFlows(),`,
      `deployments: localLedger({ dir: 'state' }),`,
      DEPLOY,
      `promote: defaultPromoter(),`,
    ),
  );
  const flows = flowport(['flows', '--json'], { cwd: root });
  assert.equal(flows.code, 0, flows.stderr);
  assert.deepEqual(
    (JSON.parse(flows.stdout) as FlowDetails[]).map((f) => f.name),
    ['nightly'],
  );
  const deployed = flowport(['deploy', 'nightly', '--env', 'dev'], { cwd: root });
  assert.equal(deployed.code, 0, deployed.stderr);
  // The ledger is the configured one, under the project root: `dir` was kept, `root` supplied.
  assert.match(readFileSync(join(root, 'state', 'ledger.jsonl'), 'utf8'), /"nightly"/);
  assert.equal(existsSync(join(root, '.flowport', 'ledger.jsonl')), false, 'not the default ledger');
  const promoted = flowport(['promote', 'nightly', '--from', 'dev', '--to', 'uat'], { cwd: root });
  assert.equal(promoted.code, 0, promoted.stderr + promoted.stdout);
  const history = flowport(['history', 'nightly', '--json'], { cwd: root });
  assert.deepEqual(
    (JSON.parse(history.stdout) as { deployments: Array<{ env: string }> }).deployments.map((d) => d.env),
    ['uat', 'dev'],
  );
});

test('typescriptFlows({ include }) alone keeps its globs and gets the root from the project', async () => {
  const root = cliProject(
    { nightly: 'jobs', weekly: 'reports' },
    configWith(`flows: typescriptFlows({ include: ['src/jobs/**'] }),`, `deployments: localLedger(),`, DEPLOY),
  );
  const r = flowport(['flows', '--json'], { cwd: join(root, 'src') });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    (JSON.parse(r.stdout) as FlowDetails[]).map((f) => [f.name, f.sourceRelative]),
    [['nightly', 'src/jobs/flow0.ts']],
  );
  // The SDK host's way in: the same project, with the finder's diagnostics and the ledger bound.
  const project = await openProject(root);
  assert.deepEqual(
    (await project.flows.findFlows()).map((f) => f.name),
    ['nightly'],
  );
  assert.equal(project.stateDir, join(root, '.flowport'));
  assert.deepEqual(await project.deployments.findDeployments({}), []);
});

test('a wrong factory call is a ConfigError at the line of the call, saying what to write', () => {
  const cases: Array<[line: string, message: RegExp]> = [
    [
      `flows: typescriptFlows({ incldue: ['src/**'] }),`,
      /typescriptFlows\(\): unknown option "incldue": did you mean "include"\?/,
    ],
    [`flows: typescriptFlows('src'),`, /typescriptFlows\(\) takes an options object or nothing, not the string "src"/],
    [
      `flows: typescriptFlows({ include: 'src/**' }),`,
      /typescriptFlows\(\): include must be an array of globs such as \["src\/\*\*"\]/,
    ],
    [`deployments: localLedger('.flowport'),`, /localLedger\(\) takes an options object or nothing, not the string/],
    [
      `deployments: localLedger({ folder: 'x' }),`,
      /localLedger\(\): unknown option "folder".* It takes root, dir, warn, pollMs/,
    ],
    [`deploy: commandDeployer({ command: [] }),`, /commandDeployer: command must be a non-empty array of strings/],
  ];
  for (const [line, message] of cases) {
    const root = cliProject({ nightly: 'jobs' }, configWith(line));
    const r = flowport(['flows', '--json'], { cwd: root });
    assert.equal(r.code, 2, `${line}: ${r.stderr}`);
    const { error } = JSON.parse(r.stdout) as ErrorOutput;
    assert.equal(error.kind, 'ConfigError', line);
    assert.equal(error.file, join(root, 'flowport.config.ts'), line);
    assert.equal(error.line, 4, `${line}: the line of the call`);
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /Cannot read properties/);
  }
});

test('a flowport.config.mts loads through the CLI, typed, importing the SDK as ESM', () => {
  const root = cliProject({ nightly: 'jobs' }, '');
  rmSync(join(root, 'flowport.config.ts'));
  writeFileSync(
    join(root, 'flowport.config.mts'),
    [
      `import { defineConfig, typescriptFlows, type EnvironmentConfig } from 'flowport';`,
      `const prod: EnvironmentConfig = { name: 'prod', protected: true };`,
      `export default defineConfig({ environments: ['dev', prod], flows: typescriptFlows({ include: ['src/**'] }) });`,
    ].join('\n'),
  );
  const matrix = flowport(['deployments', '--json'], { cwd: join(root, 'src') });
  assert.equal(matrix.code, 0, matrix.stderr);
  const out = JSON.parse(matrix.stdout) as { environments: string[]; flows: Array<{ flow: string }> };
  assert.deepEqual(out.environments, ['dev', 'prod'], 'the .mts config, not the defaults');
  assert.deepEqual(
    out.flows.map((f) => f.flow),
    ['nightly'],
  );
  // Its errors are reported at its own lines, as a .ts config's are.
  writeFileSync(join(root, 'flowport.config.mts'), `export default {\n  environments: ['dev', 'dev'],\n};\n`);
  const twice = flowport(['flows', '--json'], { cwd: root });
  assert.equal(twice.code, 2);
  const { error } = JSON.parse(twice.stdout) as ErrorOutput;
  assert.equal(error.file, join(root, 'flowport.config.mts'));
  assert.equal(error.line, 2);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flowportErrorKind, loadConfig, type ConfigError } from '../../../sdk/src/index.js';
import { dependencyCycle } from '../../../sdk/src/config/flow-releases.js';
import { linkSdk, tempDir, writeTree } from '../../helpers/tmp.js';

function project(config: string): string {
  const root = tempDir();
  linkSdk(root);
  writeTree(root, { 'flowport.config.ts': config });
  return root;
}

async function configError(source: string): Promise<ConfigError> {
  const err = await loadConfig(project(source)).then(
    () => assert.fail('expected a ConfigError'),
    (e: unknown) => e,
  );
  assert.equal(flowportErrorKind(err), 'ConfigError', `not a ConfigError: ${String(err)}`);
  return err as ConfigError;
}

const HEADER = `import { current, defineConfig, output, phase } from 'flowport';\n`;
const ENVS = `  environments: [{ name: 'dev', targets: { web: ['w1', 'w2'], db: ['d1'] } }, { name: 'prod', targets: { web: ['p1'], db: ['pd'] } }],\n`;

test('a release with inputs, a build and steps on target groups loads as written', async () => {
  const root = project(
    `${HEADER}export default defineConfig({\n${ENVS}  releases: {\n` +
      `    db: {},\n` +
      `    api: {\n` +
      `      inputs: { DATABASE_URL: output('db', 'url'), PREVIOUS: current('api').output('version'), BIN: phase('build').output('binaryUrl') },\n` +
      `      build: { command: ['node', 'build.mjs', '{flow}', '{commit}'] },\n` +
      `      steps: [\n` +
      `        { name: 'migrate', group: 'db', command: ['node', 'migrate.mjs', '{target}', '{input:DATABASE_URL}'] },\n` +
      `        { name: 'roll out', group: 'web', command: ['node', 'roll.mjs', '{target}', '{step:migrate:version}'], parallel: 2 },\n` +
      `      ],\n    },\n  },\n});\n`,
  );
  const { config } = await loadConfig(root);
  assert.deepEqual(config.releases?.api?.inputs, {
    DATABASE_URL: { from: 'output', flow: 'db', output: 'url' },
    PREVIOUS: { from: 'current', flow: 'api', output: 'version' },
    BIN: { from: 'phase', phase: 'build', output: 'binaryUrl' },
  });
  assert.equal(config.releases?.api?.steps?.[1]?.parallel, 2);
  assert.deepEqual((config.environments[0] as { targets?: unknown }).targets, { web: ['w1', 'w2'], db: ['d1'] });
});

test('each mistake in a release is a ConfigError at its own line that says what to write', async () => {
  const cases: Array<[string, number, RegExp]> = [
    // An input that is not one of the three sources.
    [`  releases: { api: { inputs: {\n    URL: 'postgres://x' } } },\n`, 5, /input URL must be output\('db', 'url'\)/],
    // An input name no environment variable can have.
    [
      `  releases: { api: { inputs: {\n    'db-url': output('db', 'url') } } },\n`,
      5,
      /environment variable names such as DATABASE_URL/,
    ],
    // A flow taking its own output is a cycle of one: say to use current().
    [
      `  releases: { api: { inputs: {\n    V: output('api', 'version') } } },\n`,
      5,
      /takes an output\(\) of itself: .*current\('api'\)/,
    ],
    // Two flows waiting for each other.
    [
      `  releases: {\n    a: { inputs: { B: output('b', 'x') } },\n    b: { inputs: { A: output('a', 'x') } },\n  },\n`,
      5,
      /cycle a → b → a/,
    ],
    // A step on a group an environment does not map.
    [
      `  releases: { api: { steps: [{ name: 'cache', command: ['x'],\n    group: 'cache' }] } },\n`,
      5,
      /environment "dev" has no targets for it: add targets: \{ cache:/,
    ],
    // Steps with one name.
    [
      `  releases: { api: { steps: [\n    { name: 's', group: 'web', command: ['x'] },\n    { name: 's', group: 'web', command: ['y'] }] } },\n`,
      6,
      /two steps are named "s"/,
    ],
    // Placeholders that would be passed on as they are.
    [
      `  releases: { api: { steps: [{ name: 's', group: 'web',\n    command: ['x', '{input:NOPE}'] }] } },\n`,
      5,
      /\{input:NOPE\} names no input/,
    ],
    [
      `  releases: { api: { steps: [{ name: 's', group: 'web',\n    command: ['x', '{step:later:v}'] }] } },\n`,
      5,
      /naming an earlier step \(none before this one\)/,
    ],
    [`  releases: { api: { build: {\n    command: ['x', '{target}'] } } },\n`, 5, /unknown placeholder \{target\}/],
    // phase('build') with no build.
    [`  releases: { api: { inputs: {\n    BIN: phase('build').output('url') } } },\n`, 5, /has no build: add build/],
    [
      `  releases: { api: { steps: [{ name: 's', group: 'web', command: ['x'],\n    parallel: 0 }] } },\n`,
      5,
      /parallel must be at least 1/,
    ],
    [`  releases: { api: {\n    step: [] } },\n`, 5, /unknown setting "step": did you mean "steps"/],
  ];
  for (const [body, line, message] of cases) {
    const source = `${HEADER}export default defineConfig({\n${ENVS}${body}});\n`;
    const err = await configError(source);
    assert.match(err.message, message, source);
    assert.equal(err.line, line, `${source}\n→ ${err.message}`);
  }
});

test('an environment target group must list targets', async () => {
  const err = await configError(
    `${HEADER}export default defineConfig({\n  environments: [{ name: 'dev',\n    targets: { web: [] } }],\n});\n`,
  );
  assert.match(err.message, /at least one target/);
  assert.equal(err.line, 4);
});

test('dependencyCycle finds the cycle through a chain, and none in a diamond', () => {
  const dep = (...flows: string[]) => ({
    inputs: Object.fromEntries(flows.map((f) => [f.toUpperCase(), { from: 'output' as const, flow: f, output: 'x' }])),
  });
  assert.deepEqual(dependencyCycle({ a: dep('b'), b: dep('c'), c: dep('a') }), ['a', 'b', 'c', 'a']);
  assert.equal(dependencyCycle({ a: dep('b', 'c'), b: dep('d'), c: dep('d'), d: {} }), undefined);
});

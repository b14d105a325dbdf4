// The Temporal preset: the exported functions of the workflows modules that workers name
// (`workflowsPath`), joined across files when the scans are assembled.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { typescriptFlows, type FlowDetails } from '../../../sdk/src/index.js';
import type { TypeScriptFlowsOptions } from '../../../sdk/src/finder/typescript-flows.js';
import { tempDir, writeTree } from '../../helpers/tmp.js';
import { TEMPORAL } from './preset-fixtures.js';

const summary = (flows: FlowDetails[]) => flows.map((f) => `${f.sourceRelative}:${f.line} ${f.name}`);

function index(files: Record<string, string>, options: Omit<TypeScriptFlowsOptions, 'root'> = {}) {
  const root = tempDir();
  writeTree(root, files);
  return { root, index: typescriptFlows({ root, cache: false, ...options }) };
}

const diagnosticsOf = (root: string, i: ReturnType<typeof typescriptFlows>) =>
  i.diagnostics.map((d) => `${d.file.slice(root.length + 1)}:${d.line} ${d.message}`);

const NO_TESTS = { exclude: ['**/*.test.ts'] };

const EXPECTED = [
  'packages/orders/src/billing-workflows.ts:2 invoice',
  'packages/orders/src/workflows/orders.ts:7 placeOrder',
  'packages/orders/src/workflows/orders.ts:11 shipOrder',
  'packages/orders/src/workflows/orders.ts:15 auditOrder',
  'packages/orders/src/workflows/refunds.ts:2 refundOrder',
];

test('Temporal preset: the exported functions of the modules workers name, through re-exports; no activity or decoy', async () => {
  const { root, index: i } = index(TEMPORAL, NO_TESTS);
  const flows = await i.findFlows();
  assert.deepEqual(summary(flows), EXPECTED);
  assert.deepEqual(flows[1]!.attributes, {
    marker: 'workflow',
    framework: 'temporal',
    kind: 'workflow',
    exportName: 'placeOrder',
  });
  assert.equal(flows[4]!.attributes.exportName, 'refundOrder');
  assert.deepEqual(diagnosticsOf(root, i), [
    "packages/orders/src/dynamic-worker.ts:3 workflowsPath: cannot tell which module this names without running it, so its workflows are not listed: write require.resolve('./workflows'), new URL('./workflows', import.meta.url) or path.join(__dirname, 'workflows')",
  ]);
  const status = i.presetStatus().find((s) => s.name === 'temporal');
  assert.deepEqual(status, {
    name: 'temporal',
    dependency: '@temporalio/worker or @temporalio/workflow',
    decidedBy: 'detected',
    packages: ['packages/orders/package.json'],
    notDepending: ['packages/plain/package.json'],
    flows: 5,
  });
});

test('Temporal preset: a test file that makes a worker names its own workflows', async () => {
  const { index: i } = index(TEMPORAL);
  const flows = await i.findFlows();
  assert.ok(summary(flows).includes('packages/orders/src/orders.test.ts:3 testOnlyWorkflow'));
});

test('Temporal preset off: no workflow and no diagnostic; on everywhere: the package without the dependency too', async () => {
  const off = index(TEMPORAL, { ...NO_TESTS, presets: { temporal: false } });
  assert.deepEqual(await off.index.findFlows(), []);
  assert.deepEqual(off.index.diagnostics, []);
  const on = index(TEMPORAL, { ...NO_TESTS, presets: { temporal: true } });
  assert.deepEqual(summary(await on.index.findFlows()), [...EXPECTED, 'packages/plain/src/workflows.ts:1 plainFlow']);
});

test('Temporal preset: the forms of workflowsPath a worker writes', async () => {
  const worker = (value: string) =>
    [
      `import { Worker } from '@temporalio/worker';`,
      `import path from 'path';`,
      `import { fileURLToPath } from 'url';`,
      `Worker.create({ workflowsPath: ${value} });`,
    ].join('\n');
  const files: Record<string, string> = {
    'package.json': JSON.stringify({ dependencies: { '@temporalio/worker': '1' } }),
    'a/worker.ts': worker(`path.join(__dirname, 'flows')`),
    'a/flows.ts': `import '@temporalio/workflow';\nexport async function joined() {}`,
    'b/worker.ts': worker(`fileURLToPath(new URL('./flows.js', import.meta.url))`),
    'b/flows.ts': `import '@temporalio/workflow';\nexport async function fromUrl() {}`,
    'c/src/worker.ts': worker(`path.resolve(__dirname, '../lib', 'flows')`),
    'c/lib/flows/index.ts': `import '@temporalio/workflow';\nexport async function resolved() {}`,
    'd/worker.ts': worker('`${__dirname}/flows`'),
    'd/flows.ts': `import '@temporalio/workflow';\nexport async function templated() {}`,
  };
  const { root, index: i } = index(files);
  assert.deepEqual(summary(await i.findFlows()), [
    'a/flows.ts:2 joined',
    'b/flows.ts:2 fromUrl',
    'c/lib/flows/index.ts:2 resolved',
    'd/flows.ts:2 templated',
  ]);
  assert.deepEqual(diagnosticsOf(root, i), []);
});

test('Temporal preset: the scan cache keeps the worker and the candidates', async () => {
  const root = tempDir();
  writeTree(root, TEMPORAL);
  const cold = typescriptFlows({ root, ...NO_TESTS });
  assert.deepEqual(summary(await cold.findFlows()), EXPECTED);
  const warm = typescriptFlows({ root, ...NO_TESTS });
  assert.deepEqual(summary(await warm.findFlows()), EXPECTED);
  assert.equal(warm.lastScan.parsed, 0, 'everything from the cache');
});

test('Temporal preset, incremental: a worker pointed elsewhere moves the workflows; an edited module changes them', async () => {
  const { root, index: i } = index(TEMPORAL, NO_TESTS);
  await i.findFlows();
  const worker = join(root, 'packages/orders/src/worker.ts');
  writeFileSync(
    worker,
    TEMPORAL['packages/orders/src/worker.ts']!.replace(
      "require.resolve('./workflows')",
      "require.resolve('./old/workflows')",
    ),
  );
  const moved = await i.update([worker]);
  assert.deepEqual(summary(moved.flows), [
    'packages/orders/src/billing-workflows.ts:2 invoice',
    'packages/orders/src/old/workflows.ts:2 legacyOrder',
  ]);
  assert.deepEqual(moved.rescanned.sort(), [
    'packages/orders/src/old/workflows.ts',
    'packages/orders/src/worker.ts',
    'packages/orders/src/workflows/orders.ts',
    'packages/orders/src/workflows/refunds.ts',
  ]);
  const legacy = join(root, 'packages/orders/src/old/workflows.ts');
  writeFileSync(
    legacy,
    `import { sleep } from '@temporalio/workflow';\nexport async function renamed() { await sleep(1); }\n`,
  );
  const edited = await i.update([legacy]);
  assert.deepEqual(summary(edited.flows), [
    'packages/orders/src/billing-workflows.ts:2 invoice',
    'packages/orders/src/old/workflows.ts:2 renamed',
  ]);
});

test('Temporal preset, incremental: a deleted worker or a dependency dropped from package.json takes its workflows away', async () => {
  const { root, index: i } = index(TEMPORAL, NO_TESTS);
  await i.findFlows();
  rmSync(join(root, 'packages/orders/src/billing-worker.mts'));
  const deleted = await i.update([join(root, 'packages/orders/src/billing-worker.mts')]);
  assert.deepEqual(summary(deleted.flows), EXPECTED.slice(1));
  assert.ok(deleted.rescanned.includes('packages/orders/src/billing-workflows.ts'), deleted.rescanned.join());
  const pkg = join(root, 'packages/orders/package.json');
  writeFileSync(pkg, JSON.stringify({ name: 'orders', dependencies: {} }));
  const dropped = await i.update([pkg]);
  assert.deepEqual(dropped.flows, []);
  assert.ok(dropped.rescanned.includes('packages/orders/src/workflows/orders.ts'), dropped.rescanned.join());
});

test('Temporal preset: a module a worker names is read as workflows even without @temporalio/workflow or the name workflows.ts, from the cache and as it changes', async () => {
  const root = tempDir();
  writeTree(root, {
    'package.json': JSON.stringify({ dependencies: { '@temporalio/worker': '^1.11.0' } }),
    'src/worker.ts':
      `import { Worker } from '@temporalio/worker';\n` +
      `export const run = () => Worker.create({ workflowsPath: require.resolve('./flows/main'), taskQueue: 'q' });\n`,
    // Plain functions, as Temporal's hello-world without activities; a barrel into another one.
    'src/flows/main.ts': `export async function greet(name: string) {\n  return 'hi ' + name;\n}\nexport * from './more';\n`,
    'src/flows/more.ts': `export const farewell = async (name: string) => 'bye ' + name;\n`,
    'src/flows/unnamed.ts': `export async function notAWorkflow() {\n  return 1;\n}\n`,
  });
  const expected = ['src/flows/main.ts:1 greet', 'src/flows/more.ts:1 farewell'];
  const cold = typescriptFlows({ root });
  assert.deepEqual(summary(await cold.findFlows()), expected);
  const warm = typescriptFlows({ root });
  assert.deepEqual(summary(await warm.findFlows()), expected);
  assert.equal(warm.lastScan.parsed, 0, 'what each file was read as comes from the cache');

  const main = join(root, 'src/flows/main.ts');
  writeFileSync(main, `export async function greet() {}\nexport async function wave() {}\n`);
  const edited = await warm.update([main]);
  assert.deepEqual(summary(edited.flows), ['src/flows/main.ts:1 greet', 'src/flows/main.ts:2 wave']);

  const worker = join(root, 'src/worker.ts');
  writeFileSync(
    worker,
    `import { Worker } from '@temporalio/worker';\n` +
      `export const run = () => Worker.create({ workflowsPath: require.resolve('./flows/unnamed'), taskQueue: 'q' });\n`,
  );
  const repointed = await warm.update([worker]);
  assert.deepEqual(summary(repointed.flows), ['src/flows/unnamed.ts:1 notAWorkflow']);
  assert.ok(repointed.rescanned.includes('src/flows/unnamed.ts'), repointed.rescanned.join());
});

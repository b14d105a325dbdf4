// The BullMQ, Inngest, Mastra and AWS CDK presets and the marker forms they needed (`new`
// expressions, the name from an argument), on the fixtures of preset-fixtures.ts.
import assert from 'node:assert/strict';
import { extname } from 'node:path';
import { test } from 'node:test';
import { loadConfig, typescriptFlows, type ConfigError, type FlowDetails } from '../../../sdk/src/index.js';
import type { TypeScriptFlowsOptions } from '../../../sdk/src/finder/typescript-flows.js';
import { DEFINE_FLOW, PRESETS, markerProblem, mayContainFlow } from '../../../sdk/src/finder/markers.js';
import { loadParser, scanSource, scanSourceWhole } from '../../../sdk/src/finder/parse.js';
import { presetLines } from '../../../sdk/src/finder/presets.js';
import { flowport } from '../../helpers/cli.js';
import { linkSdk, tempDir, writeTree } from '../../helpers/tmp.js';
import { BULLMQ, CDK, INNGEST, MASTRA, packageJson } from './preset-fixtures.js';

const summary = (flows: FlowDetails[]) => flows.map((f) => `${f.sourceRelative}:${f.line} ${f.name}`);

async function found(files: Record<string, string>, options: Omit<TypeScriptFlowsOptions, 'root'> = {}) {
  const root = tempDir();
  writeTree(root, files);
  const index = typescriptFlows({ ...options, root, cache: false });
  const flows = await index.findFlows();
  const diagnostics = index.diagnostics.map((d) => `${d.file.slice(root.length + 1)}:${d.line} ${d.message}`);
  return { index, flows, diagnostics };
}

const NO_TESTS = { exclude: ['**/*.test.ts'] };

test('BullMQ preset: new Worker(name, …) from bullmq, the name the first argument; no look-alike or decoy', async () => {
  const { flows, diagnostics, index } = await found(BULLMQ, NO_TESTS);
  assert.deepEqual(summary(flows), [
    'src/workers/email.ts:3 emails',
    'src/workers/legacy.cjs:2 reports',
    'src/workers/resize.ts:4 image-resize',
  ]);
  assert.deepEqual(flows[0]!.attributes, {
    marker: 'Worker',
    framework: 'bullmq',
    kind: 'Worker',
    exportName: 'emailWorker',
  });
  assert.deepEqual(diagnostics, [
    'src/workers/dynamic.ts:3 new Worker: flow name must be a string literal, the first argument',
  ]);
  const bullmq = index.presetStatus().find((s) => s.name === 'bullmq');
  assert.deepEqual(bullmq, {
    name: 'bullmq',
    dependency: 'bullmq',
    decidedBy: 'detected',
    packages: ['package.json'],
    notDepending: [],
    flows: 3,
  });
  // A file that says Worker but imports no bullmq is read, never parsed.
  // (The decoys' file, which imports no bullmq either, is not parsed: its units are comments and strings.)
  assert.equal(index.lastScan.parsed, 5, 'email, resize, legacy, dynamic, lookalikes');
});

test('tests that make the same Worker are a duplicate name until excluded', async () => {
  const { diagnostics } = await found(BULLMQ);
  assert.equal(
    diagnostics.filter((d) => /duplicate flow name "emails".*src\/workers\/email\.test\.ts:2/.test(d)).length,
    1,
    diagnostics.join('\n'),
  );
});

test('Inngest preset: createFunction in v3 and v4 shapes on an Inngest client, the name from id; no look-alike', async () => {
  const { flows, diagnostics } = await found(INNGEST, NO_TESTS);
  assert.deepEqual(summary(flows), [
    'src/inngest/functions.ts:3 import-product-images',
    'src/inngest/functions.ts:11 weekly-digest',
    'src/inngest/functions.ts:17 many-triggers',
    'src/inngest/local.ts:3 invoke-only',
    'src/inngest/local.ts:4 template-id',
    'src/inngest/v4.ts:3 sync-systems',
  ]);
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(flows[0]!.attributes, {
    marker: 'createFunction',
    framework: 'inngest',
    kind: 'createFunction',
    exportName: 'default',
  });
});

test('Inngest functions where no package.json depends on inngest: none, and a line that says why', async () => {
  const { flows, index } = await found({ ...INNGEST, 'package.json': packageJson('app', {}) }, NO_TESTS);
  assert.deepEqual(summary(flows), []);
  assert.deepEqual(presetLines(index.presetStatus()), [
    'preset inngest: off: its units are written where package.json does not depend on inngest',
  ]);
});

test('Mastra preset: createWorkflow({ id }) from @mastra/core and its subpaths', async () => {
  const { flows, diagnostics } = await found(MASTRA);
  assert.deepEqual(summary(flows), [
    'src/mastra/workflows/root.ts:2 data-processing-workflow',
    'src/mastra/workflows/test-workflow.ts:11 test-workflow',
  ]);
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(flows[1]!.attributes, {
    marker: 'createWorkflow',
    framework: 'mastra',
    kind: 'createWorkflow',
    exportName: 'testWorkflow',
  });
});

test('AWS CDK preset: new SomeStack(app, id) for Stack and its subclasses, the name the second argument', async () => {
  const { flows, diagnostics } = await found(CDK, NO_TESTS);
  assert.deepEqual(summary(flows), [
    'bin/backend.ts:5 Backend',
    'bin/hello-cdk.ts:8 HelloCdkStack',
    'bin/hello-cdk.ts:11 ApiStack',
    'bin/hello-cdk.ts:12 PlainStack',
    'bin/single.ts:17 Storage',
    'bin/single.ts:18 Base',
  ]);
  assert.deepEqual(diagnostics, [
    'bin/hello-cdk.ts:13 new Stack: flow name must be a string literal, the second argument',
  ]);
  assert.deepEqual(flows[5]!.attributes, { marker: 'Stack', framework: 'aws-cdk', kind: 'Stack', exportName: 'base' });
  // A test's app is made inside the test: its stacks are not the project's.
  const withTests = await found(CDK);
  assert.deepEqual(summary(withTests.flows), summary(flows));
});

test('AWS CDK v1: @aws-cdk/core apps; the constructs of @aws-cdk/* are no stacks', async () => {
  const { flows, index } = await found({
    'package.json': packageJson('infra', { '@aws-cdk/core': '^1.200.0', '@aws-cdk/aws-s3': '^1.200.0' }),
    'bin/app.ts': [
      `import * as cdk from '@aws-cdk/core';`,
      `import { Bucket } from '@aws-cdk/aws-s3';`,
      `import { MyEc2AppStack } from '../lib/my-ec2-app-stack';`,
      `const app = new cdk.App();`,
      `new MyEc2AppStack(app, 'MyEc2AppStack', { env: { region: process.env.AWS_REGION } });`,
      `new Bucket(app, 'NotAStack');`,
    ].join('\n'),
  });
  assert.deepEqual(summary(flows), ['bin/app.ts:5 MyEc2AppStack']);
  assert.equal(index.presetStatus().find((s) => s.name === 'aws-cdk')?.dependency, 'aws-cdk-lib or @aws-cdk/core');
});

test('presets off through flows.presets, on everywhere without the dependency', async () => {
  const all = { ...BULLMQ, ...prefixed('inngest/', INNGEST), ...prefixed('cdk/', CDK), ...prefixed('mastra/', MASTRA) };
  const off = await found(all, {
    ...NO_TESTS,
    presets: { bullmq: false, inngest: false, 'aws-cdk': false, mastra: false },
  });
  assert.deepEqual(summary(off.flows), []);
  assert.deepEqual(off.diagnostics, []);

  // No package depends on the frameworks: nothing, unless switched on.
  const noDeps = { ...BULLMQ, 'package.json': packageJson('workers', {}) };
  assert.deepEqual(summary((await found(noDeps, NO_TESTS)).flows), []);
  const on = await found(noDeps, { ...NO_TESTS, presets: { bullmq: true } });
  assert.equal(on.flows.length, 3);
  assert.equal(on.index.presetStatus().find((s) => s.name === 'bullmq')?.decidedBy, 'config');
});

test('monorepo: only the package that depends on BullMQ has its workers as flows', async () => {
  const { flows, index } = await found({
    'package.json': JSON.stringify({ name: 'mono', private: true, workspaces: ['apps/*'] }),
    'apps/jobs/package.json': packageJson('jobs', { bullmq: '^5.0.0' }),
    'apps/jobs/src/email.ts': BULLMQ['src/workers/email.ts']!,
    'apps/web/package.json': packageJson('web', { next: '^15.0.0' }),
    // Hoisted bullmq would resolve here too; still not this package's framework.
    'apps/web/src/queue.ts': `import { Worker } from 'bullmq';\nexport const w = new Worker('web-queue', async () => {});\n`,
  });
  assert.deepEqual(summary(flows), ['apps/jobs/src/email.ts:3 emails']);
  const bullmq = index.presetStatus().find((s) => s.name === 'bullmq')!;
  assert.deepEqual([bullmq.packages, bullmq.notDepending], [['apps/jobs/package.json'], ['apps/web/package.json']]);
  assert.deepEqual(presetLines(index.presetStatus()), [
    'preset bullmq: on for 1 package (apps/jobs/package.json depends on bullmq), 1 flow; off for apps/web/package.json (no dependency on bullmq)',
  ]);
});

test('markers of your own: new expressions and the name from an argument', async () => {
  const { flows, diagnostics } = await found(
    {
      'a.ts': [
        `import { Job, jobs } from '@acme/jobs';`,
        `import * as acme from '@acme/jobs';`,
        `export const a = new Job('by-argument', () => {});`,
        `export const b = new acme.Job('namespaced', () => {});`,
        `export const c = Job('not-new');`,
        `export const d = new jobs.Runner({ id: 'member-new' });`,
        `export const e = define(1, 'second-argument');`,
        `import { define } from '@acme/jobs/define';`,
        `export const f = new Job({ name: 'an-object' });`,
      ].join('\n'),
    },
    {
      markers: [
        { callee: 'Job', module: '@acme/jobs', new: true, nameFrom: { argument: 0 } },
        { callee: 'jobs.Runner', module: '@acme/jobs', new: true, nameFrom: 'id' },
        { callee: 'define', module: '@acme/jobs', nameFrom: { argument: 1 } },
      ],
    },
  );
  assert.deepEqual(summary(flows), [
    'a.ts:3 by-argument',
    'a.ts:4 namespaced',
    'a.ts:6 member-new',
    'a.ts:7 second-argument',
  ]);
  assert.deepEqual(diagnostics, ['a.ts:9 new Job: flow name must be a string literal, the first argument']);
  assert.equal(flows[0]!.attributes.marker, 'Job');
});

test('new and nameFrom settings that could never match are refused', () => {
  assert.equal(markerProblem({ callee: 'Worker', new: true, nameFrom: { argument: 0 } }), undefined);
  assert.match(markerProblem({ callee: 'Worker', new: 'yes' })!, /new must be true/);
  for (const nameFrom of [
    { argument: -1 },
    { argument: 1.5 },
    { argument: '0' },
    { arg: 0 },
    { argument: 0, x: 1 },
    [],
  ]) {
    assert.match(markerProblem({ callee: 'Worker', nameFrom })!, /nameFrom must be/, JSON.stringify(nameFrom));
  }
  assert.throws(
    () => typescriptFlows({ root: tempDir(), markers: [{ callee: 'Worker', nameFrom: { argument: -1 } }] }),
    /markers\[0\]: nameFrom must be \{ argument: n \}/,
  );
});

function prefixed(prefix: string, files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [prefix + k, v]));
}

test('each fixture file, converted only where it spells what the presets need, gives what the whole file gives', async () => {
  await loadParser();
  const markers = [DEFINE_FLOW, ...PRESETS.flatMap((p) => p.markers)];
  for (const [rel, text] of [BULLMQ, INNGEST, MASTRA, CDK].flatMap((files) => Object.entries(files))) {
    const ext = extname(rel);
    if (!['.ts', '.cjs', '.js'].includes(ext)) continue;
    assert.deepEqual(scanSource(text, ext, markers), scanSourceWhole(text, ext, markers), rel);
  }
});

test('flowport flows with no config: a monorepo of BullMQ workers and Inngest functions lists both, and says why', () => {
  const root = tempDir();
  writeTree(root, {
    'package.json': JSON.stringify({ name: 'mono', private: true, workspaces: ['apps/*'] }),
    ...prefixed('apps/workers/', BULLMQ),
    ...prefixed('apps/web/', INNGEST),
    'flowport.config.ts': `export default { environments: ['dev'], flows: { exclude: ['**/*.test.ts'] } };\n`,
  });
  const r = flowport(['flows', '--root', root, '--json', '--no-cache']);
  assert.equal(r.code, 0, r.stderr);
  const flows = JSON.parse(r.stdout) as FlowDetails[];
  assert.deepEqual(
    flows.map((f) => `${String(f.attributes.framework)} ${f.name}`),
    [
      'inngest import-product-images',
      'inngest weekly-digest',
      'inngest many-triggers',
      'inngest invoke-only',
      'inngest template-id',
      'inngest sync-systems',
      'bullmq emails',
      'bullmq reports',
      'bullmq image-resize',
    ],
  );
  const lines = r.stderr.trimEnd().split('\n');
  assert.deepEqual(lines.slice(-2), [
    'preset inngest: on for 1 package (apps/web/package.json depends on inngest), 6 flows',
    'preset bullmq: on for 1 package (apps/workers/package.json depends on bullmq), 3 flows',
  ]);
  assert.match(lines[0]!, /apps\/workers\/src\/workers\/dynamic\.ts:3: new Worker: flow name must be a string literal/);
});

test('the first pass finds every module in one search: a module that begins with another is found too', () => {
  const markers = [
    { callee: 'alpha', module: '@acme/jobs' },
    { callee: 'beta', module: '@acme/jobs/v2', subpaths: false },
    { callee: 'gamma', module: 'flowport-extra', subpaths: false },
  ];
  assert.equal(mayContainFlow(`import { beta } from "@acme/jobs/v2";\nbeta();`, markers), true);
  assert.equal(mayContainFlow(`import { alpha } from '@acme/jobs/v3';\nalpha();`, markers), true);
  assert.equal(mayContainFlow(`import { beta } from '@acme/jobs/v2/more';\nbeta();`, markers), false);
  assert.equal(mayContainFlow(`import { gamma } from 'flowport-extra';\ngamma();`, markers), true);
  assert.equal(mayContainFlow(`import { gamma } from 'flowport-extra/x';\ngamma();`, markers), false);
  const all = [DEFINE_FLOW, ...PRESETS.flatMap((p) => p.markers)];
  assert.equal(
    mayContainFlow(`export const w = new Worker('./w.js');\nclass MyStack {}\nconst app = new App();`, all),
    false,
  );
  assert.equal(mayContainFlow(`import { Worker } from "bullmq";\nnew Worker('q');`, all), true);
  assert.equal(mayContainFlow(`import * as cdk from 'aws-cdk-lib/aws-s3';\nnew cdk.Stack(app, 'S');`, all), false);
});

test('a config file takes new and nameFrom: { argument: n }; one that can never match is a ConfigError at its line', async () => {
  const root = tempDir();
  linkSdk(root);
  writeTree(root, {
    'flowport.config.ts': [
      `export default {`,
      `  environments: ['dev'],`,
      `  flows: { markers: [{ callee: 'Job', module: '@acme/jobs', new: true, nameFrom: { argument: 0 } }] },`,
      `};`,
    ].join('\n'),
    'src/a.ts': `import { Job } from '@acme/jobs';\nexport const j = new Job('nightly', () => {});\n`,
  });
  const r = flowport(['flows', '--root', root, '--json', '--no-cache']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(summary(JSON.parse(r.stdout) as FlowDetails[]), ['src/a.ts:2 nightly']);

  const cases: Array<[string, number, RegExp]> = [
    [
      `export default {\n  environments: ['dev'],\n  flows: { markers: [{ callee: 'Job',\n    nameFrom: { argument: -1 } }] },\n};\n`,
      4,
      /flows\.markers\[0\]: nameFrom must be \{ argument: n \}, n the argument's position from 0/,
    ],
    [
      `export default {\n  environments: ['dev'],\n  flows: { markers: [{ callee: 'Job',\n    new: 'yes' }] },\n};\n`,
      4,
      /flows\.markers\[0\]: new must be true/,
    ],
  ];
  for (const [source, line, message] of cases) {
    writeTree(root, { 'flowport.config.ts': source });
    const err = (await loadConfig(root).then(
      () => assert.fail(`loaded: ${source}`),
      (e: unknown) => e,
    )) as ConfigError;
    assert.equal(err.kind, 'ConfigError', String(err));
    assert.equal(err.line, line, `${err.message}\n${source}`);
    assert.match(err.message, message);
  }
});

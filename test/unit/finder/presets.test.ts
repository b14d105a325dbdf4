// Trigger.dev preset and the marker fields it needed (member callees, subpath modules), on
// fixtures written from Trigger.dev's documented call shapes: task({ id, run }),
// schemaTask({ id, schema, run }), schedules.task({ id, cron, run }), toolTask, imported from
// '@trigger.dev/sdk' and '@trigger.dev/sdk/v3'.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig, typescriptFlows, type ConfigError, type FlowDetails } from '../../../sdk/src/index.js';
import { flowport } from '../../helpers/cli.js';
import { linkSdk, tempDir, writeTree } from '../../helpers/tmp.js';

const summary = (flows: FlowDetails[]) => flows.map((f) => `${f.sourceRelative}:${f.line} ${f.name}`);

const depends = (name: string, on: Record<string, string> = { '@trigger.dev/sdk': '^4.0.0' }, key = 'dependencies') =>
  JSON.stringify({ name, [key]: on }, null, 2);

/** A Trigger.dev project's trigger folder, as its docs write it, with every decoy beside it. */
const TRIGGER_FILES: Record<string, string> = {
  'trigger/hello.ts': [
    `import { task } from "@trigger.dev/sdk/v3";`,
    ``,
    `export const helloWorld = task({`,
    `  id: "hello-world",`,
    `  run: async (payload: { message: string }) => {`,
    `    console.log(payload.message);`,
    `  },`,
    `});`,
    ``,
    `// export const oldTask = task({ id: "commented-out", run: async () => {} });`,
    `/*`,
    `export const older = task({ id: "block-commented", run: async () => {} });`,
    `*/`,
    `const docs = "task({ id: 'in-a-string' })";`,
    'const example = `task({ id: "in-a-template" })`;',
  ].join('\n'),
  'trigger/schema.ts': [
    `import { schemaTask } from "@trigger.dev/sdk";`,
    `import { z } from "zod";`,
    ``,
    `export const myTask = schemaTask({`,
    `  id: "my-schema-task",`,
    `  schema: z.object({ name: z.string(), age: z.number() }),`,
    `  run: async (payload) => {`,
    `    return { greeting: payload.name };`,
    `  },`,
    `});`,
  ].join('\n'),
  'trigger/scheduled.ts': [
    `import { schedules } from "@trigger.dev/sdk/v3";`,
    ``,
    `export const firstScheduledTask = schedules.task({`,
    `  id: "first-scheduled-task",`,
    `  cron: "0 */2 * * *",`,
    `  run: async (payload) => {`,
    `    console.log(payload.timestamp);`,
    `  },`,
    `});`,
  ].join('\n'),
  'trigger/tools.ts': [
    `import { toolTask } from "@trigger.dev/sdk/v3";`,
    `import { ai } from "@trigger.dev/sdk/ai";`,
    `import { z } from "zod";`,
    ``,
    `export const lookup = toolTask({`,
    `  id: "lookup-tool",`,
    `  description: "Looks a customer up",`,
    `  parameters: z.object({ email: z.string() }),`,
    `  run: async ({ email }) => email,`,
    `});`,
    `export const lookupTool = ai.tool(lookup);`,
  ].join('\n'),
  // A local function named task next to a real import from the SDK: not a flow.
  'trigger/local.ts': [
    `import { schedules } from "@trigger.dev/sdk";`,
    `function task(options: { id: string }) {`,
    `  return options;`,
    `}`,
    `task({ id: "local-function" });`,
    `export function wrap(task: (o: { id: string }) => void) {`,
    `  task({ id: "a-parameter" });`,
    `}`,
    `export const s = schedules;`,
  ].join('\n'),
  // task imported from elsewhere, the SDK only named in a comment; a look-alike package.
  'trigger/elsewhere.ts': [
    `// wraps task() from '@trigger.dev/sdk'`,
    `import { task } from "./lib/task";`,
    `import { task as extraTask } from "@trigger.dev/sdk-extra";`,
    `export const a = task({ id: "imported-elsewhere" });`,
    `export const b = extraTask({ id: "look-alike-package" });`,
  ].join('\n'),
  // Namespace, require and the bare package.
  'trigger/namespaced.ts': [
    `import * as sdk from "@trigger.dev/sdk/v3";`,
    `export const a = sdk.task({ id: "namespace-task", run: async () => {} });`,
    `export const b = sdk.schedules.task({ id: "namespace-scheduled", cron: "0 0 * * *", run: async () => {} });`,
  ].join('\n'),
  'trigger/required.cjs': [
    `const { schemaTask, schedules } = require("@trigger.dev/sdk/v3");`,
    `exports.a = schemaTask({ id: "required-schema-task", run: async () => {} });`,
    `exports.b = schedules`,
    `  .task({ id: "required-scheduled", cron: "* * * * *", run: async () => {} });`,
  ].join('\n'),
  // Required inline: the only name the call spells that matters is require.
  'trigger/inline.cjs': `const later = 1;\nexports.c = require("@trigger.dev/sdk").task({ id: "required-inline", run: async () => later });\n`,
  '.gitignore': 'dist/\n',
  'dist/trigger/hello.js': `import { task } from "@trigger.dev/sdk/v3";\nexport const helloWorld = task({ id: "hello-world", run: async () => {} });\n`,
  'node_modules/@trigger.dev/sdk/dist/index.js': `import { task } from "@trigger.dev/sdk/v3";\nexport const x = task({ id: "in-node-modules" });\n`,
};

const EXPECTED = [
  'trigger/hello.ts:3 hello-world',
  'trigger/inline.cjs:2 required-inline',
  'trigger/namespaced.ts:2 namespace-task',
  'trigger/namespaced.ts:3 namespace-scheduled',
  'trigger/required.cjs:2 required-schema-task',
  'trigger/required.cjs:3 required-scheduled',
  'trigger/scheduled.ts:3 first-scheduled-task',
  'trigger/schema.ts:4 my-schema-task',
  'trigger/tools.ts:5 lookup-tool',
];

test('Trigger.dev preset with no config: task, schemaTask, schedules.task, toolTask from the SDK and its subpaths; no decoy', async () => {
  const root = tempDir();
  writeTree(root, { 'package.json': depends('jobs'), ...TRIGGER_FILES });
  const index = typescriptFlows({ root, cache: false });
  const flows = await index.findFlows();
  assert.deepEqual(summary(flows), EXPECTED);
  assert.deepEqual(index.diagnostics, []);
  const byName = new Map(flows.map((f) => [f.name, f.attributes]));
  assert.deepEqual(byName.get('hello-world'), {
    marker: 'task',
    framework: 'trigger.dev',
    kind: 'task',
    exportName: 'helloWorld',
  });
  assert.equal(byName.get('my-schema-task')?.kind, 'schemaTask');
  assert.equal(byName.get('first-scheduled-task')?.kind, 'schedules.task');
  assert.equal(byName.get('lookup-tool')?.kind, 'toolTask');
  // The other presets are listed too, found nowhere.
  assert.deepEqual(
    index.presetStatus().map((s) => [s.name, s.flows]),
    [
      ['trigger.dev', EXPECTED.length],
      ['inngest', 0],
      ['bullmq', 0],
      ['mastra', 0],
      ['temporal', 0],
      ['aws-cdk', 0],
    ],
  );
  assert.deepEqual(index.presetStatus().slice(0, 1), [
    {
      name: 'trigger.dev',
      dependency: '@trigger.dev/sdk',
      decidedBy: 'detected',
      packages: ['package.json'],
      notDepending: [],
      flows: EXPECTED.length,
    },
  ]);
});

test('a preset is parsed for only where its module is written: task( without the SDK costs no parse', async () => {
  const root = tempDir();
  const plain: Record<string, string> = { 'package.json': depends('jobs') };
  for (let i = 0; i < 5; i++)
    plain[`src/queue${i}.ts`] = `export const t${i} = task({ id: "q${i}" });\nfunction task(o: object) { return o; }\n`;
  plain['src/real.ts'] = `import { task } from '@trigger.dev/sdk/v3';\nexport const r = task({ id: 'real' });\n`;
  writeTree(root, plain);
  const index = typescriptFlows({ root, cache: false });
  assert.deepEqual(summary(await index.findFlows()), ['src/real.ts:2 real']);
  assert.equal(index.lastScan.read, 6);
  assert.equal(index.lastScan.parsed, 1);
});

/** Two packages: apps/jobs depends on the SDK, packages/tools does not (its task( calls are its own). */
function monorepo(root: string, extra: Record<string, string> = {}): void {
  writeTree(root, {
    'package.json': JSON.stringify({ name: 'mono', private: true, workspaces: ['apps/*', 'packages/*'] }),
    'apps/jobs/package.json': depends('jobs'),
    'apps/jobs/src/trigger/hello.ts': TRIGGER_FILES['trigger/hello.ts']!,
    'apps/jobs/src/trigger/scheduled.ts': TRIGGER_FILES['trigger/scheduled.ts']!,
    'apps/jobs/src/trigger/bad.ts': `import { task } from '@trigger.dev/sdk';\nconst id = 'x';\nexport const bad = task({ id, run: async () => {} });\n`,
    'packages/tools/package.json': depends('tools', { zod: '^3.0.0' }),
    // Hoisted in the monorepo, so it would resolve; still not this package's framework.
    'packages/tools/src/queue.ts': `import { task } from '@trigger.dev/sdk/v3';\nexport const q = task({ id: 'not-a-flow' });\nexport const dyn = task({ id: String(1) });\n`,
    'packages/tools/src/broken.ts': `import { task } from '@trigger.dev/sdk';\nexport const = task({ id: 'broken' });\n`,
    // A flow of its own, beside a task whose id is no literal: that problem is the preset's.
    'packages/tools/src/flow.ts': `import { defineFlow } from 'flowport';\nimport { task } from '@trigger.dev/sdk';\nexport const f = defineFlow({ name: 'tools-flow' }, async () => 1);\nexport const t = task({ id: \`t-\${f}\` });\n`,
    ...extra,
  });
}

test('monorepo: the preset is on for the package that depends on the SDK only, and flowport flows says so', () => {
  const root = tempDir();
  monorepo(root);
  const r = flowport(['flows', '--root', root, '--json', '--no-cache']);
  assert.equal(r.code, 0, r.stderr);
  const flows = JSON.parse(r.stdout) as FlowDetails[];
  assert.deepEqual(summary(flows), [
    'apps/jobs/src/trigger/hello.ts:3 hello-world',
    'apps/jobs/src/trigger/scheduled.ts:3 first-scheduled-task',
    'packages/tools/src/flow.ts:3 tools-flow',
  ]);
  // Root-relative or absolute, as the diagnostics' paths are printed.
  const stderr = r.stderr
    .trimEnd()
    .split('\n')
    .map((l) => (l.startsWith(`${root}/`) ? l.slice(root.length + 1) : l));
  // The non-literal id is reported where the preset is on; the other package's problems are not its.
  assert.deepEqual(stderr, [
    'apps/jobs/src/trigger/bad.ts:3: flow name must be a string literal',
    'preset trigger.dev: on for 1 package (apps/jobs/package.json depends on @trigger.dev/sdk), 2 flows; off for packages/tools/package.json (no dependency on @trigger.dev/sdk)',
  ]);
});

test('a second depending package (devDependencies, peerDependencies) is counted; the table run says it too', () => {
  const root = tempDir();
  monorepo(root, {
    'apps/ai/package.json': depends('ai', { '@trigger.dev/sdk': '*' }, 'devDependencies'),
    'apps/ai/src/schema.ts': TRIGGER_FILES['trigger/schema.ts']!,
    'apps/peer/package.json': depends('peer', { '@trigger.dev/sdk': '*' }, 'peerDependencies'),
    'apps/peer/src/tools.ts': TRIGGER_FILES['trigger/tools.ts']!,
  });
  const r = flowport(['flows', '--root', root]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /my-schema-task\s+apps\/ai\/src\s+apps\/ai\/src\/schema\.ts:4/);
  assert.match(r.stdout, /lookup-tool/);
  assert.doesNotMatch(r.stdout, /not-a-flow/);
  assert.match(
    r.stderr,
    /^preset trigger\.dev: on for 3 packages \(apps\/ai\/package\.json, apps\/jobs\/package\.json, apps\/peer\/package\.json depend on @trigger\.dev\/sdk\), 4 flows; off for packages\/tools\/package\.json/m,
  );
});

test('presets off and on through the config; a project that never names a framework hears nothing of it', async () => {
  const root = tempDir();
  monorepo(root, {
    'flowport.config.ts': `export default {\n  environments: ['dev'],\n  flows: { presets: { 'trigger.dev': false } },\n};\n`,
  });
  const off = flowport(['flows', '--root', root, '--json', '--no-cache']);
  assert.equal(off.code, 0, off.stderr);
  assert.deepEqual(summary(JSON.parse(off.stdout) as FlowDetails[]), ['packages/tools/src/flow.ts:3 tools-flow']);
  assert.equal(off.stderr.trim(), 'preset trigger.dev: off (flows.presets in the config)');

  // On everywhere: the package without the dependency counts too (its bad id and syntax error with it).
  const on = typescriptFlows({ root, cache: false, presets: { 'trigger.dev': true } });
  assert.deepEqual(summary(await on.findFlows()), [
    'apps/jobs/src/trigger/hello.ts:3 hello-world',
    'apps/jobs/src/trigger/scheduled.ts:3 first-scheduled-task',
    'packages/tools/src/flow.ts:3 tools-flow',
    'packages/tools/src/queue.ts:2 not-a-flow',
  ]);
  assert.deepEqual(
    on.diagnostics.map((d) => `${d.file.slice(root.length + 1)}:${d.line}`),
    [
      'apps/jobs/src/trigger/bad.ts:3',
      'packages/tools/src/broken.ts:2',
      'packages/tools/src/flow.ts:4',
      'packages/tools/src/queue.ts:3',
    ],
  );

  const plain = tempDir();
  writeTree(plain, { 'package.json': depends('plain', {}), 'a.ts': `export const a = 1;\n` });
  const quiet = flowport(['flows', '--root', plain, '--json']);
  assert.equal(quiet.stderr, '');
});

test('member callees and subpath modules in markers of your own', async () => {
  const root = tempDir();
  writeTree(root, {
    'a.ts': [
      `import { jobs } from '@acme/jobs/v2';`,
      `import { jobs as j } from '@acme/jobs';`,
      `import * as acme from '@acme/jobs';`,
      `import { jobs as lookalike } from '@acme/jobs-extra';`,
      `export const a = jobs.define({ name: 'member' });`,
      `export const b = j.define({ name: 'aliased-member' });`,
      `export const c = acme.jobs.define({ name: 'namespaced-member' });`,
      `export const d = lookalike.define({ name: 'look-alike' });`,
      `export const e = jobs.other({ name: 'other-method' });`,
      `const other = { define: (o: object) => o };`,
      `export const f = other.define({ name: 'other-object' });`,
      `export const g = acme.define({ name: 'not-the-object' });`,
      `export const h = run({ name: 'run-subpath' });`,
      `import { run } from '@acme/jobs/run';`,
      `function inner(jobs: { define(o: object): void }) { jobs.define({ name: 'shadowed' }); }`,
    ].join('\n'),
    'b.ts': `export const x = anything.queue.define({ name: 'any-queue' });\nexport const y = queue.define({ name: 'bare-queue' });\nexport const z = other.define({ name: 'not-a-queue' });\n`,
  });
  const index = typescriptFlows({
    root,
    cache: false,
    markers: [
      { callee: 'jobs.define', module: '@acme/jobs' },
      { callee: 'run', module: '@acme/jobs' },
      { callee: 'queue.define' }, // no module: any x.queue.define(…) or queue.define(…)
    ],
  });
  assert.deepEqual(summary(await index.findFlows()), [
    'a.ts:5 member',
    'a.ts:6 aliased-member',
    'a.ts:7 namespaced-member',
    'a.ts:13 run-subpath',
    'b.ts:1 any-queue',
    'b.ts:2 bare-queue',
  ]);
  const flows = await index.findFlows();
  assert.equal(flows[0]!.attributes.marker, 'jobs.define');

  // subpaths: false: the exact module only.
  const exact = typescriptFlows({
    root,
    cache: false,
    markers: [{ callee: 'jobs.define', module: '@acme/jobs', subpaths: false }],
  });
  assert.deepEqual(summary(await exact.findFlows()), ['a.ts:6 aliased-member', 'a.ts:7 namespaced-member']);
});

test('a marker that can never match is a ConfigError at its line in the config', async () => {
  const cases: Array<[string, number, RegExp]> = [
    [
      `export default {\n  environments: ['dev'],\n  flows: {\n    markers: [\n      { callee: 'task', module: '@trigger.dev/sdk' },\n      { callee: 'a.b.c', module: 'x' },\n    ],\n  },\n};\n`,
      6,
      /flows\.markers\[1\]: callee must be a function's name \("task"\) or an object's method \("schedules\.task"\), not "a\.b\.c": no call could match it/,
    ],
    [
      `export default {\n  environments: ['dev'],\n  flows: { markers: [{ callee: 'task',\n    nameFrom: '' }] },\n};\n`,
      4,
      /flows\.markers\[0\]: nameFrom must be the property of the first argument that holds the name, such as "id", or \{ argument: n \} for the n-th argument itself, not ""/,
    ],
    [
      `export default {\n  environments: ['dev'],\n  flows: { markers: [{ callee: 'task', shape: 'new' }] },\n};\n`,
      3,
      /flows\.markers\[0\]: unknown setting "shape": expected callee, module, subpaths, new, nameFrom or kind/,
    ],
    [
      `export default {\n  environments: ['dev'],\n  flows: {\n    presets: { 'trigger.dev': 'yes' } },\n};\n`,
      4,
      /flows: presets\.trigger\.dev must be true \(on everywhere\) or false \(off\)/,
    ],
    [
      `export default {\n  environments: ['dev'],\n  flows: {\n    presets: { trigger: false } },\n};\n`,
      4,
      /unknown preset "trigger": presets are trigger\.dev/,
    ],
    [
      `import { typescriptFlows } from 'flowport';\nexport default {\n  environments: ['dev'],\n  flows: typescriptFlows({ markers: [{ callee: 'createFunction()' }] }),\n};\n`,
      4,
      /typescriptFlows\(\): markers\[0\]: callee must be a function's name/,
    ],
  ];
  for (const [source, line, message] of cases) {
    const root = tempDir();
    linkSdk(root);
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

test('a package.json that gains or loses the dependency turns the preset on or off in an incremental update', async () => {
  const root = tempDir();
  writeTree(root, {
    'package.json': depends('jobs', { zod: '^3.0.0' }),
    'trigger/hello.ts': TRIGGER_FILES['trigger/hello.ts']!,
  });
  const index = typescriptFlows({ root, cache: false });
  assert.deepEqual(summary(await index.findFlows()), []);
  assert.deepEqual(index.presetStatus()[0]!.notDepending, ['package.json']);
  const { presetLines } = await import('../../../sdk/src/finder/presets.js');
  assert.deepEqual(presetLines(index.presetStatus()), [
    'preset trigger.dev: off: its units are written where package.json does not depend on @trigger.dev/sdk',
  ]);

  writeTree(root, { 'package.json': depends('jobs') });
  const on = await index.update(['package.json']);
  assert.deepEqual(summary(on.flows), ['trigger/hello.ts:3 hello-world']);
  assert.deepEqual(on.rescanned, ['trigger/hello.ts']);

  writeTree(root, { 'package.json': depends('jobs', {}) });
  assert.deepEqual(summary((await index.update([`${root}/package.json`])).flows), []);
});

test('a file written for a preset that is off for its package is not parsed, and is once a package.json turns it on, also from the cache', async () => {
  const root = tempDir();
  writeTree(root, {
    'package.json': depends('jobs', { zod: '^3.0.0' }),
    'trigger/hello.ts': TRIGGER_FILES['trigger/hello.ts']!,
  });
  const cold = typescriptFlows({ root });
  assert.deepEqual(summary(await cold.findFlows()), []);
  assert.equal(cold.lastScan.parsed, 0, 'nothing in it could count: not parsed');
  assert.deepEqual(cold.presetStatus()[0]!.notDepending, ['package.json'], 'still said: off here');
  const warm = typescriptFlows({ root });
  assert.deepEqual(summary(await warm.findFlows()), []);
  assert.equal(warm.lastScan.parsed, 0, 'the cache remembers it, unparsed');

  // Another process, the cache valid for the file, package.json now depending: it is parsed.
  writeTree(root, { 'package.json': depends('jobs') });
  const after = typescriptFlows({ root });
  assert.deepEqual(summary(await after.findFlows()), ['trigger/hello.ts:3 hello-world']);
  assert.equal(after.lastScan.parsed, 1);
  const again = typescriptFlows({ root });
  assert.deepEqual(summary(await again.findFlows()), ['trigger/hello.ts:3 hello-world']);
  assert.equal(again.lastScan.parsed, 0, 'and cached so');
});

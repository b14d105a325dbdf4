#!/usr/bin/env node
// Generates a deterministic TypeScript monorepo for the finder's tests and benchmarks, and the
// exact list of flows a correct finder reports (`expected-flows.json`: { name, file, line }).
//
//   node scripts/corpus/make-corpus.mjs --out <dir> [--files 5000] [--flow-every 50] [--seed 1]
//                                        [--task-every 50] [--no-frameworks]
//
// Every marker form appears (defineFlow, aliased, namespace, require, JSDoc with and without a
// name, exported arrow), and so does every decoy: markers in comments and strings, a defineFlow
// from another module, node_modules/, a gitignored dist/ and a nested .gitignore'd folder.
//
// Framework flows too (unless frameworks: false): each package has a package.json, and every
// other one depends on @trigger.dev/sdk, so the Trigger.dev preset is on there and off in the
// others. Its tasks come in the documented shapes (task, schemaTask, schedules.task, aliased,
// from the package and its /v3 subpath); the decoys are a task from another module, tasks in a
// package without the dependency, tasks in comments and strings, and the word "task" in about
// one file in three, as real code says it. Where Trigger.dev is off, the other presets are on:
// BullMQ workers, Inngest functions (v3 and v4), Mastra workflows, CDK stacks and a Temporal
// worker with its workflows module in each such package; the same units are decoys elsewhere.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const AREAS = ['billing', 'ingest', 'reports', 'sync', 'ml', 'notify', 'search', 'auth', 'etl', 'ops'];
const NOUNS = ['invoice', 'customer', 'order', 'event', 'metric', 'user', 'batch', 'ledger'];
const VERBS = ['load', 'sync', 'compute', 'export', 'refresh', 'reconcile', 'archive', 'score'];

/** Flow forms in rotation; each returns the lines to append and the offset of the marker line. */
const FORMS = [
  (name) => ({
    header: [`import { defineFlow } from 'flowport';`],
    body: [
      `export const run = defineFlow(`,
      `  { name: '${name}', description: 'Generated ${name}' },`,
      `  async () => 1,`,
      `);`,
    ],
    at: 0,
  }),
  (name) => ({
    header: [`import { defineFlow as df } from 'flowport';`],
    body: [`export default df({ name: \`${name}\` }, async () => 2);`],
    at: 0,
  }),
  (name) => ({
    header: [`import * as fp from 'flowport';`],
    body: [`export const job = fp.defineFlow({ name: "${name}", group: ['batch'] }, async () => 3);`],
    at: 0,
  }),
  (name) => ({
    header: [],
    body: [
      `/**`,
      ` * Generated ${name}.`,
      ` * @flow ${name}`,
      ` */`,
      `export async function handler(): Promise<number> {`,
      `  return 4;`,
      `}`,
    ],
    at: 4,
  }),
  (name) => ({
    header: [],
    body: [`/** @flow ${name} */`, `export const arrow = async (): Promise<number> => 5;`],
    at: 1,
  }),
];

/** Trigger.dev task forms in rotation, as its documentation writes them. */
const TASK_FORMS = [
  (name) => ({
    header: [`import { task } from '@trigger.dev/sdk/v3';`],
    body: [
      `export const ${camel(name)} = task({`,
      `  id: '${name}',`,
      `  run: async (payload: { id: string }) => payload.id,`,
      `});`,
    ],
    at: 0,
  }),
  (name) => ({
    header: [`import { schemaTask } from '@trigger.dev/sdk';`, `import { z } from 'zod';`],
    body: [
      `export const ${camel(name)} = schemaTask({`,
      `  id: '${name}',`,
      `  schema: z.object({ n: z.number() }),`,
      `  run: async ({ n }) => n * 2,`,
      `});`,
    ],
    at: 0,
  }),
  (name) => ({
    header: [`import { schedules, logger } from '@trigger.dev/sdk/v3';`],
    body: [
      `export const ${camel(name)} = schedules.task({`,
      `  id: '${name}',`,
      `  cron: '0 3 * * *',`,
      `  run: async () => logger.info('nightly'),`,
      `});`,
    ],
    at: 0,
  }),
  (name) => ({
    header: [`import { task as defineTask } from '@trigger.dev/sdk/v3';`],
    body: [`export const ${camel(name)} = defineTask({ id: "${name}", run: async () => ({ ok: true }) });`],
    at: 0,
  }),
];

/**
 * The other presets' units in rotation (BullMQ, Inngest v3 and v4, Mastra, AWS CDK), as their
 * documentation writes them; `at` is the line of the statement that declares the unit.
 */
const OTHER_FORMS = [
  (name) => ({
    header: [`import { Worker } from 'bullmq';`],
    body: [
      `export const worker = new Worker('${name}', async (job) => job.data, { connection: { host: 'localhost' } });`,
    ],
    at: 0,
  }),
  (name) => ({
    header: [`import { Inngest } from 'inngest';`],
    body: [
      `const inngest = new Inngest({ id: 'corpus' });`,
      `export const fn = inngest.createFunction(`,
      `  { id: '${name}' },`,
      `  { event: 'app/${name}' },`,
      `  async ({ event }) => event.data,`,
      `);`,
    ],
    at: 1,
  }),
  (name) => ({
    header: [`import { createWorkflow, createStep } from '@mastra/core/workflows';`, `import { z } from 'zod';`],
    body: [
      `const step = createStep({ id: 'step', inputSchema: z.object({}), outputSchema: z.object({}), execute: async () => ({}) });`,
      `export const workflow = createWorkflow({`,
      `  id: '${name}',`,
      `  inputSchema: z.object({}),`,
      `  outputSchema: z.object({}),`,
      `})`,
      `  .then(step)`,
      `  .commit();`,
    ],
    at: 1,
  }),
  (name) => ({
    header: [`import { Inngest } from 'inngest';`],
    body: [
      `const inngest = new Inngest({ id: 'corpus' });`,
      `export const fn = inngest.createFunction({ id: '${name}', triggers: [{ event: 'app/${name}' }] }, async () => 1);`,
    ],
    at: 1,
  }),
  (name) => ({
    header: [`import { App, Stack, type StackProps } from 'aws-cdk-lib';`],
    body: [
      `class ServiceStack extends Stack {`,
      `  constructor(scope: App, id: string, props?: StackProps) {`,
      `    super(scope, id, props);`,
      `  }`,
      `}`,
      `const app = new App();`,
      `new ServiceStack(app, '${name}');`,
    ],
    at: 6,
  }),
];

/** Dependencies of the packages where Trigger.dev is off: the other presets are on there. */
const OTHER_DEPENDENCIES = {
  bullmq: '^5.34.0',
  inngest: '^3.27.0',
  '@mastra/core': '^0.10.0',
  'aws-cdk-lib': '^2.170.0',
  '@temporalio/worker': '^1.11.0',
  '@temporalio/workflow': '^1.11.0',
};

/** A Temporal worker and the workflows module it names: two workflows, the lines they are on. */
function temporalFiles(pkg) {
  const worker = [
    `import { Worker } from '@temporalio/worker';`,
    ``,
    `export async function runWorker(): Promise<void> {`,
    `  const worker = await Worker.create({ workflowsPath: require.resolve('./workflows'), taskQueue: 'pkg${pkg}' });`,
    `  await worker.run();`,
    `}`,
  ];
  const workflows = [
    `import { proxyActivities } from '@temporalio/workflow';`,
    ``,
    `const { charge } = proxyActivities<{ charge(id: string): Promise<void> }>({ startToCloseTimeout: '1 minute' });`,
    ``,
    `export async function chargeWorkflow${pkg}(id: string): Promise<void> {`,
    `  await charge(id);`,
    `}`,
    ``,
    `export const refundWorkflow${pkg} = async (id: string): Promise<void> => charge(id);`,
  ];
  return {
    worker: worker.join('\n') + '\n',
    workflows: workflows.join('\n') + '\n',
    flows: [
      { name: `chargeWorkflow${pkg}`, line: 5 },
      { name: `refundWorkflow${pkg}`, line: 9 },
    ],
  };
}

function camel(name) {
  return name.replace(/-(\w)/g, (_, c) => c.toUpperCase());
}

function makeRandom(seed) {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

export function makeCorpus({ out, files = 5000, flowEvery = 50, seed = 1, frameworks = true, taskEvery = flowEvery }) {
  const rand = makeRandom(seed);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const cap = (s) => s[0].toUpperCase() + s.slice(1);
  rmSync(out, { recursive: true, force: true });
  const write = (rel, text) => {
    mkdirSync(dirname(join(out, rel)), { recursive: true });
    writeFileSync(join(out, rel), text);
  };
  const expected = [];
  /** Packages with an even number depend on @trigger.dev/sdk: its preset is on there, the others' are off. */
  const triggerOn = (pkg) => pkg % 2 === 0;
  let tasks = 0;
  let others = 0;
  for (let i = 0; i < files; i++) {
    const area = AREAS[Math.floor(i / 7) % AREAS.length];
    const noun = pick(NOUNS);
    const pkg = Math.floor(i / 500);
    const rel = `packages/pkg${pkg}/src/${area}/${noun}_${i}.ts`;
    const header = [`import { readFile } from 'node:fs/promises';`];
    const body = [
      ``,
      `export interface ${cap(noun)}Options${i} { limit: number; tags: readonly string[] }`,
      ``,
      `// defineFlow({ name: 'commented-out-${i}' }) is a decoy in a comment`,
      // One file in a hundred pays a parse for its decoy: the text looks like a flow until parsed.
      i % 100 === 3
        ? `const decoy${i} = "import { defineFlow } from 'flowport'; defineFlow({ name: 'in-a-string-${i}' })";`
        : `const decoy${i} = "defineFlow({ name: 'in-a-string-${i}' })";`,
      `/* @flow in-a-block-comment-${i} */`,
      ``,
    ];
    const fns = 4 + Math.floor(rand() * 8);
    for (let f = 0; f < fns; f++) {
      body.push(
        `export async function ${pick(VERBS)}${cap(noun)}${i}_${f}(opts: ${cap(noun)}Options${i}): Promise<string[]> {`,
        `  const raw = await readFile(\`/data/${noun}/\${opts.limit}.json\`, 'utf8');`,
        `  return (JSON.parse(raw) as string[]).filter((r) => opts.tags.includes(r)).slice(0, opts.limit);`,
        `}`,
        ``,
      );
    }
    body.push(`void decoy${i};`);
    // The word alone makes no file a candidate for the Trigger.dev preset.
    if (frameworks && i % 3 === 1) body.push(`export const taskLabel${i} = 'task'; // the next task in the queue`);
    if (i % flowEvery === 0) {
      const name = `${area}-${pick(VERBS)}-${i}`;
      const form = FORMS[(i / flowEvery) % FORMS.length](name);
      header.push(...form.header);
      const markerLine = header.length + body.length + 2 + form.at; // after one blank line
      body.push(``, ...form.body);
      expected.push({ name, file: rel, line: markerLine });
    } else if (i % flowEvery === 7) {
      // defineFlow from somewhere else is not a flow.
      header.push(`import { defineFlow } from './local-helpers';`);
      body.push(`export const notAFlow = defineFlow({ name: 'not-from-flowport-${i}' }, async () => 0);`);
    } else if (frameworks && i % taskEvery === 3) {
      const name = `${area}-${pick(VERBS)}-task-${i}`;
      const form = TASK_FORMS[tasks++ % TASK_FORMS.length](name);
      header.push(...form.header);
      const markerLine = header.length + body.length + 2 + form.at;
      body.push(``, ...form.body, `// task({ id: 'commented-task-${i}' }) is a decoy in a comment`);
      body.push(`export const taskText${i} = "task({ id: 'in-a-string-task-${i}' })";`);
      if (triggerOn(pkg)) expected.push({ name, file: rel, line: markerLine });
    } else if (frameworks && i % (2 * taskEvery) === 5) {
      // Another preset's unit: a flow where Trigger.dev is off, a decoy where it is on.
      const name = `${area}-${pick(VERBS)}-unit-${i}`;
      const form = OTHER_FORMS[others++ % OTHER_FORMS.length](name);
      header.push(...form.header);
      const markerLine = header.length + body.length + 2 + form.at;
      body.push(``, ...form.body);
      if (!triggerOn(pkg)) expected.push({ name, file: rel, line: markerLine });
    } else if (frameworks && i % taskEvery === 13) {
      // task from somewhere else is not a Trigger.dev task.
      header.push(`import { task } from './local-queue';`);
      body.push(`export const notATask = task({ id: 'not-from-trigger-${i}' });`);
    }
    write(rel, [...header, ...body].join('\n') + '\n');
  }
  const decoy = `import { defineFlow } from 'flowport';\nexport const x = defineFlow({ name: 'must-not-appear' }, async () => 1);\n`;
  for (let d = 0; d < 20; d++) {
    write(`node_modules/dep${d}/index.ts`, decoy);
    write(`dist/bundle${d}.js`, decoy);
    write(`packages/pkg0/generated/out${d}.ts`, decoy);
  }
  if (frameworks) {
    write(
      'package.json',
      JSON.stringify({ name: 'corpus', private: true, workspaces: ['packages/*'] }, null, 2) + '\n',
    );
    for (let pkg = 0; pkg * 500 < files; pkg++) {
      const dependencies = triggerOn(pkg)
        ? { '@trigger.dev/sdk': '^3.3.17', zod: '^3.23.8' }
        : { ...OTHER_DEPENDENCIES, zod: '^3.23.8' };
      write(`packages/pkg${pkg}/package.json`, JSON.stringify({ name: `pkg${pkg}`, dependencies }, null, 2) + '\n');
      const temporal = temporalFiles(pkg);
      write(`packages/pkg${pkg}/src/temporal/worker.ts`, temporal.worker);
      write(`packages/pkg${pkg}/src/temporal/workflows.ts`, temporal.workflows);
      if (!triggerOn(pkg)) {
        for (const f of temporal.flows) expected.push({ ...f, file: `packages/pkg${pkg}/src/temporal/workflows.ts` });
      }
    }
  }
  write('.gitignore', 'dist/\n');
  write('packages/pkg0/.gitignore', 'generated/\n');
  expected.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  write('expected-flows.json', JSON.stringify(expected, null, 2) + '\n');
  return expected;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = Object.fromEntries(
    process.argv.slice(2).flatMap((a, i, all) => (a.startsWith('--') ? [[a.slice(2), all[i + 1]]] : [])),
  );
  if (!args.out) {
    console.error(
      'usage: make-corpus.mjs --out <dir> [--files N] [--flow-every N] [--seed N] [--task-every N] [--no-frameworks]',
    );
    process.exit(2);
  }
  const expected = makeCorpus({
    out: args.out,
    files: Number(args.files ?? 5000),
    flowEvery: Number(args['flow-every'] ?? 50),
    seed: Number(args.seed ?? 1),
    frameworks: !process.argv.includes('--no-frameworks'),
    taskEvery: args['task-every'] === undefined ? undefined : Number(args['task-every']),
  });
  console.log(`${args.files ?? 5000} files, ${expected.length} flows -> ${args.out}`);
}

// Fixture projects for the BullMQ, Inngest, Mastra and AWS CDK presets, written from each
// framework's documented call shapes (BullMQ's Worker API page, Inngest's createFunction reference
// and v3-to-v4 migration guide, Mastra's workflows overview, the AWS CDK guide's app and stack
// files), each with the decoys a real repository holds: commented-out units, units in strings and
// template literals, look-alike calls, node_modules, build output and tests.

export const packageJson = (name: string, deps: Record<string, string>, key = 'dependencies') =>
  JSON.stringify({ name, [key]: deps }, null, 2);

/** Decoys every framework's fixture gets, `unit` being one unit's source as its docs write it. */
function decoys(unit: string, dir: string): Record<string, string> {
  return {
    [`${dir}/decoys.ts`]: [
      `// ${unit}`,
      `/*`,
      unit,
      `*/`,
      `export const inAString = ${JSON.stringify(unit)};`,
      `export const inATemplate = \`${unit.replace(/`/g, '\\`')}\`;`,
    ].join('\n'),
    [`node_modules/framework-copy/${dir}/unit.ts`]: unit,
    [`dist/${dir}/unit.js`]: unit,
  };
}

/** BullMQ: `new Worker(queueName, processor, opts)` from 'bullmq'. */
export const BULLMQ: Record<string, string> = {
  'package.json': packageJson('workers', { bullmq: '^5.0.0' }),
  '.gitignore': 'dist/\n',
  'src/workers/email.ts': [
    `import { Worker, Job } from 'bullmq';`,
    ``,
    `export const emailWorker = new Worker('emails', async (job: Job) => {`,
    `  console.log('Processing job', job.id, job.data);`,
    `  return { processed: true };`,
    `}, {`,
    `  connection: { host: 'localhost', port: 6379 },`,
    `  concurrency: 5,`,
    `});`,
  ].join('\n'),
  // A sandboxed processor (a file path), the namespace import, and a required module.
  'src/workers/resize.ts': [
    `import * as bullmq from 'bullmq';`,
    `import path from 'node:path';`,
    `const connection = { host: 'localhost', port: 6379 };`,
    `new bullmq.Worker("image-resize", path.join(__dirname, 'resize-processor.js'), { connection });`,
  ].join('\n'),
  'src/workers/legacy.cjs': [
    `const { Worker } = require('bullmq');`,
    `module.exports = new Worker(\`reports\`, async (job) => job.data);`,
  ].join('\n'),
  // A queue name that is no literal: a diagnostic, not a silent miss.
  'src/workers/dynamic.ts': [
    `import { Worker } from 'bullmq';`,
    `const QUEUE = process.env.QUEUE ?? 'x';`,
    `export const w = new Worker(QUEUE, async () => {});`,
  ].join('\n'),
  // Look-alikes: a Worker that is not BullMQ's, Queue and QueueEvents, a call without new, a
  // shadowing parameter.
  'src/lookalikes.ts': [
    `import { Worker as ThreadWorker } from 'node:worker_threads';`,
    `import { Queue, QueueEvents, Worker } from 'bullmq';`,
    `export const thread = new ThreadWorker('./thread.js');`,
    `export const queue = new Queue('emails');`,
    `export const events = new QueueEvents('emails');`,
    `export const notNew = (Worker as unknown as (n: string) => void)('called-not-new');`,
    `export function make(Worker: new (name: string) => object) { return new Worker('a-parameter'); }`,
  ].join('\n'),
  // No import of bullmq: the word Worker alone is not parsed for.
  'src/web-worker.ts': `export const w = new Worker('./worker.js');\n`,
  ...decoys(`new Worker('commented-out', async () => {});`, 'src/workers'),
  'src/workers/email.test.ts': [
    `import { Worker } from 'bullmq';`,
    `test('processes', () => { new Worker('emails', async () => {}); });`,
  ].join('\n'),
};

/** Inngest: a client made in its own file, functions in v3 and v4 shapes importing it. */
export const INNGEST: Record<string, string> = {
  'package.json': packageJson('app', { inngest: '^3.0.0' }),
  '.gitignore': 'dist/\n',
  'src/inngest/client.ts': [
    `import { Inngest } from "inngest";`,
    ``,
    `export const inngest = new Inngest({ id: "my-app" });`,
  ].join('\n'),
  // v3: (config, trigger, handler); a cron trigger; several triggers.
  'src/inngest/functions.ts': [
    `import { inngest } from "./client";`,
    ``,
    `export default inngest.createFunction(`,
    `  { id: "import-product-images" },`,
    `  { event: "shop/product.imported" },`,
    `  async ({ event, step }) => {`,
    `    await step.run("copy-images-to-s3", async () => event.data);`,
    `  }`,
    `);`,
    ``,
    `export const weekly = inngest.createFunction(`,
    `  { id: "weekly-digest", name: "Weekly digest" },`,
    `  { cron: "TZ=Europe/Paris 0 12 * * 5" },`,
    `  async ({ step }) => step.run("send", async () => 1),`,
    `);`,
    ``,
    `export const many = inngest.createFunction({ id: "many-triggers" }, [{ event: "a/x" }, { event: "a/y" }], async () => {});`,
  ].join('\n'),
  // v4: the triggers moved into the options.
  'src/inngest/v4.ts': [
    `import { inngest } from "@/inngest/client";`,
    ``,
    `export const sync = inngest.createFunction({`,
    `    id: "sync-systems",`,
    `    triggers: { event: "auto/sync.request" },`,
    `    throttle: { limit: 3, period: "1min" },`,
    `  },`,
    `  async ({ step }) => {`,
    `    await step.run("get-data", async () => 1);`,
    `  }`,
    `);`,
  ].join('\n'),
  // A client made in the same file: an invoke-only function (no trigger) counts there.
  'src/inngest/local.ts': [
    `import { Inngest } from "inngest";`,
    `const inngest = new Inngest({ id: "local-app" });`,
    `export const invoked = inngest.createFunction({ id: "invoke-only" }, async () => 1);`,
    `export const fn = inngest.createFunction({ id: \`template-id\` }, { event: "t/x" }, async () => 1);`,
  ].join('\n'),
  // Look-alikes: a createFunction of another object, a parameter, a property chain, an imported
  // object called with a shape that defines no function, a client that is not Inngest's.
  'src/lookalikes.ts': [
    `import { inngest } from "./inngest/client";`,
    `import { builder } from "./builder";`,
    `import { Other } from "other-sdk";`,
    `const factory = { createFunction: (...a: unknown[]) => a };`,
    `factory.createFunction({ id: "local-object" }, { event: "x" }, () => {});`,
    `export function register(inngest: { createFunction: (...a: unknown[]) => unknown }) {`,
    `  return inngest.createFunction({ id: "a-parameter" }, { event: "x" }, () => {});`,
    `}`,
    `export const chained = this_.clients.inngest.createFunction({ id: "a-property" }, { event: "x" }, () => {});`,
    `declare const this_: any;`,
    `export const shadowed = (() => { const inngest = factory; return inngest.createFunction({ id: "shadowed" }, { event: "x" }, () => {}); })();`,
    `export { inngest };`,
    `export const two = builder.createFunction({ id: "two-arguments" }, () => {});`,
    `const other = new Other({ id: "other" });`,
    `export const o = other.createFunction({ id: "other-client" }, () => {});`,
  ].join('\n'),
  ...decoys(`inngest.createFunction({ id: "commented-out" }, { event: "x" }, async () => {});`, 'src/inngest'),
  'src/inngest/functions.test.ts': [
    `import { createFunction } from "./test-helpers";`,
    `test("runs", () => createFunction({ id: "in-a-test" }, { event: "x" }, () => {}));`,
  ].join('\n'),
};

/** Mastra: `createWorkflow({ id, inputSchema, outputSchema }).then(step).commit()`. */
export const MASTRA: Record<string, string> = {
  'package.json': packageJson('agents', { '@mastra/core': '^1.0.0', zod: '^3.0.0' }),
  '.gitignore': 'dist/\n',
  'src/mastra/workflows/test-workflow.ts': [
    `import { createWorkflow, createStep } from "@mastra/core/workflows";`,
    `import { z } from "zod";`,
    ``,
    `const step1 = createStep({`,
    `  id: "step-1",`,
    `  inputSchema: z.object({ input: z.string() }),`,
    `  outputSchema: z.object({ output: z.string() }),`,
    `  execute: async ({ inputData }) => ({ output: inputData.input }),`,
    `});`,
    ``,
    `export const testWorkflow = createWorkflow({`,
    `  id: "test-workflow",`,
    `  description: "Test workflow",`,
    `  inputSchema: z.object({ input: z.string() }),`,
    `  outputSchema: z.object({ output: z.string() }),`,
    `})`,
    `  .then(step1)`,
    `  .commit();`,
  ].join('\n'),
  // The package's root entry point exports it too.
  'src/mastra/workflows/root.ts': [
    `import { createWorkflow } from "@mastra/core";`,
    `export const dataWorkflow = createWorkflow({ id: "data-processing-workflow" }).commit();`,
  ].join('\n'),
  // Look-alikes: a step is no workflow; another package's createWorkflow.
  'src/lookalikes.ts': [
    `import { createStep } from "@mastra/core/workflows";`,
    `import { createWorkflow } from "@acme/workflows";`,
    `export const s = createStep({ id: "a-step" });`,
    `export const w = createWorkflow({ id: "other-package" });`,
  ].join('\n'),
  ...decoys(`createWorkflow({ id: "commented-out" }).commit();`, 'src/mastra'),
};

/** AWS CDK: a stack file in lib/, the app in bin/ making stacks on `new cdk.App()`. */
export const CDK: Record<string, string> = {
  'package.json': packageJson('infra', { 'aws-cdk-lib': '^2.150.0', constructs: '^10.0.0' }),
  '.gitignore': 'cdk.out/\ndist/\n',
  'lib/hello-cdk-stack.ts': [
    `import * as cdk from 'aws-cdk-lib';`,
    `import { Construct } from 'constructs';`,
    `import * as lambda from 'aws-cdk-lib/aws-lambda';`,
    ``,
    `export class HelloCdkStack extends cdk.Stack {`,
    `  constructor(scope: Construct, id: string, props?: cdk.StackProps) {`,
    `    super(scope, id, props);`,
    `    new lambda.Function(this, 'HelloWorldFunction', {`,
    `      runtime: lambda.Runtime.NODEJS_20_X,`,
    `      handler: 'index.handler',`,
    `      code: lambda.Code.fromInline('exports.handler = async () => 1;'),`,
    `    });`,
    `  }`,
    `}`,
  ].join('\n'),
  'bin/hello-cdk.ts': [
    `#!/usr/bin/env node`,
    `import 'source-map-support/register';`,
    `import * as cdk from 'aws-cdk-lib';`,
    `import { HelloCdkStack } from '../lib/hello-cdk-stack';`,
    `import { Api } from '../lib/api';`,
    ``,
    `const app = new cdk.App();`,
    `new HelloCdkStack(app, 'HelloCdkStack', {`,
    `  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },`,
    `});`,
    `new Api(app, "ApiStack");`,
    `new cdk.Stack(app, 'PlainStack');`,
    `new HelloCdkStack(app, \`HelloCdkStack-\${process.env.STAGE}\`);`,
  ].join('\n'),
  // An app file that never spells Stack: the classes it makes on the app are stacks.
  'bin/backend.ts': [
    `import { App } from 'aws-cdk-lib';`,
    `import { Backend } from '../lib/backend';`,
    `import { Bucket } from 'aws-cdk-lib/aws-s3';`,
    `const app = new App();`,
    `new Backend(app, 'Backend');`,
    `// The CDK's own constructs, even made on the app, are no stack of yours.`,
    `new Bucket(app, 'NotAStack');`,
  ].join('\n'),
  // A stack class and its app in one file, named imports, a subclass of a subclass.
  'bin/single.ts': [
    `import { App, Stack, StackProps } from 'aws-cdk-lib';`,
    `import { Bucket } from 'aws-cdk-lib/aws-s3';`,
    `import type { Construct } from 'constructs';`,
    ``,
    `class BaseStack extends Stack {`,
    `  constructor(scope: Construct, id: string, props?: StackProps) {`,
    `    super(scope, id, props);`,
    `  }`,
    `}`,
    `export class StorageStack extends BaseStack {`,
    `  constructor(scope: Construct, id: string) {`,
    `    super(scope, id);`,
    `    new Bucket(this, 'Uploads');`,
    `  }`,
    `}`,
    `const app = new App();`,
    `new StorageStack(app, 'Storage');`,
    `export const base = new BaseStack(app, 'Base');`,
  ].join('\n'),
  // Look-alikes: constructs made on a stack (their second argument is no stack's id), a class
  // extending something else, a stack class of another package's Stack.
  'lib/lookalikes.ts': [
    `import { Stack } from 'aws-cdk-lib';`,
    `import { Queue } from 'aws-cdk-lib/aws-sqs';`,
    `import { Widget } from './widget';`,
    `import { Stack as OtherStack } from 'other-lib';`,
    `class NotAStack extends Object {}`,
    `class Elsewhere extends OtherStack {}`,
    `export function build(stack: Stack) {`,
    `  new Queue(stack, 'JobsQueue');`,
    `  new Widget(stack, 'Widget');`,
    `  new NotAStack();`,
    `  new Elsewhere(stack, 'OtherStackId');`,
    `}`,
  ].join('\n'),
  ...decoys(`new cdk.Stack(app, 'CommentedOut');`, 'bin'),
  'cdk.out/asset/index.js': `const cdk = require('aws-cdk-lib');\nnew cdk.Stack(new cdk.App(), 'BuildOutput');\n`,
  'test/hello-cdk.test.ts': [
    `import * as cdk from 'aws-cdk-lib';`,
    `import { HelloCdkStack } from '../lib/hello-cdk-stack';`,
    `test('synth', () => {`,
    `  const app = new cdk.App();`,
    `  new HelloCdkStack(app, 'TestStack');`,
    `});`,
  ].join('\n'),
};

/**
 * Temporal, a monorepo: `packages/orders` depends on the SDK, its worker names `./workflows`
 * (a folder whose index re-exports two files) with `require.resolve`, its ESM worker names
 * `./billing-workflows.ts` with `new URL(…, import.meta.url)` as the Next.js example writes it;
 * `packages/plain` has a look-alike worker but no Temporal dependency. Decoys: the activities
 * module (exported async functions, but activities), a workflows-looking file no worker names, a
 * test's worker, and a `workflowsPath` that cannot be told without running it.
 */
export const TEMPORAL: Record<string, string> = {
  'package.json': packageJson('mono', {}),
  'packages/orders/package.json': packageJson('orders', {
    '@temporalio/worker': '^1.11.0',
    '@temporalio/workflow': '^1.11.0',
    '@temporalio/activity': '^1.11.0',
  }),
  'packages/orders/src/worker.ts': [
    `import { NativeConnection, Worker } from '@temporalio/worker';`,
    `import * as activities from './activities';`,
    ``,
    `async function run() {`,
    `  const connection = await NativeConnection.connect({ address: 'localhost:7233' });`,
    `  const worker = await Worker.create({`,
    `    connection,`,
    `    namespace: 'default',`,
    `    taskQueue: 'orders',`,
    `    workflowsPath: require.resolve('./workflows'),`,
    `    activities,`,
    `  });`,
    `  await worker.run();`,
    `}`,
    `run().catch(() => process.exit(1));`,
  ].join('\n'),
  'packages/orders/src/billing-worker.mts': [
    `import { Worker } from '@temporalio/worker';`,
    `import path from 'node:path';`,
    `import { URL } from 'node:url';`,
    `const workflowsPath = new URL(\`./billing-workflows\${path.extname(import.meta.url)}\`, import.meta.url).pathname;`,
    `const worker = await Worker.create({ workflowsPath, taskQueue: 'billing' });`,
    `await worker.run();`,
  ].join('\n'),
  'packages/orders/src/dynamic-worker.ts': [
    `import { Worker } from '@temporalio/worker';`,
    `export async function start(dir: string) {`,
    `  return Worker.create({ workflowsPath: dir, taskQueue: 'dynamic' });`,
    `}`,
  ].join('\n'),
  'packages/orders/src/workflows/index.ts': [
    `export * from './orders';`,
    `export { refund as refundOrder } from './refunds';`,
  ].join('\n'),
  'packages/orders/src/workflows/orders.ts': [
    `import { proxyActivities, defineSignal } from '@temporalio/workflow';`,
    `import type * as activities from '../activities';`,
    ``,
    `const { chargeCard } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });`,
    `export const cancelSignal = defineSignal('cancel');`,
    ``,
    `export async function placeOrder(id: string): Promise<string> {`,
    `  return chargeCard(id);`,
    `}`,
    ``,
    `export const shipOrder = async (id: string) => {`,
    `  await chargeCard(id);`,
    `};`,
    ``,
    `async function auditOrder(): Promise<void> {}`,
    `export { auditOrder };`,
    `function helper() {}`,
    `helper();`,
  ].join('\n'),
  'packages/orders/src/workflows/refunds.ts': [
    `import { sleep } from '@temporalio/workflow';`,
    `export async function refund(): Promise<void> { await sleep(1); }`,
    `export async function notReexported(): Promise<void> {}`,
  ].join('\n'),
  'packages/orders/src/billing-workflows.ts': [
    `import * as wf from '@temporalio/workflow';`,
    `export async function invoice(): Promise<void> { await wf.sleep('1 day'); }`,
  ].join('\n'),
  'packages/orders/src/activities.ts': [
    `import { log } from '@temporalio/activity';`,
    `export async function chargeCard(id: string): Promise<string> { log.info(id); return id; }`,
  ].join('\n'),
  // Looks like workflows, but no worker names it.
  'packages/orders/src/old/workflows.ts': [
    `import { sleep } from '@temporalio/workflow';`,
    `export async function legacyOrder(): Promise<void> { await sleep(1); }`,
  ].join('\n'),
  'packages/orders/src/orders.test.ts': [
    `import { Worker } from '@temporalio/worker';`,
    `import { sleep } from '@temporalio/workflow';`,
    `export async function testOnlyWorkflow() { await sleep(1); }`,
    `test('runs', () => Worker.create({ workflowsPath: require.resolve('./orders.test'), taskQueue: 't' }));`,
  ].join('\n'),
  'packages/plain/package.json': packageJson('plain', {}),
  'packages/plain/src/worker.ts': [
    `import { Worker } from '@temporalio/worker';`,
    `Worker.create({ workflowsPath: require.resolve('./workflows'), taskQueue: 'x' });`,
  ].join('\n'),
  'packages/plain/src/workflows.ts': `export async function plainFlow() {}`,
};

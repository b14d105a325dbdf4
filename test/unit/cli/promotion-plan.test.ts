/**
 * Promoting several flows together, as a user meets it: the plan is shown before anything runs,
 * ordered by the flows' declared inputs; a failure stops the flows after it and offers the rollback
 * of those already promoted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FlowRunResult } from '../../../sdk/src/index.js';
import { flowport } from '../../helpers/cli.js';
import { cliProject } from '../backend/fixture.js';

// api reads db's url, web reads api's artifact: web → api → db, whatever order they are named in.
const config = [
  `import { defineConfig, commandDeployer, output } from 'flowport';`,
  `export default defineConfig({`,
  `  environments: ['dev', 'uat', { name: 'prod', protected: true, approval: { required: 1 } }],`,
  `  deploy: commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'], killGraceMs: 500 }),`,
  `  releases: {`,
  `    web: { inputs: { API: output('api', 'artifact') } },`,
  `    api: { inputs: { DATABASE_URL: output('db', 'url') } },`,
  `  },`,
  `});`,
].join('\n');

function project(): string {
  const root = cliProject({ web: 'apps', api: 'apps', db: 'data', cron: 'jobs' }, config);
  const dev = flowport(['deploy', 'db', 'api', 'web', 'cron', '--env', 'dev'], { cwd: root });
  assert.equal(dev.code, 0, dev.stderr);
  return root;
}

const outcomes = (stdout: string) =>
  (JSON.parse(stdout) as { results: FlowRunResult[] }).results.map((r) => [r.flow, r.outcome]);

test('--dry-run prints the plan in dependency order with versions, waits and gates, and records nothing', () => {
  const root = project();
  const before = flowport(['deployments', '--json'], { cwd: root }).stdout;
  const dry = flowport(['promote', 'web', 'cron', 'api', 'db', '--from', 'dev', '--to', 'uat', '--dry-run'], {
    cwd: root,
  });
  assert.equal(dry.code, 0, dry.stderr);
  const lines = dry.stdout.trim().split('\n');
  assert.match(lines[0]!, /^Plan: promote 4 flows from dev to uat, in dependency order$/);
  // cron depends on nothing and keeps its place among the ready ones; each dependent comes after what it reads.
  assert.deepEqual(
    lines.slice(1, 5).map((l) => l.trim().split(/\s+/).slice(0, 2).join(' ')),
    ['1. cron', '2. db', '3. api', '4. web'],
  );
  assert.match(lines[3]!, /api\s+[0-9a-f]{12} replacing nothing\s+\[after db\]/);
  assert.match(dry.stdout, /a flow that does not get there stops the rest/);
  const json = JSON.parse(
    flowport(['promote', 'web', 'api', '--from', 'dev', '--to', 'uat', '--dry-run', '--json'], { cwd: root }).stdout,
  ) as { steps: Array<{ flow: string; waitsFor: string[]; reads: Array<{ flow: string }> }> };
  assert.deepEqual(
    json.steps.map((s) => [s.flow, s.waitsFor, s.reads.map((r) => r.flow)]),
    [
      ['api', [], ['db']],
      ['web', ['api'], []],
    ],
  );
  assert.equal(flowport(['deployments', '--json'], { cwd: root }).stdout, before, 'a dry run records nothing');
});

test('the plan runs in order; a failure stops the flows after it and offers rolling back those promoted', () => {
  const root = project();
  const run = flowport(['promote', 'web', 'api', 'db', '--from', 'dev', '--to', 'uat', '--json'], {
    cwd: root,
    env: { DEPLOY_FAIL: 'api' },
  });
  assert.equal(run.code, 1, run.stderr);
  assert.deepEqual(outcomes(run.stdout), [
    ['db', 'succeeded'],
    ['api', 'failed'],
    ['web', 'cancelled'],
  ]);
  const results = (JSON.parse(run.stdout) as { results: FlowRunResult[] }).results;
  assert.match(results[2]!.message, /web: not started: api before it in the plan did not get to uat/);
  assert.deepEqual(results[0]!.hint, { command: 'rollback', args: ['db', '--env', 'uat'] });
  const history = JSON.parse(flowport(['history', 'web', '--env', 'uat', '--json'], { cwd: root }).stdout) as {
    deployments: unknown[];
  };
  assert.deepEqual(history.deployments, [], 'web was never recorded in uat');

  // Without the failure, everything gets there in order.
  const again = flowport(['promote', 'web', 'api', '--from', 'dev', '--to', 'uat', '--json'], { cwd: root });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(outcomes(again.stdout), [
    ['api', 'succeeded'],
    ['web', 'succeeded'],
  ]);
});

test('a flow whose dependency is neither in the target nor in the plan is refused at planning; --detach is refused for an ordered plan', () => {
  const root = project();
  const dry = flowport(['promote', 'api', 'cron', '--from', 'dev', '--to', 'uat', '--dry-run'], { cwd: root });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(
    dry.stdout,
    /api\s+refused: "api" reads db's outputs, but db does not run in uat and is not in this plan: promote it too: flowport promote db api cron --from dev --to uat/,
  );
  const detached = flowport(['promote', 'api', 'db', '--from', 'dev', '--to', 'uat', '--detach'], { cwd: root });
  assert.equal(detached.code, 2, detached.stderr);
  assert.match(detached.stderr, /run it without --detach/);
});

test('a deploy of several flows goes in dependency order too: deploy web api db deploys db, then api, then web', () => {
  const root = cliProject({ web: 'apps', api: 'apps', db: 'data' }, config);
  const run = flowport(['deploy', 'web', 'api', 'db', '--env', 'dev', '--json'], { cwd: root });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(outcomes(run.stdout), [
    ['db', 'succeeded'],
    ['api', 'succeeded'],
    ['web', 'succeeded'],
  ]);
});

/**
 * A plan of promotes into an environment that asks for approval asks once (issue 16, "approve
 * once, then it runs in order"): through the real CLI and runners, identities from git's config.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ApprovalsOutput } from '../../../sdk/src/cli/approvals.js';
import { approvalOf } from '../../../sdk/src/backend/approvals.js';
import {
  localLedger,
  runRecorded,
  type DeploymentDetails,
  type FlowRunResult,
  type JsonValue,
} from '../../../sdk/src/index.js';
import { flowport } from '../../helpers/cli.js';
import { cliProject, collectingRun, git, startCli, waitFor, type Running } from './fixture.js';

// api reads db's url; web and cron read nothing.
const config = [
  `import { defineConfig, commandDeployer, output } from 'flowport';`,
  `export default defineConfig({`,
  `  environments: ['uat', { name: 'prod', approval: { required: 1, notInitiator: true, expiresAfter: '24h' } }],`,
  `  deploy: commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'], killGraceMs: 500 }),`,
  `  releases: { api: { inputs: { DATABASE_URL: output('db', 'url') } } },`,
  `});`,
].join('\n');

const as = (email: string) => ({ GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'user.email', GIT_CONFIG_VALUE_0: email });
const ALICE = as('alice@example.test');

function project(): string {
  const root = cliProject({ db: 'data', api: 'apps', web: 'apps', cron: 'jobs' }, config);
  const uat = flowport(['deploy', 'db', 'api', 'web', 'cron', '--env', 'uat'], { cwd: root });
  assert.equal(uat.code, 0, uat.stderr + uat.stdout);
  return root;
}

const inProd = async (root: string, flow: string): Promise<DeploymentDetails[]> =>
  localLedger({ root }).findDeployments({ flows: [flow], envs: ['prod'], history: true });

/** Waits for `flow`'s deploy to prod to wait for approval, and returns it. */
const waiting = (root: string, flow: string) =>
  waitFor(async () => {
    const [d] = await inProd(root, flow);
    return d?.status === 'queued' && d.attributes.awaiting === 'approval' ? d : undefined;
  }, `${flow}'s deploy to prod to wait for approval`);

async function results(cli: Running): Promise<{ code: number | null; results: FlowRunResult[]; stderr: string }> {
  const done = await cli.done;
  assert.ok(done.stdout.trim(), done.stderr);
  return {
    code: done.code,
    results: (JSON.parse(done.stdout) as { results: FlowRunResult[] }).results,
    stderr: done.stderr,
  };
}

test(
  'a plan into prod asks for one approval: the asker cannot give it, another identity does once, and every deploy runs in order under it',
  { timeout: 120_000 },
  async () => {
    const root = project();
    const dry = flowport(['promote', 'api', 'db', '--from', 'uat', '--to', 'prod', '--dry-run'], { cwd: root });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /gate: prod needs 1 approval for the whole plan, by another identity than the one who asks, asked on its first deploy; once approved, its deploys run in order without asking again/,
    );
    const detached = flowport(['promote', 'web', 'cron', '--from', 'uat', '--to', 'prod', '--detach'], { cwd: root });
    assert.equal(detached.code, 2);
    assert.match(detached.stderr, /prod asks for approval: the plan asks once for all its deploys.*without --detach/);

    const cli = startCli(['promote', 'api', 'db', '--from', 'uat', '--to', 'prod', '--json'], {
      cwd: root,
      env: ALICE,
    });
    const first = await waiting(root, 'db');
    assert.deepEqual(await inProd(root, 'api'), [], 'api waits for db, and asks nothing of its own');
    const plan = approvalOf(first)!.plan!;
    const head = git(root, 'rev-parse', 'HEAD');
    assert.deepEqual(plan.steps, [
      { flow: 'db', commit: head },
      { flow: 'api', commit: head },
    ]);
    assert.deepEqual([plan.step, plan.heldBy], [0, undefined]);
    const listed = JSON.parse(flowport(['approvals', '--json'], { cwd: root }).stdout) as ApprovalsOutput;
    assert.deepEqual(
      listed.requests.map((r) => r.deployment.id),
      [first.id],
    );
    assert.match(
      flowport(['approvals'], { cwd: root }).stdout,
      /0 of 1 approval, not by alice@example\.test, for the plan of 2 promotes to prod \(db → api\)/,
    );

    const self = flowport(['approve', first.id], { cwd: root, env: ALICE });
    assert.equal(self.code, 1);
    assert.match(
      self.stderr,
      /you \(alice@example\.test\) asked for it, and an approval by another identity is required/,
    );

    const bob = flowport(['approve', first.id], { cwd: root, env: as('bob@example.test') });
    assert.equal(bob.code, 0, bob.stderr);
    assert.match(
      bob.stdout,
      /Approved by bob@example\.test: the plan of 2 promotes to prod \(db → api\) runs now, in order, without asking again/,
    );

    const run = await results(cli);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      run.results.map((r) => [r.flow, r.outcome]),
      [
        ['db', 'succeeded'],
        ['api', 'succeeded'],
      ],
    );
    const [db] = await inProd(root, 'db');
    const [api] = await inProd(root, 'api');
    // Each records that it ran under the plan's approval, and who gave it.
    for (const d of [db!, api!]) {
      assert.deepEqual(d.attributes.approvedBy, ['bob@example.test'], d.flowName);
      assert.equal(d.attributes.approvedWithPlan, first.id, d.flowName);
    }
    assert.deepEqual([approvalOf(api!)!.plan!.step, approvalOf(api!)!.plan!.heldBy], [1, first.id]);
    assert.ok(Date.parse(api!.createdAt) >= Date.parse(db!.updatedAt), 'api was sent once db had run');
    assert.doesNotMatch(run.stderr, /\[api\].*waiting for approval/, 'api never asked');
    // Each deploy's own log says under which approval it ran.
    for (const d of [db!, api!]) {
      assert.match(
        flowport(['logs', d.id], { cwd: root }).stdout,
        new RegExp(
          `approved by bob@example\\.test for the plan of 2 promotes to prod \\(db → api\\), asked on ${first.id}`,
        ),
        d.flowName,
      );
    }
    assert.match(
      flowport(['history', 'api', '--env', 'prod'], { cwd: root }).stdout,
      new RegExp(`approved by bob@example\\.test for the plan asked on ${first.id}`),
    );
    const late = flowport(['approve', api!.id], { cwd: root, env: as('carol@example.test') });
    assert.equal(late.code, 2);
    assert.match(late.stderr, new RegExp(`runs under the approval of its plan, asked on ${first.id}`));
  },
);

test(
  "approving one plan runs that one only; a rejected plan runs nothing, ordered or not; a plan's approval covers no other deploy",
  { timeout: 120_000 },
  async () => {
    const root = project();
    const planA = startCli(['promote', 'api', 'db', '--from', 'uat', '--to', 'prod', '--json'], {
      cwd: root,
      env: ALICE,
    });
    const holderA = await waiting(root, 'db');
    // web and cron read nothing of each other: approved as one plan, they stop as one too.
    const planB = startCli(['promote', 'web', 'cron', '--from', 'uat', '--to', 'prod', '--json'], {
      cwd: root,
      env: ALICE,
    });
    const holderB = await waiting(root, 'web');

    assert.equal(flowport(['approve', holderA.id], { cwd: root, env: as('bob@example.test') }).code, 0);
    const a = await results(planA);
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual(
      a.results.map((r) => [r.flow, r.outcome]),
      [
        ['db', 'succeeded'],
        ['api', 'succeeded'],
      ],
    );
    // Plan B is untouched by plan A's approval.
    const [stillB] = await inProd(root, 'web');
    assert.deepEqual([stillB!.id, stillB!.status, stillB!.attributes.awaiting], [holderB.id, 'queued', 'approval']);
    assert.deepEqual(await inProd(root, 'cron'), []);

    // A later deploy that claims plan A's approval is refused by its runner: api's place was
    // taken, and that place is api's, not web's.
    const [api] = await inProd(root, 'api');
    const store = localLedger({ root });
    const claim = async (flow: string, approval: JsonValue) => {
      let ran = false;
      const d = await runRecorded(
        store,
        { flowName: flow, env: 'prod', commit: api!.commit, ref: 'HEAD', attributes: { approval } },
        collectingRun(),
        () => {
          ran = true;
          return Promise.resolve({ status: 'succeeded' });
        },
      );
      assert.equal(d.status, 'cancelled', flow);
      assert.equal(ran, false, flow);
      return String(d.attributes.reason);
    };
    assert.match(
      await claim('api', api!.attributes.approval!),
      /^not run: the plan approved on \S+ covered api once already, with deployment \S+; nothing ran$/,
    );
    assert.match(
      await claim('web', api!.attributes.approval!),
      /^not run: the plan covers api [0-9a-f]{12} in prod, not web [0-9a-f]{12} in prod; nothing ran$/,
    );

    const reject = flowport(['reject', holderB.id, '--reason', 'not during the sale'], {
      cwd: root,
      env: as('carol@example.test'),
    });
    assert.equal(reject.code, 0, reject.stderr);
    assert.match(reject.stdout, /Rejected by carol@example\.test: the plan of 2 promotes to prod \(web → cron\)/);
    const b = await results(planB);
    assert.equal(b.code, 1);
    assert.deepEqual(
      b.results.map((r) => [r.flow, r.outcome]),
      [
        ['web', 'cancelled'],
        ['cron', 'cancelled'],
      ],
    );
    assert.match(
      b.results[1]!.message,
      /cron: not started: the plan of 2 promotes to prod \(web → cron\) was rejected by carol@example\.test at .*: "not during the sale"; nothing of the plan ran/,
    );
    assert.ok(!existsSync(join(root, 'out', `${holderB.id}.json`)), "web's command never ran");
    assert.deepEqual(await inProd(root, 'cron'), [], 'cron was never recorded in prod');

    // Nor can cron claim plan B's approval later: its first deploy did not run.
    const requestB = approvalOf(holderB)!;
    assert.match(
      await claim(
        'cron',
        JSON.parse(
          JSON.stringify({ ...requestB, plan: { ...requestB.plan!, step: 1, heldBy: holderB.id } }),
        ) as JsonValue,
      ),
      new RegExp(
        `^not run: the plan's first deploy ${holderB.id} is cancelled, not succeeded: the plan stopped there; nothing ran$`,
      ),
    );
  },
);

test(
  'after the approval, a failure in the middle stops the rest and offers rolling back what ran',
  { timeout: 120_000 },
  async () => {
    const root = project();
    const cli = startCli(['promote', 'web', 'api', 'db', '--from', 'uat', '--to', 'prod', '--json'], {
      cwd: root,
      env: { ...ALICE, DEPLOY_FAIL: 'api' },
    });
    // api reads db: db, then api; web, ready from the start, keeps its place first.
    const holder = await waiting(root, 'web');
    assert.equal(flowport(['approve', holder.id], { cwd: root, env: as('bob@example.test') }).code, 0);
    const run = await results(cli);
    assert.equal(run.code, 1);
    assert.deepEqual(
      run.results.map((r) => [r.flow, r.outcome]),
      [
        ['web', 'succeeded'],
        ['db', 'succeeded'],
        ['api', 'failed'],
      ],
    );
    assert.deepEqual(run.results[0]!.hint, { command: 'rollback', args: ['web', 'db', '--env', 'prod'] });
  },
);

test("a plan's request that expires undecided ends its first deploy with nothing run, naming the plan", async () => {
  const root = project();
  const commit = git(root, 'rev-parse', 'HEAD');
  const expiresAt = new Date(Date.now() + 3000).toISOString();
  let ran = false;
  const d = await runRecorded(
    localLedger({ root }),
    {
      flowName: 'db',
      env: 'prod',
      commit,
      ref: 'HEAD',
      attributes: {
        approval: {
          required: 1,
          notInitiator: true,
          expiresAt,
          requestedBy: 'alice@example.test',
          plan: {
            from: 'uat',
            to: 'prod',
            step: 0,
            steps: [
              { flow: 'db', commit },
              { flow: 'api', commit },
            ],
          },
        },
      },
    },
    collectingRun(),
    () => {
      ran = true;
      return Promise.resolve({ status: 'succeeded' });
    },
  );
  assert.equal(d.status, 'cancelled');
  assert.match(
    String(d.attributes.reason),
    /^not run: the approval request for the plan of 2 promotes to prod \(db → api\) expired at .* undecided; promote them again to ask anew$/,
  );
  assert.equal(ran, false);
});

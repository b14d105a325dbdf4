// The board benchmark's data: a generated project (scripts/corpus/make-corpus.mjs, one flow every
// ten files) read by the real TypeScript finder, and a generated ledger (.flowport/ledger.jsonl,
// the local backend's format) read back by the real local ledger. Deterministic for a seed.
//
//   const { flows, deployments, environments } = await makeBoardData({ dir, flows: 500 });
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeCorpus } from '../corpus/make-corpus.mjs';

const root = new URL('../..', import.meta.url).pathname;
const STATUSES = ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'failed', 'cancelled', 'interrupted'];
const PEOPLE = ['ann@ci', 'bob@laptop', 'chen@desk', 'dana@ci'];

function makeRandom(seed) {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/**
 * @param {{ dir: string, flows?: number, environments?: string[], seed?: number, now?: number }} o
 */
export async function makeBoardData({
  dir,
  flows: flowCount = 500,
  environments = ['dev', 'uat', 'staging', 'preprod', 'prod'],
  seed = 1,
  now = Date.now(),
}) {
  makeCorpus({ out: dir, files: flowCount * 10, flowEvery: 10, seed });
  const sdk = await import(join(root, 'sdk/dist/index.js'));
  const flows = await sdk.typescriptFlows({ root: dir, cache: false }).findFlows();

  const rand = makeRandom(seed);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  // A shared pool of commits, newest first, as in a repository many flows deploy from.
  const commits = Array.from({ length: 60 }, (_, i) => (i.toString(16).padStart(4, '0') + 'c0ffee').repeat(4));
  const lines = [];
  let id = 0;
  for (const flow of flows) {
    // Later environments run the same or older commits; some never got the flow.
    let newest = Math.floor(rand() * 10);
    environments.forEach((env, e) => {
      if (e > 0 && rand() < 0.15) return;
      newest += Math.floor(rand() * 6);
      const runs = 1 + Math.floor(rand() * 5);
      for (let r = 0; r < runs; r++) {
        const createdAt = new Date(now - (e * 3 + runs - r) * 3_600_000 * (1 + rand() * 20)).toISOString();
        const updatedAt = new Date(Date.parse(createdAt) + 20_000 + Math.floor(rand() * 400_000)).toISOString();
        const last = r === runs - 1;
        const status = last && rand() < 0.02 ? 'running' : last ? 'succeeded' : pick(STATUSES);
        const deploymentId = `bench-${String(id++).padStart(6, '0')}`;
        const deployment = {
          id: deploymentId,
          flowName: flow.name,
          env,
          commit: commits[Math.min(commits.length - 1, newest + (runs - 1 - r))],
          ref: 'main',
          status,
          createdAt,
          updatedAt: status === 'running' ? createdAt : updatedAt,
          initiator: pick(PEOPLE),
          logLocation: join(dir, '.flowport', 'logs', `${deploymentId}.log`),
          outputs: { bundleBytes: String(1000 + Math.floor(rand() * 9000)), apiToken: 'never-shown' },
          attributes: {},
        };
        lines.push(
          JSON.stringify({ v: 1, type: 'deployment', at: deployment.updatedAt, by: deployment.initiator, deployment }),
        );
      }
    });
  }
  mkdirSync(join(dir, '.flowport'), { recursive: true });
  writeFileSync(join(dir, '.flowport', 'ledger.jsonl'), lines.join('\n') + '\n');
  // `running` records without a runner read as interrupted, like a runner that died: fine here.
  const deployments = await sdk.localLedger({ root: dir, warn: () => {} }).findDeployments({ history: true });
  return { flows, deployments, environments: environments.map((name) => ({ name, protected: name === 'prod' })) };
}

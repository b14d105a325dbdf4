// Inputs across flows, end to end through the real CLI, runners and deploy commands: api takes
// db's outputs (one of them secret) in the environment it is deployed to; a deploy with an unmet
// dependency is refused before anything is recorded; a promote waits for its dependency; a build
// phase runs once per commit; a deployer of one's own gets the inputs in its request. The secret
// is searched for as text in every log, --json document and state file.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DeploymentDetails } from '../../../sdk/src/model.js';
import { flowport } from '../../helpers/cli.js';
import { linkSdk, tempDir, writeTree } from '../../helpers/tmp.js';
import { commitAll, git, waitFor } from './fixture.js';

const DB_SECRET = 'db-secret-7f3a9c21e4';
const BUILD_SECRET = 'build-signing-9d8e7f6a5b';

/** The one deploy command every flow runs: records what it got, prints what each flow outputs. */
const RELEASE_SCRIPT = `
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const flow = process.env.FLOWPORT_FLOW, env = process.env.FLOWPORT_ENV;
const out = join(process.env.FLOWPORT_ROOT, 'out');
mkdirSync(out, { recursive: true });
const got = {};
for (const k of ['DB_URL', 'DB_LOGIN', 'PREVIOUS', 'FROM_ENV', 'BIN', 'SIGN']) if (k in process.env) got[k] = process.env[k];
writeFileSync(join(out, process.env.FLOWPORT_DEPLOYMENT_ID + '.json'), JSON.stringify({ argv: process.argv.slice(2), env: got }));
if (flow === 'db') {
  console.log('::flowport-output url=postgres://db.' + env + '.internal/app');
  console.log('::flowport-secret token=' + process.env.TEST_DB_SECRET + '-' + env);
}
if (flow === 'api') {
  console.log('api got login ' + process.env.DB_LOGIN);
  console.error('and on stderr: ' + process.env.DB_LOGIN);
  if (process.env.TEST_FAIL_API) { console.log('failing with ' + process.env.DB_LOGIN); process.exit(4); }
}
if (flow === 'web') console.log('signing with ' + process.env.SIGN);
if (process.env.TEST_HOLD === flow + '@' + env) {
  // Held until the test lets it go: a deploy of the same commit elsewhere starts meanwhile.
  const { existsSync } = await import('node:fs');
  while (!existsSync(join(out, 'go'))) await new Promise((r) => setTimeout(r, 20));
}
console.log('::flowport-output version=' + flow + '-' + env);
`;

/** The build: counts its runs, reports a binary URL and a secret signing key. */
const BUILD_SCRIPT = `
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
const out = join(process.env.FLOWPORT_ROOT, 'out');
mkdirSync(out, { recursive: true });
appendFileSync(join(out, 'builds.txt'), process.argv[2] + ' ' + process.argv[3] + ' ' + process.env.FLOWPORT_PHASE + '\\n');
console.log('building ' + process.argv[3]);
if (process.env.TEST_HOLD_BUILD) {
  // Held until the test lets it go: another first deploy of the commit starts meanwhile.
  const { existsSync } = await import('node:fs');
  while (!existsSync(join(out, 'build-go'))) await new Promise((r) => setTimeout(r, 20));
}
if (process.env.TEST_FAIL_BUILD) { console.error('the compiler broke'); process.exit(7); }
console.log('::flowport-output binaryUrl=https://bin.test/' + process.argv[3]);
console.log('::flowport-output signingKey=' + process.env.TEST_BUILD_SECRET);
`;

/** One target of a step: records its argv, prints the secret it was given, fails where asked. */
const STEP_SCRIPT = `
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
const out = join(process.env.FLOWPORT_ROOT, 'out');
mkdirSync(out, { recursive: true });
appendFileSync(join(out, 'steps.jsonl'), JSON.stringify({ argv: process.argv.slice(2), login: process.env.DB_LOGIN }) + '\\n');
console.log('step on ' + process.argv[2] + ' with ' + process.argv[3]);
if (process.env.TEST_FAIL_TARGET === process.argv[2]) { console.error('target broke holding ' + process.env.DB_LOGIN); process.exit(5); }
`;

const flowSource = (name: string) =>
  `import { defineFlow } from 'flowport';\nexport const f = defineFlow({ name: ${JSON.stringify(name)} }, async () => 1);\n`;

const RELEASES = `{
    db: {},
    api: {
      inputs: {
        DB_URL: output('db', 'url'),
        DB_LOGIN: output('db', 'token'),
        PREVIOUS: current('api').output('version'),
      },
    },
    web: {
      inputs: { BIN: phase('build').output('binaryUrl'), SIGN: phase('build').output('signingKey') },
      build: { command: ['node', 'build.mjs', '{flow}', '{commit}'] },
    },
  }`;

const COMMAND = `commandDeployer({
    command: ['node', 'release.mjs', '{flow}', '--db={input:DB_URL}', '--login={input:DB_LOGIN}', '--bin={input:BIN}'],
    env: { FROM_ENV: 'url {input:DB_URL}' },
    killGraceMs: 500,
  })`;

function project(options: { releases?: string; deploy?: string; environments?: string } = {}) {
  const root = tempDir('flowport-inputs-');
  const keyFile = join(tempDir('flowport-key-'), 'secret.key');
  writeTree(root, {
    'flowport.config.ts': [
      `import { appendFileSync } from 'node:fs';`,
      `import { defineConfig, commandDeployer, output, current, phase } from 'flowport';`,
      `export default defineConfig({`,
      `  environments: ${options.environments ?? "['dev', 'uat', 'prod']"},`,
      `  deploy: ${options.deploy ?? COMMAND},`,
      `  releases: ${options.releases ?? RELEASES},`,
      `});`,
    ].join('\n'),
    'release.mjs': RELEASE_SCRIPT,
    'build.mjs': BUILD_SCRIPT,
    'step.mjs': STEP_SCRIPT,
    '.gitignore': 'node_modules\nout\n.flowport\n',
    'src/db/flow.ts': flowSource('db'),
    'src/api/flow.ts': flowSource('api'),
    'src/web/flow.ts': flowSource('web'),
    'src/worker/flow.ts': flowSource('worker'),
  });
  git(root, 'init', '-q');
  const commit = commitAll(root, 'initial');
  linkSdk(root);
  const env = { FLOWPORT_SECRET_KEY_FILE: keyFile, TEST_DB_SECRET: DB_SECRET, TEST_BUILD_SECRET: BUILD_SECRET };
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    flowport([...args, '--root', root], { env: { ...env, ...extra } });
  /** What the deploy command of deployment `id` was given. */
  const seen = (id: string) =>
    JSON.parse(readFileSync(join(root, 'out', `${id}.json`), 'utf8')) as {
      argv: string[];
      env: Record<string, string>;
    };
  return { root, commit, cli, seen };
}

function deployed(r: { stdout: string }): DeploymentDetails {
  return (JSON.parse(r.stdout) as { results: Array<{ deployment: DeploymentDetails }> }).results[0]!.deployment;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

function assertNoSecret(where: string, text: string, secrets = [DB_SECRET, BUILD_SECRET]): void {
  for (const s of secrets) assert.ok(!text.includes(s), `${where} holds a secret in clear:\n${text.slice(0, 3000)}`);
}

test("api's inputs are db's outputs in the same environment: as variables, {input:NAME} in argv and env, recorded by origin; the secret one masked everywhere", async () => {
  const { root, cli, seen } = project();
  const db = cli(['deploy', 'db', '--env', 'dev', '--json']);
  assert.equal(db.code, 0, db.stderr);
  const dbDev = deployed(db);

  const api = cli(['deploy', 'api', '--env', 'dev', '--json']);
  assert.equal(api.code, 0, api.stderr + api.stdout);
  const apiDev = deployed(api);
  const got = seen(apiDev.id);
  assert.deepEqual(got.env, {
    DB_URL: 'postgres://db.dev.internal/app',
    DB_LOGIN: `${DB_SECRET}-dev`,
    PREVIOUS: '',
    FROM_ENV: 'url postgres://db.dev.internal/app',
  });
  assert.deepEqual(got.argv, [
    'api',
    '--db=postgres://db.dev.internal/app',
    `--login=${DB_SECRET}-dev`,
    '--bin=', // an input another flow declares: empty for this one
  ]);
  assert.deepEqual(apiDev.attributes.inputs, {
    DB_URL: { from: 'output', flow: 'db', output: 'url', deploymentId: dbDev.id },
    DB_LOGIN: { from: 'output', flow: 'db', output: 'token', deploymentId: dbDev.id },
    PREVIOUS: { from: 'current', flow: 'api', output: 'version', deploymentId: null },
  });
  assert.match(api.stderr, /input DB_LOGIN: db's output token, deployment /);
  assert.match(api.stderr, /api got login •••/);

  // Deployed again: current('api') is the deployment running before this one.
  const again = cli(['deploy', 'api', '--env', 'dev', '--json'], { TEST_FAIL_API: '1' });
  assert.equal(again.code, 1, again.stderr);
  const failed = deployed(again);
  assert.equal(seen(failed.id).env.PREVIOUS, 'api-dev');
  assert.deepEqual((failed.attributes.inputs as Record<string, unknown>).PREVIOUS, {
    from: 'current',
    flow: 'api',
    output: 'version',
    deploymentId: apiDev.id,
  });
  assert.match(JSON.stringify(failed.attributes.lastLines), /failing with •••/);

  // Nowhere in clear: what the CLI printed, what it lists, the log, the ledger.
  for (const r of [db, api, again]) assertNoSecret('deploy output', r.stdout + r.stderr);
  for (const args of [
    ['history', 'api', '--json'],
    ['history', 'api'],
    ['deployments', '--json'],
    ['deployments'],
    ['logs', failed.id],
  ]) {
    const r = cli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assertNoSecret(args.join(' '), r.stdout + r.stderr);
  }
  // The history says which deployment of db each api release read.
  assert.match(cli(['history', 'api']).stdout, new RegExp(`inputs from db ${dbDev.id}`));
  const files = filesUnder(join(root, '.flowport'));
  assert.ok(files.some((f) => f.endsWith('.log')));
  for (const file of files) assertNoSecret(file, readFileSync(file, 'latin1') + readFileSync(file, 'utf8'));
  assert.match(readFileSync(failed.logLocation!, 'utf8'), /api got login •••\n/);
});

test('a deploy whose dependency has no successful deployment there is refused before anything is recorded, naming it and the fix', async () => {
  const { cli } = project();
  // Refused before the protected environment's prompt too: the preflight resolves the inputs.
  const refused = cli(['deploy', 'api', '--env', 'dev']);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(
    refused.stderr,
    /api needs db's output url in dev \(input DB_URL\), but db has no successful deployment in dev: deploy it first: flowport deploy db --env dev/,
  );
  const json = cli(['deploy', 'api', '--env', 'dev', '--json']);
  const { error } = JSON.parse(json.stdout) as { error: { kind: string; hint?: unknown } };
  assert.equal(error.kind, 'DeployError');
  assert.deepEqual(error.hint, { command: 'deploy', args: ['db', '--env', 'dev'] });
  const history = cli(['history', 'api', '--json']);
  assert.deepEqual((JSON.parse(history.stdout) as { deployments: unknown[] }).deployments, [], 'nothing recorded');

  // db deployed, but to another environment only: still refused in uat.
  assert.equal(cli(['deploy', 'db', '--env', 'dev']).code, 0);
  const uat = cli(['deploy', 'api', '--env', 'uat']);
  assert.equal(uat.code, 1);
  assert.match(uat.stderr, /db has no successful deployment in uat: deploy it first: flowport deploy db --env uat/);
  // Deployed together, db first: api's dependency is met by the time it starts.
  const both = cli(['deploy', 'db', 'api', '--env', 'prod']);
  assert.equal(both.code, 0, both.stderr + both.stdout);
});

test('an input naming a flow the project does not have is refused with the flows it has', async () => {
  const { cli } = project({ releases: `{ api: { inputs: { DB_URL: output('dbb', 'url') } } }` });
  const r = cli(['deploy', 'api', '--env', 'dev']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /reads an output of "dbb", but the project has no flow "dbb" \(its flows: [a-z, ]*db/);
});

test('a promote waits for its dependency to be as far along, and reads its outputs in the target environment', async () => {
  const { cli, seen } = project();
  assert.equal(cli(['deploy', 'db', '--env', 'dev']).code, 0);
  assert.equal(cli(['deploy', 'api', '--env', 'dev']).code, 0);
  const refused = cli(['promote', 'api', '--from', 'dev', '--to', 'uat']);
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(
    refused.stdout,
    /cannot promote "api" from dev to uat: it takes db's outputs, and db has no successful deployment in uat\. Promote db first: flowport promote db --from dev --to uat/,
  );
  assert.deepEqual(
    (JSON.parse(cli(['history', 'api', '--env', 'uat', '--json']).stdout) as { deployments: unknown[] }).deployments,
    [],
  );
  assert.equal(cli(['promote', 'db', '--from', 'dev', '--to', 'uat']).code, 0);
  const promoted = cli(['promote', 'api', '--from', 'dev', '--to', 'uat', '--json']);
  assert.equal(promoted.code, 0, promoted.stderr + promoted.stdout);
  const d = deployed(promoted);
  assert.equal(d.promotedFrom?.env, 'dev');
  assert.equal(seen(d.id).env.DB_URL, 'postgres://db.uat.internal/app');
  assert.equal(seen(d.id).env.DB_LOGIN, `${DB_SECRET}-uat`);
  assertNoSecret('promote --json', promoted.stdout + promoted.stderr);
});

test('the build runs once per commit: two environments and a promote reuse its outputs, the secret one masked', async () => {
  const { root, commit, cli, seen } = project();
  const builds = () =>
    readFileSync(join(root, 'out', 'builds.txt'), 'utf8')
      .trim()
      .split('\n');
  const dev = cli(['deploy', 'web', '--env', 'dev', '--json']);
  assert.equal(dev.code, 0, dev.stderr + dev.stdout);
  const first = deployed(dev);
  assert.deepEqual(builds(), [`web ${commit} build`]);
  assert.equal(seen(first.id).env.BIN, `https://bin.test/${commit}`);
  assert.equal(seen(first.id).env.SIGN, BUILD_SECRET);
  assert.equal(seen(first.id).argv.at(-1), `--bin=https://bin.test/${commit}`);
  const build = first.attributes.build as { commit: string; deploymentId: string; outputs: Record<string, string> };
  assert.equal(build.commit, commit);
  assert.equal(build.deploymentId, first.id);
  assert.deepEqual(build.outputs, { binaryUrl: `https://bin.test/${commit}`, signingKey: '•••' });
  assert.match(dev.stderr, /signing with •••/);

  const uat = cli(['deploy', 'web', '--env', 'uat', '--json']);
  assert.equal(uat.code, 0, uat.stderr);
  assert.match(uat.stderr, new RegExp(`build: reusing the build of this commit from deployment ${first.id} \\(dev\\)`));
  const prod = cli(['promote', 'web', '--from', 'uat', '--to', 'prod', '--json']);
  assert.equal(prod.code, 0, prod.stderr);
  assert.deepEqual(builds(), [`web ${commit} build`], 'built once');
  for (const r of [uat, prod]) {
    const d = deployed(r);
    assert.equal(seen(d.id).env.BIN, `https://bin.test/${commit}`);
    assert.equal(seen(d.id).env.SIGN, BUILD_SECRET);
    assert.deepEqual(d.attributes.build, { commit, deploymentId: first.id, reused: true });
    assert.deepEqual((d.attributes.inputs as Record<string, { deploymentId: string }>).BIN!.deploymentId, first.id);
  }
  assert.match(cli(['history', 'web']).stdout, new RegExp(`build reused from ${first.id}`));
  for (const r of [dev, uat, prod, cli(['history', 'web', '--json']), cli(['deployments', '--json'])])
    assertNoSecret('web output', r.stdout + r.stderr);
  for (const file of filesUnder(join(root, '.flowport')))
    assertNoSecret(file, readFileSync(file, 'latin1') + readFileSync(file, 'utf8'));

  // A new commit builds again; a failed build fails the deployment with the reason, deploying nothing.
  writeTree(root, { 'src/web/more.ts': 'export const x = 1;\n' });
  const next = commitAll(root, 'next');
  const broken = cli(['deploy', 'web', '--env', 'dev', '--json'], { TEST_FAIL_BUILD: '1' });
  assert.equal(broken.code, 1);
  const failed = deployed(broken);
  assert.equal(failed.status, 'failed');
  assert.match(
    String(failed.attributes.reason),
    /the build failed \(the build command exited with code 7\); nothing was deployed/,
  );
  assert.throws(() => seen(failed.id), 'the deploy command did not run');
  assert.deepEqual(builds(), [`web ${commit} build`, `web ${next} build`]);
});

test('a deployer of its own gets the resolved inputs in its request', async () => {
  const custom = `(() => {
    const inner = ${COMMAND};
    return {
      forProject(p) {
        const bound = inner.forProject(p);
        return {
          deploy(request, run) {
            appendFileSync(p.root + '/out-custom.jsonl', JSON.stringify({ flow: request.flow.name, inputs: request.inputs ?? null, secretInputs: request.secretInputs ?? null, origins: request.inputOrigins ?? null }) + '\\n');
            return bound.deploy(request, run);
          },
        };
      },
      deploy() { throw new Error('bound to the project first'); },
    };
  })()`;
  const { root, cli } = project({ deploy: custom });
  assert.equal(cli(['deploy', 'db', '--env', 'dev']).code, 0);
  const api = cli(['deploy', 'api', '--env', 'dev']);
  assert.equal(api.code, 0, api.stderr + api.stdout);
  const lines = readFileSync(join(root, 'out-custom.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map(
      (l) =>
        JSON.parse(l) as {
          inputs: Record<string, string> | null;
          secretInputs: string[] | null;
          origins: Record<string, { flow: string }>;
        },
    );
  assert.equal(lines[0]!.inputs, null, 'db declares none');
  assert.deepEqual(lines[1]!.inputs, {
    DB_URL: 'postgres://db.dev.internal/app',
    DB_LOGIN: `${DB_SECRET}-dev`,
    PREVIOUS: '',
  });
  assert.deepEqual(lines[1]!.secretInputs, ['DB_LOGIN']);
  assert.equal(lines[1]!.origins.DB_URL!.flow, 'db');
});

test('a deploy of steps gets the inputs and the build outputs in each target, the secret one masked in what the steps record', async () => {
  const { root, commit, cli } = project({
    environments: `[{ name: 'dev', targets: { web: ['w1', 'w2'] } }, { name: 'uat', targets: { web: ['u1'] } }, { name: 'prod', targets: { web: ['p1'] } }]`,
    deploy: `commandDeployer({ command: ['node', 'release.mjs', '{flow}'], killGraceMs: 500 })`,
    releases: `{
    worker: {
      inputs: { DB_LOGIN: output('db', 'token'), BIN: phase('build').output('binaryUrl') },
      build: { command: ['node', 'build.mjs', '{flow}', '{commit}'] },
      steps: [{ name: 'roll', group: 'web', command: ['node', 'step.mjs', '{target}', '{input:DB_LOGIN}', '{input:BIN}'] }],
    },
  }`,
  });
  const db = cli(['deploy', 'db', '--env', 'dev']);
  assert.equal(db.code, 0, db.stderr + db.stdout);
  const r = cli(['deploy', 'worker', '--env', 'dev', '--json'], { TEST_FAIL_TARGET: 'w2' });
  assert.equal(r.code, 1, r.stderr + r.stdout);
  const steps = readFileSync(join(root, 'out', 'steps.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { argv: string[]; login: string });
  assert.deepEqual(steps[0], {
    argv: ['w1', `${DB_SECRET}-dev`, `https://bin.test/${commit}`],
    login: `${DB_SECRET}-dev`,
  });
  assert.match(r.stderr, /step on w1 with •••/);
  assert.match(JSON.stringify(deployed(r).attributes), /target broke holding •••/);
  for (const out of [r, cli(['history', 'worker', '--json']), cli(['logs', deployed(r).id])])
    assertNoSecret('worker output', out.stdout + out.stderr);
  for (const file of filesUnder(join(root, '.flowport')))
    assertNoSecret(file, readFileSync(file, 'latin1') + readFileSync(file, 'utf8'));
});

test('the build is recorded once it is done: a deploy of the commit elsewhere while the first still runs reuses it', async () => {
  const { root, commit, cli } = project();
  const dev = cli(['deploy', 'web', '--env', 'dev', '--detach', '--json'], { TEST_HOLD: 'web@dev' });
  assert.equal(dev.code, 0, dev.stderr + dev.stdout);
  const id = deployed(dev).id;
  // Wait (bounded) until the running deployment's record holds its build.
  let built = false;
  for (let i = 0; i < 100 && !built; i++) {
    const h = JSON.parse(cli(['history', 'web', '--json']).stdout) as { deployments: DeploymentDetails[] };
    built = h.deployments.some((d) => d.id === id && d.status === 'running' && d.attributes.build !== undefined);
    if (!built) await new Promise((r) => setTimeout(r, 50));
  }
  if (!built) writeTree(root, { 'out/go': '' }); // let the held deploy end before failing
  assert.ok(built, 'the running deployment records its build');
  const uat = cli(['deploy', 'web', '--env', 'uat', '--json']);
  assert.equal(uat.code, 0, uat.stderr);
  assert.match(uat.stderr, new RegExp(`reusing the build of this commit from deployment ${id} \\(dev\\)`));
  writeTree(root, { 'out/go': '' });
  const followed = cli(['logs', id, '--follow']);
  assert.equal(followed.code, 0, followed.stderr);
  assert.deepEqual(
    readFileSync(join(root, 'out', 'builds.txt'), 'utf8')
      .trim()
      .split('\n'),
    [`web ${commit} build`],
  );
});

test('two first deploys of a commit at once build it once: the later waits for the earlier build and reuses it; if that build fails, it builds itself', async () => {
  const { root, commit, cli, seen } = project();
  const builds = () =>
    readFileSync(join(root, 'out', 'builds.txt'), 'utf8')
      .trim()
      .split('\n');
  const until = (what: string, ok: () => boolean) =>
    waitFor(ok, what, 10_000).catch((err: unknown) => {
      writeTree(root, { 'out/build-go': '' }); // let the held build end before failing
      throw err;
    });
  const logOf = (id: string) => cli(['logs', id]).stdout;

  // 1. dev builds (held); uat starts meanwhile, waits, and reuses dev's build.
  const dev = cli(['deploy', 'web', '--env', 'dev', '--detach', '--json'], { TEST_HOLD_BUILD: '1' });
  assert.equal(dev.code, 0, dev.stderr + dev.stdout);
  const devId = deployed(dev).id;
  await until('dev builds', () => existsSync(join(root, 'out', 'builds.txt')));
  const uat = cli(['deploy', 'web', '--env', 'uat', '--detach', '--json']);
  assert.equal(uat.code, 0, uat.stderr + uat.stdout);
  const uatId = deployed(uat).id;
  await until("uat waits for dev's build", () => logOf(uatId).includes(`deployment ${devId} (dev) is building`));
  writeTree(root, { 'out/build-go': '' });
  for (const id of [devId, uatId]) assert.equal(cli(['logs', id, '--follow']).code, 0);
  assert.deepEqual(builds(), [`web ${commit} build`], 'built once');
  const history = JSON.parse(cli(['history', 'web', '--json']).stdout) as { deployments: DeploymentDetails[] };
  const uatDone = history.deployments.find((d) => d.id === uatId)!;
  assert.equal(uatDone.status, 'succeeded');
  assert.deepEqual(uatDone.attributes.build, { commit, deploymentId: devId, reused: true });
  assert.equal(seen(uatId).env.BIN, `https://bin.test/${commit}`);
  assert.equal(seen(uatId).env.SIGN, BUILD_SECRET, 'the secret build output reaches the deploy that reused it');
  assert.match(logOf(uatId), new RegExp(`deployment ${devId} built ${commit.slice(0, 12)}; reusing its outputs`));
  assertNoSecret('uat log', logOf(uatId));

  // 2. A new commit: dev's build fails while uat waits for it; uat then builds it itself.
  writeTree(root, { 'src/web/more.ts': 'export const x = 1;\n' });
  const next = commitAll(root, 'next');
  rmSync(join(root, 'out', 'build-go'));
  const dev2 = cli(['deploy', 'web', '--env', 'dev', '--detach', '--json'], {
    TEST_HOLD_BUILD: '1',
    TEST_FAIL_BUILD: '1',
  });
  const dev2Id = deployed(dev2).id;
  await until('dev builds again', () => builds().length === 2);
  const uat2Id = deployed(cli(['deploy', 'web', '--env', 'uat', '--detach', '--json'])).id;
  await until('uat waits again', () => logOf(uat2Id).includes(`deployment ${dev2Id} (dev) is building`));
  writeTree(root, { 'out/build-go': '' });
  for (const id of [dev2Id, uat2Id]) cli(['logs', id, '--follow']);
  assert.deepEqual(builds(), [`web ${commit} build`, `web ${next} build`, `web ${next} build`]);
  const after = JSON.parse(cli(['history', 'web', '--json']).stdout) as { deployments: DeploymentDetails[] };
  assert.equal(after.deployments.find((d) => d.id === dev2Id)!.status, 'failed');
  const uat2 = after.deployments.find((d) => d.id === uat2Id)!;
  assert.equal(uat2.status, 'succeeded');
  assert.equal((uat2.attributes.build as { deploymentId: string }).deploymentId, uat2Id, 'uat built it');
});

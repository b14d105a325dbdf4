// Every surface a deploy's secrets could reach, searched for their values as text: deploy,
// promote, cancel, history and deployments (human and --json), the ledger, the logs. Secrets are
// an env secret (also expanded into an argv element), a short env secret, an output declared by
// the deployer and one declared by the command's own line. `--show-secrets` reveals outputs at a
// terminal only, and never in deploy's or promote's --json. Secret outputs an older Flowport
// recorded in clear read •••. A state folder an older Flowport left 0755 with 0644 files is made
// private again.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { openStateFile } from '../../../sdk/src/backend/state-file.js';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DeploymentDetails } from '../../../sdk/src/model.js';
import { maskSecretValues, MASK, SecretMasker } from '../../../sdk/src/secrets.js';
import { flowport } from '../../helpers/cli.js';
import { cliPath, linkSdk, tempDir, writeTree } from '../../helpers/tmp.js';
import { startCli, waitFor } from '../backend/fixture.js';

/** Each value distinct and easy to search for. */
const SECRETS = {
  env: 'env-token-5a1e93',
  configured: 'configured-out-8c2d17',
  printed: 'printed-out-3f9b60',
};
/** Too short to mask everywhere: masked where it stands alone. */
const PIN = '73';

const DEPLOY_SCRIPT = `import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const s = JSON.parse(process.env.TEST_SECRETS);
console.log('deploying with ' + process.env.API_TOKEN + ' and pin ' + process.env.SHORT_SECRET);
console.log('args: ' + process.argv.slice(2).join(' '));
console.log('build 1' + process.env.SHORT_SECRET + '4');
console.log('::flowport-output configured=' + s.configured);
console.log('::flowport-secret printed=' + s.printed);
console.log('::flowport-output note=public-note');
console.error('echoing them: ' + [process.env.API_TOKEN, s.configured, s.printed].join(' '));
if (process.env.TEST_HOLD) {
  const out = join(process.env.FLOWPORT_ROOT, 'out');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, process.env.FLOWPORT_DEPLOYMENT_ID + '.held'), '');
  while (!existsSync(join(out, 'release'))) await new Promise((r) => setTimeout(r, 20));
}
`;

/** A committed project whose deploy command gets the env secret in its environment and in an argument. */
function secretProject(): { root: string; env: NodeJS.ProcessEnv } {
  const root = tempDir();
  linkSdk(root);
  writeTree(root, {
    '.gitignore': 'node_modules/\nout/\n',
    'flowport.config.ts': `import { commandDeployer, defineConfig } from 'flowport';
export default defineConfig({
  environments: ['dev', 'uat'],
  deploy: commandDeployer({
    command: [process.execPath, 'deploy.mjs', '--token=' + (process.env.TEST_TOKEN ?? ''), '{flow}'],
    env: { API_TOKEN: process.env.TEST_TOKEN ?? '', SHORT_SECRET: process.env.TEST_PIN ?? '' },
    secretOutputs: ['configured'],
    killGraceMs: 500,
  }),
});
`,
    'deploy.mjs': DEPLOY_SCRIPT,
    'jobs/a.ts': `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'alpha' }, async () => 1);\n`,
  });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.name=T', '-c', 'user.email=t@example.invalid', 'commit', '-qm', 'init');
  const env = {
    FLOWPORT_SECRET_KEY_FILE: join(tempDir(), 'flowport', 'secret.key'),
    TEST_TOKEN: SECRETS.env,
    TEST_PIN: PIN,
    TEST_SECRETS: JSON.stringify(SECRETS),
  };
  return { root, env };
}

/** No secret in clear in `text`; no ciphertext either, but in the ledger that holds it. */
function assertNoSecret(where: string, text: string, ciphertext = false): void {
  for (const [kind, value] of Object.entries(SECRETS))
    assert.ok(!text.includes(value), `${where} holds the ${kind} secret in clear`);
  if (!ciphertext) assert.doesNotMatch(text, /fps1:/, `${where}: no ciphertext`);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

/** The CLI at a terminal (a pty): stdout is a TTY, as when a person runs it. */
function atTerminal(args: string[], env: NodeJS.ProcessEnv): { code: number | null; output: string } {
  const r = spawnSync(
    'python3',
    [
      '-c',
      'import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))',
      process.execPath,
      cliPath,
      ...args,
    ],
    { env: { ...process.env, ...env }, encoding: 'utf8' },
  );
  return { code: r.status, output: r.stdout + r.stderr };
}

test('deploy, promote, cancel, history, deployments, the ledger and the logs: no secret in clear; --show-secrets at a terminal only, never with --json', async () => {
  const { root, env } = secretProject();
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    flowport([...args, '--root', root], { env: { ...env, ...extra } });
  const ledgerLines = () => readFileSync(join(root, '.flowport', 'ledger.jsonl'), 'utf8').split('\n').length;

  const deploy = cli(['deploy', 'alpha', '--env', 'dev']);
  assert.equal(deploy.code, 0, deploy.stderr);
  assert.match(deploy.stdout, new RegExp(`deploying with ${MASK} and pin ${MASK}`), 'the env secrets are masked');
  assert.match(deploy.stdout, new RegExp(`args: --token=${MASK} alpha`), 'the command printed its argv: masked');
  assert.match(deploy.stdout, new RegExp(`\\$ .*deploy\\.mjs --token=${MASK} alpha`), 'the argv as logged: masked');
  assert.match(deploy.stdout, /build 1734/, 'a short secret is not masked inside a longer number');
  assert.match(deploy.stdout, /warning: the secret variable SHORT_SECRET is only 2 characters long/);
  assertNoSecret('deploy', deploy.stdout + deploy.stderr);

  const deployJson = cli(['deploy', 'alpha', '--env', 'dev', '--json']);
  assert.equal(deployJson.code, 0, deployJson.stderr);
  assertNoSecret('deploy --json', deployJson.stdout + deployJson.stderr);
  const deployed = (JSON.parse(deployJson.stdout) as { results: Array<{ deployment: DeploymentDetails }> }).results[0]!
    .deployment;
  assert.deepEqual(
    (deployed.attributes.command as string[]).slice(-2),
    [`--token=${MASK}`, 'alpha'],
    'the argv as recorded',
  );
  assert.deepEqual(deployed.outputs, { configured: MASK, printed: MASK, note: 'public-note' });

  // --show-secrets: refused with --json even at a terminal, and to a pipe; nothing is deployed then.
  const before = ledgerLines();
  const jsonReveal = atTerminal(['deploy', 'alpha', '--env', 'dev', '--json', '--show-secrets', '--root', root], env);
  assert.equal(jsonReveal.code, 2, jsonReveal.output);
  assert.match(jsonReveal.output, /--show-secrets cannot be used with --json/);
  assertNoSecret('deploy --json --show-secrets at a terminal', jsonReveal.output);
  const piped = cli(['deploy', 'alpha', '--env', 'dev', '--show-secrets']);
  assert.equal(piped.code, 2);
  assert.match(piped.stderr, /only to a terminal/);
  assertNoSecret('deploy --show-secrets to a pipe', piped.stdout + piped.stderr);
  assert.equal(ledgerLines(), before, 'a refused --show-secrets deploys nothing');
  const revealed = atTerminal(['deploy', 'alpha', '--env', 'dev', '--show-secrets', '--root', root], env);
  assert.equal(revealed.code, 0, revealed.output);
  assert.match(
    revealed.output,
    new RegExp(`Outputs of \\S+: configured=${SECRETS.configured}, printed=${SECRETS.printed}`),
  );
  assert.ok(!revealed.output.includes(SECRETS.env), 'the env secret is no output: nowhere to reveal');

  const promote = cli(['promote', 'alpha', '--from', 'dev', '--to', 'uat']);
  assert.equal(promote.code, 0, promote.stderr);
  assertNoSecret('promote', promote.stdout + promote.stderr);
  const promoteJson = cli(['promote', 'alpha', '--from', 'dev', '--to', 'uat', '--json']);
  assert.equal(promoteJson.code, 0, promoteJson.stderr);
  assertNoSecret('promote --json', promoteJson.stdout + promoteJson.stderr);
  const promoteReveal = atTerminal(
    ['promote', 'alpha', '--from', 'dev', '--to', 'uat', '--show-secrets', '--root', root],
    env,
  );
  assert.equal(promoteReveal.code, 0, promoteReveal.output);
  // Already in uat (unchanged): the outputs of the deployment that runs there, in clear as asked.
  assert.match(
    promoteReveal.output,
    new RegExp(`Outputs of \\S+: configured=${SECRETS.configured}, printed=${SECRETS.printed}`),
  );
  const promoteJsonReveal = atTerminal(
    ['promote', 'alpha', '--from', 'dev', '--to', 'uat', '--json', '--show-secrets', '--root', root],
    env,
  );
  assert.equal(promoteJsonReveal.code, 2, promoteJsonReveal.output);
  assertNoSecret('promote --json --show-secrets', promoteJsonReveal.output);

  // cancel --json of a running deploy that has set its secret outputs.
  const running = startCli(['deploy', 'alpha', '--env', 'uat', '--root', root], {
    cwd: root,
    env: { ...env, TEST_HOLD: '1' },
  });
  const out = join(root, 'out');
  const id = await waitFor(
    () => (existsSync(out) ? readdirSync(out).find((f) => f.endsWith('.held')) : undefined)?.slice(0, -'.held'.length),
    'the deploy to hold',
  );
  const cancel = cli(['cancel', id, '--json']);
  assert.equal(cancel.code, 0, cancel.stdout + cancel.stderr);
  assertNoSecret('cancel --json', cancel.stdout + cancel.stderr);
  const cancelled = (JSON.parse(cancel.stdout) as { deployment: DeploymentDetails }).deployment;
  assert.equal(cancelled.status, 'cancelled');
  assert.deepEqual(cancelled.outputs, { configured: MASK, printed: MASK, note: 'public-note' }, 'its outputs, masked');
  assert.deepEqual((cancelled.attributes.command as string[]).slice(-2), [`--token=${MASK}`, 'alpha']);
  writeFileSync(join(out, 'release'), '');
  const ended = await running.done;
  assertNoSecret('the cancelled deploy', ended.stdout + ended.stderr);

  for (const args of [
    ['history', 'alpha'],
    ['history', 'alpha', '--json'],
    ['deployments'],
    ['deployments', '--json'],
  ]) {
    const r = cli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assertNoSecret(args.join(' '), r.stdout + r.stderr);
  }

  const state = join(root, '.flowport');
  const files = filesUnder(state);
  assert.ok(files.some((f) => f.endsWith('.log')) && files.some((f) => f.endsWith('ledger.jsonl')));
  for (const file of files) assertNoSecret(file, readFileSync(file, 'utf8'), file.endsWith('ledger.jsonl'));
  const logs = files.filter((f) => f.endsWith('.log')).map((f) => readFileSync(f, 'utf8'));
  assert.ok(logs.some((l) => l.includes(`pin ${MASK}`)) && !logs.some((l) => l.includes(`pin ${PIN}`)));
});

test('secret outputs an older Flowport recorded in clear read ••• in history and deployments', () => {
  const { root, env } = secretProject();
  const cli = (args: string[]) => flowport([...args, '--root', root], { env });
  assert.equal(cli(['deploy', 'alpha', '--env', 'dev']).code, 0);
  const ledger = join(root, '.flowport', 'ledger.jsonl');
  const last = JSON.parse(readFileSync(ledger, 'utf8').trim().split('\n').at(-1)!) as { deployment: DeploymentDetails };
  const old = 'old-clear-password-1d4b77';
  const oldUrl = 'old-url-password-0e6f21';
  const { sealedOutputs: _sealed, secretOutputs: _declared, ...attributes } = last.deployment.attributes;
  const record = {
    ...last,
    deployment: {
      ...last.deployment,
      id: `${last.deployment.id.slice(0, -6)}0a0b0c`,
      env: 'uat',
      outputs: { db_password: old, url: `https://me:${oldUrl}@example.invalid/`, note: 'kept' },
      attributes,
    },
  };
  writeFileSync(ledger, `${JSON.stringify(record)}\n`, { flag: 'a' });
  for (const args of [
    ['history', 'alpha'],
    ['history', 'alpha', '--json'],
    ['deployments'],
    ['deployments', '--json'],
  ]) {
    const r = cli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(!r.stdout.includes(old) && !r.stdout.includes(oldUrl), `${args.join(' ')} shows an old clear secret`);
    if (args.join(' ') === 'history alpha --json') {
      const shown = (JSON.parse(r.stdout) as { deployments: DeploymentDetails[] }).deployments[0]!;
      assert.deepEqual(shown.outputs, { db_password: MASK, url: `https://me:${MASK}@example.invalid/`, note: 'kept' });
    }
  }
});

test('short secret values are masked where they stand alone, longer ones everywhere; the warning names the variable only', () => {
  assert.equal(
    maskSecretValues('pin 42, --pin=42, v42b, 1425, (42)', ['42']),
    `pin ${MASK}, --pin=${MASK}, v42b, 1425, (${MASK})`,
  );
  assert.equal(maskSecretValues('xxabcdxx abcd', ['abcd']), `xx${MASK}xx ${MASK}`);
  assert.equal(
    maskSecretValues('a.b a+b', ['a.b', 'a+b']),
    `${MASK} ${MASK}`,
    'regexp syntax in a short value is literal',
  );
  assert.equal(maskSecretValues('anything', ['']), 'anything');
  const masker = new SecretMasker({ env: { PIN_TOKEN: '7', REGION: 'x', API_KEY: 'long-enough' } });
  assert.equal(masker.mask('code 7 of 17, key long-enough'), `code ${MASK} of 17, key ${MASK}`);
  assert.equal(masker.warnings.length, 1);
  assert.match(masker.warnings[0]!, /PIN_TOKEN is only 1 character long/);
  assert.doesNotMatch(masker.warnings[0]!, /\b7\b/);
});

test('a state folder an older Flowport left 0755 with 0644 files is made 0700 / 0600 when this one writes there', async () => {
  const { root, env } = secretProject();
  const cli = (args: string[]) => flowport([...args, '--root', root], { env });
  assert.equal(cli(['deploy', 'alpha', '--env', 'dev']).code, 0);
  const state = join(root, '.flowport');
  const folders = [
    state,
    ...['logs', 'leases', 'cache', 'config'].map((d) => join(state, d)).filter((d) => existsSync(d)),
  ];
  for (const dir of folders) {
    chmodSync(dir, 0o755);
    for (const f of readdirSync(dir, { withFileTypes: true })) if (f.isFile()) chmodSync(join(dir, f.name), 0o644);
  }
  const files = filesUnder(state).filter((f) => !f.includes('/worktrees/'));
  assert.equal(cli(['deploy', 'alpha', '--env', 'dev']).code, 0);
  for (const dir of folders) assert.equal(statSync(dir).mode & 0o777, 0o700, dir);
  for (const file of files) assert.equal(statSync(file).mode & 0o777, 0o600, file);

  // One state file opened to read, as the ledger opens its files (openStateFile): it and its folder.
  const dir = join(tempDir(), 'state');
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  const file = join(dir, 'ledger.jsonl');
  writeFileSync(file, '', { mode: 0o644 });
  chmodSync(file, 0o644);
  const fh = await openStateFile(file, 'r');
  await fh.close();
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
});

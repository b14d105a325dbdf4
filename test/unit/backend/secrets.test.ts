// Secrets follow one policy on every surface: a secret output (declared by the deployer, by the
// command's `::flowport-secret` line, or named so) and a secret env value of the deploy command
// appear in no log, ledger line or CLI output (human and --json) after a real deploy; the ledger
// holds them encrypted; --show-secrets reveals them at a terminal only; state files are 0600 in
// 0700 folders. Values are searched for as text in every file and output.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  isSecretName,
  maskUrlCredentials,
  MASK,
  openValue,
  sealValue,
  SecretMasker,
} from '../../../sdk/src/secrets.js';
import type { DeploymentDetails } from '../../../sdk/src/model.js';
import { flowport } from '../../helpers/cli.js';
import { cliPath, linkSdk, tempDir, writeTree } from '../../helpers/tmp.js';

test('the name pattern: word-aware, the names credentials go by', () => {
  const secret = [
    'token',
    'apiToken',
    'GITHUB_TOKEN',
    'githubtoken',
    'password',
    'DB_PASSWORD',
    'dbPassword',
    'passwd',
    'pwd',
    'passphrase',
    'secret',
    'client_secret',
    'apiKey',
    'API_KEY',
    'private_key',
    'database_url',
    'DATABASE_URL',
    'databaseUrl',
    'dsn',
    'SENTRY_DSN',
    'connection_string',
    'connectionString',
    'cookie',
    'session',
    'sessionId',
    'jwt',
    'bearer',
    'pat',
    'GITHUB_PAT',
    'credentials',
    'auth',
  ];
  const plain = [
    'pattern',
    'keyboard',
    'monkey',
    'url',
    'note',
    'version',
    'patch',
    'compass',
    'tokenizer',
    'dsnx',
    'region',
  ];
  for (const name of secret) assert.equal(isSecretName(name), true, name);
  for (const name of plain) assert.equal(isSecretName(name), false, name);
  assert.equal(
    maskUrlCredentials('see postgres://app:hunter2@db.example.invalid:5432/x and https://example.invalid/'),
    `see postgres://app:${MASK}@db.example.invalid:5432/x and https://example.invalid/`,
  );
});

test('sealed values open with the same key and context only; the key is created 0600 in a 0700 folder', () => {
  const dir = tempDir();
  const keyFile = join(dir, 'conf', 'flowport', 'secret.key');
  const before = process.env.FLOWPORT_SECRET_KEY_FILE;
  process.env.FLOWPORT_SECRET_KEY_FILE = keyFile;
  try {
    const sealed = sealValue('s3cr3t-value', 'ctx-a');
    assert.doesNotMatch(sealed, /s3cr3t/);
    assert.equal(openValue(sealed, 'ctx-a'), 's3cr3t-value');
    assert.throws(() => openValue(sealed, 'ctx-b'), /cannot decrypt/);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'conf', 'flowport')).mode & 0o777, 0o700);
  } finally {
    if (before === undefined) delete process.env.FLOWPORT_SECRET_KEY_FILE;
    else process.env.FLOWPORT_SECRET_KEY_FILE = before;
  }
  const masker = new SecretMasker({ env: { API_TOKEN: 'tok-12345', REGION: 'eu-west-1' }, secretOutputs: ['given'] });
  assert.equal(masker.mask('using tok-12345 in eu-west-1'), `using ${MASK} in eu-west-1`);
  assert.equal(masker.line('::flowport-output given=abcdef').shown, `::flowport-output given=${MASK}`);
  assert.equal(masker.line('later: abcdef').shown, `later: ${MASK}`);
  assert.equal(masker.line('::flowport-secret mine=zyxwvu').output?.declared, true);
  assert.equal(masker.line('::flowport-output note=visible').shown, '::flowport-output note=visible');
});

/** Every value a test deploy treats as secret, each distinct and easy to search for. */
const SECRETS = {
  env: 'env-secret-7f3a9c',
  configured: 'configured-secret-2b8e41',
  printed: 'printed-secret-9d0c55',
  named: 'named-secret-4e7a12',
  urlPassword: 'url-password-6c1f08',
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

function assertNoSecret(where: string, text: string): void {
  for (const [kind, value] of Object.entries(SECRETS)) {
    assert.ok(!text.includes(value), `${where} holds the ${kind} secret in clear`);
  }
}

test('a real deploy: no secret in .flowport/**, in deploy, deployments or history output (human and --json); --show-secrets at a terminal only', () => {
  const root = tempDir();
  const keyFile = join(tempDir(), 'flowport', 'secret.key');
  linkSdk(root);
  writeTree(root, {
    '.gitignore': 'node_modules/\n',
    // The env secret comes from the environment, as a real config's does (never a literal in it).
    'flowport.config.ts': `import { commandDeployer, defineConfig } from 'flowport';
export default defineConfig({
  environments: ['dev'],
  deploy: commandDeployer({
    command: [process.execPath, 'deploy.mjs'],
    env: { API_TOKEN: process.env.TEST_DEPLOY_TOKEN ?? '' },
    secretOutputs: ['configured'],
  }),
});
`,
    'deploy.mjs': `const s = JSON.parse(process.env.TEST_SECRETS);
console.log('deploying with ' + process.env.API_TOKEN);
console.log('::flowport-output configured=' + s.configured);
console.log('::flowport-secret printed=' + s.printed);
console.log('::flowport-output db_password=' + s.named);
console.log('::flowport-output url=https://deployer:' + s.urlPassword + '@example.invalid/app');
console.log('::flowport-output note=public-note');
console.error('echoing them all: ' + [process.env.API_TOKEN, s.configured, s.printed, s.named].join(' '));
if (process.env.TEST_FAIL) { console.log('failing with ' + process.env.API_TOKEN); process.exit(3); }
`,
    'jobs/a.ts': `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'alpha' }, async () => 1);\n`,
  });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore' });
  git('init', '-q');
  git('add', '-A');
  git('-c', 'user.name=T', '-c', 'user.email=t@example.invalid', 'commit', '-qm', 'init');
  const env = {
    FLOWPORT_SECRET_KEY_FILE: keyFile,
    TEST_DEPLOY_TOKEN: SECRETS.env,
    TEST_SECRETS: JSON.stringify(SECRETS),
  };
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    flowport([...args, '--root', root], { env: { ...env, ...extra } });

  const deploy = cli(['deploy', 'alpha', '--env', 'dev']);
  assert.equal(deploy.code, 0, deploy.stderr);
  assert.match(deploy.stdout, new RegExp(`deploying with ${MASK}`), 'the command ran and its env secret is masked');
  assertNoSecret('deploy output', deploy.stdout + deploy.stderr);
  const failed = cli(['deploy', 'alpha', '--env', 'dev', '--json'], { TEST_FAIL: '1' });
  assert.equal(failed.code, 1, failed.stderr);
  assertNoSecret('deploy --json output', failed.stdout + failed.stderr);
  const result = (JSON.parse(failed.stdout) as { results: Array<{ deployment: DeploymentDetails }> }).results[0]!;
  assert.ok(Array.isArray(result.deployment.attributes.lastLines), 'a failed run keeps its last lines');
  assert.match(JSON.stringify(result.deployment.attributes.lastLines), /failing with •••/);
  assert.equal(result.deployment.attributes.sealedOutputs, undefined, 'no ciphertext in the output');

  const outputs: Record<string, string> = {};
  for (const args of [
    ['deployments'],
    ['deployments', '--json'],
    ['history', 'alpha'],
    ['history', 'alpha', '--json'],
  ]) {
    const r = cli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assertNoSecret(args.join(' '), r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /fps1:/, `${args.join(' ')}: no ciphertext`);
    if (args.join(' ') === 'history alpha --json')
      Object.assign(outputs, (JSON.parse(r.stdout) as { deployments: DeploymentDetails[] }).deployments[1]!.outputs);
    if (args.join(' ') === 'history alpha') assert.match(r.stdout, /OUTPUTS/);
  }
  assert.deepEqual(outputs, {
    configured: MASK,
    printed: MASK,
    db_password: MASK,
    url: `https://deployer:${MASK}@example.invalid/app`,
    note: 'public-note',
  });

  // Every file of the state folder: no secret in clear; the ledger holds them encrypted.
  const state = join(root, '.flowport');
  const files = filesUnder(state);
  assert.ok(files.some((f) => f.endsWith('.log')));
  for (const file of files) assertNoSecret(file, readFileSync(file, 'latin1') + readFileSync(file, 'utf8'));
  const ledger = readFileSync(join(state, 'ledger.jsonl'), 'utf8');
  assert.match(ledger, /"sealedOutputs":\{"configured":"fps1:/);

  // 0600 files in 0700 folders: the state folder, logs, the ledger, the key.
  for (const dir of [state, join(state, 'logs')]) assert.equal(statSync(dir).mode & 0o777, 0o700, dir);
  for (const file of [join(state, 'ledger.jsonl'), ...filesUnder(join(state, 'logs'))])
    assert.equal(statSync(file).mode & 0o777, 0o600, file);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);

  // --show-secrets: refused to a pipe, shown at a terminal.
  const piped = cli(['history', 'alpha', '--json', '--show-secrets']);
  assert.equal(piped.code, 2);
  assert.match(piped.stdout + piped.stderr, /only to a terminal/);
  assertNoSecret('history --show-secrets to a pipe', piped.stdout + piped.stderr);
  const pty = spawnSync(
    'python3',
    [
      '-c',
      'import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))',
      process.execPath,
      cliPath,
      'history',
      'alpha',
      '--show-secrets',
      '--root',
      root,
    ],
    { env: { ...process.env, ...env }, encoding: 'utf8' },
  );
  assert.equal(pty.status, 0, pty.stdout + pty.stderr);
  for (const kind of ['configured', 'printed', 'named', 'urlPassword'] as const)
    assert.ok(pty.stdout.includes(SECRETS[kind]), `--show-secrets at a terminal shows the ${kind} output`);
  // The env secret was never an output: it is nowhere to reveal.
  assert.ok(!pty.stdout.includes(SECRETS.env));
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ErrorOutput } from '../../../sdk/src/cli/main.js';
import type { FlagSpecs } from '../../../sdk/src/cli/options.js';
import { flowport } from '../../helpers/cli.js';
import { tempDir, writeTree } from '../../helpers/tmp.js';
import { cliProject } from '../backend/fixture.js';

test('--help lists every flag each command accepts, and `<command> --help` its usage', async () => {
  const commands: Record<string, { OPTIONS: FlagSpecs }> = {
    flows: await import('../../../sdk/src/cli/flows.js'),
    deployments: await import('../../../sdk/src/cli/deployments.js'),
    deploy: await import('../../../sdk/src/cli/deploy.js'),
    promote: await import('../../../sdk/src/cli/promote.js'),
    history: await import('../../../sdk/src/cli/history.js'),
    releases: await import('../../../sdk/src/cli/releases.js'),
    rollback: await import('../../../sdk/src/cli/rollback.js'),
    queue: await import('../../../sdk/src/cli/queue.js'),
    approvals: await import('../../../sdk/src/cli/approvals.js'),
    approve: await import('../../../sdk/src/cli/approve.js'),
    reject: await import('../../../sdk/src/cli/reject.js'),
    lock: await import('../../../sdk/src/cli/lock.js'),
    unlock: await import('../../../sdk/src/cli/unlock.js'),
    locks: await import('../../../sdk/src/cli/locks.js'),
    logs: await import('../../../sdk/src/cli/logs.js'),
    cancel: await import('../../../sdk/src/cli/cancel.js'),
  };
  const help = flowport(['--help']);
  assert.equal(help.code, 0);
  for (const [name, { OPTIONS }] of Object.entries(commands)) {
    const usage = help.stdout.split('\n').find((l) => l.startsWith(`  flowport ${name} `));
    assert.ok(usage, `${name} is in the help`);
    for (const [flag, spec] of Object.entries(OPTIONS)) {
      assert.match(usage, new RegExp(`--${flag}\\b`), `${name} --${flag}`);
      if (spec.short) assert.match(usage, new RegExp(`\\|-${spec.short}\\b`), `${name} -${spec.short}`);
    }
    const own = flowport([name, '--help']);
    assert.equal(own.code, 0);
    assert.equal(own.stdout.trim(), `Usage: ${usage.trim()}`);
  }
});

test('with --json, a failed command prints { error } on stdout and the message on stderr', () => {
  const root = cliProject({ nightly: 'jobs' });
  const unknownFlow = flowport(['deploy', 'nope', '--env', 'dev', '--json'], { cwd: root });
  assert.equal(unknownFlow.code, 2);
  const { error } = JSON.parse(unknownFlow.stdout) as ErrorOutput;
  assert.equal(error.kind, 'UsageError');
  assert.match(error.message, /^unknown flow "nope"/);
  assert.equal(unknownFlow.stderr.trim(), `flowport: ${error.message}`);

  const badFlag = flowport(['flows', '--jsn', '--json'], { cwd: root });
  assert.equal(badFlag.code, 2);
  assert.equal((JSON.parse(badFlag.stdout) as ErrorOutput).error.kind, 'UsageError');

  const bad = tempDir();
  writeTree(bad, { 'flowport.config.ts': `export default {\n  environments: ['dev', 'dev'],\n};\n` });
  const badConfig = flowport(['deployments', '--json'], { cwd: bad });
  assert.equal(badConfig.code, 2);
  assert.deepEqual((JSON.parse(badConfig.stdout) as ErrorOutput).error, {
    kind: 'ConfigError',
    message: `${join(bad, 'flowport.config.ts')}:2: environments[1]: environment "dev" is listed twice: rename or remove one, names must be unique`,
    file: join(bad, 'flowport.config.ts'),
    line: 2,
  });
});

test('a config that does not compile reads as terminal advice, not editor advice', () => {
  const root = tempDir();
  writeTree(root, { 'flowport.config.ts': `export default {\n  environments: ['dev'],\n  flows: {,\n};\n` });
  const r = flowport(['flows'], { cwd: root });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /flowport\.config\.ts:3: .+ — fix it and run the command again\n$/);
  assert.doesNotMatch(r.stderr, /save|reloads/);
});

test('a mistyped command or flag is answered with the one meant', () => {
  const root = tempDir();
  const command = flowport(['deplyo', 'x', '--env', 'dev'], { cwd: root });
  assert.equal(command.code, 2);
  assert.match(command.stderr, /^flowport: unknown command "deplyo": did you mean "deploy"\?/);
  const flag = flowport(['deploy', 'x', '--evn', 'dev'], { cwd: root });
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /^flowport: unknown option --evn for deploy: did you mean --env\? Usage: flowport deploy /);
  const far = flowport(['flows', '--xyzzy'], { cwd: root });
  assert.match(far.stderr, /^flowport: unknown option --xyzzy for flows\. Usage: flowport flows /);
});

test("the README's and sdk/CLI.md's command lists are the CLI's own usage lines, every command's", async () => {
  const { USAGE } = await import('../../../sdk/src/cli/usage.js');
  const repo = new URL('../../..', import.meta.url).pathname;
  for (const doc of ['README.md', join('sdk', 'CLI.md')]) {
    const text = readFileSync(join(repo, doc), 'utf8');
    for (const [name, line] of Object.entries(USAGE))
      assert.ok(text.includes(`\n${line}\n`), `${doc} lists ${name} as: ${line}`);
  }
});

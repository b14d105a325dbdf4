// A config that never settles, ends the process or loops: the real CLI and the real SDK host as
// child processes say so, naming the file, within the bound, and never exit 0.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { Methods } from '../../../sdk/src/host/protocol.js';
import { loadConfig } from '../../../sdk/src/index.js';
import { configTimeoutMs } from '../../../sdk/src/config/settle.js';
import { startHost } from '../../helpers/host.js';
import { cliPath, linkSdk, tempDir, writeTree } from '../../helpers/tmp.js';

/** The real CLI, killed after 60 s: a CLI held by a config for good fails the test, not the run. */
function flowport(args: string[], options: { env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr + (r.signal ? `\n(killed: ${r.signal})` : '') };
}

function project(config: string, files: Record<string, string> = {}): string {
  const root = tempDir();
  linkSdk(root);
  writeTree(root, {
    'flowport.config.ts': config,
    'jobs/a.ts': `import { defineFlow } from 'flowport';\nexport const a = defineFlow({ name: 'alpha' }, async () => 1);\n`,
    ...files,
  });
  return root;
}

const timed = <T>(fn: () => T): { value: T; ms: number } => {
  const started = Date.now();
  const value = fn();
  return { value, ms: Date.now() - started };
};

test('a config awaiting a promise nothing resolves: every command exits 2 naming the file, not 0 with no output', () => {
  const root = project(`await new Promise(() => {});\nexport default { environments: ['dev'] };\n`);
  for (const args of [['flows'], ['deployments'], ['history', 'alpha'], ['deploy', 'alpha', '--env', 'dev']]) {
    const r = flowport([...args, '--root', root]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /flowport\.config\.ts: never finished loading/, args.join(' '));
  }
  const json = flowport(['flows', '--root', root, '--json']);
  assert.equal(json.code, 2);
  const doc = JSON.parse(json.stdout) as { error: { kind: string; file: string } };
  assert.equal(doc.error.kind, 'ConfigError');
  assert.equal(doc.error.file, join(root, 'flowport.config.ts'));
});

test('the function a config exports never resolving is the same', () => {
  const root = project(`export default () => new Promise(() => {});\n`);
  const r = flowport(['flows', '--root', root]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /flowport\.config\.ts: never finished loading/);
});

test('process.exit(0) in a config is a ConfigError at its line, never exit 0', () => {
  const root = project(
    `import { defineConfig } from 'flowport';\nconsole.log('leaving');\nprocess.exit(0);\nexport default defineConfig({ environments: ['dev'] });\n`,
  );
  const r = flowport(['flows', '--root', root, '--json']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /flowport\.config\.ts:3: called process\.exit\(0\) while loading/);
  assert.equal((JSON.parse(r.stdout) as { error: { line: number } }).error.line, 3);
  // What it printed before is shown, on stderr.
  assert.match(r.stderr, /leaving/);
});

test('with the bound off (FLOWPORT_CONFIG_TIMEOUT_MS=0), a command that did not finish still never exits 0', () => {
  for (const config of [
    `process.exit(0);\nexport default { environments: ['dev'] };\n`,
    `await new Promise(() => {});\nexport default { environments: ['dev'] };\n`,
  ]) {
    const root = project(config);
    const r = flowport(['flows', '--root', root, '--json'], { env: { FLOWPORT_CONFIG_TIMEOUT_MS: '0' } });
    assert.equal(r.code, 1, `${config}: ${r.stderr}`);
    assert.match(r.stderr, /the command ended before it finished/);
  }
});

test('a busy-looping config is stopped at FLOWPORT_CONFIG_TIMEOUT_MS: exit 2 naming the file', () => {
  const root = project(
    `import { defineConfig } from 'flowport';\nconst spin = Date.now() > 0;\nwhile (spin) {}\nexport default defineConfig({ environments: ['dev'] });\n`,
  );
  const { value: r, ms } = timed(() =>
    flowport(['flows', '--root', root], { env: { FLOWPORT_CONFIG_TIMEOUT_MS: '1500' } }),
  );
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /flowport\.config\.ts: did not finish loading within 1500 ms/);
  assert.match(r.stderr, /FLOWPORT_CONFIG_TIMEOUT_MS/);
  // Bounded: the limit, plus a CLI start and a worker's (generous: two shared cores under load).
  assert.ok(ms < 1500 + 20_000, `took ${ms} ms`);
  assert.ok(ms >= 1500, `stopped before the limit: ${ms} ms`);
});

test('a slow config within the bound loads; a bad FLOWPORT_CONFIG_TIMEOUT_MS is refused', () => {
  const root = project(
    `import { defineConfig } from 'flowport';\nawait new Promise((r) => setTimeout(r, 300));\nexport default defineConfig({ environments: ['dev', 'prod'] });\n`,
  );
  const r = flowport(['flows', '--root', root, '--json'], { env: { FLOWPORT_CONFIG_TIMEOUT_MS: '8000' } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as unknown[]).length, 1);
  const bad = flowport(['flows', '--root', root], { env: { FLOWPORT_CONFIG_TIMEOUT_MS: 'soon' } });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /FLOWPORT_CONFIG_TIMEOUT_MS=soon: give how long/);
  assert.equal(configTimeoutMs({}), 10_000);
  assert.equal(configTimeoutMs({ FLOWPORT_CONFIG_TIMEOUT_MS: '0' }), 0);
});

test("a config's console.log and stdout writes go to stderr: --json stdout stays one document", () => {
  const root = project(
    [
      `import { defineConfig } from 'flowport';`,
      `console.log('config says hello');`,
      `console.info('config info');`,
      `process.stdout.write('raw stdout write\\n');`,
      `export default defineConfig({ environments: ['dev'] });`,
    ].join('\n'),
  );
  for (const args of [['flows'], ['deployments']]) {
    const r = flowport([...args, '--root', root, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotThrow(() => JSON.parse(r.stdout), `stdout is not one JSON document: ${r.stdout}`);
    assert.doesNotMatch(r.stdout, /hello|info|raw/);
    // Printed once: the worker's evaluation of a config that settles prints nothing.
    assert.equal(r.stderr.match(/config says hello/g)?.length, 1, r.stderr);
    assert.match(r.stderr, /raw stdout write/);
  }
});

test("the config's own objects stay usable: a finder of its own runs in this process", async () => {
  const root = project(
    [
      `import { defineConfig } from 'flowport';`,
      `let calls = 0;`,
      `export default defineConfig({`,
      `  environments: ['dev'],`,
      `  flows: { findFlows: async () => [{ id: 'x', name: 'n' + (++calls) + '-' + process.pid, description: '', sourcePath: '', sourceRelative: '', line: 1, grouping: [], attributes: {} }] },`,
      `});`,
    ].join('\n'),
  );
  const loaded = await loadConfig(root, { timeoutMs: 8000 });
  const finder = loaded.config.flows as { findFlows(): Promise<Array<{ name: string }>> };
  assert.equal((await finder.findFlows())[0]!.name, `n1-${process.pid}`);
});

test(
  'the SDK host with a busy-looping config answers with the problem at the file, and stops on SIGTERM',
  { timeout: 90_000 },
  async () => {
    const root = project(`const spin = Date.now() > 0;\nwhile (spin) {}\nexport default { environments: ['dev'] };\n`);
    const { connection, child } = startHost(root, { FLOWPORT_CONFIG_TIMEOUT_MS: '1500' });
    const state = await connection.sendRequest(Methods.project);
    assert.equal(state.configProblem?.file, join(root, 'flowport.config.ts'));
    assert.match(state.configProblem?.message ?? '', /did not finish loading within 1500 ms/);
    // Its thread is free: it answers, and a SIGTERM ends it.
    const gone = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.kill('SIGTERM');
    const code = await gone;
    clearTimeout(killer);
    assert.equal(code, 0, 'the host exited on SIGTERM (not killed)');
  },
);

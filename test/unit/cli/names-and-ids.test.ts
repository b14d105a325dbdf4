// Names and ids from the command line and from a project's own finder, through the real CLI: a
// batch is checked whole before any flow starts, a deployment id must be unique and at least 6
// characters, and the demo's deploy script never builds a path outside its targets folder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { flowport } from '../../helpers/cli.js';
import { gitProject } from '../../helpers/host.js';
import { linkSdk, tempDir, writeTree } from '../../helpers/tmp.js';

const repoRoot = new URL('../../..', import.meta.url).pathname;

test('a batch whose third name is unsafe is refused whole: nothing deployed, each bad name said where it is', () => {
  // A finder of the project's own: the built-in finder's scan does not see its names.
  const flow = (name: string, line: number) =>
    `{ id: ${JSON.stringify(`jobs/x.ts#${name}`)}, name: ${JSON.stringify(name)}, description: '', sourcePath: 'jobs/x.ts', sourceRelative: 'jobs/x.ts', line: ${line}, grouping: ['jobs'], attributes: {} }`;
  const root = gitProject({
    'flowport.config.ts': [
      `import { commandDeployer, defineConfig } from 'flowport';`,
      `export default defineConfig({`,
      `  environments: ['dev'],`,
      `  flows: { findFlows: async () => [${flow('first', 1)}, ${flow('second', 2)}, ${flow('../../../src', 3)}, ${flow('-x\u001b[2J', 4)}] },`,
      `  deploy: commandDeployer({ command: [process.execPath, 'deploy.mjs'] }),`,
      `});`,
    ].join('\n'),
    'deploy.mjs': `import { mkdirSync, writeFileSync } from 'node:fs';\nmkdirSync('out', { recursive: true });\nwriteFileSync('out/' + encodeURIComponent(process.env.FLOWPORT_FLOW), '');\n`,
  });
  const r = flowport(['deploy', '--group', 'jobs', '--env', 'dev', '--root', root, '--json']);
  assert.equal(r.code, 2, r.stderr);
  const { error } = JSON.parse(r.stdout) as { error: { kind: string; message: string } };
  assert.equal(error.kind, 'UsageError');
  assert.match(error.message, /nothing was started: 2 flow names cannot be used/);
  assert.match(error.message, /jobs\/x\.ts:3: flow name "\.\.\/\.\.\/\.\.\/src" holds "\.\."/);
  assert.match(error.message, /jobs\/x\.ts:4: flow name "-x\\u001b\[2J" holds a control character/);
  assert.ok(
    !existsSync(join(root, 'out')),
    `a flow was deployed: ${existsSync(join(root, 'out')) ? readdirSync(join(root, 'out')).join(', ') : ''}`,
  );
  const deployments = flowport(['history', 'first', '--root', root, '--json']);
  assert.deepEqual((JSON.parse(deployments.stdout) as { deployments: unknown[] }).deployments, []);
  // The good ones alone deploy.
  const good = flowport(['deploy', 'first', 'second', '--env', 'dev', '--root', root]);
  assert.equal(good.code, 0, good.stderr);
  assert.deepEqual(readdirSync(join(root, 'out')).sort(), ['first', 'second']);
});

/** A ledger holding finished deployments with these ids. */
function ledgerWith(ids: string[]): string {
  const root = tempDir();
  mkdirSync(join(root, '.flowport'), { recursive: true });
  const at = '2025-06-11T09:30:12.345Z';
  const lines = ids.map((id, i) =>
    JSON.stringify({
      v: 1,
      type: 'deployment',
      at,
      by: 'me@host',
      deployment: {
        id,
        flowName: `flow${i}`,
        env: 'dev',
        commit: 'a'.repeat(40),
        ref: 'HEAD',
        status: 'succeeded',
        createdAt: at,
        updatedAt: at,
        initiator: 'me@host',
        outputs: {},
        attributes: {},
      },
    }),
  );
  writeFileSync(join(root, '.flowport', 'ledger.jsonl'), lines.join('\n') + '\n');
  return root;
}

test('a deployment id on the command line: whole, or 6+ characters of its start or end that no other id shares', () => {
  const ids = ['20250611-093012.345-3f9a1a', '20250611-093012.346-77b02a', '20250612-100000.000-c0ffee'];
  const root = ledgerWith(ids);
  const ledger = () => readFileSync(join(root, '.flowport', 'ledger.jsonl'), 'utf8');
  const before = ledger();

  // `cancel a` once cancelled whatever id ended in "a".
  const short = flowport(['cancel', 'a', '--no-wait', '--root', root]);
  assert.equal(short.code, 2, short.stderr);
  assert.match(short.stderr, /deployment id "a" is too short: give its whole id, or at least 6 characters/);
  assert.match(short.stderr, /20250611-093012\.345-3f9a1a {2}flow0 → dev {2}succeeded/);
  assert.match(short.stderr, /20250611-093012\.346-77b02a {2}flow1 → dev {2}succeeded/);
  assert.equal(ledger(), before, 'nothing was asked of any deployment');

  const ambiguous = flowport(['logs', '20250611', '--root', root]);
  assert.equal(ambiguous.code, 2);
  assert.match(ambiguous.stderr, /"20250611" matches 2 deployments; give more of the one you mean/);
  assert.match(ambiguous.stderr, /3f9a1a/);
  assert.match(ambiguous.stderr, /77b02a/);

  const none = flowport(['logs', 'zzzzzz', '--root', root]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no deployment "zzzzzz"/);

  // Unique and long enough: its last 6, a prefix, the whole id.
  for (const given of ['c0ffee', '20250612', ids[1]!]) {
    const r = flowport(['logs', given, '--root', root]);
    assert.equal(r.code, 0, `${given}: ${r.stderr}`);
  }
  // Resolved to its whole id: cancel then says that one has already finished.
  const cancel = flowport(['cancel', '3f9a1a', '--no-wait', '--root', root]);
  assert.equal(cancel.code, 2, cancel.stderr);
  assert.ok(cancel.stderr.includes(`${ids[0]!} (flow0 → dev) already succeeded`), cancel.stderr);
  assert.equal(ledger(), before, 'nothing was asked of any deployment');
});

test("the demo's deploy script refuses a name that leads out of its targets folder, and deletes nothing", () => {
  const root = tempDir();
  writeTree(root, { 'src/keep.ts': 'export const keep = 1;\n', 'package.json': '{}' });
  // esbuild resolves from the project's flowport package: without it the old script stopped before its rmSync.
  linkSdk(root);
  const script = join(repoRoot, 'examples/demo/scripts/deploy.mjs');
  for (const [flow, env] of [
    ['../../../src', 'dev'],
    ['..', 'dev'],
    ['ok', '../..'],
    ['a/../../../../src', 'dev'],
    ['/abs', 'dev'],
  ] as const) {
    const r = spawnSync(process.execPath, [script], {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        FLOWPORT_FLOW: flow,
        FLOWPORT_ENV: env,
        FLOWPORT_COMMIT: 'a'.repeat(40),
        FLOWPORT_SOURCE: join(root, 'src/keep.ts'),
        FLOWPORT_ROOT: root,
        DEMO_STEP_MS: '0',
      },
    });
    assert.equal(r.status, 2, `${flow} ${env}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /deploy\.mjs: refusing/);
    assert.ok(existsSync(join(root, 'src/keep.ts')), `${flow} → ${env} deleted src/`);
  }
});

test("the demo's step script refuses a target or environment that leads out of its targets folder, and writes nothing", () => {
  const root = tempDir();
  const script = join(repoRoot, 'examples/demo/scripts/step.mjs');
  for (const [target, env] of [
    ['../../../src/x', 'dev'],
    ['..', 'dev'],
    ['web-1', '../..'],
    ['a/b', 'dev'],
    ['', 'dev'],
  ] as const) {
    const r = spawnSync(process.execPath, [script, 'roll-out', target, '7'], {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        FLOWPORT_ENV: env,
        FLOWPORT_COMMIT: 'a'.repeat(40),
        FLOWPORT_ROOT: root,
        DEMO_STEP_MS: '0',
      },
    });
    assert.equal(r.status, 2, `${target} ${env}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /step\.mjs(: refusing| is run by Flowport)/);
  }
  assert.deepEqual(readdirSync(root), [], 'nothing was written');
  // A plain target is written where it belongs.
  const ok = spawnSync(process.execPath, [script, 'roll-out', 'dev-web-1', '7'], {
    cwd: root,
    encoding: 'utf8',
    env: {
      ...process.env,
      FLOWPORT_ENV: 'dev',
      FLOWPORT_COMMIT: 'a'.repeat(40),
      FLOWPORT_ROOT: root,
      DEMO_STEP_MS: '0',
    },
  });
  assert.equal(ok.status, 0, ok.stderr);
  assert.ok(existsSync(join(root, '.flowport/targets/dev/api/dev-web-1.json')));
});

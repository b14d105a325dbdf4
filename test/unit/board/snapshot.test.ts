import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildBoardFolder, historyEntries, isSecretOutput, pairKey } from '../../../extension/src/board/snapshot.js';
import type { CommitDistance } from '../../../sdk/src/host/protocol.js';
import type { DeploymentDetails, JsonValue } from '../../../sdk/src/model.js';
import { deploymentOf as dep, flowAt as flow } from '../../helpers/records.js';

const environments = [{ name: 'dev' }, { name: 'uat' }, { name: 'prod', protected: true }];
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

const input = (deployments: DeploymentDetails[], flows = [flow('send-invoices', 'src/billing/invoices.ts')]) => ({
  key: 'file:///p',
  name: 'p',
  environments,
  flows,
  deployments,
});

test('groups flows by folder, sorted, with environments in promotion order', () => {
  const flows = [
    flow('zeta', 'src/sync/z.ts'),
    flow('beta', 'src/billing/b.ts'),
    flow('alpha', 'src/billing/a.ts'),
    flow('root-flow', 'main.ts'),
  ];
  const { folder } = buildBoardFolder(input([], flows), () => undefined);
  assert.deepEqual(
    folder.groups.map((g) => [g.key, g.rows.map((r) => r.name)]),
    [
      ['', ['root-flow']],
      ['src/billing', ['alpha', 'beta']],
      ['src/sync', ['zeta']],
    ],
  );
  assert.deepEqual(folder.envs, [
    { name: 'dev', protected: false },
    { name: 'uat', protected: false },
    { name: 'prod', protected: true },
  ]);
  const row = folder.groups[1]!.rows[0]!;
  assert.equal(row.source, 'src/billing/a.ts:3');
  assert.deepEqual(
    row.cells.map((c) => c.status),
    ['never', 'never', 'never'],
  );
  assert.equal(row.promotes.length, 2, 'one Promote between each adjacent pair');
});

test('a cell shows what runs (latest succeeded) and the latest attempt when it differs', () => {
  const { folder } = buildBoardFolder(
    input([
      dep('send-invoices', 'dev', A, 'succeeded', '2026-01-01T10:00:00Z', { initiator: 'ann@host' }),
      dep('send-invoices', 'dev', B, 'running', '2026-01-01T11:00:00Z', { initiator: 'bob@host' }),
    ]),
    () => undefined,
  );
  const dev = folder.groups[0]!.rows[0]!.cells[0]!;
  assert.equal(dev.status, 'running');
  assert.equal(dev.commit, A);
  assert.equal(dev.initiator, 'ann@host');
  assert.equal(dev.deployedAt, '2026-01-01T10:00:00Z');
  assert.deepEqual(dev.latest, { commit: B, at: '2026-01-01T11:00:00Z', initiator: 'bob@host' });
});

test('behind counts: asked for once per commit pair, filled in when known, absent when never deployed', () => {
  const deployments = [
    dep('send-invoices', 'dev', B, 'succeeded', '2026-01-02T00:00:00Z'),
    dep('send-invoices', 'uat', A, 'succeeded', '2026-01-01T00:00:00Z'),
  ];
  const first = buildBoardFolder(input(deployments), () => undefined);
  assert.deepEqual(first.missing, [{ base: A, head: B }], 'uat (A) against dev (B)');
  const [dev, uat, prod] = first.folder.groups[0]!.rows[0]!.cells;
  assert.equal(dev!.behind, undefined, 'the first environment is behind nothing');
  assert.deepEqual(uat!.behind, { env: 'dev' }, 'behind, not counted yet');
  assert.deepEqual(prod!.behind, { env: 'uat' }, 'never deployed: behind, nothing to count');

  const known = new Map<string, CommitDistance | null>([[pairKey({ base: A, head: B }), { behind: 3, ahead: 0 }]]);
  const second = buildBoardFolder(input(deployments), (p) => known.get(pairKey(p)));
  assert.deepEqual(second.missing, []);
  assert.deepEqual(second.folder.groups[0]!.rows[0]!.cells[1]!.behind, {
    env: 'dev',
    distance: { behind: 3, ahead: 0 },
  });

  // git does not know a commit (null): not asked again, shown without a count.
  const unknown = buildBoardFolder(input(deployments), () => null);
  assert.deepEqual(unknown.missing, []);
  assert.deepEqual(unknown.folder.groups[0]!.rows[0]!.cells[1]!.behind, { env: 'dev' });
});

test('the same commit in both environments is not behind', () => {
  const { folder, missing } = buildBoardFolder(
    input([
      dep('send-invoices', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z'),
      dep('send-invoices', 'uat', A, 'succeeded', '2026-01-02T00:00:00Z'),
    ]),
    () => undefined,
  );
  assert.equal(folder.groups[0]!.rows[0]!.cells[1]!.behind, undefined);
  assert.deepEqual(missing, []);
});

test('Promote is disabled with a reason: nothing to promote, already there, a deploy running', () => {
  const { folder } = buildBoardFolder(
    input([
      dep('send-invoices', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z'),
      dep('send-invoices', 'uat', A, 'succeeded', '2026-01-02T00:00:00Z'),
    ]),
    () => undefined,
  );
  const [devUat, uatProd] = folder.groups[0]!.rows[0]!.promotes;
  assert.equal(devUat!.reason, 'Already at aaaaaaa: uat runs the same commit as dev');
  assert.equal(uatProd!.reason, undefined, 'uat → prod can go');
  assert.equal(uatProd!.commit, A);

  const empty = buildBoardFolder(input([]), () => undefined).folder.groups[0]!.rows[0]!.promotes[0]!;
  assert.equal(empty.reason, 'Nothing to promote: dev runs no version yet');

  const running = buildBoardFolder(
    input([
      dep('send-invoices', 'dev', B, 'succeeded', '2026-01-01T00:00:00Z'),
      dep('send-invoices', 'uat', A, 'running', '2026-01-02T00:00:00Z'),
    ]),
    () => undefined,
  ).folder.groups[0]!.rows[0]!.promotes[0]!;
  assert.equal(running.reason, 'A deploy to uat is running');
});

test('history: newest first, durations of finished runs, secret outputs only as •••', () => {
  const deployments = [
    dep('send-invoices', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z', {
      updatedAt: '2026-01-01T00:01:30Z',
      logLocation: '/p/.flowport/logs/x.log',
      outputs: {
        bundleBytes: '883',
        apiToken: 'tok-value-1',
        DB_PASSWORD: 'pw-value-2',
        signingKey: 'key-value-3',
        region: 'region-value-4',
        passphrase: 'pp-value-5',
        database_url: 'postgres://u:dbpw-value-6@db/x',
        SENTRY_DSN: 'dsn-value-7',
        connection_string: 'cs-value-8',
        cookie: 'cookie-value-9',
        session: 'session-value-10',
        jwt: 'jwt-value-11',
        bearer: 'bearer-value-12',
        GITHUB_PAT: 'pat-value-13',
        console: 'https://admin:urlpw-value-14@console.example.invalid/',
      },
      url: 'https://admin:urlpw-value-14@console.example.invalid/',
      attributes: { secretOutputs: ['region'] },
      promotedFrom: { env: 'x', deploymentId: 'y' },
    }),
    dep('send-invoices', 'dev', B, 'running', '2026-01-02T00:00:00Z'),
    dep('send-invoices', 'uat', B, 'failed', '2026-01-03T00:00:00Z'),
    dep('other', 'dev', B, 'failed', '2026-01-03T00:00:00Z'),
  ];
  const entries = historyEntries(deployments, 'send-invoices', 'dev');
  assert.deepEqual(
    entries.map((e) => [e.commit, e.status]),
    [
      [B, 'running'],
      [A, 'succeeded'],
    ],
  );
  assert.equal(entries[0]!.durationMs, undefined, 'still running');
  assert.equal(entries[1]!.durationMs, 90_000);
  assert.equal(entries[1]!.hasLog, true);
  assert.equal(entries[1]!.promotedFrom, 'x');
  const masked = Object.fromEntries(
    Object.keys(deployments[0]!.outputs)
      .filter((name) => !['bundleBytes', 'console'].includes(name))
      .map((name) => [name, '•••']),
  );
  assert.deepEqual(entries[1]!.outputs, {
    bundleBytes: '883',
    console: 'https://admin:•••@console.example.invalid/',
    ...masked,
  });
  assert.equal(entries[1]!.url, 'https://admin:•••@console.example.invalid/');
  // What the webview is sent: no secret value anywhere in it.
  const sent = JSON.stringify(entries);
  assert.doesNotMatch(sent, /value-\d/);
  assert.equal(isSecretOutput('monkey', deployments[0]!), false, 'word-aware: "monkey" holds no word "key"');
  assert.equal(isSecretOutput('region', deployments[0]!), true, 'declared in attributes.secretOutputs');
  assert.equal(historyEntries(deployments, 'send-invoices', 'dev', 1).length, 1);
});

test("a group's Promote sends its flows that have something to promote, a dependency-blocked one too", () => {
  const flows = [
    flow('db', 'src/platform/db.ts'),
    flow('api', 'src/platform/api.ts'),
    flow('cron', 'src/platform/cron.ts'),
  ];
  const { folder } = buildBoardFolder(
    {
      ...input(
        [
          dep('db', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z'),
          dep('api', 'dev', B, 'succeeded', '2026-01-01T00:01:00Z'),
          dep('cron', 'dev', A, 'succeeded', '2026-01-01T00:02:00Z'),
          dep('cron', 'uat', A, 'succeeded', '2026-01-01T00:03:00Z'),
        ],
        flows,
      ),
      // api reads db's output: its own Promote dev → uat is blocked until db runs in uat.
      dependencies: { api: ['db'] },
    },
    () => undefined,
  );
  const [group] = folder.groups;
  const api = group!.rows.find((r) => r.name === 'api')!;
  assert.equal(api.promotes[0]!.blockedBy, 'dependency');
  const [devUat, uatProd] = group!.promotes;
  // cron already runs A in uat: left out. api goes with db (the plan promotes db first).
  assert.deepEqual(devUat, {
    from: 'dev',
    to: 'uat',
    flowIds: group!.rows.filter((r) => r.name !== 'cron').map((r) => r.flowId),
    names: group!.rows.filter((r) => r.name !== 'cron').map((r) => r.name),
  });
  assert.deepEqual(uatProd!.flowIds, [group!.rows.find((r) => r.name === 'cron')!.flowId]);
  const none = buildBoardFolder(input([], flows), () => undefined).folder.groups[0]!.promotes[0]!;
  assert.deepEqual(none.flowIds, []);
  assert.equal(none.reason, 'Nothing to promote: no flow of src/platform runs in dev yet');
});

test('history: a deploy run as steps lists each step and its targets, as the tree words them', () => {
  const steps: JsonValue = [
    {
      name: 'migrate',
      group: 'db',
      status: 'succeeded',
      outputs: {},
      targets: [
        {
          target: 'db-1',
          status: 'succeeded',
          startedAt: '2026-01-01T00:00:00.000Z',
          endedAt: '2026-01-01T00:00:01.500Z',
          outputs: {},
        },
      ],
    },
    {
      name: 'roll out',
      group: 'web',
      status: 'running',
      outputs: {},
      targets: [
        { target: 'web-1', status: 'failed', exitCode: 3, reason: 'see https://ci:hunter2@ci.example/1', outputs: {} },
        { target: 'web-2', status: 'running', outputs: {} },
      ],
    },
  ];
  const [entry] = historyEntries(
    [dep('api', 'dev', A, 'running', '2026-01-01T00:00:00Z', { attributes: { steps } })],
    'api',
    'dev',
  );
  assert.deepEqual(entry!.steps, [
    {
      name: 'migrate',
      group: 'db',
      status: 'succeeded',
      summary: 'db · succeeded',
      targets: [{ target: 'db-1', status: 'succeeded', detail: 'succeeded · 1.5 s' }],
    },
    {
      name: 'roll out',
      group: 'web',
      status: 'running',
      summary: 'web · running 0/2',
      targets: [
        { target: 'web-1', status: 'failed', detail: 'failed · exit 3 · see https://ci:•••@ci.example/1' },
        { target: 'web-2', status: 'running', detail: 'running' },
      ],
    },
  ]);
  const [plain] = historyEntries([dep('api', 'dev', A, 'succeeded', '2026-01-01T00:00:00Z')], 'api', 'dev');
  assert.equal(plain!.steps, undefined, 'a deploy of one command has no steps');
});

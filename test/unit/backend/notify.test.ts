/**
 * Webhook notifications: real CLI deploys, their real runners, POSTing to real HTTP servers on
 * 127.0.0.1 started here (answering, failing, hanging, or gone).
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  commandDeployer,
  localLedger,
  webhook,
  type DeploymentDetails,
  type DeploymentStore,
  type FlowRunResult,
} from '../../../sdk/src/index.js';
import type { NotificationPayload } from '../../../sdk/src/notify/payload.js';
import { notificationPayload } from '../../../sdk/src/notify/payload.js';
import { flowport } from '../../helpers/cli.js';
import { onCleanup, writeTree } from '../../helpers/tmp.js';
import {
  cliProject,
  collectingRun,
  commitAll,
  flowOf,
  gitRepo,
  held,
  release,
  startCli,
  waitFor,
  writeText,
} from './fixture.js';

/** A webhook URL's secret part, as Slack's have one: it must never reach a log. */
const SECRET_PATH = '/services/T000/B111/SECRETxyz';
const SECRET_QUERY = '?token=t0ps3cret';

interface Received {
  path: string;
  /** How many requests before it were still unanswered when it arrived. */
  openBefore: number;
  contentType: string | undefined;
  body: NotificationPayload;
}

/** How the server answers the `nth` (1-based) request to a path: a status, or never. */
type Answer = (path: string, nth: number) => number | 'hang';

interface Hook {
  /** The webhook URL of `name` on this server, with a secret path and query. */
  url(name?: string): string;
  received: Received[];
  /** Requests taken and never answered, still open. */
  open(): number;
  /** Answers the requests held open so far with `status`. */
  answerHeld(status: number): void;
  close(): void;
}

/** An HTTP server on 127.0.0.1 that keeps every JSON body POSTed to it. Closed when the test ends. */
async function hookServer(answer: Answer = () => 200): Promise<Hook> {
  const received: Received[] = [];
  const counts = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      received.push({
        path,
        openBefore: hanging.size,
        contentType: req.headers['content-type'],
        body: JSON.parse(text) as NotificationPayload,
      });
      const nth = (counts.get(path) ?? 0) + 1;
      counts.set(path, nth);
      const how = answer(path, nth);
      if (how === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      res.writeHead(how, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () => {
    server.closeAllConnections();
    server.close();
  };
  onCleanup(close);
  return {
    url: (name = 'hook') => `http://127.0.0.1:${port}/${name}${SECRET_PATH}${SECRET_QUERY}`,
    received,
    open: () => hanging.size,
    answerHeld: (status) => {
      for (const res of [...hanging]) res.writeHead(status).end();
    },
    close,
  };
}

/** A port nothing listens on: one the system just gave out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A project whose config has `notify: <notify>`. */
function projectNotifying(notify: string): string {
  return cliProject(
    { billing: 'jobs' },
    [
      `import { defineConfig, commandDeployer, webhook } from 'flowport';`,
      `export default defineConfig({`,
      `  environments: ['dev', 'uat', 'prod'],`,
      `  deploy: commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'], killGraceMs: 500 }),`,
      `  notify: ${notify},`,
      `});`,
    ].join('\n'),
  );
}

/** `flowport deploy billing --env dev --json`: the deployment, once the CLI is done. */
function deploy(root: string, env: NodeJS.ProcessEnv = {}): DeploymentDetails {
  const r = flowport(['deploy', 'billing', '--env', 'dev', '--json'], { cwd: root, env });
  const out = JSON.parse(r.stdout) as { results: FlowRunResult[] };
  const d = out.results[0]?.deployment;
  assert.ok(d, r.stderr + r.stdout);
  return d;
}

/** How long a notification may take to arrive here: far more than it does, on a loaded 2-core machine too. */
const ARRIVES_MS = 20_000;

const logOf = async (root: string, id: string) => (await localLedger({ root }).readLog(id))?.text ?? '';
const eventsOf = (hook: Hook, id: string, path?: string) =>
  hook.received
    .filter((r) => r.body.deploymentId === id && (path === undefined || r.path.startsWith(`/${path}/`)))
    .map((r) => r.body.event);

test('a deploy POSTs started and succeeded as JSON with its fields; the next deploy names the commit the environment ran before', async () => {
  const hook = await hookServer();
  const root = projectNotifying(`[webhook({ url: process.env.TEST_HOOK_URL })]`);
  const env = { TEST_HOOK_URL: hook.url() };

  const first = deploy(root, env);
  assert.equal(first.status, 'succeeded');
  // The runner sends the last one after the outcome is recorded, and stays until it is delivered.
  await waitFor(() => eventsOf(hook, first.id).includes('succeeded'), 'the first succeeded notification', ARRIVES_MS);
  assert.deepEqual(eventsOf(hook, first.id), ['started', 'succeeded'], 'no queued event: nothing was before it');
  assert.equal(hook.received[0]!.contentType, 'application/json');
  assert.equal(hook.received[0]!.path, `/hook${SECRET_PATH}${SECRET_QUERY}`);
  const firstDone = hook.received.find((r) => r.body.deploymentId === first.id && r.body.event === 'succeeded')!;
  assert.equal(firstDone.body.previousCommit, null, 'nothing ran in dev before');

  writeTree(root, { 'version.txt': 'v2\n' });
  const next = commitAll(root, 'v2');
  const second = deploy(root, env);
  await waitFor(() => eventsOf(hook, second.id).includes('succeeded'), 'the second succeeded notification', ARRIVES_MS);
  const [started, succeeded] = hook.received.filter((r) => r.body.deploymentId === second.id).map((r) => r.body);
  assert.ok(started && succeeded);
  assert.equal(started.event, 'started');
  assert.equal(started.status, 'running');
  assert.equal(started.durationMs, null);
  assert.equal(started.previousCommit, first.commit);

  const recorded = (await localLedger({ root }).getDeployment(second.id))!;
  assert.equal(succeeded.event, 'succeeded');
  assert.equal(succeeded.status, 'succeeded');
  assert.equal(succeeded.flow, 'billing');
  assert.equal(succeeded.env, 'dev');
  assert.equal(succeeded.commit, next);
  assert.equal(succeeded.previousCommit, first.commit, 'what dev ran before this deploy');
  assert.equal(succeeded.who, recorded.initiator);
  assert.equal(succeeded.durationMs, recorded.attributes.durationMs);
  assert.equal(typeof succeeded.durationMs, 'number');
  assert.equal(succeeded.link, 'https://deploy.test/dev', "the deploy's url output");
  assert.match(succeeded.text, new RegExp(`^✅ billing → dev succeeded: ${next.slice(0, 7)}\\b`));
  assert.match(succeeded.text, new RegExp(`was ${first.commit.slice(0, 7)}`));
  assert.match(succeeded.text, /<https:\/\/deploy\.test\/dev\|open>$/);
  // No output reaches a webhook (the deploy printed artifact=billing@dev).
  assert.ok(!JSON.stringify(succeeded).includes('billing@dev'), JSON.stringify(succeeded));
  assert.ok(!('outputs' in succeeded));
});

test('one webhook gets its events in the order they happened: succeeded is sent once started was answered', async () => {
  const hook = await hookServer((path, nth) => (nth === 1 ? 'hang' : 200));
  const root = projectNotifying(`[webhook({ url: process.env.TEST_HOOK_URL, timeoutMs: 60000 })]`);
  const d = deploy(root, { TEST_HOOK_URL: hook.url() });
  assert.equal(d.status, 'succeeded');
  await waitFor(() => hook.open() === 1, 'the started POST', ARRIVES_MS);
  // The deploy has ended; its started notification is still unanswered, so succeeded waits behind it.
  hook.answerHeld(200);
  await waitFor(() => eventsOf(hook, d.id).includes('succeeded'), 'the succeeded notification', ARRIVES_MS);
  assert.deepEqual(
    hook.received.map((r) => [r.body.event, r.openBefore]),
    [
      ['started', 0],
      ['succeeded', 0],
    ],
  );
});

test('a deploy that waits for approval, or behind another one, says so; cancelled while it waits, it says that too', async () => {
  const hook = await hookServer();
  const root = cliProject(
    { billing: 'jobs' },
    [
      `import { defineConfig, commandDeployer, webhook } from 'flowport';`,
      `export default defineConfig({`,
      `  environments: ['dev', { name: 'uat', approval: { required: 1 } }],`,
      `  deploy: commandDeployer({ command: ['node', 'deploy.mjs', '{flow}', '{env}'], killGraceMs: 500 }),`,
      `  notify: [webhook({ url: process.env.TEST_HOOK_URL })],`,
      `});`,
    ].join('\n'),
  );
  const env = { TEST_HOOK_URL: hook.url() };
  const asked = flowport(['deploy', 'billing', '--env', 'uat', '--json'], { cwd: root, env });
  const waiting = (JSON.parse(asked.stdout) as { results: FlowRunResult[] }).results[0]!.deployment!;
  // Its runner waits for an approval nobody gives: a test that fails before the cancel below must not leave it waiting.
  onCleanup(() => flowport(['cancel', waiting.id], { cwd: root, env }));
  await waitFor(
    () => eventsOf(hook, waiting.id).includes('awaiting-approval'),
    'the approval notification',
    ARRIVES_MS,
  );
  const approval = hook.received.find((r) => r.body.event === 'awaiting-approval')!.body;
  assert.equal(approval.env, 'uat');
  assert.match(approval.text, /^✋ billing → uat waits for approval: /);
  const cancel = flowport(['cancel', waiting.id], { cwd: root, env });
  assert.equal(cancel.code, 0, cancel.stderr);
  await waitFor(() => eventsOf(hook, waiting.id).includes('cancelled'), 'the cancelled notification', ARRIVES_MS);
  assert.deepEqual(eventsOf(hook, waiting.id), ['awaiting-approval', 'cancelled']);

  // Behind a deploy that holds: queued, then started once it is its turn.
  const first = startCli(['deploy', 'billing', '--env', 'dev'], { cwd: root, env: { ...env, DEPLOY_HOLD: '1' } });
  await waitFor(() => held(root).length === 1, 'the first deploy to hold', ARRIVES_MS);
  const second = startCli(['deploy', 'billing', '--env', 'dev', '--json'], { cwd: root, env });
  await waitFor(() => hook.received.some((r) => r.body.event === 'queued'), 'the queued notification', ARRIVES_MS);
  release(root);
  assert.equal((await first.done).code, 0);
  const done = await second.done;
  const behind = (JSON.parse(done.stdout) as { results: FlowRunResult[] }).results[0]!.deployment!;
  await waitFor(() => eventsOf(hook, behind.id).includes('succeeded'), 'the queued deploy’s end', ARRIVES_MS);
  assert.deepEqual(eventsOf(hook, behind.id), ['queued', 'started', 'succeeded']);
  assert.equal(hook.received.find((r) => r.body.event === 'queued')!.body.status, 'queued');
});

test('a failed deploy POSTs failed; each webhook gets only the events it lists', async () => {
  const all = await hookServer();
  const picky = await hookServer();
  const root = projectNotifying(
    `[webhook({ url: process.env.ALL_URL }), webhook({ url: process.env.PICKY_URL, events: ['succeeded'] })]`,
  );
  const env = { ALL_URL: all.url(), PICKY_URL: picky.url() };

  const failed = deploy(root, { ...env, DEPLOY_FAIL: 'billing' });
  assert.equal(failed.status, 'failed');
  await waitFor(() => eventsOf(all, failed.id).includes('failed'), 'the failed notification', ARRIVES_MS);
  assert.deepEqual(eventsOf(all, failed.id), ['started', 'failed']);
  const body = all.received.find((r) => r.body.event === 'failed')!.body;
  assert.equal(body.status, 'failed');
  assert.equal(body.link, null, 'a failed deploy printed no url');
  assert.match(body.text, /^❌ billing → dev failed: /);

  const succeeded = deploy(root, env);
  await waitFor(
    () => eventsOf(picky, succeeded.id).includes('succeeded'),
    'the picky webhook’s notification',
    ARRIVES_MS,
  );
  await waitFor(
    () => eventsOf(all, succeeded.id).includes('succeeded'),
    'the other webhook’s notification',
    ARRIVES_MS,
  );
  assert.deepEqual(
    picky.received.map((r) => `${r.body.deploymentId} ${r.body.event}`),
    [`${succeeded.id} succeeded`],
    'neither the failed deploy nor any start reached the webhook that lists only succeeded',
  );
});

test('a 5xx or 429 is tried again with backoff, a 4xx is not; what was not delivered is in the log with the URL as scheme and host only', async () => {
  const hook = await hookServer((path, nth) => {
    if (path.startsWith('/flaky/')) return nth === 1 ? 503 : nth === 2 ? 429 : 200;
    if (path.startsWith('/broken/')) return 500;
    return 404;
  });
  const root = projectNotifying(
    `[` +
      `webhook({ url: process.env.FLAKY, events: ['succeeded'] }), ` +
      `webhook({ url: process.env.BROKEN, events: ['succeeded'], retries: 1 }), ` +
      `webhook({ url: process.env.GONE, events: ['succeeded'] })` +
      `]`,
  );
  const run = flowport(['deploy', 'billing', '--env', 'dev', '--json'], {
    cwd: root,
    env: { FLAKY: hook.url('flaky'), BROKEN: hook.url('broken'), GONE: hook.url('gone') },
  });
  const d = (JSON.parse(run.stdout) as { results: FlowRunResult[] }).results[0]!.deployment!;
  assert.equal(d.status, 'succeeded', 'no answer of a webhook changes the outcome');
  const origin = hook.url('x').slice(0, hook.url('x').indexOf('/x/'));

  await waitFor(
    async () => (await logOf(root, d.id)).includes('HTTP 500'),
    'the broken webhook’s log line',
    ARRIVES_MS,
  );
  await waitFor(async () => (await logOf(root, d.id)).includes('HTTP 404'), 'the gone webhook’s log line', ARRIVES_MS);
  await waitFor(() => eventsOf(hook, d.id, 'flaky').length === 3, 'the flaky webhook’s third try', ARRIVES_MS);
  assert.equal(eventsOf(hook, d.id, 'flaky').length, 3, 'a 503, a 429, then delivered');
  assert.equal(eventsOf(hook, d.id, 'broken').length, 2, 'retries: 1 is two tries');
  assert.equal(eventsOf(hook, d.id, 'gone').length, 1, 'a 404 is not tried again');

  const log = await logOf(root, d.id);
  const lines = log.split('\n').filter((l) => l.includes('notify:'));
  assert.deepEqual(
    lines.map((l) => l.replace(origin, 'ORIGIN').replace(/ \(the .*$/, '')).sort(),
    [
      '[flowport] notify: POST ORIGIN failed: HTTP 404 Not Found',
      '[flowport] notify: POST ORIGIN failed: HTTP 500 Internal Server Error after 2 tries',
    ],
    log,
  );
  for (const secret of ['SECRETxyz', 't0ps3cret', '/services/', '/broken', '/gone', '/flaky']) {
    assert.ok(!log.includes(secret), `the log shows ${secret}:\n${log}`);
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), `the CLI shows ${secret}`);
  }
});

test('a webhook that is down or never answers holds up no deploy: it ends while its notification is unanswered, and the log says what was not delivered', async (t) => {
  const hanging = await hookServer(() => 'hang');
  const down = `http://127.0.0.1:${await closedPort()}${SECRET_PATH}${SECRET_QUERY}`;
  const root = projectNotifying(
    `[` +
      `webhook({ url: process.env.DOWN, events: ['started'] }), ` +
      `webhook({ url: process.env.SLOW, events: ['started'], timeoutMs: 1000 }), ` +
      // Longer than this test takes to deploy: the deploy must end with it still waiting.
      `webhook({ url: process.env.HELD, events: ['started'], timeoutMs: 60000 })` +
      `]`,
  );
  const began = Date.now();
  const cli = startCli(['deploy', 'billing', '--env', 'dev', '--json'], {
    cwd: root,
    env: { DOWN: down, SLOW: hanging.url('slow'), HELD: hanging.url('held'), DEPLOY_HOLD: '1' },
  });
  await waitFor(() => held(root).length === 1, 'the deploy command to run', ARRIVES_MS);
  const [id] = held(root);
  await waitFor(
    () => eventsOf(hanging, id!, 'held').length === 1,
    'the held webhook to take the started POST',
    ARRIVES_MS,
  );
  release(root);
  const done = await cli.done;
  const wallMs = Date.now() - began;
  assert.equal(done.code, 0, done.stderr);
  const d = (JSON.parse(done.stdout) as { results: FlowRunResult[] }).results[0]!.deployment!;
  assert.equal(d.status, 'succeeded');
  // Its notification is still unanswered, yet the deploy has ended and its outcome is recorded.
  assert.ok(hanging.open() >= 1, 'the held POST is still open');
  assert.equal((await localLedger({ root }).getDeployment(d.id))?.status, 'succeeded');
  t.diagnostic(
    `deploy with three webhooks down or hanging: ${wallMs} ms wall (CLI), command ${String(d.attributes.durationMs)} ms`,
  );

  await waitFor(
    async () => (await logOf(root, d.id)).includes('no answer within 1.0 s'),
    'the slow webhook’s line',
    ARRIVES_MS,
  );
  await waitFor(async () => (await logOf(root, d.id)).includes('ECONNREFUSED'), 'the down webhook’s line', ARRIVES_MS);
  assert.equal(eventsOf(hanging, d.id, 'slow').length, 1, 'a POST that timed out is not sent again');
  // The server goes away: the runner's held POST fails, and it says so before it exits.
  hanging.close();
  await waitFor(
    async () => (await logOf(root, d.id)).split('\n').filter((l) => l.includes('notify:')).length === 3,
    'the held webhook’s line',
    ARRIVES_MS,
  );
  const log = await logOf(root, d.id);
  assert.match(log, /\[flowport\] notify: POST http:\/\/127\.0\.0\.1:\d+ failed: .*ECONNREFUSED.* after 3 tries/);
  for (const secret of ['SECRETxyz', 't0ps3cret', '/services/', '/slow', '/held'])
    assert.ok(!log.includes(secret), `the log shows ${secret}:\n${log}`);
});

test('a deploy run in the process that asked (a store no runner process can open) notifies too', async () => {
  const hook = await hookServer();
  const root = gitRepo();
  const ledger = localLedger({ root });
  // The ledger's methods but claim(): to the starter, a store of one's own, so the run stays in this process.
  const methods = [
    'findDeployments',
    'create',
    'update',
    'getDeployment',
    'requestCancel',
    'watchCancel',
    'openLog',
    'readLog',
  ];
  const store = Object.fromEntries(
    methods.map((m) => [m, (ledger as unknown as Record<string, (...a: unknown[]) => unknown>)[m]!.bind(ledger)]),
  ) as unknown as DeploymentStore;
  const deployer = commandDeployer({ command: ['node', 'deploy.mjs'] }).forProject({
    root,
    environments: [{ name: 'dev' }],
    allowSkippingEnvironments: false,
    store,
    deployments: store,
    notify: [webhook({ url: hook.url() })],
  });
  const d = await deployer.deploy({ flow: flowOf('billing'), env: 'dev' }, collectingRun());
  assert.equal(d.status, 'succeeded');
  await waitFor(() => eventsOf(hook, d.id).includes('succeeded'), 'the succeeded notification', ARRIVES_MS);
  assert.deepEqual(eventsOf(hook, d.id), ['started', 'succeeded']);
});

test('a webhook with a wrong URL or an unknown event is a config error at its line, and the URL is not shown', () => {
  const config = (notify: string) =>
    [
      `import { defineConfig, commandDeployer, webhook } from 'flowport';`,
      `export default defineConfig({`,
      `  environments: ['dev'],`,
      `  notify: [`,
      `    ${notify},`,
      `  ],`,
      `});`,
    ].join('\n');
  const ftp = cliProject({ billing: 'jobs' }, config(`webhook({ url: 'ftp://hooks.example.com/T0/SECRETxyz' })`));
  let r = flowport(['flows'], { cwd: ftp });
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /flowport\.config\.ts:5: notify\[0\]: url must start with https:\/\/ or http:\/\/, not ftp:\/\//,
  );
  assert.ok(!r.stderr.includes('SECRETxyz'), r.stderr);

  const unset = cliProject({ billing: 'jobs' }, config(`webhook({ url: process.env.NOT_SET_ANYWHERE })`));
  r = flowport(['flows'], { cwd: unset });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /flowport\.config\.ts:5: notify\[0\]: url must be .* not undefined: .*set that variable/);

  // Handed the URL alone, webhook() says so without quoting it.
  const bare = cliProject({ billing: 'jobs' }, config(`webhook('https://hooks.example.com/T0/SECRETxyz' as never)`));
  r = flowport(['flows'], { cwd: bare });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /webhook\(\) takes an options object, not the URL alone/);
  assert.ok(!r.stderr.includes('SECRETxyz'), r.stderr);

  const typo = cliProject(
    { billing: 'jobs' },
    config(`webhook({ url: 'https://hooks.example.com/x', events: ['started', 'succeded'] })`),
  );
  r = flowport(['flows'], { cwd: typo });
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /flowport\.config\.ts:5: notify\[0\]\.events\[1\]: unknown event "succeded": did you mean "succeeded"\?/,
  );
});

test('the payload links only to a web address, without its credentials, and escapes what Slack reads as markup', () => {
  const d: DeploymentDetails = {
    id: '20261201-000000-abcd',
    flowName: 'a<b>&c',
    env: 'dev',
    commit: 'a'.repeat(40),
    ref: 'main',
    status: 'succeeded',
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:01.000Z',
    initiator: 'alice@host',
    outputs: { apiToken: 'sekrit', url: '/home/alice/out' },
    attributes: { durationMs: 1500 },
  };
  const at = (url: string | undefined) =>
    notificationPayload('succeeded', { ...d, ...(url ? { url } : {}) }, undefined);
  assert.equal(at('/home/alice/project/.flowport/targets/dev').link, null, 'a local path');
  assert.equal(at('file:///home/alice/out').link, null);
  assert.equal(at(undefined).link, null);
  assert.equal(at('https://bob:pw@app.example.com/x').link, 'https://app.example.com/x');
  const p = at('https://app.example.com/');
  assert.equal(
    p.text,
    `✅ a&lt;b&gt;&amp;c → dev succeeded: aaaaaaa (main), by alice@host in 1.5 s · <https://app.example.com/|open>`,
  );
  assert.ok(!JSON.stringify(p).includes('sekrit'));
});

test('a deploy that fails before its runner starts (its commit cannot be checked out) POSTs failed', async () => {
  const hook = await hookServer();
  const root = projectNotifying(`[webhook({ url: process.env.HOOK_URL })]`);
  writeText(join(root, 'src', 'later.txt'), 'a commit after the one deployed\n');
  commitAll(root, 'later');
  // Where the checkout of an older commit goes is a file: `git worktree add` fails, for real.
  mkdirSync(join(root, '.flowport'), { recursive: true });
  writeFileSync(join(root, '.flowport', 'worktrees'), 'not a directory\n');
  const r = flowport(['deploy', 'billing', '--env', 'dev', '--ref', 'HEAD~1', '--json'], {
    cwd: root,
    env: { HOOK_URL: hook.url() },
  });
  const d = (JSON.parse(r.stdout) as { results: FlowRunResult[] }).results[0]?.deployment;
  assert.ok(d, r.stderr + r.stdout);
  assert.equal(d.status, 'failed');
  assert.match(String(d.attributes.reason), /could not check out/);
  await waitFor(() => eventsOf(hook, d.id).includes('failed'), 'the failed notification', ARRIVES_MS);
  assert.deepEqual(eventsOf(hook, d.id), ['failed'], 'no runner started: only the failure is told');
  const body = hook.received.find((x) => x.body.deploymentId === d.id)!.body;
  assert.equal(body.status, 'failed');
  assert.equal(body.flow, 'billing');
  assert.equal(body.env, 'dev');
  assert.match(body.text, /^❌ billing → dev failed: /);
});

/**
 * The ledger's snapshot (ledger-snapshot.ts) is a cache of the log: a read that starts from it
 * ends where a replay of the whole log ends, and one that does not describe the log as it is now
 * (truncated, replaced, rewritten; corrupt, forged, another format, a link) is not used.
 *
 * "Used" is seen through a snapshot edited by hand: the commit of its deployments changed from
 * `c…` to `d…`, everything else left as it was. A reader that shows `d…` read the snapshot.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeSnapshot } from '../../../sdk/src/backend/ledger-snapshot.js';
import { foldLocks } from '../../../sdk/src/backend/locks.js';
import { LocalLedger, type LockRecord } from '../../../sdk/src/index.js';
import { stopAtEnd, tempDir } from '../../helpers/tmp.js';
import { sdkDistUrl } from './fixture.js';

const C = 'c'.repeat(40);
const D = 'd'.repeat(40);
const logOf = (root: string) => join(root, '.flowport', 'ledger.jsonl');
const snapshotOf = (root: string) => join(root, '.flowport', 'ledger-snapshot.jsonl');

/** A reader that starts from a snapshot and leaves one after every read (or, cold, never does either). */
function reader(root: string, snapshots: boolean) {
  const warnings: string[] = [];
  const ledger = new LocalLedger({
    root,
    warn: (m) => warnings.push(m),
    snapshotAfterBytes: snapshots ? 1 : Number.MAX_SAFE_INTEGER,
  });
  return { ledger, warnings };
}

/** Everything a reader says about the ledger. */
async function stateOf(r: ReturnType<typeof reader>) {
  const locks = await r.ledger.locks(); // first, as a deploy's preflight asks
  const history = await r.ledger.findDeployments({ history: true });
  const current = await r.ledger.findDeployments();
  const others = await r.ledger.recordsOf(['cancel-request', 'lock', 'future-thing']);
  const one = history[0] && (await r.ledger.getDeployment(history[0].id));
  const events = await r.ledger.events();
  return { history, current, others, one, locks, events, warnings: [...r.warnings] };
}

const cold = (root: string) => stateOf(reader(root, false));

/** The same state, down to the order of each object's fields (what `--json` prints). */
function assertSame(actual: unknown, expected: unknown, message?: string): void {
  assert.deepEqual(actual, expected, message);
  assert.equal(JSON.stringify(actual), JSON.stringify(expected), message);
}

let clock = Date.parse('2026-03-01T00:00:00.000Z');
/** One deployment record as a runner writes it (no runner: pending/running ones read as interrupted). */
function deployment(id: string, flowName: string, env: string, status: string, commit = C, log?: string): string {
  const at = new Date((clock += 1000)).toISOString();
  return JSON.stringify({
    v: 1,
    type: 'deployment',
    at,
    by: 'test@host',
    deployment: {
      id,
      flowName,
      env,
      commit,
      ref: 'main',
      status,
      createdAt: at,
      updatedAt: at,
      initiator: 'test@host',
      ...(log === undefined ? {} : { logLocation: log }),
      outputs: status === 'succeeded' ? { artifact: `${flowName}@${env}` } : {},
      attributes: { note: 'x'.repeat(200) },
    },
  });
}

/** Where the ledger of `root` keeps the log of `id` — or, for some deployments, somewhere else. */
const logOfDeployment = (root: string, id: string, i: number) =>
  i % 3 ? join(root, '.flowport', 'logs', `${id}.log`) : `/var/log/elsewhere/${id}.log`;

/** A ledger of `n` deploys over two flows × two environments, each pending → running → an outcome. */
function ledgerLines(root: string, n: number, prefix = 'd'): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${prefix}${String(i).padStart(5, '0')}`;
    const flow = i % 2 ? 'billing' : 'reports';
    const env = i % 4 < 2 ? 'dev' : 'prod';
    const log = logOfDeployment(root, id, i);
    out.push(deployment(id, flow, env, 'pending', C, log), deployment(id, flow, env, 'running', C, log));
    out.push(deployment(id, flow, env, i % 5 === 4 ? 'failed' : 'succeeded', C, log));
  }
  return out;
}

function writeLedger(root: string, lines: string[]): void {
  rmSync(join(root, '.flowport'), { recursive: true, force: true });
  mkdirSync(join(root, '.flowport'), { mode: 0o700 });
  writeFileSync(logOf(root), lines.map((l) => l + '\n').join(''), { mode: 0o600 });
}

/** A ledger with a snapshot of all of it, then that snapshot edited to say commit `d…` everywhere. */
async function ledgerWithTamperedSnapshot(root: string, lines = ledgerLines(root, 30)) {
  writeLedger(root, lines);
  await reader(root, true).ledger.findDeployments();
  const text = readFileSync(snapshotOf(root), 'utf8');
  const [header, ...rest] = text.split('\n');
  const body = rest.map((l) => l.replaceAll(C, D));
  writeFileSync(snapshotOf(root), [header, ...body].join('\n'));
  return { header: JSON.parse(header!) as Record<string, unknown>, body };
}

const commits = (s: Awaited<ReturnType<typeof stateOf>>) => new Set(s.history.map((d) => d.commit));

test('a read leaves a private snapshot; the next reader starts from it and reads what another process appended after it as a cold read does', async () => {
  const root = tempDir();
  writeLedger(root, ledgerLines(root, 40));
  const first = reader(root, true);
  const before = await stateOf(first);
  assert.equal(before.history.length, 40);
  assert.equal(statSync(snapshotOf(root)).mode & 0o777, 0o600);
  assertSame(before, await cold(root), 'the reader that wrote it saw the log');

  // Another process appends: a new deploy, a cancel request, a record of a type still to come.
  const script = `
const { localLedger } = await import(${JSON.stringify(sdkDistUrl)});
const ledger = localLedger({ root: ${JSON.stringify(root)} });
const d = await ledger.create({ flowName: 'billing', env: 'prod', commit: '${'e'.repeat(40)}', ref: 'main' });
await ledger.update(d.id, { status: 'running' });
await ledger.update(d.id, { status: 'succeeded', outputs: { artifact: 'new' } });
await ledger.requestCancel('d00003', { by: 'other@host', reason: 'late' });
await ledger.append({ v: 1, type: 'future-thing', at: new Date().toISOString(), by: 'other@host', x: 1 });
`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
  stopAtEnd(child);
  const code = await new Promise((resolve) => child.on('exit', resolve));
  assert.equal(code, 0);

  const expected = await cold(root);
  assert.equal(expected.history.length, 41);
  assert.equal(expected.others.length, 2);
  // Seen through the snapshot: the same, and it was read (its edited commit shows).
  const fresh = await stateOf(reader(root, true));
  assertSame(fresh, expected, 'snapshot + tail reads as the whole log does');
  assertSame(await stateOf(first), expected, 'and so does the reader that wrote the snapshot');

  // The last snapshot was left by \`first\`, of what it read in two parts: edited, it shows.
  const snapshot = readFileSync(snapshotOf(root), 'utf8');
  assert.equal((JSON.parse(snapshot.split('\n')[0]!) as { offset: number }).offset, statSync(logOf(root)).size);
  writeFileSync(snapshotOf(root), snapshot.replaceAll(C, D).replaceAll('e'.repeat(40), D));
  const tampered = await reader(root, true).ledger.findDeployments({ history: true });
  assert.deepEqual(
    new Set(tampered.map((d) => d.commit)),
    new Set([D]),
    'the snapshot is what the reader started from',
  );
});

test('a torn last line after the snapshot is warned about once and skipped, as in a cold read; the next writer ends it', async () => {
  const root = tempDir();
  writeLedger(root, ledgerLines(root, 20));
  await reader(root, true).ledger.findDeployments();
  const half = deployment('torn', 'billing', 'dev', 'succeeded').slice(0, 60);
  appendFileSync(logOf(root), half);
  const expected = await cold(root);
  assert.equal(expected.warnings.length, 1);
  assert.match(expected.warnings[0]!, /incomplete last record/);
  const fresh = reader(root, true);
  assertSame(await stateOf(fresh), expected);
  await fresh.ledger.findDeployments();
  assert.equal(fresh.warnings.length, 1, 'once, not on every read');

  const d = await fresh.ledger.create({ flowName: 'reports', env: 'dev', commit: C, ref: 'main' });
  await fresh.ledger.update(d.id, { status: 'succeeded' });
  const after = await cold(root);
  assert.match(after.warnings.join('\n'), /ledger\.jsonl:61: skipped a damaged record/);
  // The reader that replayed the log for events() warns about what was appended after.
  assert.match(fresh.warnings.join('\n'), /ledger\.jsonl:61: skipped a damaged record/);
  assertSame(await stateOf(reader(root, true)), after);
});

test('processes that append and leave snapshots at once: every snapshot whole, no temp file left, a reader from the last one reads as a cold read does', async () => {
  const root = tempDir();
  writeLedger(root, ledgerLines(root, 20));
  const script = (n: number) => `
const { LocalLedger } = await import(${JSON.stringify(sdkDistUrl)});
const ledger = new LocalLedger({ root: ${JSON.stringify(root)}, snapshotAfterBytes: 1 });
for (let i = 0; i < 12; i++) {
  const d = await ledger.create({ flowName: 'f${n}', env: 'dev', commit: '${C}', ref: 'main' });
  await ledger.update(d.id, { status: 'succeeded' });
  await new LocalLedger({ root: ${JSON.stringify(root)}, snapshotAfterBytes: 1 }).findDeployments({ history: true });
}
`;
  const children = [1, 2, 3].map((n) =>
    spawn(process.execPath, ['--input-type=module', '-e', script(n)], { stdio: 'inherit' }),
  );
  for (const child of children) stopAtEnd(child);
  const codes = await Promise.all(children.map((c) => new Promise((resolve) => c.on('exit', resolve))));
  assert.deepEqual(codes, [0, 0, 0]);

  assert.deepEqual(
    readdirSync(join(root, '.flowport')).filter((f) => f.startsWith('ledger-snapshot')),
    ['ledger-snapshot.jsonl'],
    'no temp file left',
  );
  const snapshot = decodeSnapshot(
    readFileSync(snapshotOf(root), 'utf8'),
    join(root, '.flowport', 'logs'),
    statSync(logOf(root)).size,
  );
  assert.ok(snapshot, 'the snapshot is whole');
  const expected = await cold(root);
  assert.equal(expected.history.length, 20 + 36);
  assertSame(await stateOf(reader(root, true)), expected);
});

test('the temp file of a snapshot writer killed before its rename is removed by the next writer, once it is old', async () => {
  const root = tempDir();
  writeLedger(root, ledgerLines(root, 20));
  const stale = `${snapshotOf(root)}.4242-0123456789ab.tmp`;
  const young = `${snapshotOf(root)}.4243-0123456789ab.tmp`;
  writeFileSync(stale, 'half a snapshot');
  writeFileSync(young, 'a writer still writing');
  const hourAgo = new Date(Date.now() - 3600_000);
  utimesSync(stale, hourAgo, hourAgo);
  await reader(root, true).ledger.findDeployments();
  assert.ok(existsSync(snapshotOf(root)));
  assert.ok(!existsSync(stale), 'the old temp file is gone');
  assert.ok(existsSync(young), 'a temp file a writer may still write is left alone');
});

test('a snapshot is left only by reads once enough new log is read, never by a write', async () => {
  const root = tempDir();
  const lines = ledgerLines(root, 40);
  writeLedger(root, lines);
  const size = statSync(logOf(root)).size;
  const big = new LocalLedger({ root, warn: () => undefined, snapshotAfterBytes: size + 1 });
  await big.findDeployments();
  assert.throws(() => statSync(snapshotOf(root)), /ENOENT/, 'less new log than the threshold: none');

  const writer = new LocalLedger({ root, warn: () => undefined, snapshotAfterBytes: 1 });
  const d = await writer.create({ flowName: 'billing', env: 'dev', commit: C, ref: 'main' });
  await writer.update(d.id, { status: 'failed' });
  assert.throws(() => statSync(snapshotOf(root)), /ENOENT/, 'a write path leaves none');
  await writer.getDeployment(d.id);
  const header = JSON.parse(readFileSync(snapshotOf(root), 'utf8').split('\n')[0]!) as { offset: number };
  assert.equal(header.offset, statSync(logOf(root)).size, 'a read path does, of all it read');
});

test('a ledger truncated, replaced or rewritten after its snapshot is read as it is now, never through the snapshot', async (t) => {
  const root = tempDir();
  const cases: Array<[string, (lines: string[]) => void]> = [
    [
      'truncated, then appended to past the old end',
      (lines) => {
        truncateSync(logOf(root), 0);
        appendFileSync(
          logOf(root),
          ledgerLines(root, 35, 'x')
            .map((l) => l + '\n')
            .join(''),
        );
        void lines;
      },
    ],
    ['truncated to a part of itself', (lines) => truncateSync(logOf(root), lines.slice(0, 20).join('\n').length + 1)],
    [
      // The same size and the same first and last 4 KiB: only its inode tells it is another file.
      'replaced by another file with the same size and ends',
      (lines) => {
        const other = [...lines];
        for (let i = 40; i < 50; i++) other[i] = other[i]!.replace('"succeeded"', '"cancelled"');
        const next = `${logOf(root)}.new`;
        writeFileSync(next, other.map((l) => l + '\n').join(''));
        renameSync(next, logOf(root));
      },
    ],
    [
      'removed and written again (its inode may be reused)',
      () => {
        unlinkSync(logOf(root));
        writeFileSync(
          logOf(root),
          ledgerLines(root, 30, 'y')
            .map((l) => l + '\n')
            .join(''),
        );
      },
    ],
    [
      'rewritten in place: its last record changed, the size kept',
      (lines) => {
        const last = lines.at(-1)!;
        const edited = last.replace(C, 'e'.repeat(40));
        assert.notEqual(edited, last);
        const fd = openSync(logOf(root), 'r+');
        writeSync(fd, edited + '\n', statSync(logOf(root)).size - last.length - 1);
        closeSync(fd);
      },
    ],
  ];
  for (const [what, change] of cases) {
    await t.test(what, async () => {
      const lines = ledgerLines(root, 30);
      await ledgerWithTamperedSnapshot(root, lines);
      change(lines);
      const expected = await cold(root);
      const fresh = await stateOf(reader(root, true));
      assert.ok(!commits(fresh).has(D), 'the snapshot was not used');
      assertSame(fresh, expected);
    });
  }
});

test('a corrupt, forged, newer or linked snapshot is ignored: the ledger reads as a cold read does', async (t) => {
  const root = tempDir();
  type Snap = { header: Record<string, unknown>; body: string[] };
  const write = (s: Snap) => writeFileSync(snapshotOf(root), [JSON.stringify(s.header), ...s.body].join('\n'));
  const forgedRecord = (s: Snap, edit: (r: { deployment: Record<string, unknown> }) => void) => {
    const r = JSON.parse(s.body[0]!) as { deployment: Record<string, unknown> };
    edit(r);
    s.body[0] = JSON.stringify(r);
    write(s);
  };
  const cases: Array<[string, (s: Snap) => void]> = [
    [
      'torn (no final newline)',
      (s) => writeFileSync(snapshotOf(root), [JSON.stringify(s.header), ...s.body].join('\n').slice(0, -50)),
    ],
    ['not JSON', () => writeFileSync(snapshotOf(root), 'garbage\n')],
    ['a line missing', (s) => write({ ...s, body: [...s.body.slice(1)] })],
    ['a newer snapshot format', (s) => write({ ...s, header: { ...s.header, snapshot: 99 } })],
    ['another ledger format', (s) => write({ ...s, header: { ...s.header, ledgerFormat: 2 } })],
    ['another inode', (s) => write({ ...s, header: { ...s.header, ino: (s.header.ino as number) + 1 } })],
    [
      'past the end of the log',
      (s) => write({ ...s, header: { ...s.header, offset: (s.header.offset as number) + 10 } }),
    ],
    ['a wrong hash', (s) => write({ ...s, header: { ...s.header, tail: '0'.repeat(64) } })],
    ['a record without an initiator', (s) => forgedRecord(s, (r) => delete r.deployment.initiator)],
    ['a record with an output that is not a string', (s) => forgedRecord(s, (r) => (r.deployment.outputs = { a: 1 }))],
    ['a deployment twice', (s) => write({ ...s, body: [s.body[0]!, s.body[1]!, s.body[1]!, ...s.body.slice(3)] })],
    [
      'lines out of the log',
      (s) =>
        write({
          ...s,
          header: {
            ...s.header,
            entries: (s.header.entries as number[]).map((n, i) => (i % 3 === 1 ? n + 10_000 : n)),
          },
        }),
    ],
    [
      'a link to a snapshot that matches',
      () => {
        const elsewhere = join(root, 'elsewhere.jsonl');
        renameSync(snapshotOf(root), elsewhere);
        symlinkSync(elsewhere, snapshotOf(root));
      },
    ],
  ];
  for (const [what, forge] of cases) {
    await t.test(what, async () => {
      const snap = await ledgerWithTamperedSnapshot(root);
      forge(snap);
      const expected = await cold(root);
      const fresh = await stateOf(reader(root, true));
      assert.ok(!commits(fresh).has(D), 'the snapshot was not used');
      assertSame(fresh, expected);
    });
  }
  // The linked one was replaced by a file of its own; its target was left as it was.
  assert.ok(lstatSync(snapshotOf(root)).isFile());
  assert.ok(readFileSync(join(root, 'elsewhere.jsonl'), 'utf8').includes(D), 'the link target was not written');
});

/** A small deterministic PRNG (mulberry32): the same sequence for a seed, so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('equivalence: for random sequences of records, reading from snapshots and tails ends where a replay of the whole log does', async (t) => {
  let locksSeen = 0;
  let unlocksSeen = 0;
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    await t.test(`seed ${seed}`, async () => {
      const root = tempDir();
      const rnd = random(seed);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
      const statuses = ['pending', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'];
      const known: Array<{ id: string; flow: string; env: string }> = [];
      const lockIds = new Map<string, string>();
      const line = (): string => {
        const r = rnd();
        if (r < 0.55 || known.length === 0) {
          const reuse = known.length > 0 && rnd() < 0.6;
          const d = reuse
            ? pick(known)
            : { id: `r${seed}-${known.length}`, flow: pick(['a', 'b', 'c']), env: pick(['dev', 'uat', 'prod']) };
          if (!reuse) known.push(d);
          return deployment(
            d.id,
            d.flow,
            d.env,
            pick(statuses),
            pick([C, 'f'.repeat(40)]),
            logOfDeployment(root, d.id, known.indexOf(d)),
          );
        }
        if (r < 0.65) {
          const d = pick(known);
          return JSON.stringify({ v: 1, type: 'cancel-request', at: 'now', by: 'x@h', deploymentId: d.id });
        }
        if (r < 0.7) {
          // Locks and unlocks of a few targets: which one holds depends on every record's order.
          const target = { env: pick(['dev', 'prod']), ...(rnd() < 0.5 ? { flowName: 'a' } : {}) };
          const key = JSON.stringify(target);
          const held = lockIds.get(key);
          if (held !== undefined && rnd() < 0.6) {
            lockIds.delete(key);
            return JSON.stringify({ v: 1, type: 'unlock', at: 'now', by: 'x@h', lockId: held, ...target });
          }
          const lockId = `l${Math.floor(r * 1e6)}`;
          if (held === undefined) lockIds.set(key, lockId);
          return JSON.stringify({ v: 1, type: 'lock', at: 'now', by: 'x@h', lockId, ...target });
        }
        if (r < 0.75) return JSON.stringify({ v: 1, type: 'future-thing', at: 'now', by: 'x@h', x: r });
        if (r < 0.8) return JSON.stringify({ v: pick([2, 3]), type: 'deployment', at: 'now', by: 'x@h' });
        if (r < 0.85) {
          const d = pick(known); // a record that moves a deployment to another flow: skipped
          return deployment(d.id, `${d.flow}-moved`, d.env, 'succeeded');
        }
        if (r < 0.9)
          return pick(['', '{"not": "a record"}', 'not json', JSON.stringify({ v: 1, type: 'deployment', at: 'x' })]);
        return deployment(`r${seed}-${known.length}-bad`, 'a', 'dev', 'no-such-status');
      };
      writeLedger(root, []);
      const long = reader(root, true); // one process reading all along
      for (let step = 0; step < 12; step++) {
        const chunk = Array.from({ length: 1 + Math.floor(rnd() * 25) }, line);
        appendFileSync(logOf(root), chunk.map((l) => l + '\n').join(''));
        // Some steps read (and leave a snapshot), some only append: tails of every length.
        if (rnd() < 0.6) await reader(root, true).ledger.findDeployments({ history: true });
        if (rnd() < 0.5) await long.ledger.findDeployments();
        if (rnd() < 0.3) {
          const expected = await cold(root);
          assertSame(await stateOf(reader(root, true)), expected, `step ${step}: a new reader`);
        }
      }
      const expected = await cold(root);
      assertSame(await stateOf(reader(root, true)), expected, 'a new reader');
      // The cheap way to the locks (their records alone) finds what all the records say.
      const lockRecords = expected.events.filter((e): e is LockRecord => e.type === 'lock' || e.type === 'unlock');
      assert.deepEqual(expected.locks, foldLocks(lockRecords));
      locksSeen += expected.locks.length;
      unlocksSeen += lockRecords.filter((e) => e.type === 'unlock').length;
      const fromStart = await stateOf(long);
      assertSame({ ...fromStart, warnings: [] }, { ...expected, warnings: [] }, 'the reader that read all along');
    });
  }
  assert.ok(locksSeen > 0 && unlocksSeen > 0, 'the sequences held locks and lifted some');
});

/**
 * A snapshot of the ledger's fold (ledger-fold.ts) at a byte offset of the log, so that a new
 * process reads the state and then only what was appended after it, instead of replaying every
 * record. The log stays the only source of truth: the snapshot is a cache, used only when it
 * provably describes this very log, and rebuilt from the log otherwise.
 *
 * Tied to the log by its inode, the offset (at most its size) and SHA-256 hashes of the log's
 * first and of its last {@link CHECK_BYTES} bytes before the offset: a log that was replaced,
 * truncated or rewritten since does not match. (An edit inside the log that keeps its length and
 * both ends is not seen; the log is append-only, and Flowport never writes one.)
 *
 * Format (JSON lines, like the log): a header line, then the latest record of each deployment and
 * every record of another type, each exactly as a log line is — so each is read back through
 * `parseLine`, checked field by field as a log line is, and a forged snapshot can say no more than
 * forged log lines could. Anything that does not check out (a torn or corrupt file, another
 * format, a link, a count or an order that does not add up) makes the snapshot ignored.
 *
 * Written whole to a temp file of a unique name and renamed into place: concurrent writers never
 * mix, and a reader sees one complete snapshot or none.
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstat, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { LEDGER_FORMAT, parseLine } from './records.js';
import { LedgerFold, type Entry, type FoldWarning, type LedgerEvent } from './ledger-fold.js';
import { openStateFile, readAt } from './state-file.js';

/**
 * The snapshot format. Bump it when what a line folds into changes (parseLine's checks, the
 * fold's rules, a record type the fold starts keeping state for outside `carried`): snapshots of
 * another format are ignored and rebuilt from the log. A new record type whose state the fold
 * derives from its records alone needs no bump: its records are carried through.
 */
// 2: the `queued` status became valid (a snapshot of 1 skipped such records as damaged).
// 3: approval records are checked field by field (a snapshot of 2 kept any approval record).
export const SNAPSHOT_FORMAT = 3;

/** How much of the log's start and of its end before the offset the snapshot's hashes cover. */
export const CHECK_BYTES = 4096;

/** What ties a snapshot to the log. */
export interface LogMark {
  ino: number;
  /** Bytes of the log the snapshot covers: whole lines, so it ends after a newline. */
  offset: number;
  /** The log's first `min(offset, CHECK_BYTES)` bytes, and the same number of bytes before `offset`. */
  head: Buffer;
  tail: Buffer;
}

interface Header {
  snapshot: number;
  ledgerFormat: number;
  ino: number;
  offset: number;
  lines: number;
  head: string;
  tail: string;
  /**
   * Three numbers for each deployment, in the order of the deployment lines that follow: its
   * first and its last line, then 1 when its log is where the ledger puts it (its line then has
   * an empty `logLocation`: a read pays for every byte), else 0. Flat: one array, not 10,000.
   */
  entries: number[];
  /** The line of each carried record, in the order of the lines after the deployments. */
  carried: number[];
  warnings: Array<[number, string]>;
  newerFormat: number;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Where the ledger with logs in `logsDir` puts the log of deployment `id`. */
const defaultLog = (logsDir: string, id: string) => `${logsDir}${sep}${id}.log`;

/** The snapshot's text: the fold as it stands at `mark`, of a ledger with its logs in `logsDir`. */
export function encodeSnapshot(fold: LedgerFold, mark: LogMark, logsDir: string): string {
  const entries = [...fold.entries.values()];
  const logHere = entries.map((e) => e.deployment.logLocation === defaultLog(logsDir, e.deployment.id));
  const header: Header = {
    snapshot: SNAPSHOT_FORMAT,
    ledgerFormat: LEDGER_FORMAT,
    ino: mark.ino,
    offset: mark.offset,
    lines: fold.lines,
    head: sha256(mark.head),
    tail: sha256(mark.tail),
    entries: entries.flatMap((e, i) => [e.first, e.last, logHere[i] ? 1 : 0]),
    carried: fold.carried.map(([line]) => line),
    warnings: fold.warnings.map((w) => [w.line, w.text]),
    newerFormat: fold.newerFormat,
  };
  const out = [JSON.stringify(header)];
  for (const [i, e] of entries.entries()) {
    // As a log line of this deployment would be, less what is not state (`at`, `by`) and what
    // the header says (its log's place).
    // (Left empty, not out: the deployment read back has its fields in the order they were.)
    const deployment = logHere[i] ? { ...e.deployment, logLocation: '' } : e.deployment;
    const record: Record<string, unknown> = { v: LEDGER_FORMAT, type: 'deployment', at: '', deployment };
    if (e.runner) record.runner = e.runner;
    out.push(JSON.stringify(record));
  }
  for (const [, record] of fold.carried) out.push(JSON.stringify(record));
  return out.join('\n') + '\n';
}

/** A snapshot read back and checked in itself; {@link matchesLog} checks it against the log. */
export interface DecodedSnapshot {
  ino: number;
  offset: number;
  lines: number;
  head: string;
  tail: string;
  /** Builds the fold it describes; its warnings are given again through `onWarning`. */
  restore(onWarning: (w: FoldWarning) => void): LedgerFold;
}

/**
 * The snapshot in `text` of a ledger of `logSize` bytes with its logs in `logsDir`, or undefined
 * when it is not one this SDK wrote and fully understands.
 */
export function decodeSnapshot(text: string, logsDir: string, logSize: number): DecodedSnapshot | undefined {
  const lines = text.split('\n');
  if (lines.pop() !== '') return undefined; // torn: a whole snapshot ends in a newline
  let header: Header;
  try {
    header = JSON.parse(lines[0] ?? '') as Header;
  } catch {
    return undefined;
  }
  // (The offset, and so the line count, within the log's size before anything is sized by them.)
  const count = validHeader(header) && header.offset <= logSize ? header.entries.length / 3 : -1;
  if (count < 0 || lines.length !== 1 + count + header.carried.length) return undefined;

  // Each deployment once, each line holding one record: what a real log folds into.
  const entries: Entry[] = [];
  const ids = new Set<string>();
  const lineUsed = new Uint8Array(header.lines + 1);
  const useLine = (line: number) => lineUsed[line] === 0 && (lineUsed[line] = 1) === 1;
  for (let i = 0; i < count; i++) {
    const parsed = parseLine(lines[1 + i]!);
    if (parsed.kind !== 'record' || parsed.record.type !== 'deployment') return undefined;
    const first = header.entries[3 * i]!;
    const last = header.entries[3 * i + 1]!;
    const { deployment, runner } = parsed.record;
    if (header.entries[3 * i + 2] === 1) {
      if (deployment.logLocation !== '') return undefined;
      // A fresh object of this parse: set in place, in the place the field had.
      deployment.logLocation = defaultLog(logsDir, deployment.id);
    }
    if (ids.has(deployment.id) || !useLine(first) || (last !== first && !useLine(last))) return undefined;
    ids.add(deployment.id);
    entries.push({ deployment, runner, first, last });
  }
  const carried: Array<[number, LedgerEvent]> = [];
  for (let i = 0; i < header.carried.length; i++) {
    const parsed = parseLine(lines[1 + count + i]!);
    let record: LedgerEvent;
    if (parsed.kind === 'record' && parsed.record.type !== 'deployment') record = parsed.record;
    else if (parsed.kind === 'other') record = parsed.value as LedgerEvent;
    else return undefined;
    const line = header.carried[i]!;
    if (!useLine(line)) return undefined;
    carried.push([line, record]);
  }

  return {
    ino: header.ino,
    offset: header.offset,
    lines: header.lines,
    head: header.head,
    tail: header.tail,
    restore(onWarning) {
      const fold = new LedgerFold(onWarning);
      // Every warning the log's lines gave up to the offset is given again, as a replay would.
      for (const [line, text] of header.warnings) {
        fold.warnings.push({ line, text });
        onWarning({ line, text });
      }
      fold.newerFormat = header.newerFormat;
      for (const e of entries) fold.entries.set(e.deployment.id, e);
      for (const [line, record] of carried) fold.record(record, line);
      fold.lines = header.lines;
      // The records before the offset are not in `events`: `events()` replays the log for them.
      fold.events = [];
      fold.eventsAfter = header.lines;
      return fold;
    },
  };
}

const isCount = (x: unknown, min: number): x is number => Number.isSafeInteger(x) && (x as number) >= min;
const isHash = (x: unknown) => typeof x === 'string' && /^[0-9a-f]{64}$/.test(x);

function validHeader(h: Header): boolean {
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return false;
  if (h.snapshot !== SNAPSHOT_FORMAT || h.ledgerFormat !== LEDGER_FORMAT) return false;
  if (!isCount(h.ino, 0) || !isCount(h.offset, 1) || !isCount(h.lines, 1) || !isHash(h.head) || !isHash(h.tail))
    return false;
  if (h.lines > h.offset) return false; // every line takes a byte at least
  if (!(h.newerFormat === 0 || (isCount(h.newerFormat, 0) && h.newerFormat > LEDGER_FORMAT))) return false;
  const inLog = (line: unknown): line is number => isCount(line, 1) && line <= h.lines;
  if (!Array.isArray(h.entries) || !Array.isArray(h.carried) || !Array.isArray(h.warnings)) return false;
  if (h.entries.length % 3 !== 0) return false;
  for (let i = 0; i < h.entries.length; i += 3) {
    const [first, last, logHere] = [h.entries[i], h.entries[i + 1], h.entries[i + 2]];
    if (!inLog(first) || !inLog(last) || first > last || !(logHere === 0 || logHere === 1)) return false;
  }
  if (!h.carried.every((line, i) => inLog(line) && (i === 0 || line > h.carried[i - 1]!))) return false;
  return h.warnings.every(
    (w) => Array.isArray(w) && w.length === 2 && (w[0] === 0 || inLog(w[0])) && typeof w[1] === 'string',
  );
}

/** The bytes a {@link LogMark} at `offset` covers, read from the open log. */
export async function markOf(log: FileHandle, ino: number, offset: number): Promise<LogMark> {
  const n = Math.min(offset, CHECK_BYTES);
  return { ino, offset, head: await readAt(log, 0, n), tail: await readAt(log, offset - n, n) };
}

/** Whether the snapshot describes the open log `log` (inode `ino`, `size` bytes) as it is now. */
export async function matchesLog(
  snapshot: DecodedSnapshot,
  log: FileHandle,
  ino: number,
  size: number,
): Promise<LogMark | undefined> {
  if (snapshot.ino !== ino || snapshot.offset > size) return undefined;
  const mark = await markOf(log, ino, snapshot.offset);
  const n = Math.min(snapshot.offset, CHECK_BYTES);
  if (mark.head.length !== n || mark.tail.length !== n) return undefined;
  if (mark.tail[n - 1] !== 0x0a) return undefined; // a snapshot ends after a whole line
  return sha256(mark.head) === snapshot.head && sha256(mark.tail) === snapshot.tail ? mark : undefined;
}

/**
 * The snapshot at `path` of a ledger of `logSize` bytes, or undefined when there is none usable
 * (missing, a link, corrupt, another format, too big to be one).
 */
export async function readSnapshot(
  path: string,
  logsDir: string,
  logSize: number,
): Promise<DecodedSnapshot | undefined> {
  let fh: FileHandle;
  try {
    fh = await openStateFile(path, 'r');
  } catch {
    return undefined; // missing, or a link or a FIFO in its place: the log is read instead
  }
  try {
    // A snapshot holds about what its log does (masked outputs and warnings can add a little):
    // a far bigger file is not one, and is not read into memory.
    if ((await fh.stat()).size > 2 * logSize + 1024 * 1024) return undefined;
    return decodeSnapshot(await fh.readFile('utf8'), logsDir, logSize);
  } catch {
    return undefined;
  } finally {
    await fh.close();
  }
}

/**
 * Writes the snapshot `text()` makes to `path` whole: to a temp file of a name no other writer
 * uses, then renamed over it (which replaces a link there, never writes through it). Made only
 * once the temp file could be made, so a folder that takes no files costs no encoding. A cache:
 * failing to write it is not an error, so none is thrown.
 */
export async function writeSnapshot(path: string, text: () => string): Promise<boolean> {
  const temp = `${path}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fh = await openStateFile(temp, 'new');
    try {
      await fh.writeFile(text(), 'utf8');
    } finally {
      await fh.close();
    }
    await rename(temp, path);
  } catch {
    await unlink(temp).catch(() => undefined);
    return false;
  }
  await removeStaleTemps(path);
  return true;
}

/** A temp file this old was left by a writer that died mid-write (a write takes well under a second). */
const STALE_TEMP_MS = 10 * 60 * 1000;

/** Removes the temp files of snapshot writers that were killed before their rename. */
async function removeStaleTemps(path: string): Promise<void> {
  const prefix = `${basename(path)}.`;
  try {
    for (const name of await readdir(dirname(path))) {
      if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
      const temp = join(dirname(path), name);
      const st = await lstat(temp).catch(() => undefined);
      if (st?.isFile() && Date.now() - st.mtimeMs > STALE_TEMP_MS) await unlink(temp).catch(() => undefined);
    }
  } catch {
    // the folder cannot be listed: the temps stay, harmless
  }
}

/**
 * The last state this machine read from the team store, per query, kept in memory and in the
 * project's state folder (`.flowport/team-last-seen.json`, 0600): when the database cannot be
 * reached, reads answer with it, marked stale, even in a CLI run that never read before. It holds
 * what the views show (secret outputs masked), never the database URL. A cache only: a file that
 * does not parse, or is of another store or project, is ignored.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareStateDir, stateDir } from '../../finder/scan-cache.js';

/** Larger states are kept in memory only: writing megabytes on every read would cost more than it saves. */
const MAX_FILE_CHARS = 4 * 1024 * 1024;

interface Seen {
  at: string;
  value: unknown;
  /** What the reader said identifies this value (the rows' change numbers); when given, compared instead of the value's text. */
  fingerprint?: string;
}

interface SeenFile {
  v: 1;
  where: string;
  project: string;
  reads: Record<string, Seen>;
}

export class LastSeen {
  private readonly memory = new Map<string, Seen>();
  private readonly written = new Map<string, string>();
  private loaded = false;

  constructor(
    private readonly root: string,
    private readonly where: string,
    private readonly project: () => string,
  ) {}

  private get file(): string {
    return join(stateDir(this.root), 'team-last-seen.json');
  }

  /**
   * Keeps what `key` read now; written through to the file when it changed. With a `fingerprint`
   * (the rows' change numbers), "changed" is judged by it: the text of 5,000 deployments took
   * longer to make and compare on every read than the read itself.
   */
  remember(key: string, value: unknown, fingerprint?: string): void {
    const seen: Seen = { at: new Date().toISOString(), value, ...(fingerprint === undefined ? {} : { fingerprint }) };
    this.memory.set(key, seen);
    const compared = fingerprint === undefined ? undefined : `fingerprint:${fingerprint}`;
    if (compared !== undefined) {
      if (!this.loaded) this.readFile(); // what an earlier process wrote, so an unchanged state is not written again
      if (this.written.get(key) === compared) return;
    }
    const text = JSON.stringify(value);
    const done = () => this.written.set(key, compared ?? text);
    if (this.written.get(key) === text || text.length > MAX_FILE_CHARS) return void done();
    try {
      const file = this.readFile();
      file.reads[key] = seen;
      const next = JSON.stringify(file);
      if (next.length > MAX_FILE_CHARS) return void done();
      prepareStateDir(stateDir(this.root));
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, next, { mode: 0o600 });
      renameSync(tmp, this.file);
      done();
    } catch {
      // a cache: a read-only or full disk costs only the offline answer
    }
  }

  /** What `key` read last, from this process or the file. */
  recall(key: string): Seen | undefined {
    return this.memory.get(key) ?? this.readFile().reads[key];
  }

  private readFile(): SeenFile {
    const empty: SeenFile = { v: 1, where: this.where, project: this.project(), reads: {} };
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<SeenFile>;
      if (parsed.v !== 1 || parsed.where !== empty.where || parsed.project !== empty.project) return empty;
      if (!this.loaded) {
        this.loaded = true;
        for (const [k, seen] of Object.entries(parsed.reads ?? {}))
          if (!this.written.has(k))
            this.written.set(
              k,
              seen.fingerprint === undefined ? JSON.stringify(seen.value) : `fingerprint:${seen.fingerprint}`,
            );
      }
      return { ...empty, reads: parsed.reads ?? {} };
    } catch {
      return empty;
    }
  }
}

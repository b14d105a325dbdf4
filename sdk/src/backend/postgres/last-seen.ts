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

  /** Keeps what `key` read now; written through to the file when it changed. */
  remember(key: string, value: unknown): void {
    const seen = { at: new Date().toISOString(), value };
    this.memory.set(key, seen);
    const text = JSON.stringify(value);
    if (this.written.get(key) === text || text.length > MAX_FILE_CHARS) return;
    try {
      const file = this.readFile();
      file.reads[key] = seen;
      const next = JSON.stringify(file);
      if (next.length > MAX_FILE_CHARS) return;
      prepareStateDir(stateDir(this.root));
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, next, { mode: 0o600 });
      renameSync(tmp, this.file);
      this.written.set(key, text);
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
          if (!this.written.has(k)) this.written.set(k, JSON.stringify(seen.value));
      }
      return { ...empty, reads: parsed.reads ?? {} };
    } catch {
      return empty;
    }
  }
}

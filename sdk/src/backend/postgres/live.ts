/**
 * Live changes from the team store: one connection per process LISTENs on `flowport_changes`,
 * where every write NOTIFYs in its own transaction (so a change is heard only once it is
 * committed). When the connection drops, listeners hear `stale`, and the listener reconnects with
 * a growing pause; back, it hears `live` and, when changes were numbered meanwhile, one `changed`
 * to catch up (views re-read the state, so one is enough).
 */
import type { Client } from 'pg';

export const CHANNEL = 'flowport_changes';

/** What one write announces. */
export interface ChangeNotice {
  /** The project it is in. */
  p: string;
  /** `deployment`, `cancel`, `lock`, `decision`, `log`. */
  k: string;
  /** The deployment it is about, when it is about one. */
  id?: string;
  /** Its number in `flowport_change_seq`. */
  s: number;
}

export type LiveEvent =
  { kind: 'changed'; notice?: ChangeNotice } | { kind: 'stale'; reason: string; since: string } | { kind: 'live' };

const MAX_PAUSE_MS = 5_000;

export class LiveChanges {
  private client: Client | undefined;
  private readonly listeners = new Set<(event: LiveEvent) => void>();
  private lastSeen = 0;
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private pauseMs = 200;
  private closed = false;
  /** Set while the connection is down: since when, and why. */
  stale: { reason: string; since: string } | undefined;

  constructor(
    private readonly url: string,
    private readonly project: string,
    private readonly connectTimeoutMs: number,
  ) {}

  /** Subscribes; the first subscriber opens the connection. Returns the unsubscribe. */
  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    void this.ensure();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.close();
    };
  }

  /** Resolves once listening (or once the first attempt failed: then it retries in the background). */
  ready(): Promise<void> {
    return this.ensure();
  }

  private ensure(): Promise<void> {
    if (this.closed) this.closed = false;
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const pg = await import('pg');
    const ClientClass = pg.default?.Client ?? pg.Client;
    const client = new ClientClass({
      connectionString: this.url,
      connectionTimeoutMillis: this.connectTimeoutMs,
      application_name: 'flowport-live',
      keepAlive: true,
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('the connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      // No schema yet (nothing migrated): listening still works; the first change is number 1.
      const seq = await client
        .query<{ last_value: string; is_called: boolean }>('SELECT last_value, is_called FROM flowport_change_seq')
        .catch((err: unknown) => {
          if ((err as { code?: unknown }).code === '42P01') return { rows: [] };
          throw err;
        });
      if (this.closed) {
        await client.end().catch(() => undefined);
        return;
      }
      // The socket must not keep a CLI run alive: the process ends when its work does.
      (client as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
      client.on('notification', (msg) => this.heard(msg.payload));
      this.client = client;
      this.pauseMs = 200;
      const row = seq.rows[0];
      const last = row?.is_called ? Number(row.last_value) : 0;
      const wasStale = this.stale !== undefined;
      this.stale = undefined;
      if (wasStale) this.emit({ kind: 'live' });
      if (wasStale && last !== this.lastSeen) this.emit({ kind: 'changed' });
      this.lastSeen = Math.max(this.lastSeen, last);
    } catch (err) {
      await client.end().catch(() => undefined);
      this.lost(undefined, err);
    }
  }

  private heard(payload: string | undefined): void {
    let notice: ChangeNotice;
    try {
      notice = JSON.parse(payload ?? '') as ChangeNotice;
    } catch {
      return;
    }
    if (notice.p !== this.project) return;
    if (typeof notice.s === 'number') this.lastSeen = Math.max(this.lastSeen, notice.s);
    this.emit({ kind: 'changed', notice });
  }

  private lost(client: Client | undefined, err: unknown): void {
    if (client && this.client !== client) return; // an old connection's late event
    this.client = undefined;
    if (client) void client.end().catch(() => undefined);
    if (this.closed || this.listeners.size === 0) return;
    if (!this.stale) {
      const reason = (err as { code?: string } | undefined)?.code ?? (err instanceof Error ? err.message : String(err));
      this.stale = { reason, since: new Date().toISOString() };
      this.emit({ kind: 'stale', ...this.stale });
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.ensure(), this.pauseMs);
    this.retryTimer.unref();
    this.pauseMs = Math.min(MAX_PAUSE_MS, this.pauseMs * 2);
  }

  private emit(event: LiveEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // one listener's failure is not another's
      }
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    if (client) void client.end().catch(() => undefined);
  }
}

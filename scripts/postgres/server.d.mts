export class InstallError extends Error {}
export function findPostgresBin(where?: { libDir?: string; pgConfig?: string }): string | undefined;
export function ensurePostgres(opts?: {
  log?: (msg: string) => void;
  libDir?: string;
  pgConfig?: string;
}): Promise<{ bin: string; version: string }>;
export function processGone(pid: number): boolean;
export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:<port>/flowport (trust auth, no password) */
  url: string;
  port: number;
  dataDir: string;
  socketDir: string;
  bin: string;
  pid(): number | undefined;
  restart(opts?: { downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}
export function startPostgres(opts?: {
  log?: (msg: string) => void;
  port?: number;
  settings?: Record<string, string | number | boolean>;
}): Promise<PostgresServer>;

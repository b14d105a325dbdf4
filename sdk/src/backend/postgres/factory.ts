/**
 * `postgresStore({ url })` in `flowport.config.ts`: the team store, bound to the project as the
 * config loads (like `localLedger()`). Nothing connects until the first read or write, and the
 * database client is loaded only then, so a project on the local ledger never loads it.
 */
import { checkFactoryOptions, unbound } from '../../config/bind.js';
import { UsageError } from '../../errors.js';
import { STORE_METHODS } from '../store.js';
import { PostgresStore, type PostgresStoreOptions } from './store.js';

export type PostgresStoreConfig = Omit<PostgresStoreOptions, 'root' | 'url' | 'warn'> & {
  /** `process.env.FLOWPORT_DATABASE_URL`, say: left undefined, every deploy is refused with what to set. */
  url: string | undefined;
};

const EXAMPLE = 'deployments: postgresStore({ url: process.env.FLOWPORT_DATABASE_URL })';

export function postgresStore(config: PostgresStoreConfig): PostgresStore {
  checkFactoryOptions(
    'postgresStore',
    config,
    ['url', 'project', 'migrate', 'connectTimeoutMs', 'pendingLeaseMs', 'pollMs'],
    EXAMPLE,
  );
  if (config === undefined || !('url' in config))
    throw new UsageError(`postgresStore() needs the database's URL: ${EXAMPLE}`);
  const { url, ...rest } = config;
  if (url !== undefined && (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url)))
    throw new UsageError(`postgresStore(): url must be a postgres:// URL: ${EXAMPLE}`);
  if (rest.project !== undefined && (typeof rest.project !== 'string' || rest.project.trim() === ''))
    throw new UsageError(
      "postgresStore(): project must be a non-empty name, e.g. postgresStore({ url, project: 'shop' })",
    );
  // Typed as the store it becomes: the project binds it before anything uses it.
  return unbound<PostgresStore>(
    'postgresStore',
    STORE_METHODS,
    (ctx) => new PostgresStore({ ...rest, url: url ?? '', root: ctx.root }),
  );
}

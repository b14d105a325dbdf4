/**
 * `flowport state migrate`: brings the team store's schema to this Flowport's version, and with
 * `--from local --to <url>` copies the project's local history (deployments and their logs, the
 * locks that hold, approval decisions) into the team store once. Copying again copies nothing new.
 */
import { parseArgs } from 'node:util';
import { LocalLedger } from '../backend/ledger.js';
import { PostgresStore, type ImportCounts, type ImportRecords } from '../backend/postgres/store.js';
import type { MigrateResult } from '../backend/postgres/schema.js';
import { UsageError } from '../errors.js';
import { FINAL_STATUSES } from '../model.js';
import { openProject } from '../project.js';
import type { CommandIO } from './main.js';
import { rootOption, type FlagSpecs } from './options.js';
import { USAGE } from './usage.js';

/** The `--json` output of `flowport state migrate`. */
export interface StateMigrateOutput {
  /** Where, without the password. */
  store: string;
  schema: MigrateResult;
  /** With `--from local`: what was copied, and what was there already. */
  copied?: ImportCounts & { unfinished: number };
}

/** Every flag `flowport state` takes; `--help` lists each (test/unit/cli/usage.test.ts checks). */
export const OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  project: { type: 'string' },
  root: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies FlagSpecs;

export async function stateCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  if (positionals[0] !== 'migrate' || positionals.length > 1)
    throw new UsageError(`flowport state takes one action, migrate: ${USAGE.state}`);
  if (values.from !== undefined && values.from !== 'local')
    throw new UsageError(`--from ${values.from}: only the local ledger can be copied from (--from local)`);
  if (values.from !== undefined && values.to === undefined)
    throw new UsageError('--from local copies into a team store: name it with --to postgres://user@host/db');
  const root = rootOption(values.root);
  const store = await targetStore(root, values.to, values.project);
  const schema = await store.migrate();
  const output: StateMigrateOutput = { store: store.where, schema };
  if (values.from === 'local') output.copied = await copyLocal(root, store);
  if (values.json) {
    io.out(JSON.stringify(output, null, 2));
    return 0;
  }
  io.out(
    schema.applied.length
      ? `Migrated the schema of ${store.where} from version ${schema.from} to ${schema.to}.`
      : `The schema of ${store.where} is at version ${schema.to}: nothing to migrate.`,
  );
  const c = output.copied;
  if (c) {
    io.out(
      `Copied from the local ledger into project "${store.project}": ${c.deployments} deployments (${c.logs} logs), ` +
        `${c.locks} locks, ${c.decisions} approval decisions; ${c.skipped} deployments were there already.`,
    );
    if (c.unfinished)
      io.out(`Not copied: ${c.unfinished} deployments still unfinished here; copy again once they end.`);
  }
  return 0;
}

/** The store `--to` names, else the configured one (which must be the team store). */
async function targetStore(root: string, to: string | undefined, project: string | undefined): Promise<PostgresStore> {
  if (to !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(to)) throw new UsageError(`--to ${to}: not a postgres:// URL`);
    return new PostgresStore({ url: to, root, ...(project === undefined ? {} : { project }) });
  }
  const configured = (await openProject(root)).store;
  if (configured instanceof PostgresStore || configured.constructor?.name === 'PostgresStore')
    return configured as PostgresStore;
  throw new UsageError(
    'this project records deploys in the local ledger, which has no schema to migrate. ' +
      'Point it at the team store (deployments: postgresStore({ url: process.env.FLOWPORT_DATABASE_URL })), or name one with --to',
  );
}

async function copyLocal(root: string, store: PostgresStore): Promise<StateMigrateOutput['copied']> {
  const ledger = new LocalLedger({ root });
  const history = await ledger.findDeployments({ history: true });
  const finished = history.filter((d) => FINAL_STATUSES.includes(d.status));
  const deployments: ImportRecords['deployments'] = [];
  for (const d of finished) {
    const log = await ledger.readLog(d.id).catch(() => undefined);
    deployments.push({ deployment: d, ...(log ? { log: log.text } : {}) });
  }
  const counts = await store.importRecords({
    deployments,
    current: await ledger.findDeployments(),
    locks: await ledger.locks(),
    decisions: await ledger.decisions(),
  });
  return { ...counts, unfinished: history.length - finished.length };
}

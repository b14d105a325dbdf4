import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import { lockOn, type EnvLock } from '../backend/locks.js';
import { FINAL_STATUSES, type DeploymentDetails } from '../model.js';
import { openProject } from '../project.js';
import type { CommandIO } from './main.js';
import { rootOption, type FlagSpecs } from './options.js';
import { checkEnvironment, formatAge, shortCommit } from './run-output.js';
import { formatTable, secretsShown, shownDeployment } from './table.js';

/** One flow × environment: what runs there and the most recent attempt (the same one when that succeeded). */
export interface MatrixCell {
  current: DeploymentDetails | null;
  latest: DeploymentDetails | null;
  /** The lock that refuses deploys here (the environment's, else the flow's), or null. */
  lock: EnvLock | null;
  /** Unfinished deployments behind the one whose turn it is, in the order they run. */
  queued: DeploymentDetails[];
  /** Deployments here waiting for approval. */
  awaitingApproval: DeploymentDetails[];
}

export interface MatrixRow {
  flow: string;
  /** False for a flow that has deployments but is no longer found in the source. */
  inSource: boolean;
  environments: Record<string, MatrixCell>;
}

/** The `--json` output of `flowport deployments`. */
export interface DeploymentMatrix {
  environments: string[];
  flows: MatrixRow[];
}

/** Every flag `flowport deployments` takes; `--help` lists each (test/unit/cli/usage.test.ts checks). */
export const OPTIONS = {
  flow: { type: 'string', multiple: true },
  env: { type: 'string', multiple: true },
  root: { type: 'string' },
  json: { type: 'boolean', default: false },
  'show-secrets': { type: 'boolean', default: false },
  'no-cache': { type: 'boolean', default: false },
} as const satisfies FlagSpecs;

/** `flowport deployments`: flows × environments, with short commit, status and age. */
export async function deploymentsCommand(args: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: OPTIONS,
    strict: true,
  });
  const reveal = secretsShown(values['show-secrets']);
  const project = await openProject(rootOption(values.root), { cache: !values['no-cache'] });
  for (const env of values.env ?? []) checkEnvironment(project, env, '--env');
  const envs = values.env?.length
    ? project.environments.map((e) => e.name).filter((e) => values.env!.includes(e))
    : project.environments.map((e) => e.name);
  const wanted = values.flow?.length ? values.flow : undefined;

  const sourceFlows = (await project.flows.findFlows()).map((f) => f.name);
  const query = { envs, ...(wanted ? { flows: wanted } : {}) };
  const [current, history, locks] = await Promise.all([
    project.deployments.findDeployments(query),
    project.deployments.findDeployments({ ...query, history: true }),
    project.store.locks?.() ?? [],
  ]);
  const stale = staleness(project.store);
  if (stale) io.err(`flowport: warning: ${stale}`);
  const names = [...new Set([...sourceFlows, ...history.map((d) => d.flowName)])].filter(
    (f) => !wanted || wanted.includes(f),
  );
  for (const f of wanted ?? []) {
    if (!names.includes(f))
      throw new UsageError(
        `unknown flow "${f}": not in the source and never deployed. "flowport flows" lists the flows.`,
      );
  }
  const matrix: DeploymentMatrix = {
    environments: envs,
    flows: names.map((flow) => ({
      flow,
      inSource: sourceFlows.includes(flow),
      environments: Object.fromEntries(
        envs.map((env) => {
          const mine = (d: DeploymentDetails) => d.flowName === flow && d.env === env;
          const shown = (d: DeploymentDetails | undefined) => (d ? shownDeployment(d, reveal) : null);
          const unfinished = history.filter((d) => mine(d) && !FINAL_STATUSES.includes(d.status));
          const cell: MatrixCell = {
            current: shown(current.filter(mine).at(-1)),
            latest: shown(history.filter(mine).at(-1)),
            lock: lockOn(locks, flow, env) ?? null,
            queued: unfinished.slice(1).map((d) => shownDeployment(d, reveal)),
            awaitingApproval: unfinished
              .filter((d) => d.attributes.awaiting === 'approval')
              .map((d) => shownDeployment(d, reveal)),
          };
          return [env, cell];
        }),
      ),
    })),
  };

  if (values.json) {
    io.out(JSON.stringify(matrix, null, 2));
    return 0;
  }
  if (matrix.flows.length === 0) {
    io.out(`No flows found under ${project.root}, and nothing deployed yet.`);
    return 0;
  }
  const now = Date.now();
  let dirty = false;
  const describe = (d: DeploymentDetails) => {
    if (d.attributes.dirty === true) dirty = true;
    return `${shortCommit(d.commit)}${d.attributes.dirty === true ? '*' : ''} ${d.status} ${formatAge(d.updatedAt, now)}`;
  };
  const rows = matrix.flows.map((row) => [
    row.inSource ? row.flow : `${row.flow} (not in source)`,
    ...envs.map((env) => {
      const cell = row.environments[env]!;
      const { current: c, latest: l } = cell;
      const text =
        !c && !l
          ? '-'
          : c && (!l || l.id === c.id)
            ? describe(c)
            : !c
              ? describe(l!)
              : `${describe(c)}, then ${describe(l!)}`;
      return text + marks(cell);
    }),
  ]);
  io.out(formatTable(['FLOW', ...envs.map((e) => e.toUpperCase())], rows));
  if (dirty) io.out('\n* deployed with uncommitted changes');
  return 0;
}

/** What else stands in a cell: a lock, deploys waiting their turn or an approval. */
function marks(cell: MatrixCell): string {
  const parts: string[] = [];
  if (cell.lock) parts.push(`locked by ${cell.lock.by}`);
  const approving = new Set(cell.awaitingApproval.map((d) => d.id));
  const waiting = cell.queued.filter((d) => !approving.has(d.id)).length;
  if (waiting > 0) parts.push(`${waiting} queued`);
  if (cell.awaitingApproval.length > 0) parts.push(`${cell.awaitingApproval.length} awaiting approval`);
  return parts.length ? ` [${parts.join('; ')}]` : '';
}

/** What a read of a store that could not be reached answered with instead: the state last seen, and since when. */
export function staleness(store: object): string | undefined {
  const fresh = (
    store as { freshness?: () => { where: string; stale?: { since: string; reason: string } } }
  ).freshness?.();
  return fresh?.stale
    ? `the team store at ${fresh.where} cannot be reached (${fresh.stale.reason}): this is the state last seen, at ${fresh.stale.since}; it may be out of date.`
    : undefined;
}

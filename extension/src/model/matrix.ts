/**
 * The view model shared by the tree, CodeLens and the board: flows × environments, computed only
 * from FlowDetails, DeploymentDetails and the configured environments. No `vscode` import, so it
 * is unit-tested in plain Node and bundled into the webview as is.
 */
import {
  FINAL_STATUSES,
  type DeploymentDetails,
  type DeploymentStatus,
  type FlowDetails,
} from '../../../sdk/src/model';
import { approvalOf, type ApprovalRequest } from '../../../sdk/src/backend/approvals';
import type { EnvLock } from '../../../sdk/src/backend/locks';
import { ordinal } from '../../../sdk/src/runner/queue';

/**
 * Whether a deployment (or a cell's status) is still to end: pending, queued (waiting its turn or
 * an approval) or running. The one test of "active" for every view: its runner may be asked to
 * cancel it, and its log grows.
 */
export function isActiveStatus(status: DeploymentStatus | 'never'): boolean {
  return status !== 'never' && !FINAL_STATUSES.includes(status);
}

/** Where a queued deploy stands: `queued, 2nd behind 20261201-…`. */
export interface QueueSpot {
  /** 2 for the first one waiting behind the running one. */
  place: number;
  /** The deployment at the head of the pair's queue (running, or about to). */
  behind: DeploymentDetails;
}

/** A deploy waiting for approval: who asked, and the policy it waits under. */
export interface AwaitingApproval {
  deployment: DeploymentDetails;
  request: ApprovalRequest;
}

export interface EnvironmentInfo {
  name: string;
  protected?: boolean;
  url?: string;
}

/** One flow in one environment. */
export interface EnvCell {
  env: string;
  /** What runs there: the latest succeeded deployment. */
  current?: DeploymentDetails;
  /** The latest deployment of any status (running, failed …); may equal `current`. */
  latest?: DeploymentDetails;
  /** What the status icon shows: the latest attempt's status, or `never` when none exists. */
  status: DeploymentStatus | 'never';
  /** The previous environment runs a different commit than this one: a promote is pending. */
  behind: boolean;
  /** Previous environment's name, when there is one. */
  previousEnv?: string;
  /** The next environment in promotion order, when there is one. */
  nextEnv?: string;
  /** The lock that refuses a deploy of this flow here (the environment's, else the flow's), if one holds. */
  lock?: EnvLock;
  /** The latest attempt waits its turn behind another deploy of the flow here. */
  queued?: QueueSpot;
  /** The latest attempt waits for approval. */
  awaiting?: AwaitingApproval;
  /** The unfinished deployments of the flow here, in the order they run (the first one runs). */
  unfinished: DeploymentDetails[];
  /** How many releases (succeeded deployments) there are: a rollback needs an earlier one. */
  releases: number;
  /** The last preflight of the flow here was refused by failing pre-deploy checks: nothing was recorded. */
  failedCheck?: FailedCheck;
  /**
   * The flow's dependencies (flows it reads an `output()` of) that have no succeeded deployment
   * here, in the config's order: a deploy here is refused, and a promote to here blocked, until
   * each runs here. Empty when the flow has none, or all of them run here.
   */
  missingDependencies: string[];
  /**
   * Why a promote to here is blocked by a dependency, as the SDK refuses it: `db does not run in
   * prod yet — promote db first` (or `deploy db to dev first` when no environment before this one
   * runs it). Names the first missing dependency; absent when none is missing.
   */
  dependencyBlock?: string;
}

/** A failing pre-deploy check, as the editor saw it: its name, its message and its output's last lines. */
export interface FailedCheckResult {
  name: string;
  message: string;
  output: string[];
}

/**
 * A refusal by failing pre-deploy checks, kept (in memory, by the editor) per flow × environment
 * until a later preflight of the pair passes or a deploy of it starts. `run` is what was refused,
 * so Override Checks… and Run Checks Again run it again.
 */
export interface FailedCheck {
  checks: FailedCheckResult[];
  run: { action: 'deploy' | 'promote' | 'rollback'; from?: string; to?: string; ref?: string };
  /** ISO time of the refusal. */
  at: string;
}

/** The failed check of a flow in an environment, if its last preflight was refused by one. */
export type FailedCheckLookup = (flowName: string, env: string) => FailedCheck | undefined;

/** `check failed: ci status` (and `+1` for more): short, for a row or a cell. */
export function describeFailedCheck(failed: FailedCheck): string {
  const [first] = failed.checks;
  const more = failed.checks.length - 1;
  return `check failed: ${first?.name ?? '?'}${more > 0 ? ` +${more}` : ''}`;
}

export interface FlowRow {
  flow: FlowDetails;
  cells: EnvCell[];
  /** The flows this one reads an `output()` of, in the config's order. */
  dependencies: string[];
  /** The flows that read an `output()` of this one, sorted. */
  dependents: string[];
}

/**
 * Flow name → the flows it reads an `output()` of (ProjectState.dependencies, from the config's
 * `releases`). A flow not in it has no dependencies.
 */
export type DependencyMap = Readonly<Record<string, readonly string[]>>;

/** The flows that read an `output()` of `flowName`, sorted. */
export function dependentsOf(dependencies: DependencyMap, flowName: string): string[] {
  return Object.entries(dependencies)
    .filter(([, deps]) => deps.includes(flowName))
    .map(([flow]) => flow)
    .sort((a, b) => a.localeCompare(b));
}

export interface GroupNode {
  /** Folder path (`src/billing`), '' for flows at the root. */
  key: string;
  rows: FlowRow[];
}

/** What the index keeps per flow × environment. */
export interface PairSlot {
  current?: DeploymentDetails;
  latest?: DeploymentDetails;
  /** Unfinished ones in the store's order, which is the queue's. */
  unfinished: DeploymentDetails[];
  releases: number;
}

/** Indexes deployments (in the store's order) by `flowName\u0000env` → current, latest and the queue. */
export function indexDeployments(deployments: readonly DeploymentDetails[]): Map<string, PairSlot> {
  const byKey = new Map<string, PairSlot>();
  for (const d of deployments) {
    const key = `${d.flowName}\u0000${d.env}`;
    const slot = byKey.get(key) ?? { unfinished: [], releases: 0 };
    if (!slot.latest || newer(d, slot.latest)) slot.latest = d;
    if (d.status === 'succeeded') {
      slot.releases++;
      if (!slot.current || newer(d, slot.current)) slot.current = d;
    }
    if (isActiveStatus(d.status)) slot.unfinished.push(d);
    byKey.set(key, slot);
  }
  return byKey;
}

/** Whether a deployment waits for an approval (recorded `queued`, `attributes.awaiting`). */
export function awaitsApproval(d: DeploymentDetails | undefined): boolean {
  return d !== undefined && d.status === 'queued' && d.attributes.awaiting === 'approval';
}

/** `queued, 2nd behind 20261201-…`: a queued deploy's place, in the CLI's words. */
export function describeQueueSpot(spot: QueueSpot): string {
  return `queued, ${ordinal(spot.place)} behind ${spot.behind.id}`;
}

export type { EnvLock };

/**
 * The lock that refuses a deploy of a flow to an environment, if one holds: locks.ts's `lockOn`
 * over the folder's locks, handed in (this module is bundled into the webview, which takes no
 * Node modules).
 */
export type LockLookup = (flowName: string, env: string) => EnvLock | undefined;

function newer(a: DeploymentDetails, b: DeploymentDetails): boolean {
  return a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id);
}

export function buildRow(
  flow: FlowDetails,
  environments: readonly EnvironmentInfo[],
  index: ReturnType<typeof indexDeployments>,
  lockFor: LockLookup = () => undefined,
  failedCheckFor: FailedCheckLookup = () => undefined,
  dependencyMap: DependencyMap = {},
): FlowRow {
  const dependencies = [...(dependencyMap[flow.name] ?? [])];
  const runsIn = (dep: string, env: string) => index.get(`${dep}\u0000${env}`)?.current !== undefined;
  const cells: EnvCell[] = [];
  environments.forEach((env, i) => {
    const slot = index.get(`${flow.name}\u0000${env.name}`) ?? { unfinished: [], releases: 0 };
    const previous = cells[i - 1];
    const prevCommit = previous?.current?.commit;
    const cell: EnvCell = {
      env: env.name,
      current: slot.current,
      latest: slot.latest,
      status: slot.latest?.status ?? 'never',
      behind: prevCommit !== undefined && prevCommit !== slot.current?.commit,
      previousEnv: previous?.env,
      nextEnv: environments[i + 1]?.name,
      unfinished: slot.unfinished,
      releases: slot.releases,
      missingDependencies: dependencies.filter((dep) => !runsIn(dep, env.name)),
    };
    const [missing, ...others] = cell.missingDependencies;
    if (missing !== undefined) {
      const earlier = environments.slice(0, i).some((e) => runsIn(missing, e.name));
      const fix = earlier ? `promote ${missing} first` : `deploy ${missing} to ${environments[0]!.name} first`;
      const more = others.length ? ` (and ${others.join(', ')})` : '';
      cell.dependencyBlock = `${missing} does not run in ${env.name} yet — ${fix}${more}`;
    }
    const lock = lockFor(flow.name, env.name);
    if (lock) cell.lock = lock;
    const failedCheck = failedCheckFor(flow.name, env.name);
    if (failedCheck) cell.failedCheck = failedCheck;
    const latest = slot.latest;
    const place = latest ? slot.unfinished.indexOf(latest) : -1;
    if (latest?.status === 'queued' && place > 0) cell.queued = { place: place + 1, behind: slot.unfinished[0]! };
    const request = latest && awaitsApproval(latest) ? approvalOf(latest) : undefined;
    if (latest && request) cell.awaiting = { deployment: latest, request };
    cells.push(cell);
  });
  return { flow, cells, dependencies, dependents: dependentsOf(dependencyMap, flow.name) };
}

/** Dependencies that do not run in an environment the flow would go to next. */
export interface UnmetInputs {
  env: string;
  /** The flows it reads outputs of that have no succeeded deployment in `env`, in the config's order. */
  flows: string[];
  /** The first one and its fix, as EnvCell.dependencyBlock. */
  reason: string;
}

/**
 * Where a flow's next step is held back by its inputs: each environment it would go to next (the
 * first one, while it runs nowhere; else each one after an environment that runs it and that runs
 * another commit or nothing) whose dependencies do not all run there. For the CodeLens's
 * `needs db in uat`.
 */
export function unmetInputs(row: FlowRow): UnmetInputs[] {
  return row.cells.flatMap((cell, i) => {
    const previous = row.cells[i - 1];
    const next = i === 0 ? !row.cells.some((c) => c.current) : previous?.current !== undefined && cell.behind;
    if (!next || !cell.dependencyBlock) return [];
    return [{ env: cell.env, flows: [...cell.missingDependencies], reason: cell.dependencyBlock }];
  });
}

/** Groups rows by folder, groups and rows sorted by name so the view is stable. */
export function buildGroups(
  flows: readonly FlowDetails[],
  environments: readonly EnvironmentInfo[],
  deployments: readonly DeploymentDetails[],
  lockFor: LockLookup = () => undefined,
  failedCheckFor: FailedCheckLookup = () => undefined,
  dependencyMap: DependencyMap = {},
): GroupNode[] {
  const index = indexDeployments(deployments);
  const groups = new Map<string, FlowRow[]>();
  for (const flow of flows) {
    const key = flow.grouping.join('/');
    const row = buildRow(flow, environments, index, lockFor, failedCheckFor, dependencyMap);
    const rows = groups.get(key);
    if (rows) rows.push(row);
    else groups.set(key, [row]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, rows]) => ({ key, rows: rows.sort((a, b) => a.flow.name.localeCompare(b.flow.name)) }));
}

/** What the compact summary shows after an environment's commit for its latest attempt. */
export const STATUS_MARKS: Record<EnvCell['status'], string> = {
  succeeded: '✓',
  failed: '✗',
  running: '…',
  pending: '…',
  queued: '⋯',
  cancelled: '⊘',
  interrupted: '↯',
  never: '',
};

/**
 * One flow's environments on one line, for a collapsed row: `dev ✓ · uat — · prod …`, the mark
 * of each environment's latest attempt (✓ succeeded, ✗ failed, … running, — never deployed).
 * Short enough for a sidebar next to the flow's name; the commits are in the rows below.
 */
export function rowSummary(row: FlowRow): string {
  return row.cells.map((cell) => `${cell.env} ${STATUS_MARKS[cell.status] || '—'}`).join(' · ');
}

export function shortCommit(commit: string | undefined): string {
  return commit ? commit.slice(0, 7) : '—';
}

/** "3m ago", "2h ago", "5d ago": compact, like the Git views. */
export function relativeAge(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '';
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (seconds < 45) return 'just now';
  const [size, unit] =
    seconds < 3600
      ? [60, 'm']
      : seconds < 86400
        ? [3600, 'h']
        : seconds < 86400 * 30
          ? [86400, 'd']
          : seconds < 86400 * 365
            ? [86400 * 30, 'mo']
            : [86400 * 365, 'y'];
  return `${Math.max(1, Math.round(seconds / size))}${unit} ago`;
}

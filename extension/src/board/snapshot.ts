/**
 * What the board shows, built from the same view model as the tree (model/matrix.ts) and sent to
 * the webview as plain data. No `vscode` import: unit-tested in plain Node and used by the bench.
 */
import { FINAL_STATUSES, type DeploymentDetails, type FlowDetails } from '../../../sdk/src/model';
import type {
  BoardCell,
  BoardConfigError,
  BoardFolder,
  BoardRow,
  CommitDistance,
  GroupPromote,
  HistoryEntry,
  HistoryStep,
  PromoteSlot,
} from '../../../webview/protocol';
import type { CommitPair } from '../../../sdk/src/host/protocol';
import { displayOutput, isSecretOutput, maskUrlCredentials } from '../../../sdk/src/secrets';
import { releasesOf } from '../../../sdk/src/backend/releases';
import { stepsOf } from '../../../sdk/src/runner/step-progress';
import { stepSummary, targetDetail } from '../model/steps';
import {
  buildGroups,
  describeQueueSpot,
  isActiveStatus,
  shortCommit,
  type DependencyMap,
  type EnvCell,
  type EnvironmentInfo,
  type FlowRow,
  type FailedCheckLookup,
  type LockLookup,
} from '../model/matrix';

export interface FolderInput {
  key: string;
  name: string;
  environments: readonly EnvironmentInfo[];
  flows: readonly FlowDetails[];
  deployments: readonly DeploymentDetails[];
  /** The lock that holds a flow in an environment, if one does (none: no locks). */
  lockFor?: LockLookup;
  /** The failed pre-deploy check of a flow in an environment, if its last preflight was refused by one. */
  failedCheckFor?: FailedCheckLookup;
  /** Flow name → the flows it reads an `output()` of (ProjectState.dependencies); none: no dependencies. */
  dependencies?: DependencyMap;
  /** The config failed to load: the board shows this and nothing else for the folder. */
  configError?: BoardConfigError;
  problem?: string;
}

/** A known distance, `null` when git cannot tell (unknown commit), `undefined` when not asked yet. */
export type DistanceLookup = (pair: CommitPair) => CommitDistance | null | undefined;

export function pairKey({ base, head }: CommitPair): string {
  return `${base}..${head}`;
}

/** The board of one folder, and the commit pairs whose distance `distance` did not know yet. */
export function buildBoardFolder(
  input: FolderInput,
  distance: DistanceLookup,
): { folder: BoardFolder; missing: CommitPair[] } {
  const missing = new Map<string, CommitPair>();
  const groups = buildGroups(
    input.flows,
    input.environments,
    input.deployments,
    input.lockFor,
    input.failedCheckFor,
    input.dependencies,
  ).map((g) => ({
    key: g.key,
    rows: g.rows.map((row) => boardRow(row, distance, missing)),
    promotes: input.environments
      .slice(1)
      .map((to, i) => groupPromote(g.key, g.rows, { from: input.environments[i]!.name, to: to.name }, i)),
  }));
  const folder: BoardFolder = {
    key: input.key,
    name: input.name,
    envs: input.environments.map((e) => ({ name: e.name, protected: e.protected === true })),
    groups,
  };
  if (input.configError) folder.configError = input.configError;
  if (input.problem) folder.problem = input.problem;
  return { folder, missing: [...missing.values()] };
}

function boardRow(row: FlowRow, distance: DistanceLookup, missing: Map<string, CommitPair>): BoardRow {
  const cells = row.cells.map((cell, i) => boardCell(cell, row.cells[i - 1], distance, missing));
  const promotes = row.cells.slice(1).map((to, i) => promoteSlot(row.cells[i]!, to));
  const { flow } = row;
  return {
    flowId: flow.id,
    name: flow.name,
    description: flow.description,
    source: `${flow.sourceRelative}:${flow.line}`,
    cells,
    promotes,
    dependencies: row.dependencies,
    dependents: row.dependents,
  };
}

function boardCell(
  cell: EnvCell,
  previous: EnvCell | undefined,
  distance: DistanceLookup,
  missing: Map<string, CommitPair>,
): BoardCell {
  const out: BoardCell = { env: cell.env, status: cell.status };
  const { current, latest } = cell;
  if (current) {
    out.commit = current.commit;
    out.deployedAt = current.updatedAt;
    out.initiator = current.initiator;
  }
  if (latest && latest !== current) {
    out.latest = { commit: latest.commit, at: latest.updatedAt, initiator: latest.initiator };
  }
  if (latest && isActiveStatus(latest.status)) out.running = { deploymentId: latest.id };
  if (cell.lock) {
    const { by, at, reason, flowName } = cell.lock;
    out.lock = { by, at, reason, ...(flowName === undefined ? {} : { flowName }) };
  }
  if (cell.queued)
    out.queued = { place: cell.queued.place, behind: cell.queued.behind.id, behindStatus: cell.queued.behind.status };
  if (cell.awaiting) {
    const { deployment, request } = cell.awaiting;
    out.awaiting = {
      deploymentId: deployment.id,
      requestedBy: request.requestedBy,
      required: request.required,
      expiresAt: request.expiresAt,
    };
  }
  if (cell.failedCheck) {
    // Kept masked (model/failed-checks.ts): names, messages and last lines only, no env values.
    const { checks, run, at } = cell.failedCheck;
    out.failedCheck = {
      checks: checks.map((c) => ({ name: c.name, message: c.message, output: [...c.output] })),
      action: run.action,
      at,
    };
  }
  if (cell.dependencyBlock) out.needs = { flows: [...cell.missingDependencies], reason: cell.dependencyBlock };
  const head = previous?.current?.commit;
  if (cell.behind && previous && head) {
    out.behind = { env: previous.env };
    if (current) {
      const pair = { base: current.commit, head };
      const known = distance(pair);
      if (known) out.behind.distance = known;
      else if (known === undefined) missing.set(pairKey(pair), pair);
    }
  }
  return out;
}

/**
 * Whether `from`'s version can be promoted to `to`, and if not, why (shown on the button): what
 * blocks it on the target first (a lock, a deploy waiting for approval, a queue, a running deploy,
 * then a dependency that does not run there yet).
 */
export function promoteSlot(from: EnvCell, to: EnvCell): PromoteSlot {
  const slot: PromoteSlot = { from: from.env, to: to.env };
  const commit = from.current?.commit;
  const blocked = (blockedBy: NonNullable<PromoteSlot['blockedBy']>, reason: string) => {
    slot.reason = reason;
    slot.blockedBy = blockedBy;
  };
  if (!commit) slot.reason = `Nothing to promote: ${from.env} runs no version yet`;
  else if (to.lock)
    blocked(
      'lock',
      `${to.env} is locked by ${to.lock.by} since ${to.lock.at}${to.lock.reason ? `: "${to.lock.reason}"` : ''}. Unlock it first`,
    );
  else if (to.awaiting)
    blocked(
      'approval',
      `A deploy to ${to.env} waits for approval (asked by ${to.awaiting.request.requestedBy}): approve or reject it first`,
    );
  else if (to.queued)
    blocked('queue', `A deploy to ${to.env} is ${describeQueueSpot(to.queued)}: a promote would wait behind it`);
  else if (to.latest && isActiveStatus(to.latest.status)) blocked('running', `A deploy to ${to.env} is running`);
  // The host refuses it the same way (the SDK's dependency check), with the same fix.
  else if (to.dependencyBlock && to.current?.commit !== commit) blocked('dependency', `blocked: ${to.dependencyBlock}`);
  else if (to.current?.commit === commit) {
    slot.reason = `Already at ${shortCommit(commit)}: ${to.env} runs the same commit as ${from.env}`;
  }
  if (commit) slot.commit = commit;
  return slot;
}

/**
 * A group header's Promote from environment `i` to `i + 1`: the flows whose `from` runs a version
 * `to` does not (what the tree's multi-select would send). A flow a dependency holds back stays in:
 * the dependency may be in the group, and the plan promotes it first; the host refuses what cannot go.
 */
export function groupPromote(
  groupKey: string,
  rows: readonly FlowRow[],
  { from, to }: { from: string; to: string },
  i: number,
): GroupPromote {
  const going = rows.filter((row) => {
    const commit = row.cells[i]?.current?.commit;
    return commit !== undefined && row.cells[i + 1]?.current?.commit !== commit;
  });
  const out: GroupPromote = { from, to, flowIds: going.map((r) => r.flow.id), names: going.map((r) => r.flow.name) };
  if (going.length === 0) {
    const ran = rows.some((row) => row.cells[i]?.current);
    out.reason = ran
      ? `Nothing to promote: every flow of ${groupKey || '(root)'} that runs in ${from} runs the same commit in ${to}`
      : `Nothing to promote: no flow of ${groupKey || '(root)'} runs in ${from} yet`;
  }
  return out;
}

/** A deployment's steps for the history: each step's summary and each target's detail, as the tree words them. */
export function historySteps(deployment: DeploymentDetails): HistoryStep[] | undefined {
  const steps = stepsOf(deployment);
  if (!steps?.length) return undefined;
  return steps.map((s) => ({
    name: s.name,
    group: s.group,
    status: s.status,
    summary: stepSummary(s),
    targets: s.targets.map((t) => ({
      target: t.target,
      status: t.status,
      // A reason is a command's words: a URL's password in it is masked, as elsewhere.
      detail: maskUrlCredentials(t.reason ? `${targetDetail(t)} · ${t.reason}` : targetDetail(t)),
    })),
  }));
}

/**
 * Which outputs are secret is the SDK's one policy (sdk/src/secrets.ts): declared in the
 * deployment's `attributes.secretOutputs` (by the deployer or a `::flowport-secret` line), or so
 * named. They reach the webview as `•••` (never their value, nor their ciphertext), and a URL's
 * password as `•••` too.
 */
export { isSecretOutput };

export function publicOutputs(deployment: DeploymentDetails): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(deployment.outputs)) out[name] = displayOutput(name, value, deployment);
  return out;
}

/** A flow's deployments to one environment, newest first, at most `limit`. */
export function historyEntries(
  deployments: readonly DeploymentDetails[],
  flowName: string,
  env: string,
  limit = 50,
): HistoryEntry[] {
  const pair = deployments.filter((d) => d.flowName === flowName && d.env === env);
  // Which succeeded ones are releases, and how each stands (current, rolled back, superseded).
  const releases = new Map(releasesOf(pair).map((r) => [r.deploymentId, r]));
  return pair
    .sort((a, b) => (a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt)))
    .slice(0, limit)
    .map((d) => {
      const entry: HistoryEntry = {
        id: d.id,
        status: d.status,
        commit: d.commit,
        ref: d.ref,
        initiator: d.initiator,
        createdAt: d.createdAt,
        updatedAt: d.updatedAt,
        hasLog: Boolean(d.logLocation),
        outputs: publicOutputs(d),
      };
      if (FINAL_STATUSES.includes(d.status))
        entry.durationMs = Math.max(0, Date.parse(d.updatedAt) - Date.parse(d.createdAt));
      if (d.url) entry.url = maskUrlCredentials(d.url);
      if (d.promotedFrom) entry.promotedFrom = d.promotedFrom.env;
      if (d.packageVersion) entry.packageVersion = d.packageVersion;
      const release = releases.get(d.id);
      if (release) entry.release = release.state;
      if (release?.rollback) entry.rollbackOf = release.rollback.restores;
      const steps = historySteps(d);
      if (steps) entry.steps = steps;
      return entry;
    });
}

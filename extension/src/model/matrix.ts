/**
 * The view model shared by the tree, CodeLens and the board: flows × environments, computed only
 * from FlowDetails, DeploymentDetails and the configured environments. No `vscode` import, so it
 * is unit-tested in plain Node and bundled into the webview as is.
 */
import type { DeploymentDetails, DeploymentStatus, FlowDetails } from '../../../sdk/src/model';

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
}

export interface FlowRow {
  flow: FlowDetails;
  cells: EnvCell[];
}

export interface GroupNode {
  /** Folder path (`src/billing`), '' for flows at the root. */
  key: string;
  rows: FlowRow[];
}

/** Indexes deployments by `flowName\u0000env` → current and latest. */
export function indexDeployments(
  deployments: readonly DeploymentDetails[],
): Map<string, { current?: DeploymentDetails; latest?: DeploymentDetails }> {
  const byKey = new Map<string, { current?: DeploymentDetails; latest?: DeploymentDetails }>();
  for (const d of deployments) {
    const key = `${d.flowName}\u0000${d.env}`;
    const slot = byKey.get(key) ?? {};
    if (!slot.latest || newer(d, slot.latest)) slot.latest = d;
    if (d.status === 'succeeded' && (!slot.current || newer(d, slot.current))) slot.current = d;
    byKey.set(key, slot);
  }
  return byKey;
}

function newer(a: DeploymentDetails, b: DeploymentDetails): boolean {
  return a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id);
}

export function buildRow(
  flow: FlowDetails,
  environments: readonly EnvironmentInfo[],
  index: ReturnType<typeof indexDeployments>,
): FlowRow {
  const cells: EnvCell[] = [];
  environments.forEach((env, i) => {
    const slot = index.get(`${flow.name}\u0000${env.name}`) ?? {};
    const previous = cells[i - 1];
    const prevCommit = previous?.current?.commit;
    cells.push({
      env: env.name,
      current: slot.current,
      latest: slot.latest,
      status: slot.latest?.status ?? 'never',
      behind: prevCommit !== undefined && prevCommit !== slot.current?.commit,
      previousEnv: previous?.env,
      nextEnv: environments[i + 1]?.name,
    });
  });
  return { flow, cells };
}

/** Groups rows by folder, groups and rows sorted by name so the view is stable. */
export function buildGroups(
  flows: readonly FlowDetails[],
  environments: readonly EnvironmentInfo[],
  deployments: readonly DeploymentDetails[],
): GroupNode[] {
  const index = indexDeployments(deployments);
  const groups = new Map<string, FlowRow[]>();
  for (const flow of flows) {
    const key = flow.grouping.join('/');
    const row = buildRow(flow, environments, index);
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

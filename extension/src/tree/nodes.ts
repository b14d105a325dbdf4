/**
 * One TreeItem class per node kind. `contextValue`s are space-separated words (`flow deployable`,
 * `env promotable hasUrl`) that package.json menus match with regex when-clauses.
 */
import * as vscode from 'vscode';
import type { DeploymentDetails, FlowDetails } from '../../../sdk/src/model';
import { displayOutput, isSecretOutput, maskUrlCredentials } from '../../../sdk/src/secrets';
import { describeLock, type EnvLock } from '../../../sdk/src/backend/locks';
import { isActive } from '../logs/follow';
import type { FolderState } from '../store';
import {
  describeFailedCheck,
  describeQueueSpot,
  relativeAge,
  rowSummary,
  shortCommit,
  type EnvCell,
  type FlowRow,
  type GroupNode,
} from '../model/matrix';
import type { StepItem, StepTargetItem } from './step-nodes';

export type FlowportNode =
  FolderNode | GroupItem | FlowItem | EnvItem | DetailItem | ProblemItem | StepItem | StepTargetItem;

export class FolderNode extends vscode.TreeItem {
  readonly kind = 'folder';
  constructor(readonly state: FolderState) {
    super(state.folder.name, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `folder:${state.folder.uri.toString()}`;
    this.iconPath = vscode.ThemeIcon.Folder;
    this.contextValue = 'folder refreshable';
  }
}

/**
 * A folder's config or SDK host problem, shown where its flows would be: the message, and a click
 * that leads to the fix (the config at the error's line, or a host restart).
 */
export class ProblemItem extends vscode.TreeItem {
  readonly kind = 'problem';
  constructor(
    readonly state: FolderState,
    message: string,
    command: vscode.Command,
  ) {
    super(message, vscode.TreeItemCollapsibleState.None);
    this.id = `problem:${state.folder.uri.toString()}`;
    this.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    this.tooltip = `${message}\n\n${command.title}`;
    this.command = command;
    this.contextValue = 'problem';
  }
}

/** The problems of a folder, if any: a config error or a host that failed. */
export function problemItems(state: FolderState): ProblemItem[] {
  const problem = state.project?.configProblem;
  if (problem) {
    // The message starts with the absolute path; the folder-relative one reads better in a view.
    const root = state.folder.uri.fsPath + '/';
    const text = problem.message.startsWith(root) ? problem.message.slice(root.length) : problem.message;
    return [new ProblemItem(state, text, { command: 'flowport.openConfig', title: 'Open the config at the error' })];
  }
  if (state.error) {
    return [
      new ProblemItem(state, `The SDK host failed: ${state.error}`, {
        command: 'flowport.restartHost',
        title: 'Restart the SDK host',
      }),
    ];
  }
  return [];
}

export class GroupItem extends vscode.TreeItem {
  readonly kind = 'group';
  constructor(
    readonly state: FolderState,
    readonly group: GroupNode,
  ) {
    super(group.key || '(root)', vscode.TreeItemCollapsibleState.Expanded);
    this.id = `group:${state.folder.uri.toString()}:${group.key}`;
    this.iconPath = new vscode.ThemeIcon('folder-library');
    this.description = `${group.rows.length} flow${group.rows.length === 1 ? '' : 's'}`;
    this.contextValue = 'group deployable refreshable';
  }
}

export class FlowItem extends vscode.TreeItem {
  readonly kind = 'flow';
  constructor(
    readonly state: FolderState,
    readonly row: FlowRow,
  ) {
    super(row.flow.name, vscode.TreeItemCollapsibleState.Collapsed);
    const flow = row.flow;
    this.id = `flow:${state.folder.uri.toString()}:${flow.id}`;
    // Where the flow runs, readable without expanding the row; its file is in the tooltip.
    this.description = rowSummary(row) + (row.dependencies.length ? ` · needs ${row.dependencies.join(', ')}` : '');
    const envLines = row.cells.map((c) => `- ${escape(c.env)}: ${escape(envDescription(c))}`).join('\n');
    // A lock of this flow (not of a whole environment) belongs to the flow's row too.
    const flowLocks = row.cells.flatMap((c) => (c.lock?.flowName === flow.name ? [c.lock] : []));
    const lockLines = flowLocks.map((l) => `\n\n$(lock) ${escape(describeLock(l))}`).join('');
    const names = (list: string[]) => list.map(escape).join(', ');
    const depLines =
      (row.dependencies.length ? `\n\n$(link) Needs ${names(row.dependencies)} (reads their outputs)` : '') +
      (row.dependents.length ? `\n\nRead by ${names(row.dependents)}` : '');
    this.tooltip = new vscode.MarkdownString(
      `**${escape(flow.name)}**${flow.description ? `\n\n${escape(flow.description)}` : ''}\n\n\`${escape(flow.sourceRelative)}:${flow.line}\`\n\n${envLines}${lockLines}${depLines}`,
      true,
    );
    this.iconPath = new vscode.ThemeIcon(flowIcon(row, flowLocks.length > 0));
    this.contextValue = `flow deployable refreshable${flowLocks.length ? ' flowLocked' : ''}`;
    // No click command: a click (like the twistie) expands the row; Open Flow Source is an action.
    this.resourceUri = vscode.Uri.file(flow.sourcePath);
  }
  get flow(): FlowDetails {
    return this.row.flow;
  }
}

/**
 * A flow with a deploy under way spins; one whose only unfinished deploys wait (their turn, or an
 * approval) shows a watch, not a spinner; else its lock, else the rocket.
 */
function flowIcon(row: FlowRow, locked: boolean): string {
  const unfinished = row.cells.flatMap((c) => c.unfinished);
  if (unfinished.some((d) => d.status !== 'queued')) return 'sync~spin';
  if (unfinished.length > 0) return 'watch';
  return locked ? 'lock' : 'rocket';
}

const STATUS_ICONS: Record<EnvCell['status'], [string, string | undefined]> = {
  pending: ['sync~spin', undefined],
  queued: ['watch', 'charts.yellow'],
  running: ['sync~spin', 'charts.blue'],
  succeeded: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  cancelled: ['circle-slash', 'disabledForeground'],
  interrupted: ['debug-disconnect', 'problemsWarningIcon.foreground'],
  never: ['circle-outline', 'disabledForeground'],
};

export class EnvItem extends vscode.TreeItem {
  readonly kind = 'env';
  constructor(
    readonly state: FolderState,
    /** The flow's whole row, so actions can look at the other environments. */
    readonly row: FlowRow,
    readonly cell: EnvCell,
  ) {
    super(
      cell.env,
      cell.current || cell.latest ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    this.id = `env:${state.folder.uri.toString()}:${row.flow.id}:${cell.env}`;
    const shown = cell.current ?? cell.latest;
    this.description = envDescription(cell);
    const [icon, color] = cell.lock
      ? ['lock', 'problemsWarningIcon.foreground']
      : cell.awaiting
        ? ['shield', 'charts.yellow']
        : cell.failedCheck && !isActive(cell.latest)
          ? ['workspace-untrusted', 'problemsErrorIcon.foreground']
          : STATUS_ICONS[cell.status];
    this.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    this.tooltip = envTooltip(cell, row.flow.id, row.cells[row.cells.indexOf(cell) + 1]);
    // Words for the menus (package.json when-clauses match them by regex): `locked` offers
    // Unlock, `lockable` Lock; `approvable` Approve and Reject; `rollbackable` Roll Back.
    const words = ['env', cell.lock ? 'locked' : 'lockable'];
    if (cell.awaiting) words.push('approvable');
    // `checkFailed` offers Override Checks… and Run Checks Again.
    if (cell.failedCheck) words.push('checkFailed');
    if (cell.releases >= 2) words.push('rollbackable');
    if (cell.current && cell.nextEnv) words.push('promotable');
    if (cell.current) words.push('comparable');
    if (shown?.url) words.push('hasUrl');
    const active = isActive(cell.latest);
    // A running deployment's log is followed live, even before its runner has written a line.
    if (cell.latest?.logLocation || active) words.push('hasLog');
    if (active) words.push('cancellable');
    words.push('deployable');
    this.contextValue = words.join(' ');
  }

  get flow(): FlowDetails {
    return this.row.flow;
  }
}

/**
 * `a1b2c3d · 3h ago`, then what happened since when it is not that version succeeding
 * (`· failed 5m ago`, `· running`), then `· behind dev`. Never deployed: `not deployed`.
 */
export function envDescription(cell: EnvCell): string {
  const parts: string[] = [];
  if (cell.current) parts.push(shortCommit(cell.current.commit), relativeAge(cell.current.updatedAt));
  const latest = cell.latest;
  if (latest && latest !== cell.current) {
    if (cell.awaiting)
      parts.push(
        `waiting for approval${cell.awaiting.request.plan ? ` of a plan of ${cell.awaiting.request.plan.steps.length}` : ''} (asked by ${cell.awaiting.request.requestedBy})`,
      );
    else if (cell.queued) parts.push(describeQueueSpot(cell.queued));
    else parts.push(isActive(latest) ? latest.status : `${latest.status} ${relativeAge(latest.updatedAt)}`);
  }
  if (parts.length === 0) parts.push('not deployed');
  if (cell.behind) parts.push(`behind ${cell.previousEnv}`);
  if (cell.lock) parts.push(lockWord(cell.lock));
  // First: what refused the last deploy here, readable in a narrow sidebar that cuts the rest.
  if (cell.failedCheck) parts.unshift(describeFailedCheck(cell.failedCheck));
  return parts.join(' · ');
}

/** `locked by ann@laptop`: short, for a row; the tooltip has the whole lock. */
function lockWord(lock: EnvLock): string {
  return `${lock.flowName === undefined ? 'locked' : 'flow locked'} by ${lock.by}`;
}

function envTooltip(cell: EnvCell, flowId: string, next?: EnvCell): vscode.MarkdownString {
  const md = new vscode.MarkdownString(
    `**${escape(cell.env)}** — ${cell.status === 'never' ? 'never deployed' : cell.awaiting ? 'waiting for approval' : cell.status}`,
    true,
  );
  const d = cell.current;
  if (d)
    md.appendMarkdown(
      `\n\nRuns \`${shortCommit(d.commit)}\` (${escape(d.ref)}), deployed by ${escape(d.initiator)} ${relativeAge(d.updatedAt)}`,
    );
  if (cell.latest && cell.latest !== d)
    md.appendMarkdown(`\n\nLatest attempt: ${cell.latest.status} ${relativeAge(cell.latest.updatedAt)}`);
  if (cell.queued)
    md.appendMarkdown(
      `\n\n$(watch) ${escape(describeQueueSpot(cell.queued))} (${escape(cell.queued.behind.status)}): it starts by itself when its turn comes. Cancel removes it from the queue.`,
    );
  if (cell.awaiting) {
    const { request } = cell.awaiting;
    md.appendMarkdown(
      `\n\n$(shield) Waits for approval: asked by ${escape(request.requestedBy)}, needs ${request.required} approval${request.required === 1 ? '' : 's'}${request.notInitiator ? ' by another identity' : ''}${request.expiresAt ? `, expires ${escape(new Date(request.expiresAt).toLocaleString())}` : ''}. Approve or Reject it from this row's menu.`,
    );
    // A plan of promotes asks once, here on its first deploy: approving it lets them all run in order.
    if (request.plan)
      md.appendMarkdown(
        `\n\n$(list-ordered) For the whole plan ${escape(request.plan.from)} → ${escape(request.plan.to)}: ${request.plan.steps.map((s) => `${escape(s.flow)} \`${shortCommit(s.commit)}\``).join(' → ')}. Once approved they run in this order without asking again.`,
      );
  }
  if (cell.lock)
    md.appendMarkdown(
      `\n\n$(lock) ${escape(describeLock(cell.lock))}. Deploy, promote and rollback are refused here until it is unlocked (Unlock, in this row's menu).`,
    );
  const enabled: string[] = [];
  if (cell.failedCheck) {
    const { run, checks, at } = cell.failedCheck;
    const what =
      run.action === 'promote'
        ? `A promote from ${run.from ?? '?'}`
        : run.action === 'rollback'
          ? 'A rollback'
          : 'A deploy';
    md.appendMarkdown(
      `\n\n$(workspace-untrusted) **${escape(describeFailedCheck(cell.failedCheck))}**: ${escape(what)} here was refused ${relativeAge(at)}; nothing was recorded.`,
    );
    for (const c of checks) {
      md.appendMarkdown(`\n\n✗ **${escape(c.name)}**: ${escape(c.message)}`);
      if (c.output.length) md.appendMarkdown(`\n\n${c.output.map((l) => `> ${escape(l)}`).join('  \n')}`);
    }
    const args = encodeURIComponent(JSON.stringify([flowId, cell.env]));
    md.appendMarkdown(
      `\n\n[$(warning) Override Checks…](command:flowport.overrideFailedCheck?${args} "Run it anyway, with a reason recorded") · [$(refresh) Run Checks Again](command:flowport.rerunChecks?${args} "Run the checks again; the mark goes when they pass")`,
    );
    enabled.push('flowport.overrideFailedCheck', 'flowport.rerunChecks');
  }
  if (cell.behind) md.appendMarkdown(`\n\nBehind **${escape(cell.previousEnv ?? '')}**: promote to bring it level.`);
  if (cell.dependencyBlock) md.appendMarkdown(`\n\n$(link) A deploy here is refused: ${escape(cell.dependencyBlock)}`);
  // The Promote action stays: the host refuses it with the same fix.
  if (cell.current && next?.dependencyBlock)
    md.appendMarkdown(`\n\n$(link) Promote to ${escape(next.env)} blocked: ${escape(next.dependencyBlock)}`);
  if (cell.current && cell.nextEnv) {
    // The inline → button's own tooltip cannot name the target (menu titles are static): say it here.
    const args = encodeURIComponent(JSON.stringify([flowId, cell.env]));
    md.appendMarkdown(
      `\n\n[$(arrow-right) Promote ${escape(cell.env)} → ${escape(cell.nextEnv)}](command:flowport.promoteNext?${args} "Promote ${cell.env} → ${cell.nextEnv}")`,
    );
    enabled.push('flowport.promoteNext');
  }
  if (enabled.length) md.isTrusted = { enabledCommands: enabled };
  return md;
}

/** Detail rows need an icon: without one their label sits in the parent rows' icon column. */
const DETAIL_ICONS: Record<string, string> = {
  commit: 'git-commit',
  ref: 'git-branch',
  status: 'pulse',
  initiator: 'person',
  deployed: 'clock',
  deployment: 'package',
  url: 'link',
  'promoted from': 'arrow-right',
};

/**
 * A field of a deployment (commit, ref, initiator …) with a copy action. A secret output's row
 * shows `•••` and holds only that: its `secret` names where the sealed value is, which the copy
 * action decrypts once the user confirms (view-commands.ts).
 */
export class DetailItem extends vscode.TreeItem {
  readonly kind = 'detail';
  constructor(
    parentId: string,
    override readonly label: string,
    readonly value: string,
    isUrl = false,
    readonly secret?: { deployment: DeploymentDetails; output: string },
  ) {
    super(label, vscode.TreeItemCollapsibleState.None);
    this.id = `${parentId}:${label}`;
    this.description = value;
    this.tooltip = value;
    // A plain-string tooltip becomes the row's accessible name, which would drop the field's name
    // ("883" instead of "output bundleBytes 883").
    this.accessibilityInformation = { label: `${label} ${value}` };
    this.iconPath = new vscode.ThemeIcon(DETAIL_ICONS[label] ?? (label.startsWith('output ') ? 'output' : 'info'));
    this.contextValue = isUrl ? 'detail copyable hasUrl' : 'detail copyable';
  }
}

export function detailItems(env: EnvItem): DetailItem[] {
  const d: DeploymentDetails | undefined = env.cell.current ?? env.cell.latest;
  if (!d) return [];
  const id = env.id ?? '';
  const items = [
    new DetailItem(id, 'commit', d.commit),
    new DetailItem(id, 'ref', d.ref),
    new DetailItem(id, 'status', d.status),
    new DetailItem(id, 'initiator', d.initiator),
    new DetailItem(id, 'deployed', new Date(d.updatedAt).toLocaleString()),
    new DetailItem(id, 'deployment', d.id),
  ];
  if (d.url) items.push(new DetailItem(id, 'url', maskUrlCredentials(d.url), true));
  if (d.promotedFrom)
    items.push(new DetailItem(id, 'promoted from', `${d.promotedFrom.env} (${d.promotedFrom.deploymentId})`));
  // Secret outputs (one policy, sdk/src/secrets.ts) read •••, as in the CLI and on the board.
  for (const [name, value] of Object.entries(d.outputs)) {
    const shown = displayOutput(name, value, d);
    const sealed = isSecretOutput(name, d) || shown !== value;
    items.push(
      new DetailItem(id, `output ${name}`, shown, false, sealed ? { deployment: d, output: name } : undefined),
    );
  }
  return items;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!<>|]/g, '\\$&');
}

/**
 * The rows of a deploy run as steps (issue 16): under its environment row, one row per step (its
 * group and status), and under a step one row per target (status, exit code, how long, outputs).
 * Read from the deployment's `attributes.steps`, which its runner records as it goes, so a
 * running deploy's rows change as the store does.
 */
import * as vscode from 'vscode';
import type { DeploymentDetails } from '../../../sdk/src/model';
import { maskUrlCredentials } from '../../../sdk/src/secrets';
import {
  stepsOf,
  type StepProgress,
  type StepStatus,
  type TargetProgress,
} from '../../../sdk/src/runner/step-progress';
import { stepSummary, targetDetail } from '../model/steps';
import type { EnvItem } from './nodes';

const STEP_ICONS: Record<StepStatus, [string, string | undefined]> = {
  pending: ['circle-outline', 'disabledForeground'],
  running: ['sync~spin', 'charts.blue'],
  succeeded: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  cancelled: ['circle-slash', 'disabledForeground'],
  skipped: ['debug-step-over', 'disabledForeground'],
};

function icon(status: StepStatus): vscode.ThemeIcon {
  const [id, color] = STEP_ICONS[status] ?? STEP_ICONS.pending;
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

/** The deployment whose steps an environment row shows: its latest when that one has steps, else the current one. */
export function deploymentWithSteps(env: EnvItem): DeploymentDetails | undefined {
  const { latest, current } = env.cell;
  if (latest && stepsOf(latest)) return latest;
  return current && stepsOf(current) ? current : undefined;
}

export class StepItem extends vscode.TreeItem {
  readonly kind = 'step';
  constructor(
    readonly env: EnvItem,
    readonly deployment: DeploymentDetails,
    readonly step: StepProgress,
  ) {
    super(step.name, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `${env.id ?? ''}:step:${step.name}`;
    this.description = stepSummary(step);
    this.iconPath = icon(step.status);
    this.tooltip = `Step ${step.name} of deployment ${deployment.id} (${deployment.status}), on ${step.group}: ${step.targets.map((t) => `${t.target} ${t.status}`).join(', ')}`;
    this.contextValue = 'step';
  }
}

export class StepTargetItem extends vscode.TreeItem {
  readonly kind = 'stepTarget';
  constructor(
    readonly parent: StepItem,
    readonly target: TargetProgress,
  ) {
    super(target.target, vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id ?? ''}:target:${target.target}`;
    this.description = targetDetail(target);
    this.iconPath = icon(target.status);
    // Outputs are recorded masked when secret; a URL's password is masked here too, as elsewhere.
    const lines = [`${target.target}: ${target.status}${target.reason ? ` (${target.reason})` : ''}`];
    for (const [name, value] of Object.entries(target.outputs ?? {}))
      lines.push(`output ${name} = ${maskUrlCredentials(value)}`);
    this.tooltip = lines.join('\n');
    this.contextValue = 'stepTarget';
  }
}

export function stepItems(env: EnvItem): StepItem[] {
  const d = deploymentWithSteps(env);
  return d ? (stepsOf(d) ?? []).map((s) => new StepItem(env, d, s)) : [];
}

export function stepTargetItems(step: StepItem): StepTargetItem[] {
  return step.step.targets.map((t) => new StepTargetItem(step, t));
}

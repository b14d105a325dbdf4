/**
 * The words the views show for a deploy run as steps (issue 16), read from `attributes.steps`
 * (sdk/src/runner/step-progress.ts): the tree's step and target rows and the board's history say
 * the same. No `vscode` import: unit-tested in plain Node and bundled into the webview's host side.
 */
import type { StepProgress, TargetProgress } from '../../../sdk/src/runner/step-progress';

/** `web · running 1/2`: the step's group and status, and while it runs how many targets are done. */
export function stepSummary(step: StepProgress): string {
  const done = step.targets.filter((t) => t.status === 'succeeded').length;
  const progress = step.status === 'running' ? ` ${done}/${step.targets.length}` : '';
  return `${step.group} · ${step.status}${progress}`;
}

/** `failed · exit 3 · 1.2 s`, `running`, `skipped`. */
export function targetDetail(t: TargetProgress): string {
  const parts: string[] = [t.status];
  if (t.status === 'failed' && typeof t.exitCode === 'number') parts.push(`exit ${t.exitCode}`);
  if (t.startedAt && t.endedAt) {
    const ms = Date.parse(t.endedAt) - Date.parse(t.startedAt);
    if (Number.isFinite(ms) && ms >= 0) parts.push(ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);
  }
  return parts.join(' · ');
}

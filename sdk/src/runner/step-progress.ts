/**
 * How far a multi-step deploy got, as its runner records it in `attributes.steps` while it runs
 * (sdk/src/runner/steps.ts), and read back by whoever shows it: `flowport logs`, `flowport
 * history`, the tree. Plain data, no processes: safe to import anywhere.
 */
import type { DeploymentDetails, JsonValue } from '../model.js';

/** The deployment attribute holding {@link StepProgress} for each step, in order. */
export const STEPS_ATTRIBUTE = 'steps';

/**
 * `pending`: not started yet. `skipped`: never started, because an earlier step or target failed
 * or the deploy was cancelled. `cancelled`: stopped by a cancel (or the deploy's timeout) while
 * it ran.
 */
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';

/** One step of a deploy: its targets' progress. */
export interface StepProgress {
  name: string;
  group: string;
  status: StepStatus;
  /** The step's outputs: those its targets reported, each one every reporting target agreed on. Secret ones read •••. */
  outputs: Record<string, string>;
  /** Outputs its targets reported with different values: a later step cannot read them. */
  conflicts?: string[];
  targets: TargetProgress[];
}

/** One target of a step. */
export interface TargetProgress {
  target: string;
  status: StepStatus;
  /** ISO 8601, once it started. */
  startedAt?: string;
  /** ISO 8601, once it ended. */
  endedAt?: string;
  /** The exit code of its command, once it ended (null when a signal ended it). */
  exitCode?: number | null;
  /** Why it failed or was not run, in words. */
  reason?: string;
  /** Its command's `::flowport-output` lines. Secret ones read •••. */
  outputs: Record<string, string>;
}

/** The steps recorded on `d`, or undefined for a deploy of one command (or a record that is not well-formed). */
export function stepsOf(d: Pick<DeploymentDetails, 'attributes'>): StepProgress[] | undefined {
  const value: JsonValue | undefined = d.attributes[STEPS_ATTRIBUTE];
  if (!Array.isArray(value)) return undefined;
  const ok = value.every(
    (s) =>
      s !== null &&
      typeof s === 'object' &&
      !Array.isArray(s) &&
      typeof s.name === 'string' &&
      typeof s.status === 'string' &&
      Array.isArray(s.targets) &&
      s.targets.every((t) => t !== null && typeof t === 'object' && !Array.isArray(t) && typeof t.target === 'string'),
  );
  return ok ? (value as unknown as StepProgress[]) : undefined;
}

/**
 * One line per step: `migrate (db) succeeded: db-1 succeeded` or `roll out (web) failed: web-1
 * succeeded, web-2 failed (exit 3), web-3 skipped`.
 */
export function stepsSummary(steps: readonly StepProgress[]): string[] {
  return steps.map((s) => {
    const targets = s.targets.map((t) => `${t.target} ${t.status}${targetNote(t)}`).join(', ');
    return `${s.name} (${s.group}) ${s.status}: ${targets}`;
  });
}

/** One short phrase: `2/3 steps, roll out failed on web-2` or `3/3 steps succeeded`. */
export function stepsBrief(steps: readonly StepProgress[]): string {
  const done = steps.filter((s) => s.status === 'succeeded').length;
  const base = `${done}/${steps.length} steps`;
  const failed = steps.find((s) => s.status === 'failed');
  if (failed) {
    const on = failed.targets.filter((t) => t.status === 'failed').map((t) => t.target);
    return `${base}, ${failed.name} failed${on.length ? ` on ${on.join(', ')}` : ''}`;
  }
  const running = steps.find((s) => s.status === 'running');
  if (running) {
    const finished = running.targets.filter((t) => t.status === 'succeeded').length;
    return `${base}, ${running.name} running (${finished}/${running.targets.length} targets done)`;
  }
  const cancelled = steps.find((s) => s.status === 'cancelled');
  if (cancelled) return `${base}, cancelled in ${cancelled.name}`;
  return done === steps.length ? `${base} succeeded` : base;
}

function targetNote(t: TargetProgress): string {
  if (t.status !== 'failed') return '';
  if (typeof t.exitCode === 'number') return ` (exit ${t.exitCode})`;
  return t.reason ? ` (${t.reason})` : '';
}

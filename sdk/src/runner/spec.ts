/**
 * What a starter (the CLI, the SDK host) hands a runner process: everything it needs to run one
 * recorded deployment, decided before it starts. The runner loads no config and resolves nothing.
 */
import type { WebhookTarget } from '../notify/webhook.js';

/** The environment variable that carries the spec to the runner (not argv: `ps` shows argv to everyone). */
export const RUN_SPEC_VARIABLE = 'FLOWPORT_RUN_SPEC';

export interface CommandSpec {
  /** The program and its arguments, placeholders already filled. */
  argv: string[];
  cwd: string;
  /** Added to the runner's environment for the command. */
  env: Record<string, string>;
  /** Whose `node_modules/.bin` (and its parents') come first on PATH. */
  localDir: string;
  /** 0 for none. */
  timeoutMs: number;
  killGraceMs: number;
  /** Written to the log before the command starts. */
  preamble: string[];
  /** A temporary checkout the runner removes once the command has ended. */
  worktree?: { topLevel: string; dir: string };
  /** Outputs declared secret by the deployer (`commandDeployer({ secretOutputs })`). */
  secretOutputs?: string[];
  /** Deploy as these steps, in order, instead of running `argv` (see {@link StepSpec}). */
  steps?: StepSpec[];
}

/**
 * One step of a multi-step deploy, as the runner runs it (sdk/src/runner/steps.ts): its command on
 * every target of its group, `parallel` at a time. Built from the flow's release and the
 * environment's targets by sdk/src/backend/step-plan.ts.
 */
export interface StepSpec {
  name: string;
  /** The target group, as written in the release. */
  group: string;
  /** How many of its targets run at once (at least 1). */
  parallel: number;
  targets: StepTargetSpec[];
}

/** One target of a step: what runs for it. */
export interface StepTargetSpec {
  target: string;
  /**
   * The program and its arguments, every placeholder filled but `{step:NAME:OUTPUT}`, which the
   * runner fills from the outputs of the earlier steps when the step starts.
   */
  argv: string[];
  /** Merged over {@link CommandSpec.env} for this target only (FLOWPORT_STEP, FLOWPORT_TARGET, …). */
  env: Record<string, string>;
}

export interface LeaseTimes {
  /** How long a renewed lease holds. */
  leaseMs: number;
  /** How often the runner renews it. */
  heartbeatMs: number;
}

/**
 * A store a runner process can open from data alone: the local ledger's folder, or the team
 * store's database (its URL travels in the runner's environment, as the config read it, and is
 * never written anywhere).
 */
export type RunnerStore =
  | { kind?: 'local'; root: string; dir: string }
  | {
      kind: 'team';
      root: string;
      url: string;
      project: string;
      connectTimeoutMs?: number;
      pendingLeaseMs?: number;
      pollMs?: number;
    };

export interface RunSpec extends LeaseTimes {
  v: 1;
  /** The store the deployment is recorded in, as the runner opens it again. */
  store: RunnerStore;
  deploymentId: string;
  command: CommandSpec;
  /** The project's webhooks (`notify` in its config), told of this run's events. */
  notify?: WebhookTarget[];
}

/** Lease times: 10 s, renewed every 2 s; FLOWPORT_LEASE_MS and FLOWPORT_HEARTBEAT_MS change them (tests). */
export function leaseTimes(env: NodeJS.ProcessEnv = process.env): LeaseTimes {
  const ms = (value: string | undefined, fallback: number) => {
    const n = Number(value);
    return value !== undefined && Number.isFinite(n) && n > 0 ? n : fallback;
  };
  const leaseMs = ms(env.FLOWPORT_LEASE_MS, 10_000);
  return { leaseMs, heartbeatMs: Math.min(ms(env.FLOWPORT_HEARTBEAT_MS, 2000), leaseMs / 2) };
}

/**
 * Why a runner exited before it recorded anything, by exit code: it could not claim the run, so
 * its command never started.
 */
export const CLAIM_FAILURES: Readonly<Record<number, string>> = {
  20: 'the disk is full (ENOSPC)',
  21: 'the state folder is on a read-only file system (EROFS)',
  22: 'the state folder is not writable (EACCES)',
  23: 'the state folder is not writable (EPERM)',
  24: 'the disk quota is used up (EDQUOT)',
  25: 'the running record could not be written',
  26: 'the runner was given no valid run',
};

export function claimFailureCode(err: unknown): number {
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOSPC':
      return 20;
    case 'EROFS':
      return 21;
    case 'EACCES':
      return 22;
    case 'EPERM':
      return 23;
    case 'EDQUOT':
      return 24;
    default:
      return 25;
  }
}

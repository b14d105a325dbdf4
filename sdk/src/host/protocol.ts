/**
 * The SDK host protocol: JSON-RPC over stdio between the VS Code extension (client) and the SDK
 * host process (server), one host per workspace folder. Both sides import these constants, so a
 * method name or payload shape cannot drift apart.
 */
import { NotificationType, NotificationType0, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { EnvironmentConfig } from '../config/define.js';
import type { FlowRunResult } from '../backend/batch.js';
import type { CheckResult } from '../backend/checks.js';
import type { CommitCounts } from '../backend/git.js';
import type { CommandHint } from '../hint.js';
import type { DecisionOutcome, PendingApproval } from '../backend/decisions.js';
import type { EnvLock, LockResult } from '../backend/locks.js';
import type { Release } from '../backend/releases.js';
import type { DeploymentDetails, Diagnostic, FlowDetails } from '../model.js';

/** A config problem, sent as data so the extension can point at the file and line. */
export interface ConfigProblem {
  message: string;
  file: string;
  line: number;
}

export interface ProjectState {
  root: string;
  /** Absolute path of flowport.config.*, or undefined when the defaults apply. */
  configFile: string | undefined;
  environments: EnvironmentConfig[];
  /** Set when the config failed to load; then `environments` are the defaults. */
  configProblem?: ConfigProblem;
  /** Absolute paths whose change reloads the config: it, the project files it imports, the file in error. */
  configSources: string[];
  allowSkippingEnvironments: boolean;
  /**
   * Flow name → the flows it reads an `output()` of (its config's `releases.<flow>.inputs`), in the
   * order written. Only flows that have some; empty when the config did not load. The views mark
   * these on each row and say which dependency holds back a deploy or a promote.
   */
  dependencies: Record<string, string[]>;
}

export interface FlowsResult {
  flows: FlowDetails[];
  diagnostics: Diagnostic[];
}

export interface DeployParams {
  /** Caller-chosen id; log notifications and cancel use it. */
  runId: string;
  flowIds: string[];
  env: string;
  ref?: string;
  /** False: refused while the flow still deploys there, instead of waiting its turn (the default). */
  queue?: boolean;
  /** See {@link OverrideChecks}. */
  overrideChecks?: string;
}

/**
 * `overrideChecks` of a deploy, promote or rollback: why it goes on though the target
 * environment's pre-deploy checks fail (the editor's "Override Checks…", `--override-checks` in
 * the CLI). The host runs the checks again as the run starts; each deployment a failing check
 * holds back records `attributes.checksOverridden` (`{ by, reason, failed }`). A non-empty string
 * of at most {@link OVERRIDE_REASON_MAX} characters; without it, nothing is overridden.
 */
export type OverrideChecks = string;

/** The longest override reason the host takes: a sentence or two, not a log. */
export const OVERRIDE_REASON_MAX = 500;

export interface PromoteParams {
  runId: string;
  flowIds: string[];
  from: string;
  to: string;
  queue?: boolean;
  /** See {@link OverrideChecks}. */
  overrideChecks?: string;
}

/**
 * A deploy (`env`; `ref` as in {@link DeployParams}, for the checks that look at the commit), a
 * promote (`from`, `to`) or a rollback the editor is about to start.
 */
export type PreflightParams = (
  | { action: 'deploy'; flowIds: string[]; env: string; ref?: string }
  | { action: 'promote'; flowIds: string[]; from: string; to: string }
  | { action: 'rollback'; flowIds: string[]; env: string; to?: string }
) & {
  /** As in {@link DeployParams}: false refuses while a flow still deploys there. */
  queue?: boolean;
};

export interface PreflightResult {
  /**
   * Why the whole run is refused before it starts (a lock, a flow still deploying there, a
   * failing check: then with each failing check's last lines), if it is.
   */
  refusal?: string;
  /** The command that fixes the refusal, as data (the editor offers it as an action). */
  refusalHint?: CommandHint;
  /** The flows that would be deployed: for a promote, those not already there and with something to promote. */
  sending: string[];
  /**
   * The target environment's pre-deploy check results, in the config's order, to show before the
   * confirmation (✓/✗, name, duration, a failed one's message and last lines). Absent when the
   * environment has no checks, nothing would be sent, or something refused before they ran; with
   * a `refusal`, the failing checks refused.
   */
  checks?: CheckResult[];
  /**
   * A promote of several flows: the plan it follows, one line per flow in the order they run (the
   * versions, what each waits for), then the target's gates; absent when it tells nothing more.
   */
  plan?: string[];
}

/** A rollback of flows in `env` to an earlier release (`to`, a deployment id, for one flow; else each one's release before the current). */
export interface RollbackParams {
  runId: string;
  flowIds: string[];
  env: string;
  to?: string;
  queue?: boolean;
  /** See {@link OverrideChecks}. */
  overrideChecks?: string;
}

/** The locks that hold, and who this host is to them (a lock's `by` is compared with `me`). */
export interface LocksResult {
  locks: EnvLock[];
  me: string;
}

export interface UnlockParams {
  env: string;
  flowName?: string;
  /** The lock the user saw: a newer one is not lifted by mistake. */
  lockId?: string;
  /** Someone else's lock: the user confirmed (else it is refused, as `flowport unlock` without --yes). */
  confirmed?: boolean;
}

/** The approval requests still waiting, and the identity an approval from this host is made as. */
export interface ApprovalsResult {
  requests: PendingApproval[];
  me: string;
}

export interface RunLogParams {
  runId: string;
  line: string;
}

export interface GitStatus {
  /** Full SHA of HEAD, or undefined outside a git repository. */
  head?: string;
  dirty: boolean;
}

export type { FlowRunResult, CheckResult, DecisionOutcome, EnvLock, LockResult, PendingApproval, Release };

/** Two commits: `base` runs in an environment, `head` in the one before it. */
export interface CommitPair {
  base: string;
  head: string;
}

/** Commits `head` has that `base` lacks (`behind`), and the other way round (`ahead`). */
export type CommitDistance = CommitCounts;

/**
 * Which store the project's deployments are in, and whether what the views show is live: a team
 * store (PostgreSQL) that cannot be reached shows the last state seen, `live: false`. `where` never
 * holds a password (a team store's URL without it; the local ledger's folder), nor does `reason`.
 */
export interface StoreStatus {
  store: 'local' | 'team';
  where: string;
  live: boolean;
  /** ISO time since when it is stale (`live: false`). */
  staleSince?: string;
  /** Why it is stale: the connection's error, without credentials. */
  reason?: string;
}

export const Methods = {
  /** Loads (or reloads) the config and reports what the project looks like. */
  project: new RequestType0<ProjectState, void>('flowport/project'),
  flows: new RequestType<{ flows?: string[]; groups?: string[] }, FlowsResult, void>('flowport/flows'),
  deployments: new RequestType<{ flows?: string[]; envs?: string[]; history?: boolean }, DeploymentDetails[], void>(
    'flowport/deployments',
  ),
  /** What can refuse before a run starts, asked before the protected-environment question. */
  preflight: new RequestType<PreflightParams, PreflightResult, void>('flowport/preflight'),
  deploy: new RequestType<DeployParams, FlowRunResult[], void>('flowport/deploy'),
  promote: new RequestType<PromoteParams, FlowRunResult[], void>('flowport/promote'),
  /** Redeploys an earlier release's commit, like a deploy: a run id, logs streamed, cancellable. */
  rollback: new RequestType<RollbackParams, FlowRunResult[], void>('flowport/rollback'),
  /** A flow's releases in one environment, newest first (secret outputs masked). */
  releases: new RequestType<{ flowId: string; env: string }, Release[], void>('flowport/releases'),
  locks: new RequestType0<LocksResult, void>('flowport/locks'),
  /** Locks an environment (or one flow in it); `taken: false` when another lock held it already. */
  lock: new RequestType<{ env: string; flowName?: string; reason: string }, LockResult, void>('flowport/lock'),
  /** Lifts a lock, recorded with who did; someone else's needs `confirmed`. Returns the lock lifted. */
  unlock: new RequestType<UnlockParams, EnvLock, void>('flowport/unlock'),
  approvals: new RequestType0<ApprovalsResult, void>('flowport/approvals'),
  /** Approves as this host's identity (git's user.email), by the CLI's rules and with its refusals. */
  approve: new RequestType<{ deploymentId: string; comment?: string }, DecisionOutcome, void>('flowport/approve'),
  reject: new RequestType<{ deploymentId: string; reason: string }, DecisionOutcome, void>('flowport/reject'),
  cancel: new RequestType<{ runId: string }, void, void>('flowport/cancel'),
  /**
   * Asks the runner of a deployment to cancel it, whoever started it (the CLI, another window, a
   * host before this one): a request in the store, which its runner carries out.
   */
  cancelDeployment: new RequestType<{ deploymentId: string }, void, void>('flowport/cancelDeployment'),
  /**
   * A deployment's log from byte `from` (whole lines; `next` is where to read on), for following a
   * run this host did not start: poll until the deployment is finished. Null when it has no log.
   */
  deploymentLog: new RequestType<{ deploymentId: string; from?: number }, { text: string; next: number } | null, void>(
    'flowport/deploymentLog',
  ),
  gitStatus: new RequestType0<GitStatus, void>('flowport/gitStatus'),
  /** Which store is in use and whether it is live; {@link Methods.storeStatusChanged} follows. */
  storeStatus: new RequestType0<StoreStatus, void>('flowport/storeStatus'),
  /** For each pair, how far apart its commits are; null when git does not know one of them. */
  commitDistances: new RequestType<{ pairs: CommitPair[] }, (CommitDistance | null)[], void>(
    'flowport/commitDistances',
  ),
  /** Source files changed on disk (from the editor's watcher): update the flow index. */
  filesChanged: new NotificationType<{ paths: string[] }>('flowport/filesChanged'),
  /** Host → client: a deploy or promote wrote a log line. */
  runLog: new NotificationType<RunLogParams>('flowport/runLog'),
  /** Host → client: flows changed after filesChanged. */
  flowsChanged: new NotificationType<FlowsResult>('flowport/flowsChanged'),
  /** Host → client: the deployment store changed (this or another process wrote to it). */
  deploymentsChanged: new NotificationType0('flowport/deploymentsChanged'),
  /** Host → client: the store went stale (its database cannot be reached) or is live again. */
  storeStatusChanged: new NotificationType<StoreStatus>('flowport/storeStatusChanged'),
} as const;

/** The JSON-RPC error code of a Flowport error (a refusal, a bad request), as opposed to a crash. */
export const FLOWPORT_ERROR_CODE = -32001;

/** The `data` of a {@link FLOWPORT_ERROR_CODE} error: the error's class, e.g. `DeployError`, `UsageError`. */
export interface HostErrorData {
  kind: string;
  /** The command that fixes it, when the error names one. */
  hint?: CommandHint;
}

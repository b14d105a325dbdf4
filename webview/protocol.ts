/**
 * The board's message protocol, shared by the extension (host side, extension/src/board/) and the
 * webview (webview/board/). The webview only sends intents; the host validates each one against
 * the store and runs the same commands as the tree and the palette. The host sends data only after
 * the webview has said `ready`. Plain data only: no `vscode` and no DOM types here.
 */
import type { CommitDistance } from '../sdk/src/host/protocol';
import type { DeploymentStatus } from '../sdk/src/model';
import type { StepStatus } from '../sdk/src/runner/step-progress';

export type { CommitDistance, StepStatus };

/** What a cell's badge shows: the latest attempt's status, or `never` when none exists. */
export type CellStatus = DeploymentStatus | 'never';

export interface BoardEnv {
  name: string;
  protected: boolean;
}

/** A lock that refuses deploys of the flow here: the environment's, or the flow's in it. */
export interface BoardLock {
  /** Set for a lock of one flow in the environment; absent: every flow there. */
  flowName?: string;
  by: string;
  /** When it was taken (ISO 8601). */
  at: string;
  reason: string;
}

/** One flow in one environment. Times are ISO 8601; ages are computed by the webview. */
export interface BoardCell {
  env: string;
  status: CellStatus;
  /** Full SHA of what runs there (the latest succeeded deployment). */
  commit?: string;
  /** When that version was deployed, and by whom. */
  deployedAt?: string;
  initiator?: string;
  /** The latest attempt, when it is not what runs (running, failed …). */
  latest?: { commit: string; at: string; initiator: string };
  /** The latest attempt still runs (or waits to): its id, for the cell's Cancel button. */
  running?: { deploymentId: string };
  /**
   * Set when the previous environment runs another commit. `distance` is missing while it is being
   * counted, when git does not know a commit, or when this environment runs nothing yet.
   */
  behind?: { env: string; distance?: CommitDistance };
  /** Deploys, promotes and rollbacks here are refused until it is unlocked (the cell's Unlock). */
  lock?: BoardLock;
  /** The latest attempt waits its turn: `place` 2 is first behind `behind` (a deployment id). */
  queued?: { place: number; behind: string; behindStatus: DeploymentStatus };
  /** The latest attempt waits for approval (the cell's Approve and Reject). */
  awaiting?: { deploymentId: string; requestedBy: string; required: number; expiresAt: string | null };
  /**
   * The last deploy, promote or rollback to it was refused by failing pre-deploy checks (nothing
   * was recorded): each check's name, message and last output lines, masked (the cell's Override
   * Checks… and Run Checks Again).
   */
  failedCheck?: {
    checks: Array<{ name: string; message: string; output: string[] }>;
    action: 'deploy' | 'promote' | 'rollback';
    at: string;
  };
  /**
   * Dependencies of the flow that do not run here yet (no succeeded deployment): a deploy here is
   * refused and a promote to here blocked until they do. `reason` names the first and its fix.
   */
  needs?: { flows: string[]; reason: string };
}

/** The Promote button between `from` and `to`; `reason` says why it is disabled. */
export interface PromoteSlot {
  from: string;
  to: string;
  /** The commit a promote would take, when there is one. */
  commit?: string;
  reason?: string;
  /**
   * What blocks it, when something on the target does: a lock, a pending approval, a queue, a
   * running deploy, or a dependency (a flow it reads an output of) that does not run there yet.
   */
  blockedBy?: 'lock' | 'approval' | 'queue' | 'running' | 'dependency';
}

export interface BoardRow {
  flowId: string;
  name: string;
  description: string;
  /** `src/billing/invoices.ts:12` */
  source: string;
  cells: BoardCell[];
  /** One per adjacent pair of environments: `promotes[i]` goes from `cells[i]` to `cells[i + 1]`. */
  promotes: PromoteSlot[];
  /** The flows this one reads an `output()` of (the row's "needs …" marker), in the config's order. */
  dependencies: string[];
  /** The flows that read an `output()` of this one, sorted (shown on hover). */
  dependents: string[];
}

/**
 * A group header's Promote from `from` to `to`: the group's flows that have something to promote
 * (`from` runs a version `to` does not), promoted together as a plan in dependency order, the same
 * as selecting them in the tree. `reason` says why it is disabled (none of them has).
 */
export interface GroupPromote {
  from: string;
  to: string;
  /** The flows it would send, in the group's order (the host orders them by their inputs). */
  flowIds: string[];
  names: string[];
  reason?: string;
}

export interface BoardGroup {
  /** Folder path (`src/billing`); '' for flows at the root. Unique within its folder. */
  key: string;
  rows: BoardRow[];
  /** One per adjacent pair of environments, as a row's `promotes`. */
  promotes: GroupPromote[];
}

/** One workspace folder's board. */
export interface BoardFolder {
  /** The folder's URI, stable across updates. */
  key: string;
  name: string;
  envs: BoardEnv[];
  groups: BoardGroup[];
  /**
   * The folder's config failed to load: the board shows only this, with an Open Config action,
   * and never "No flows found" (there are no flows because the config is broken).
   */
  configError?: BoardConfigError;
  /** Another problem (the SDK host failed) to show above the grid. */
  problem?: string;
}

export interface BoardConfigError {
  /** What went wrong; it may start with the file and line. */
  message: string;
  /** Where, relative to the folder when inside it: `flowport.config.ts:3`. */
  location: string;
}

export interface BoardState {
  folders: BoardFolder[];
  /** Shown when there is nothing to board (Restricted Mode, loading, no flows and no config error). */
  notice?: string;
}

/** One past deployment of a flow in an environment, newest first. Secret outputs are removed. */
export interface HistoryEntry {
  id: string;
  status: DeploymentStatus;
  commit: string;
  ref: string;
  initiator: string;
  createdAt: string;
  updatedAt: string;
  /** Set once the deployment has ended. */
  durationMs?: number;
  hasLog: boolean;
  url?: string;
  promotedFrom?: string;
  packageVersion?: string;
  outputs: Record<string, string>;
  /** A release (it succeeded): what runs now (`current`), or an earlier one, which can be rolled back to. */
  release?: 'current' | 'rolled back' | 'superseded';
  /** It was a rollback: the release whose commit it restored. */
  rollbackOf?: string;
  /** A deploy run as steps on target groups: each step and its targets, as its runner last recorded them. */
  steps?: HistoryStep[];
}

/** One step of a deployment in the history: its group and each target's status. */
export interface HistoryStep {
  name: string;
  group: string;
  status: StepStatus;
  /** `web · running 1/2`: the group, the status, how many targets succeeded while it runs. */
  summary: string;
  targets: Array<{
    target: string;
    status: StepStatus;
    /** `failed · exit 3 · 1.2 s`, and why it failed or did not run. */
    detail: string;
  }>;
}

/** Webview → host. */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'deploy'; flowId: string; env: string; ref: string }
  | { type: 'promote'; flowId: string; from: string; to: string }
  /** A group header's Promote: these flows (one folder's) together, as the tree's multi-select does. */
  | { type: 'promoteGroup'; flowIds: string[]; from: string; to: string }
  | { type: 'history'; requestId: number; flowId: string; env: string }
  | { type: 'openLog'; flowId: string; env: string; deploymentId: string }
  /** Cancel a running deployment of the flow in `env` (the host checks it is one). */
  | { type: 'cancel'; flowId: string; env: string; deploymentId: string }
  /** Lock the environment (every flow there); the host asks why. */
  | { type: 'lock'; flowId: string; env: string }
  /** Lift the lock that holds the flow in `env` (someone else's asks first). */
  | { type: 'unlock'; flowId: string; env: string }
  /** Approve or reject a deploy of the flow in `env` that waits for approval. */
  | { type: 'approve'; flowId: string; env: string; deploymentId: string }
  | { type: 'reject'; flowId: string; env: string; deploymentId: string }
  /** Roll the flow in `env` back to an earlier release of it there. */
  | { type: 'rollback'; flowId: string; env: string; deploymentId: string }
  /** A failed check's actions: run the refused run again with a reason, or run only its checks again. */
  | { type: 'overrideChecks'; flowId: string; env: string }
  | { type: 'rerunChecks'; flowId: string; env: string }
  | { type: 'openFlow'; flowId: string }
  /** Open the folder's config at its error (`folder` is a BoardFolder key). */
  | { type: 'openConfig'; folder: string }
  | { type: 'refresh' };

/** Host → webview. */
export type HostMessage =
  | { type: 'state'; state: BoardState }
  | { type: 'history'; requestId: number; flowId: string; env: string; entries: HistoryEntry[] }
  /** Bring a flow's row into view and focus it (the flow's context menu "Show Board"). */
  | { type: 'reveal'; flowId: string };

export type WebviewMessageType = WebviewMessage['type'];

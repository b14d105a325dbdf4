/**
 * The ledger's record format: one JSON object per line, append-only.
 *
 * Every record carries the format version `v`, a `type`, the time `at` and who wrote it (`by`).
 * A deployment record is a full snapshot of the deployment after a change; the latest snapshot of
 * an id wins, so one lost or damaged line never corrupts another deployment, and a reader needs no
 * other line to understand one. Readers skip record types they do not know and records of a newer
 * format version, so the types reserved below (and others) can be added without a rewrite.
 */
import type { DeploymentDetails, DeploymentStatus, JsonValue } from '../model.js';
import { maskDeployment } from '../secrets.js';

/** The format version this SDK writes and fully understands. */
export const LEDGER_FORMAT = 1;

/** The process that runs a deployment: when it is gone, a `running` record is `interrupted`. */
export interface RunnerIdentity {
  pid: number;
  /** `os.hostname()`: a runner on another host cannot be checked and is taken as alive. */
  host: string;
  /**
   * When the process started, opaque, compared for equality so a reused pid is not mistaken for
   * the runner. Linux: `<boot id>:<starttime clock ticks from /proc/<pid>/stat>`; other POSIX
   * systems: `ps -o lstart`; `null` where it cannot be read (pid alone is then checked).
   */
  startTime: string | null;
}

/**
 * The attribute of a deployment that names its deploy command's process ({@link RunnerIdentity}),
 * when the runner started one: a running deployment whose runner died stays running while it runs.
 */
export const COMMAND_PROCESS = 'commandProcess';

/** The deploy command's process recorded in `attributes`, if any and well-formed. */
export function commandProcessOf(attributes: Record<string, JsonValue>): RunnerIdentity | undefined {
  const value = attributes[COMMAND_PROCESS];
  return isRunner(value) ? value : undefined;
}

interface RecordBase {
  v: typeof LEDGER_FORMAT;
  /** ISO 8601 time the record was written. */
  at: string;
  /** `user@host` of the writer. */
  by: string;
}

/**
 * A snapshot of one deployment after it was created or changed. Its secret outputs are sealed:
 * `outputs` shows them as `•••`, `attributes.sealedOutputs` holds them encrypted (secrets.ts).
 */
export interface DeploymentRecord extends RecordBase {
  type: 'deployment';
  deployment: DeploymentDetails;
  /** Set while the deployment is pending or running. */
  runner?: RunnerIdentity;
}

/** Asks whoever runs `deploymentId` to stop it; written by `flowport cancel` from any process. */
export interface CancelRequestRecord extends RecordBase {
  type: 'cancel-request';
  deploymentId: string;
  reason?: string;
}

// Record types beyond deployments and cancels: the format is fixed here so that the features can
// land without changing existing records. Locks (ledger-locks.ts) and approvals
// (ledger-approvals.ts) are written and read; the others are reserved, read back only through `events()`.

/**
 * A named set of versions (flow × environment → deployment), e.g. "what prod ran at 14:00".
 * A rollback is a new deployment of a release's commit with `attributes.rollback` ({ restores, replaces }).
 */
export interface ReleaseRecord extends RecordBase {
  type: 'release';
  releaseId: string;
  name: string;
  entries: Array<{ flowName: string; env: string; deploymentId: string; commit: string }>;
}

/** Holds deploys to an environment (one flow, or all when `flowName` is absent) until unlocked. */
export interface LockRecord extends RecordBase {
  type: 'lock' | 'unlock';
  lockId: string;
  env: string;
  flowName?: string;
  reason?: string;
}

/** A deploy waiting its turn (behind a lock, an approval or another deploy). */
export interface QueueRecord extends RecordBase {
  type: 'queued' | 'dequeued';
  queueId: string;
  request: { flowName: string; env: string; ref: string; promotedFrom?: { env: string; deploymentId: string } };
  /** Set when the entry left the queue by starting: the deployment it became. */
  deploymentId?: string;
}

/** A decision on a deploy that waits for approval (`queueId` is its deployment id; `by` the decider's identity). */
export interface ApprovalRecord extends RecordBase {
  type: 'approval';
  queueId: string;
  decision: 'approved' | 'rejected';
  comment?: string;
}

export type LedgerRecord =
  DeploymentRecord | CancelRequestRecord | ReleaseRecord | LockRecord | QueueRecord | ApprovalRecord;

const STATUSES: readonly DeploymentStatus[] = [
  'pending',
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
];

/** What one line of the ledger turned out to be. */
export type ParsedLine =
  | { kind: 'record'; record: LedgerRecord }
  /** A valid record of a type this SDK does not know: kept for `events()`, otherwise ignored. */
  | { kind: 'other'; type: string; value: Record<string, JsonValue> }
  | { kind: 'newer'; v: number }
  | { kind: 'damaged'; why: string };

/** Parses one complete line. Never throws. */
export function parseLine(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: 'damaged', why: 'not valid JSON' };
  }
  if (
    !isObject(value) ||
    typeof value.type !== 'string' ||
    typeof value.v !== 'number' ||
    typeof value.at !== 'string'
  ) {
    return { kind: 'damaged', why: 'not a ledger record ({ v, type, at, … })' };
  }
  if (value.v > LEDGER_FORMAT) return { kind: 'newer', v: value.v };
  switch (value.type) {
    case 'deployment':
      if (!isDeployment(value.deployment) || !(value.runner === undefined || isRunner(value.runner)))
        return { kind: 'damaged', why: 'a deployment record without a valid deployment' };
      // Secret outputs are sealed when written (secrets.ts); one written in clear (an older
      // Flowport, an edit by hand) still reads masked. Nothing is decrypted here.
      return {
        kind: 'record',
        record: { ...(value as unknown as DeploymentRecord), deployment: maskDeployment(value.deployment) },
      };
    case 'cancel-request':
      return typeof value.deploymentId === 'string'
        ? { kind: 'record', record: value as unknown as CancelRequestRecord }
        : { kind: 'damaged', why: 'a cancel-request without deploymentId' };
    case 'lock':
    case 'unlock':
      return isLock(value)
        ? { kind: 'record', record: value as unknown as LockRecord }
        : { kind: 'damaged', why: `a ${value.type} record without a valid lockId, env, flowName, reason or by` };
    case 'approval':
      return isDecision(value)
        ? { kind: 'record', record: value as unknown as ApprovalRecord }
        : { kind: 'damaged', why: 'an approval record without a valid queueId, decision, comment or by' };
    case 'release':
    case 'queued':
    case 'dequeued':
      return { kind: 'record', record: value as unknown as LedgerRecord };
    default:
      return { kind: 'other', type: value.type, value: value as Record<string, JsonValue> };
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Whether `x` is a whole, well-formed deployment (every field a reader shows): records are data anyone with write access can forge. */
export function isDeployment(x: unknown): x is DeploymentDetails {
  return (
    isObject(x) &&
    typeof x.id === 'string' &&
    typeof x.flowName === 'string' &&
    typeof x.env === 'string' &&
    typeof x.commit === 'string' &&
    typeof x.ref === 'string' &&
    typeof x.status === 'string' &&
    STATUSES.includes(x.status as DeploymentStatus) &&
    typeof x.createdAt === 'string' &&
    typeof x.updatedAt === 'string' &&
    // Every field a reader shows is checked here, once: a record without an initiator crashed
    // `history`, and an output that is not a string reached the UI as whatever it was.
    typeof x.initiator === 'string' &&
    isObject(x.outputs) &&
    Object.values(x.outputs).every((v) => typeof v === 'string') &&
    isObject(x.attributes) &&
    OPTIONAL_STRINGS.every((k) => x[k] === undefined || typeof x[k] === 'string') &&
    (x.promotedFrom === undefined ||
      (isObject(x.promotedFrom) &&
        typeof x.promotedFrom.env === 'string' &&
        typeof x.promotedFrom.deploymentId === 'string'))
  );
}

/** The optional fields of a deployment that are strings when present. */
const OPTIONAL_STRINGS = ['packageVersion', 'url', 'logLocation'] as const;

function isLock(x: Record<string, unknown>): boolean {
  return (
    typeof x.lockId === 'string' &&
    typeof x.env === 'string' &&
    typeof x.by === 'string' &&
    (x.flowName === undefined || typeof x.flowName === 'string') &&
    (x.reason === undefined || typeof x.reason === 'string')
  );
}

function isDecision(x: Record<string, unknown>): boolean {
  return (
    typeof x.queueId === 'string' &&
    (x.decision === 'approved' || x.decision === 'rejected') &&
    typeof x.by === 'string' &&
    (x.comment === undefined || typeof x.comment === 'string')
  );
}

export function isRunner(x: unknown): x is RunnerIdentity {
  return (
    isObject(x) &&
    typeof x.pid === 'number' &&
    typeof x.host === 'string' &&
    (x.startTime === null || typeof x.startTime === 'string')
  );
}

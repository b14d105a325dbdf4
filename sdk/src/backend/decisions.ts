/**
 * Deciding on an approval request, and unlocking, as every front end does it (the CLI's approve,
 * reject and unlock, the SDK host's requests for the editor): one set of checks and one wording,
 * so the editor refuses what the CLI refuses, with the same message.
 */
import {
  approvalOf,
  approvalState,
  approveRefusal,
  describeApproval,
  describePlanApproval,
  type ApprovalDecision,
  type ApprovalRequest,
} from './approvals.js';
import { describeLock, type EnvLock } from './locks.js';
import type { DeploymentStore } from './store.js';
import { DeployError, UsageError } from '../errors.js';
import { FINAL_STATUSES, type DeploymentDetails } from '../model.js';

/** What a decision made: the record, where the request stands after it, and a line for a person. */
export interface DecisionOutcome {
  decision: ApprovalDecision;
  /** `approved` once enough identities approved. */
  state: 'pending' | 'approved' | 'rejected';
  deploymentId: string;
  /** `Approved by …: … runs now, through the queue.` */
  message: string;
}

/** A request still waiting for a decision, with what it has so far. */
export interface PendingApproval {
  deployment: DeploymentDetails;
  request: ApprovalRequest;
  approvedBy: string[];
  needed: number;
}

type DecidingStore = DeploymentStore & Required<Pick<DeploymentStore, 'decide' | 'decisions'>>;

/** The store, when it keeps approvals (the local ledger does); a clear error otherwise. */
export function decidingStore(store: DeploymentStore): DecidingStore {
  if (typeof store.decide === 'function' && typeof store.decisions === 'function') return store as DecidingStore;
  throw new DeployError(
    'the configured deployments store keeps no approvals: use localLedger() (the default) or a store that implements decide and decisions',
  );
}

/** `20261201-… (flow → env, a1b2c3d4e5f6)`: a deployment, for a person. */
export const describeDeployment = (d: DeploymentDetails) =>
  `${d.id} (${d.flowName} → ${d.env}, ${d.commit.slice(0, 12)})`;

/**
 * Approves or rejects `d` as `me`, once the rules allow it: refused (DeployError) for the asker
 * under `notInitiator`, a second approval by one identity, a request decided or expired; a
 * UsageError for a deployment that waits for no approval or has finished. A plan of promotes asks
 * on its first deploy (approvals.ts, PlanApproval): deciding that one decides the whole plan; a
 * later deploy of the plan is refused with the id to decide instead.
 */
export async function decideApproval(
  store: DeploymentStore,
  d: DeploymentDetails,
  decision: ApprovalDecision['decision'],
  me: string,
  comment?: string,
): Promise<DecisionOutcome> {
  const deciding = decidingStore(store);
  const request = waitingRequest(d);
  // A plan asks once, on its first deploy: that one is decided, for all of them.
  const what = request.plan
    ? `${describeDeployment(d)}, the first deploy of ${describePlanApproval(request.plan)},`
    : describeDeployment(d);
  const before = approvalState(request, await deciding.decisions(d.id));
  const verb = decision === 'approved' ? 'approve' : 'reject';
  if (before.state === 'approved')
    throw new DeployError(
      `${what} is approved already (${describeApproval(request, before)}); it runs through the queue${decision === 'rejected' ? `. To stop it, cancel it: flowport cancel ${d.id}` : ''}.`,
    );
  // A rejection needs no particular identity: only a request that is still open can be rejected.
  const refusal =
    decision === 'approved' || before.state !== 'pending' ? approveRefusal(request, before, me) : undefined;
  if (refusal) throw new DeployError(`cannot ${verb} ${what}: ${refusal}.`);
  const made = await deciding.decide({
    deploymentId: d.id,
    decision,
    by: me,
    ...(comment === undefined ? {} : { comment }),
  });
  const after = approvalState(request, await deciding.decisions(d.id));
  const state = after.state === 'expired' ? 'pending' : after.state;
  const message =
    decision === 'rejected'
      ? `Rejected by ${me}: ${request.plan ? `${describePlanApproval(request.plan)} (asked on ${d.id})` : what} will not run.`
      : after.state === 'approved'
        ? request.plan
          ? `Approved by ${me}: ${describePlanApproval(request.plan)} runs now, in order, without asking again (deployment ${d.id} first).`
          : `Approved by ${me}: ${what} runs now, through the queue.`
        : `Approved by ${me}: ${what} has ${describeApproval(request, after)}.`;
  return { decision: made, state, deploymentId: d.id, message };
}

/** The request of a deployment that waits for approval; a clear refusal for any other. */
function waitingRequest(d: DeploymentDetails): ApprovalRequest {
  const request = approvalOf(d);
  if (!request)
    throw new UsageError(`${describeDeployment(d)} does not wait for approval: its environment asks for none.`);
  if (request.plan?.heldBy)
    throw new UsageError(
      `${describeDeployment(d)} runs under the approval of its plan, asked on ${request.plan.heldBy}: decide that one (flowport approve ${request.plan.heldBy}).`,
    );
  if (FINAL_STATUSES.includes(d.status))
    throw new UsageError(`${describeDeployment(d)} is ${d.status} already: nothing to decide.`);
  return request;
}

/** The requests still waiting for a decision, oldest first; `shown` makes each what its reader may see. */
export async function pendingApprovals(
  store: DeploymentStore,
  shown: (d: DeploymentDetails) => DeploymentDetails = (d) => d,
): Promise<PendingApproval[]> {
  const waiting = (await store.findDeployments({ history: true })).filter(
    (d) => !FINAL_STATUSES.includes(d.status) && d.attributes.awaiting === 'approval',
  );
  const pending: PendingApproval[] = [];
  for (const d of waiting) {
    const request = approvalOf(d);
    if (!request) continue;
    const state = approvalState(request, (await store.decisions?.(d.id)) ?? []);
    if (state.state !== 'pending') continue;
    pending.push({ deployment: shown(d), request, approvedBy: state.approvedBy, needed: state.needed });
  }
  return pending;
}

export type LockingStore = DeploymentStore & Required<Pick<DeploymentStore, 'lock' | 'unlock' | 'locks'>>;

/** The store, when it keeps locks (the local ledger does); a clear error otherwise. */
export function lockingStore(store: DeploymentStore): LockingStore {
  if (typeof store.lock === 'function' && typeof store.unlock === 'function' && typeof store.locks === 'function')
    return store as LockingStore;
  throw new DeployError(
    'the configured deployments store keeps no locks: use localLedger() (the default) or a store that implements lock, unlock and locks',
  );
}

/** The lock that holds `env` (or `flowName` in it), or a UsageError saying nothing does. */
export function heldLock(locks: readonly EnvLock[], env: string, flowName: string | undefined): EnvLock {
  const held = locks.find((l) => l.env === env && l.flowName === flowName);
  if (held) return held;
  const what = flowName === undefined ? env : `"${flowName}" in ${env}`;
  throw new UsageError(`${what} is not locked; "flowport locks" lists the locks that hold.`);
}

/** Whether unlocking `lock` as `me` needs a confirmation first (it is someone else's), and its question. */
export function unlockQuestion(lock: EnvLock, me: string): string | undefined {
  return lock.by === me ? undefined : `${describeLock(lock)}, not by you (${me})`;
}

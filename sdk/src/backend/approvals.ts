/**
 * Approvals: a deploy to an environment whose config asks for approval waits, recorded `queued`,
 * until enough identities other than (by default) the one that asked have approved it; a
 * rejection or the request's expiry ends it with nothing run. The request is recorded on the
 * deployment (`attributes.approval`) by the deployer that knows the policy; decisions are records
 * of their own in the store. This module is the rule, the same for every store engine.
 */
import type { ApprovalPolicy } from '../config/define.js';
import type { DeploymentDetails, JsonValue, RunContext } from '../model.js';

/** What a deployment that needs approval records: the policy as it was when it was asked for. */
export interface ApprovalRequest {
  required: number;
  notInitiator: boolean;
  /** ISO 8601; null: it never expires. */
  expiresAt: string | null;
  /** The identity that asked (git's user.email, else user@host). */
  requestedBy: string;
  /** When the request is a plan's: one approval for all the deploys it sends, in order. */
  plan?: PlanApproval;
}

/**
 * A plan of several promotes into an environment that asks for approval asks once: its first
 * deploy records the request with the whole plan on it (every flow and commit, in order), the
 * approvers decide that one, and each later deploy of the plan records the same request with
 * `heldBy` naming the first. The approval covers exactly those deploys, each once, in that order:
 * the runner of each checks it (planCoverageRefusal) before it counts the first's decisions.
 */
export interface PlanApproval {
  from: string;
  to: string;
  /** Each deploy the plan sends, in the order it runs them. */
  steps: Array<{ flow: string; commit: string }>;
  /** This deploy's place in `steps`. */
  step: number;
  /** The plan's first deploy, whose request the approvers decide; absent on that one. */
  heldBy?: string;
}

/** One decision on a request, as the store keeps it. */
export interface ApprovalDecision {
  /** The deployment that waits: its id is the request's. */
  deploymentId: string;
  decision: 'approved' | 'rejected';
  by: string;
  at: string;
  comment?: string;
}

export type ApprovalState =
  | { state: 'pending'; approvedBy: string[]; needed: number }
  | { state: 'approved'; approvedBy: string[] }
  | { state: 'rejected'; by: string; at: string; reason: string }
  | { state: 'expired'; at: string };

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `'30m'`, `'24h'`, `'7d'` in milliseconds (the config validates the form). */
export function durationMs(text: string): number {
  const m = /^([1-9][0-9]*)(m|h|d)$/.exec(text);
  if (!m) throw new TypeError(`not a duration like "24h": ${JSON.stringify(text)}`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** The request a deploy asked for now by `requestedBy` records under `policy`. */
export function approvalRequest(policy: ApprovalPolicy, requestedBy: string, now = Date.now()): ApprovalRequest {
  return {
    required: policy.required ?? 1,
    notInitiator: policy.notInitiator ?? true,
    expiresAt: policy.expiresAfter ? new Date(now + durationMs(policy.expiresAfter)).toISOString() : null,
    requestedBy,
  };
}

/** A deployment's approval request, when it has a well-formed one (records are the project's text). */
export function approvalOf(d: Pick<DeploymentDetails, 'attributes'>): ApprovalRequest | undefined {
  const a = d.attributes.approval;
  if (!a || typeof a !== 'object' || Array.isArray(a)) return undefined;
  const { required, notInitiator, expiresAt, requestedBy, plan } = a as Record<string, JsonValue>;
  const planned = plan === undefined ? undefined : planApprovalOf(plan);
  if (
    (plan !== undefined && !planned) ||
    typeof required !== 'number' ||
    !Number.isInteger(required) ||
    required < 1 ||
    typeof notInitiator !== 'boolean' ||
    !(expiresAt === null || (typeof expiresAt === 'string' && !Number.isNaN(Date.parse(expiresAt)))) ||
    typeof requestedBy !== 'string'
  )
    return undefined;
  return { required, notInitiator, expiresAt, requestedBy, ...(planned ? { plan: planned } : {}) };
}

function planApprovalOf(p: JsonValue): PlanApproval | undefined {
  if (!p || typeof p !== 'object' || Array.isArray(p)) return undefined;
  const { from, to, steps, step, heldBy } = p as Record<string, JsonValue>;
  if (typeof from !== 'string' || typeof to !== 'string' || !Array.isArray(steps)) return undefined;
  const parsed: PlanApproval['steps'] = [];
  for (const s of steps) {
    if (!s || typeof s !== 'object' || Array.isArray(s)) return undefined;
    const { flow, commit } = s as Record<string, JsonValue>;
    if (typeof flow !== 'string' || typeof commit !== 'string') return undefined;
    parsed.push({ flow, commit });
  }
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0 || step >= parsed.length) return undefined;
  if (heldBy !== undefined && typeof heldBy !== 'string') return undefined;
  return { from, to, steps: parsed, step, ...(heldBy === undefined ? {} : { heldBy }) };
}

/** The deployment whose decisions count for `d`'s request: the plan's first deploy, or `d` itself. */
export function decidedOn(d: Pick<DeploymentDetails, 'id'>, request: ApprovalRequest): string {
  return request.plan?.heldBy ?? d.id;
}

/** `the plan of 3 promotes to prod (db → api → web)`: what a plan's approval covers, for a person. */
export function describePlanApproval(plan: PlanApproval): string {
  return `the plan of ${plan.steps.length} promotes to ${plan.to} (${plan.steps.map((s) => s.flow).join(' → ')})`;
}

/**
 * Why `d`, a deploy of a plan, is not covered by the plan's approval: it is not the flow and
 * commit at its place in the plan; or, for a later deploy (`request.plan.heldBy` set), the first
 * deploy (`holder`) is not that plan's or has not succeeded, or another deploy took its place
 * already (`earlier`: the deployments of `d`'s flow and environment recorded before it).
 */
export function planCoverageRefusal(
  d: Pick<DeploymentDetails, 'flowName' | 'env' | 'commit'>,
  request: ApprovalRequest,
  holder: DeploymentDetails | undefined,
  earlier: readonly DeploymentDetails[],
): string | undefined {
  const plan = request.plan;
  if (!plan) return undefined;
  const mine = plan.steps[plan.step]!;
  if (d.env !== plan.to || d.flowName !== mine.flow || d.commit !== mine.commit)
    return `the plan covers ${mine.flow} ${mine.commit.slice(0, 12)} in ${plan.to}, not ${d.flowName} ${d.commit.slice(0, 12)} in ${d.env}`;
  if (!plan.heldBy) return undefined;
  const first = holder && approvalOf(holder);
  if (!holder || !first?.plan || first.plan.heldBy !== undefined)
    return `its plan's approval request ${plan.heldBy} is not a plan's first deploy in the store`;
  const same = (a: ApprovalRequest, b: ApprovalRequest) =>
    a.required === b.required &&
    a.notInitiator === b.notInitiator &&
    a.expiresAt === b.expiresAt &&
    a.requestedBy === b.requestedBy &&
    a.plan!.from === b.plan!.from &&
    a.plan!.to === b.plan!.to &&
    JSON.stringify(a.plan!.steps) === JSON.stringify(b.plan!.steps);
  if (!same(first, request)) return `the plan approved on ${holder.id} is not the plan this deploy belongs to`;
  if (plan.step <= first.plan.step) return `it comes before ${holder.id} in the plan, which was approved first`;
  if (holder.status !== 'succeeded')
    return `the plan's first deploy ${holder.id} is ${holder.status}, not succeeded: the plan stopped there`;
  const taken = earlier.find((e) => {
    const r = approvalOf(e);
    return r?.plan?.heldBy === plan.heldBy && r?.plan?.step === plan.step;
  });
  if (taken) return `the plan approved on ${holder.id} covered ${mine.flow} once already, with deployment ${taken.id}`;
  return undefined;
}

/** A run of a plan's deploy: what its deployer records as its approval request (see {@link PlanApproval}). */
export interface PlanApprovalRun extends RunContext {
  planApproval?: {
    plan: PlanApproval;
    /** For a later deploy: the first deploy's request, recorded again (with this plan step). */
    request?: ApprovalRequest;
  };
}

/** The approval request a deploy of `run` records in its environment, under `policy`, asked by `requestedBy`. */
export function requestFor(
  run: RunContext,
  flowName: string,
  policy: ApprovalPolicy,
  requestedBy: string,
): ApprovalRequest {
  const planned = (run as PlanApprovalRun).planApproval;
  const mine = planned?.plan.steps[planned.plan.step];
  if (!planned || mine?.flow !== flowName) return approvalRequest(policy, requestedBy);
  if (planned.request) {
    const { plan: _first, ...asked } = planned.request;
    return { ...asked, plan: planned.plan };
  }
  return { ...approvalRequest(policy, requestedBy), plan: planned.plan };
}

/**
 * Where a request stands after `decisions` (in the order recorded): the first rejection ends it;
 * approvals count once per identity, the asker's not when `notInitiator`, and only those made
 * before it expired.
 */
export function approvalState(
  request: ApprovalRequest,
  decisions: readonly ApprovalDecision[],
  now = Date.now(),
): ApprovalState {
  const expires = request.expiresAt === null ? Infinity : Date.parse(request.expiresAt);
  const approvedBy: string[] = [];
  for (const d of decisions) {
    if (Date.parse(d.at) > expires) break;
    if (d.decision === 'rejected') return { state: 'rejected', by: d.by, at: d.at, reason: d.comment ?? '' };
    if (request.notInitiator && d.by === request.requestedBy) continue;
    if (!approvedBy.includes(d.by)) approvedBy.push(d.by);
    if (approvedBy.length >= request.required) return { state: 'approved', approvedBy };
  }
  if (now > expires) return { state: 'expired', at: request.expiresAt! };
  return { state: 'pending', approvedBy, needed: request.required - approvedBy.length };
}

/** Why `me` may not approve now, if it may not (the request is decided, or `me` cannot count). */
export function approveRefusal(request: ApprovalRequest, state: ApprovalState, me: string): string | undefined {
  if (state.state === 'rejected') return `it was rejected by ${state.by} at ${state.at}`;
  if (state.state === 'expired') return `its approval request expired at ${state.at}; deploy it again to ask anew`;
  if (state.state === 'approved') return undefined;
  if (request.notInitiator && me === request.requestedBy)
    return `you (${me}) asked for it, and ${request.required === 1 ? 'an approval' : 'approvals'} by another identity ${request.required === 1 ? 'is' : 'are'} required`;
  if (state.approvedBy.includes(me))
    return `you (${me}) approved it already; it needs ${state.needed} more by ${state.needed === 1 ? 'another identity' : 'other identities'}`;
  return undefined;
}

/** `1 of 2 approvals (alice@…)`: a pending request, for a person. */
export function describeApproval(request: ApprovalRequest, state: ApprovalState): string {
  switch (state.state) {
    case 'pending':
    case 'approved': {
      const by = state.approvedBy.length ? ` (${state.approvedBy.join(', ')})` : '';
      const others = request.notInitiator ? `, not by ${request.requestedBy}` : '';
      const plan = request.plan ? `, for ${describePlanApproval(request.plan)}` : '';
      return `${state.approvedBy.length} of ${request.required} approval${request.required === 1 ? '' : 's'}${by}${others}${plan}`;
    }
    case 'rejected':
      return `rejected by ${state.by}${state.reason ? `: "${state.reason}"` : ''}`;
    case 'expired':
      return `expired at ${state.at}`;
  }
}

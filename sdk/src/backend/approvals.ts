/**
 * Approvals: a deploy to an environment whose config asks for approval waits, recorded `queued`,
 * until enough identities other than (by default) the one that asked have approved it; a
 * rejection or the request's expiry ends it with nothing run. The request is recorded on the
 * deployment (`attributes.approval`) by the deployer that knows the policy; decisions are records
 * of their own in the store. This module is the rule, the same for every store engine.
 */
import type { ApprovalPolicy } from '../config/define.js';
import type { DeploymentDetails, JsonValue } from '../model.js';

/** What a deployment that needs approval records: the policy as it was when it was asked for. */
export interface ApprovalRequest {
  required: number;
  notInitiator: boolean;
  /** ISO 8601; null: it never expires. */
  expiresAt: string | null;
  /** The identity that asked (git's user.email, else user@host). */
  requestedBy: string;
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
  const { required, notInitiator, expiresAt, requestedBy } = a as Record<string, JsonValue>;
  if (
    typeof required !== 'number' ||
    !Number.isInteger(required) ||
    required < 1 ||
    typeof notInitiator !== 'boolean' ||
    !(expiresAt === null || (typeof expiresAt === 'string' && !Number.isNaN(Date.parse(expiresAt)))) ||
    typeof requestedBy !== 'string'
  )
    return undefined;
  return { required, notInitiator, expiresAt, requestedBy };
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
      return `${state.approvedBy.length} of ${request.required} approval${request.required === 1 ? '' : 's'}${by}${others}`;
    }
    case 'rejected':
      return `rejected by ${state.by}${state.reason ? `: "${state.reason}"` : ''}`;
    case 'expired':
      return `expired at ${state.at}`;
  }
}

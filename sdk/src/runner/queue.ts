/**
 * The deploy queue: one deployment at a time per flow × environment, in the order the store
 * recorded them, each after its approval when its environment asks for one. A deployment's runner waits here until every one recorded before it has finished,
 * holding its lease all the while, so a queued deploy starts by itself when its turn comes (the
 * process that asked for it may be long gone) and a queue whose runner died moves on.
 */
import {
  approvalOf,
  approvalState,
  decidedOn,
  describeApproval,
  describePlanApproval,
  planCoverageRefusal,
} from '../backend/approvals.js';
import { FINAL_STATUSES, type DeploymentDetails } from '../model.js';
import type { DeploymentStore } from '../backend/store.js';
import type { LeaseTimes } from './spec.js';

/** How often a queued runner looks whether its turn has come, on a store that cannot tell it of changes. */
const QUEUE_POLL_MS = 100;

/** The unfinished deployments of `d`'s flow and environment recorded before it, oldest first. */
export function aheadOf(deployments: readonly DeploymentDetails[], d: DeploymentDetails): DeploymentDetails[] {
  const own = deployments.findIndex((x) => x.id === d.id);
  return deployments
    .slice(0, own === -1 ? deployments.length : own)
    .filter((x) => x.flowName === d.flowName && x.env === d.env && !FINAL_STATUSES.includes(x.status));
}

/** Every deployment of `d`'s flow and environment recorded before it, finished or not. */
function aheadOfAll(deployments: readonly DeploymentDetails[], d: DeploymentDetails): DeploymentDetails[] {
  const own = deployments.findIndex((x) => x.id === d.id);
  return deployments
    .slice(0, own === -1 ? deployments.length : own)
    .filter((x) => x.flowName === d.flowName && x.env === d.env);
}

/** `2nd in line, behind 20261201-… (running)`: where a queued deployment stands. */
export function queuePlace(ahead: readonly DeploymentDetails[]): string {
  const head = ahead[0];
  return `${ordinal(ahead.length + 1)} in line, behind ${head ? `${head.id} (${head.status})` : 'nothing'}`;
}

export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/**
 * Resolves once no deployment of `d`'s flow and environment recorded before it is unfinished, or
 * with false as soon as `signal` aborts (a cancel of the queued deploy). The first wait records
 * `d` as `queued` (after its lease, so no reader judges it by the process that asked for it);
 * `onPlace` hears each change of place.
 */
export async function awaitTurn(
  store: DeploymentStore,
  d: DeploymentDetails,
  signal: AbortSignal,
  lease: LeaseTimes,
  onPlace: (place: string) => void,
): Promise<boolean> {
  let place: string | undefined;
  const renew = leaseRenewer(store, d.id, lease);
  // Listening before the first look, so a change between a look and the wait still wakes it.
  const changes = store.onChanges ? wakeOnChange(store.onChanges.bind(store)) : undefined;
  try {
    for (;;) {
      if (signal.aborted) return false;
      const ahead = store.unfinishedAhead
        ? await store.unfinishedAhead(d)
        : aheadOf(await store.findDeployments({ flows: [d.flowName], envs: [d.env], history: true }), d);
      if (ahead.length === 0) return true;
      await renew();
      const now = queuePlace(ahead);
      if (now !== place) {
        if (place === undefined)
          await store.update(d.id, { status: 'queued', attributes: { queuedBehind: ahead[0]!.id } });
        onPlace(now);
        place = now;
      }
      // A store that tells of changes is looked at again when one comes, or at the next heartbeat
      // at the latest: a lease running out ahead is no write, so nothing tells of it.
      await (changes ? changes.next(signal, lease.heartbeatMs) : pause(signal, QUEUE_POLL_MS));
    }
  } finally {
    changes?.stop();
  }
}

/** Waits for the next change `subscribe` hears (or one heard since the last wait), `ms` at most, cut short by a signal. */
export function wakeOnChange(subscribe: (onChange: () => void) => () => void): {
  next(signal: AbortSignal, ms: number): Promise<void>;
  stop(): void;
} {
  let heard = false;
  let wake: (() => void) | undefined;
  const stop = subscribe(() => {
    heard = true;
    wake?.();
  });
  return {
    next(signal, ms) {
      if (heard) {
        heard = false;
        return Promise.resolve();
      }
      return pause(signal, ms, (done) => (wake = done)).finally(() => {
        wake = undefined;
        heard = false;
      });
    },
    stop,
  };
}

/**
 * Resolves once `d`'s approval request (if it has one) is approved, recording who approved it;
 * or with why it must not run: rejected, expired, or cancelled (`signal`) while it waited. It
 * holds its place in the queue meanwhile: a later deploy of the flow there waits behind it (reject
 * or cancel it to let them go). `onWaiting` hears once that it waits, and why. A later deploy of a
 * plan counts the decisions on the plan's first deploy, once it is sure the plan covers it.
 */
export async function awaitApproval(
  store: DeploymentStore,
  d: DeploymentDetails,
  signal: AbortSignal,
  lease: LeaseTimes,
  onWaiting: (what: string) => void,
  /** Hears who approved it, once it is approved (for the log). */
  onApproved?: (what: string) => void,
): Promise<string | undefined> {
  const request = approvalOf(d);
  if (!request) return undefined;
  if (!store.decisions)
    return 'its environment asks for approval, and the configured store keeps no approvals; nothing ran';
  let waiting = false;
  const renew = leaseRenewer(store, d.id, lease);
  const changes = store.onChanges ? wakeOnChange(store.onChanges.bind(store)) : undefined;
  const decisions = store.decisions.bind(store);
  const plan = request.plan;
  if (plan) {
    const holder = plan.heldBy === undefined ? undefined : await store.getDeployment(plan.heldBy);
    const earlier = plan.heldBy
      ? aheadOfAll(await store.findDeployments({ flows: [d.flowName], envs: [d.env], history: true }), d)
      : [];
    const refusal = planCoverageRefusal(d, request, holder, earlier);
    if (refusal) return `not run: ${refusal}; nothing ran`;
  }
  const on = decidedOn(d, request);
  try {
    for (;;) {
      if (signal.aborted) return 'cancelled while it waited for approval; nothing ran';
      // Gone from the store (its state folder removed) or finished by someone else: nothing to wait for.
      const now = await store.getDeployment(d.id);
      if (!now) return 'not run: it is no longer in the store';
      if (FINAL_STATUSES.includes(now.status))
        return `not run: it was recorded as ${now.status} while it waited for approval`;
      const state = approvalState(request, await decisions(on));
      switch (state.state) {
        case 'approved':
          // A plan's deploy says under which approval it ran: who approved, and on which deploy.
          await store.update(d.id, {
            attributes: { awaiting: null, approvedBy: state.approvedBy, ...(plan ? { approvedWithPlan: on } : {}) },
          });
          onApproved?.(
            `approved by ${state.approvedBy.join(', ')}` +
              (plan ? ` for ${describePlanApproval(plan)}, asked on ${on}` : ''),
          );
          return undefined;
        case 'rejected':
          return `not run: ${plan ? `${describePlanApproval(plan)} was ` : ''}rejected by ${state.by} at ${state.at}${state.reason ? `: "${state.reason}"` : ''}`;
        case 'expired':
          return plan
            ? `not run: the approval request for ${describePlanApproval(plan)} expired at ${state.at} undecided; promote them again to ask anew`
            : `not run: its approval request expired at ${state.at} undecided; deploy it again to ask anew`;
      }
      await renew();
      if (!waiting) {
        await store.update(d.id, { status: 'queued', attributes: { awaiting: 'approval' } });
        onWaiting(`waiting for approval: ${describeApproval(request, state)}`);
        waiting = true;
      }
      // A decision is a write (heard); an expiry is not: looked at again by the next heartbeat.
      await (changes ? changes.next(signal, lease.heartbeatMs) : pause(signal, QUEUE_POLL_MS));
    }
  } finally {
    changes?.stop();
  }
}

/** Renews `id`'s lease when a heartbeat has passed since it last did: a waiting runner holds one as a running one does. */
function leaseRenewer(store: DeploymentStore, id: string, lease: LeaseTimes): () => Promise<void> {
  let renewed = 0;
  return async () => {
    if (Date.now() - renewed < lease.heartbeatMs) return;
    await store.renewLease?.(id, lease.leaseMs);
    renewed = Date.now();
  };
}

/** A poll's wait of `ms`, cut short by `signal` (or by whoever `onDone` gives the ending to). */
export function pause(signal: AbortSignal, ms: number, onDone?: (done: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    onDone?.(done);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Which environments a Deploy or Promote can pick, and why the others cannot: decided from what
 * the view model knows (what runs where), so a picker offers only what the host would accept.
 */
import type { FlowDetails } from '../../../sdk/src/model';
import { describeLock } from '../../../sdk/src/backend/locks';
import { isActiveStatus, shortCommit } from '../model/matrix';
import { lockLookup } from '../model/locks';
import type { FolderState } from '../store';
import { currentIn } from '../tasks/refusal';
import type { EnvChoice } from './pickers';

function envNames(state: FolderState): string[] {
  return (state.project?.environments ?? []).map((e) => e.name);
}

function isProtected(state: FolderState, env: string): boolean {
  return state.project?.environments.find((e) => e.name === env)?.protected === true;
}

function deploying(state: FolderState, flows: readonly FlowDetails[], env: string): FlowDetails | undefined {
  return flows.find((f) =>
    state.deployments.some((d) => d.flowName === f.name && d.env === env && isActiveStatus(d.status)),
  );
}

/** Why a deploy of (one of) the flows to `env` is refused now: a lock there, with who, why and since. */
function lockedReason(state: FolderState, flows: readonly FlowDetails[], env: string): string | undefined {
  const lockFor = lockLookup(state);
  for (const f of flows) {
    const lock = lockFor(f.name, env);
    if (lock) return describeLock(lock);
  }
  return undefined;
}

/**
 * A choice's words for a deploy there now: refused while locked; behind a deploy of the flow
 * still unfinished there it waits its turn (the queue), which the picker says.
 */
function deployChoice(state: FolderState, flows: readonly FlowDetails[], env: string): EnvChoice {
  const locked = lockedReason(state, flows, env);
  if (locked) return { env, reason: locked };
  const words = [];
  if (isProtected(state, env)) words.push('protected');
  const busy = deploying(state, flows, env);
  if (busy) words.push(`queues behind the deploy of "${busy.name}" there now`);
  return words.length ? { env, description: words.join(' · ') } : { env };
}

/** "Deploy to": every environment but a locked one; one where the flow deploys now says it queues. */
export function deployTargets(state: FolderState, flows: readonly FlowDetails[]): EnvChoice[] {
  return envNames(state).map((env) => deployChoice(state, flows, env));
}

/**
 * The commit a promote from `from` to `to` would send for one flow, or why there is none: nothing
 * deployed in `from`, or `to` already runs it.
 */
function promoteOf(
  state: FolderState,
  flow: FlowDetails,
  from: string,
  to: string,
): { commit: string } | { reason: string } {
  const source = currentIn(state, flow.name, from);
  if (!source) return { reason: `nothing of "${flow.name}" deployed there yet` };
  if (currentIn(state, flow.name, to)?.commit === source.commit)
    return { reason: `${to} already runs ${shortCommit(source.commit)}` };
  return { commit: source.commit };
}

/** The environments a promote from `from` may go to: the next one, or any later one when skipping is allowed. */
function reachable(state: FolderState, from: string): string[] {
  const names = envNames(state);
  const i = names.indexOf(from);
  if (i < 0) return [];
  return state.project?.allowSkippingEnvironments ? names.slice(i + 1) : names.slice(i + 1, i + 2);
}

/** The fewest words for why none of the flows can go: the first flow's reason, or a count. */
function whyNone(reasons: string[], flows: readonly FlowDetails[]): string {
  return flows.length === 1 || new Set(reasons).size === 1 ? reasons[0]! : `none of the ${flows.length} flows can go`;
}

/** "Promote from": an environment with something to send on; the last one and those with nothing deployed are not. */
export function promoteSources(state: FolderState, flows: readonly FlowDetails[]): EnvChoice[] {
  const names = envNames(state);
  return names.map((from, i) => {
    if (i === names.length - 1) return { env: from, reason: 'the last environment: there is nothing after it' };
    const targets = reachable(state, from);
    const plans = flows.map((f) => targets.map((to) => promoteOf(state, f, from, to)));
    const sendable = plans.map((p) => p.find((x): x is { commit: string } => 'commit' in x));
    if (sendable.every((s) => s === undefined)) {
      const reasons = plans.map((p) => (p[0] && 'reason' in p[0] ? p[0].reason : 'nothing to promote'));
      return { env: from, reason: whyNone(reasons, flows) };
    }
    const next = targets.length === 1 ? ` → ${targets[0]}` : '';
    const count = sendable.filter(Boolean).length;
    const what = flows.length === 1 ? shortCommit(sendable[0]!.commit) : `${count} of ${flows.length} flows`;
    return { env: from, description: `${what}${next}` };
  });
}

/** "Promote from X to": later environments the route may take that do not already run what X runs. */
export function promoteTargets(state: FolderState, flows: readonly FlowDetails[], from: string): EnvChoice[] {
  const names = envNames(state);
  const targets = reachable(state, from);
  return names.slice(names.indexOf(from) + 1).map((to) => {
    if (!targets.includes(to)) {
      const next = names[names.indexOf(from) + 1]!;
      return { env: to, reason: `skips ${next} (flowport.config.ts does not set allowSkippingEnvironments)` };
    }
    const plans = flows.map((f) => promoteOf(state, f, from, to));
    if (plans.every((p) => 'reason' in p)) {
      return {
        env: to,
        reason: whyNone(
          plans.map((p) => ('reason' in p ? p.reason : '')),
          flows,
        ),
      };
    }
    return deployChoice(state, flows, to);
  });
}

/**
 * Several flows in one call: pick them by name or group, then deploy or promote each in turn. Each
 * flow gets its own record and its own result; one flow's refusal or failure does not stop the
 * others, a cancel does. Bad input or config (an unknown ref or environment, no deploy command)
 * is thrown, since it would be the same for every flow.
 */
import { UsageError } from '../errors.js';
import {
  groupsOf,
  type Deployer,
  type DeploymentDetails,
  type DeploymentFinder,
  type FlowDetails,
  type FlowFinder,
  type Promoter,
  type RunContext,
} from '../model.js';
import type { PromotePlanner } from './promoter.js';
import { approvalOf, type ApprovalRequest, type PlanApprovalRun } from './approvals.js';
import type { DetachableRun } from '../runner/start.js';
import { planRollback } from './releases.js';
import { LOG_PREFIX } from './run.js';
import { hintOf, withHint, type CommandHint } from '../hint.js';
import type { PromotionPlan } from './promotion-plan.js';

export type FlowOutcome =
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'interrupted'
  /** The deployer returned while the deployment still runs (a deployer that hands off to a service). */
  | 'started'
  /** A promote found the target already running that commit. */
  | 'unchanged'
  /** Recorded, and waiting for its environment's approval (`flowport approve <id>`). */
  | 'awaiting-approval'
  /** Refused before anything ran (e.g. nothing to promote from). */
  | 'refused';

export interface FlowRunResult {
  flow: string;
  env: string;
  outcome: FlowOutcome;
  /** One line for a human: what happened and, when it went wrong, why. */
  message: string;
  /** The deployment made (or, for `unchanged`, the one already there); null when none was. */
  deployment: DeploymentDetails | null;
  /** For a refusal: the command that fixes it (the message ends with it as text). */
  hint?: CommandHint;
}

/** Outcomes that make a CLI run exit 0. */
export const GOOD_OUTCOMES: readonly FlowOutcome[] = ['succeeded', 'unchanged', 'started', 'awaiting-approval'];

/** Flows by name and by group, in the order asked, each once. Unknown names and empty groups are refused. */
export async function selectFlows(
  finder: FlowFinder,
  selection: { flows?: string[]; groups?: string[] },
): Promise<FlowDetails[]> {
  const names = selection.flows ?? [];
  const groups = selection.groups ?? [];
  if (names.length === 0 && groups.length === 0)
    throw new UsageError('name at least one flow, or a group with --group');
  const all = await finder.findFlows();
  const picked = new Map<string, FlowDetails>();
  for (const name of names) {
    const flow = all.find((f) => f.name === name);
    if (!flow)
      throw new UsageError(
        `unknown flow "${name}". ${listing(
          'Flows',
          all.map((f) => f.name),
        )} "flowport flows" lists them.`,
      );
    picked.set(flow.name, flow);
  }
  for (const asked of groups) {
    // `./src/billing/` names the same folder as `src/billing`.
    const group = asked.replace(/^\.\//, '').replace(/\/+$/, '');
    const members = all.filter((f) => groupsOf(f).includes(group));
    if (members.length === 0) {
      const known = [...new Set(all.flatMap(groupsOf))];
      throw new UsageError(`no flows in group "${group}". ${listing('Groups', known)}`);
    }
    for (const flow of members) picked.set(flow.name, flow);
  }
  const flows = [...picked.values()];
  refuseAmbiguous(flows, all);
  return flows;
}

/**
 * Deployments are recorded by flow name: a name that two flows in the source share cannot be
 * deployed until one is renamed, or the ledger would mix their versions.
 */
export function refuseAmbiguous(picked: readonly FlowDetails[], all: readonly FlowDetails[]): void {
  for (const flow of picked) {
    const same = all.filter((f) => f.name === flow.name);
    if (same.length < 2) continue;
    throw new UsageError(
      `flow name "${flow.name}" is defined ${same.length} times (${same.map((f) => `${f.sourceRelative}:${f.line}`).join(', ')}): rename all but one, so their deployments stay apart`,
    );
  }
}

/** Deploys each flow to `env` in turn. */
export async function deployFlows(
  deployer: Deployer,
  flows: FlowDetails[],
  options: { env: string; ref?: string },
  run: RunContext,
): Promise<FlowRunResult[]> {
  return each(flows, options.env, run, async (flow, ctx) =>
    resultOf(
      flow.name,
      options.env,
      await deployer.deploy({ flow, env: options.env, ...(options.ref ? { ref: options.ref } : {}) }, ctx),
    ),
  );
}

/**
 * Promotes each flow from `from` to `to` in turn. With a {@link PromotionPlan} (planPromotion), in
 * the plan's order; when its flows read each other's outputs (`plan.ordered`), the first flow that
 * does not get there stops the rest, and the result of each promoted before names the rollback.
 *
 * A plan into an environment that asks for approval (`plan.approval`) asks once: its first deploy
 * records the request for the whole plan and this call follows it until it has run (approved by
 * `flowport approve <its id>`); each later deploy then records the same request under it and runs
 * without asking. A refusal (rejected, expired) or a failure stops the rest of the plan.
 */
export async function promoteFlows(
  promoter: Promoter,
  flows: FlowDetails[],
  options: { from: string; to: string; plan?: PromotionPlan },
  run: RunContext,
): Promise<FlowRunResult[]> {
  const planner = promoter as Promoter & Partial<PromotePlanner>;
  const plan = options.plan;
  const order = plan ? plan.steps.map((s) => s.flow) : flows;
  const approval = plan?.approval;
  // The plan's first deploy, once it recorded the plan's request; `asked` once one was sent without it.
  let holder: { id: string; request: ApprovalRequest } | undefined;
  let asked = false;
  const covered = (flow: FlowDetails, ctx: RunContext): RunContext => {
    const step = approval && !(asked && !holder) ? approval.steps.findIndex((s) => s.flow === flow.name) : -1;
    if (step === -1) return ctx;
    const planApproval: NonNullable<PlanApprovalRun['planApproval']> = {
      plan: {
        from: options.from,
        to: options.to,
        steps: approval!.steps,
        step,
        ...(holder ? { heldBy: holder.id } : {}),
      },
      ...(holder ? { request: holder.request } : {}),
    };
    return { ...ctx, planApproval, holdForApproval: true } as PlanApprovalRun & DetachableRun;
  };
  const results = await each(
    order,
    options.to,
    run,
    async (flow, ctx) => {
      const request = { flow, from: options.from, to: options.to };
      if (typeof planner.plan === 'function') {
        const plan = await planner.plan(request);
        if (plan.action === 'unchanged') {
          return {
            flow: flow.name,
            env: options.to,
            outcome: 'unchanged',
            message: plan.message,
            deployment: plan.target,
          };
        }
      }
      const runCtx = covered(flow, ctx);
      const d = await promoter.promote(request, runCtx);
      if (runCtx !== ctx && !holder) {
        asked = true;
        const recorded = approvalOf(d);
        if (recorded?.plan) holder = { id: d.id, request: recorded };
      }
      return resultOf(flow.name, options.to, d);
    },
    plan?.ordered || approval ? stopAfter(options.to, () => holder?.id) : undefined,
  );
  return plan?.ordered || approval ? withRollbackOffer(results, options.to) : results;
}

/**
 * In an ordered plan, a flow that did not get there stops those after it: they may read its
 * outputs. In a plan approved as a whole, too; and when the plan's request was refused
 * (`holderId`'s deploy ended unrun), the rest says why.
 */
function stopAfter(env: string, holderId: () => string | undefined): StopRule {
  return (result) => {
    if (result.outcome === 'succeeded' || result.outcome === 'unchanged') return undefined;
    const reason = result.deployment?.attributes.reason;
    if (
      result.deployment?.id !== undefined &&
      result.deployment.id === holderId() &&
      result.outcome === 'cancelled' &&
      typeof reason === 'string' &&
      reason.startsWith('not run: ')
    )
      return `not started: ${reason.slice('not run: '.length)}; nothing of the plan ran`;
    return `not started: ${result.flow} before it in the plan ${result.outcome === 'awaiting-approval' ? `waits for approval; promote the rest once it has run in ${env}` : `did not get to ${env}`}`;
  };
}

/** When an ordered plan stopped, the flows it already promoted can be rolled back together. */
function withRollbackOffer(results: FlowRunResult[], env: string): FlowRunResult[] {
  const stopped = results.some((r) => !GOOD_OUTCOMES.includes(r.outcome));
  const promoted = results.filter((r) => r.outcome === 'succeeded').map((r) => r.flow);
  if (!stopped || promoted.length === 0) return results;
  return results.map((r) => {
    if (r.outcome !== 'succeeded') return r;
    const { message, hint } = withHint(`${r.message}; the plan stopped after it: to undo`, {
      command: 'rollback',
      args: [...promoted, '--env', env],
    });
    return { ...r, message, hint };
  });
}

/**
 * Rolls each flow in `env` back to an earlier release (`to`, a deployment id, for one flow; else
 * each one's release before the current). A flow with nothing to roll back to is refused.
 */
export async function rollbackFlows(
  deployer: Deployer,
  finder: DeploymentFinder,
  flows: FlowDetails[],
  options: { env: string; to?: string },
  run: RunContext,
): Promise<FlowRunResult[]> {
  if (options.to !== undefined && flows.length !== 1)
    throw new UsageError('a release to roll back to (--to) belongs to one flow: name exactly one');
  return each(flows, options.env, run, async (flow, ctx) => {
    const plan = await planRollback(finder, flow.name, options.env, options.to);
    if (plan.action === 'unchanged') {
      const current = await finder.findDeployments({ flows: [flow.name], envs: [options.env] });
      const deployment = current.find((d) => d.id === plan.restore.deploymentId) ?? null;
      return { flow: flow.name, env: options.env, outcome: 'unchanged', message: plan.message, deployment };
    }
    ctx.log(`${LOG_PREFIX} ${plan.message}`);
    const rollback = { restores: plan.restore.deploymentId, replaces: plan.replaces.deploymentId };
    const result = resultOf(
      flow.name,
      options.env,
      await deployer.deploy({ flow, env: options.env, ref: plan.restore.commit, rollback }, ctx),
    );
    if (result.outcome !== 'succeeded') return result;
    return {
      ...result,
      message: `${flow.name} in ${options.env} is rolled back to ${plan.restore.commit.slice(0, 12)} (release ${plan.restore.deploymentId}, replacing ${plan.replaces.deploymentId}) — deployment ${result.deployment!.id}`,
    };
  });
}

/** Why the flows after `result` are not started, or undefined to go on. */
type StopRule = (result: FlowRunResult) => string | undefined;

async function each(
  flows: FlowDetails[],
  env: string,
  run: RunContext,
  one: (flow: FlowDetails, ctx: RunContext) => Promise<FlowRunResult>,
  stop?: StopRule,
): Promise<FlowRunResult[]> {
  const results: FlowRunResult[] = [];
  let stopped: string | undefined;
  for (const flow of flows) {
    if (stopped !== undefined) {
      results.push({
        flow: flow.name,
        env,
        outcome: 'cancelled',
        message: `${flow.name}: ${stopped}`,
        deployment: null,
      });
      continue;
    }
    if (run.signal.aborted) {
      results.push({
        flow: flow.name,
        env,
        outcome: 'cancelled',
        message: `${flow.name}: not started, cancelled`,
        deployment: null,
      });
      continue;
    }
    const log =
      flows.length > 1 ? (line: string) => run.log(`[${flow.name}] ${line}`) : (line: string) => run.log(line);
    try {
      // The whole run (a detach asked for, say) with this flow's log.
      results.push(await one(flow, { ...run, log }));
    } catch (err) {
      if ((err as { kind?: unknown }).kind !== 'DeployError') throw err;
      // The caller shows each result's message: logging it here too would say it twice.
      const message = (err as Error).message;
      const hint = hintOf(err);
      results.push({ flow: flow.name, env, outcome: 'refused', message, deployment: null, ...(hint ? { hint } : {}) });
    }
    stopped = stop?.(results.at(-1)!);
  }
  return results;
}

function resultOf(flow: string, env: string, d: DeploymentDetails): FlowRunResult {
  const short = d.commit.slice(0, 12);
  const reason = typeof d.attributes.reason === 'string' ? d.attributes.reason : undefined;
  const from = d.promotedFrom ? ` (promoted from ${d.promotedFrom.env})` : '';
  switch (d.status) {
    case 'succeeded':
      return {
        flow,
        env,
        outcome: 'succeeded',
        message: `${flow} ${short} is now in ${env}${from} — deployment ${d.id}`,
        deployment: d,
      };
    case 'failed':
      return {
        flow,
        env,
        outcome: 'failed',
        message: `${flow} failed in ${env}: ${reason ?? 'the deploy failed'} — see flowport logs ${d.id}`,
        deployment: d,
      };
    case 'cancelled':
      return {
        flow,
        env,
        outcome: 'cancelled',
        // Cancelled by someone, or by Flowport itself for a reason (another deploy started first).
        message: `${flow} in ${env} was cancelled${typeof d.attributes.cancelledBy === 'string' && d.attributes.cancelledBy ? ` by ${d.attributes.cancelledBy}` : reason ? `: ${reason}` : ''} — deployment ${d.id}`,
        deployment: d,
      };
    case 'interrupted':
      return {
        flow,
        env,
        outcome: 'interrupted',
        message: `${flow} in ${env} was interrupted: ${reason ?? 'its runner stopped'}`,
        deployment: d,
      };
    case 'queued':
      if (d.attributes.awaiting === 'approval') {
        const request = approvalOf(d);
        const others = request?.notInitiator ? ` by someone other than ${request.requestedBy}` : '';
        return {
          flow,
          env,
          outcome: 'awaiting-approval',
          message: `${flow} ${short} to ${env} waits for approval${others}; it runs once approved: flowport approve ${d.id}`,
          deployment: d,
        };
      }
    // falls through: queued behind another deploy
    default:
      return {
        flow,
        env,
        outcome: 'started',
        message: `${flow} ${short} is ${d.status} in ${env} — follow it with flowport logs ${d.id} --follow`,
        deployment: d,
      };
  }
}

function listing(what: string, names: string[]): string {
  if (names.length === 0) return `No ${what.toLowerCase()} were found.`;
  const shown = names.slice(0, 20).join(', ');
  return `${what}: ${shown}${names.length > 20 ? `, … (${names.length} in all)` : ''}.`;
}

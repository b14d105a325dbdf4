/**
 * Several flows promoted together, in the order their inputs need: a flow comes after the flows it
 * takes an `output()` of (`releases` in the config). The plan is made before anything runs, so the
 * CLI (`--dry-run`) and the editor can show it: the order, the versions, what each waits for and
 * which gates the target environment applies. Run, it promotes in that order and stops at the
 * first flow that does not get there, since what comes after may read its outputs. Into an
 * environment that asks for approval, a plan of several deploys asks once for all of them
 * (`approval`): approved, they run in order without asking again; refused, none runs.
 */
import type { EnvironmentConfig } from '../config/define.js';
import { dependenciesOf, type FlowRelease } from '../config/flow-releases.js';
import { flowportErrorKind } from '../errors.js';
import { hintOf, withHint, type CommandHint } from '../hint.js';
import type { DeploymentDetails, DeploymentFinder, FlowDetails, Promoter } from '../model.js';
import type { Project } from '../project.js';
import type { PromotePlan, PromotePlanner } from './promoter.js';
import { currentAmong } from './current.js';

/** What planPromotion reads. */
export interface PlanSource {
  promoter: Promoter;
  deployments: DeploymentFinder;
  environments: readonly EnvironmentConfig[];
  releases: Readonly<Record<string, FlowRelease>>;
}

/** A project's promoter, deployments, environments and releases. */
export function planSourceOf(project: Project): PlanSource {
  return {
    promoter: project.promoter,
    deployments: project.deployments,
    environments: project.environments,
    releases: project.config.releases ?? {},
  };
}

export interface PlannedPromotion {
  flow: FlowDetails;
  /** Flows of this plan promoted before it whose outputs it reads. */
  waitsFor: string[];
  /** Flows outside the plan whose outputs it reads, with what runs in the target now. */
  reads: Array<{ flow: string; inTarget: DeploymentDetails | undefined }>;
  /** What the promoter would do, or why it is refused before anything runs. */
  plan: PromotePlan | { action: 'refused'; message: string; hint?: CommandHint };
}

export interface PromotionPlan {
  from: string;
  to: string;
  /** In the order they run. */
  steps: PlannedPromotion[];
  /** Whether any flow reads another of the plan: then a failure stops the rest. */
  ordered: boolean;
  /** What the target asks before or while each deploy runs: confirmation, approvals, checks. */
  gates: string[];
  /**
   * Set when the target asks for approval and the plan sends several deploys: one approval,
   * asked on the first deploy, covers these exactly (flow and commit, in this order), each once.
   */
  approval?: { required: number; steps: Array<{ flow: string; commit: string }> };
}

/**
 * `flows` ordered so that each comes after the ones of `flows` it depends on; otherwise in the
 * order asked (a cycle cannot reach here: the config refuses it).
 */
export function orderByDependencies(
  flows: readonly FlowDetails[],
  releases: Readonly<Record<string, FlowRelease>>,
): Array<{ flow: FlowDetails; waitsFor: string[] }> {
  const selected = new Set(flows.map((f) => f.name));
  const waits = new Map(
    flows.map((f) => [f.name, dependenciesOf(releases[f.name]).filter((d) => selected.has(d) && d !== f.name)]),
  );
  const done = new Set<string>();
  const ordered: Array<{ flow: FlowDetails; waitsFor: string[] }> = [];
  while (ordered.length < flows.length) {
    const next = flows.find((f) => !done.has(f.name) && waits.get(f.name)!.every((d) => done.has(d)));
    // Only a cycle leaves none ready; keep the asked order rather than loop.
    const flow = next ?? flows.find((f) => !done.has(f.name))!;
    done.add(flow.name);
    ordered.push({ flow, waitsFor: waits.get(flow.name)! });
  }
  return ordered;
}

/**
 * `flows` as a batch deploys them: each after the flows of the batch it reads an output() of, so
 * `flowport deploy api db` (or a folder holding both) deploys db first.
 */
export function inDependencyOrder(
  flows: readonly FlowDetails[],
  releases: Readonly<Record<string, FlowRelease>> | undefined,
): FlowDetails[] {
  return releases ? orderByDependencies(flows, releases).map((o) => o.flow) : [...flows];
}

/** Decides the plan: nothing is recorded or run. */
export async function planPromotion(
  project: PlanSource,
  flows: readonly FlowDetails[],
  route: { from: string; to: string },
): Promise<PromotionPlan> {
  const ordered = orderByDependencies(flows, project.releases);
  const inPlan = new Set(flows.map((f) => f.name));
  const outside = [...new Set(flows.flatMap((f) => dependenciesOf(project.releases[f.name])))].filter(
    (d) => !inPlan.has(d),
  );
  const inTarget = outside.length
    ? await project.deployments.findDeployments({ flows: outside, envs: [route.to] })
    : [];
  const currentIn = (flow: string) => currentAmong(inTarget, flow, route.to);
  const planner = project.promoter as Promoter & Partial<PromotePlanner>;
  const steps: PlannedPromotion[] = [];
  for (const { flow, waitsFor } of ordered) {
    const reads = dependenciesOf(project.releases[flow.name])
      .filter((d) => !inPlan.has(d))
      .map((d) => ({ flow: d, inTarget: currentIn(d) }));
    const missing = reads.find((r) => !r.inTarget);
    let plan: PlannedPromotion['plan'];
    if (missing) {
      const { message, hint } = withHint(
        `"${flow.name}" reads ${missing.flow}'s outputs, but ${missing.flow} does not run in ${route.to} and is not in this plan: promote it too`,
        {
          command: 'promote',
          args: [missing.flow, ...flows.map((f) => f.name), '--from', route.from, '--to', route.to],
        },
      );
      plan = { action: 'refused', message, hint };
    } else {
      // What comes before it in the plan will be in the target by the time it runs.
      plan = await planOne(
        planner,
        flow,
        route,
        steps.map((s) => s.flow.name),
      );
    }
    steps.push({ flow, waitsFor, reads, plan });
  }
  const target = project.environments.find((e) => e.name === route.to);
  const sent = steps.flatMap((s) =>
    s.plan.action === 'deploy' ? [{ flow: s.flow.name, commit: s.plan.source.commit }] : [],
  );
  const approval =
    target?.approval && sent.length > 1 ? { required: target.approval.required ?? 1, steps: sent } : undefined;
  return {
    ...route,
    steps,
    ordered: ordered.some((o) => o.waitsFor.length > 0),
    // A gate only matters when something is sent.
    gates: sent.length > 0 ? gatesOf(target, sent.length) : [],
    ...(approval ? { approval } : {}),
  };
}

async function planOne(
  planner: Promoter & Partial<PromotePlanner>,
  flow: FlowDetails,
  route: { from: string; to: string },
  promotedBefore: readonly string[],
): Promise<PlannedPromotion['plan']> {
  if (typeof planner.plan !== 'function') {
    return { action: 'refused', message: 'the configured promoter cannot plan; promote these flows one by one' };
  }
  try {
    return await planner.plan({ flow, ...route }, { promotedBefore });
  } catch (err) {
    const kind = flowportErrorKind(err);
    if (kind !== 'DeployError' && kind !== 'UsageError') throw err;
    const hint = hintOf(err);
    return { action: 'refused', message: (err as Error).message, ...(hint ? { hint } : {}) };
  }
}

function gatesOf(env: EnvironmentConfig | undefined, sent: number): string[] {
  if (!env) return [];
  const gates: string[] = [];
  if (env.protected) gates.push(`${env.name} is protected: asked once for the whole plan`);
  if (env.approval) {
    const n = env.approval.required ?? 1;
    const approvals = `${n} approval${n === 1 ? '' : 's'}`;
    const by = (env.approval.notInitiator ?? true) ? ', by another identity than the one who asks' : '';
    gates.push(
      sent > 1
        ? `${env.name} needs ${approvals} for the whole plan${by}, asked on its first deploy; once approved, its deploys run in order without asking again`
        : `${env.name} needs ${approvals} before the deploy runs${by}`,
    );
  }
  if (env.checks?.length) gates.push(`checks before anything runs: ${env.checks.map((c) => c.name).join(', ')}`);
  return gates;
}

/** Whether the plan tells more than the results will: an order to keep, or several flows to send. */
export function worthShowing(plan: PromotionPlan): boolean {
  return plan.ordered || plan.steps.filter((s) => s.plan.action === 'deploy').length > 1;
}

/** The plan as lines for a terminal: one per flow, then the gates. */
export function describePlan(plan: PromotionPlan): string[] {
  const lines = [
    `Plan: promote ${plan.steps.length} flows from ${plan.from} to ${plan.to}${plan.ordered ? ', in dependency order' : ''}`,
  ];
  for (const [i, step] of plan.steps.entries()) {
    const waits = [
      ...step.waitsFor.map((d) => `after ${d}`),
      ...step.reads
        .filter((r) => r.inTarget)
        .map((r) => `reads ${r.flow} ${r.inTarget!.commit.slice(0, 12)} in ${plan.to}`),
    ];
    const p = step.plan;
    const what =
      p.action === 'refused'
        ? `refused: ${p.message}`
        : p.action === 'unchanged'
          ? `${p.source.commit.slice(0, 12)} already in ${plan.to}: nothing to do`
          : `${p.source.commit.slice(0, 12)}${p.source.packageVersion ? ` (${p.source.packageVersion})` : ''} replacing ${p.target ? p.target.commit.slice(0, 12) : 'nothing'}`;
    lines.push(`  ${i + 1}. ${step.flow.name}  ${what}${waits.length ? `  [${waits.join('; ')}]` : ''}`);
  }
  for (const gate of plan.gates) lines.push(`  gate: ${gate}`);
  if (plan.ordered || plan.approval) lines.push('  a flow that does not get there stops the rest');
  return lines;
}

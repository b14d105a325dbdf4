/**
 * What refuses a deploy or promote before anything starts, so that the CLI and the editor refuse
 * before they ask about a protected environment, not after the yes. (runRecorded refuses each
 * deploy again as it starts: another process may have started one since.) The target
 * environment's pre-deploy checks (checks.ts) run here last, once the cheap refusals have passed.
 */
import { DeployError, flowportErrorKind, type ConfigError } from '../errors.js';
import type { FlowDetails, Promoter } from '../model.js';
import { dependenciesOf } from '../config/flow-releases.js';
import type { Project } from '../project.js';
import { checksRefusal, runChecks, type CheckResult, type CheckUnit, type ChecksOverride } from './checks.js';
import { checkRef, git, resolveVersion } from './git.js';
import { lockedError, lockOn } from './locks.js';
import { currentInitiator } from './processes.js';
import { planRollback } from './releases.js';
import { alreadyDeploying, cancelHint, unfinishedDeployments } from './in-progress.js';
import { MissingDeployer } from './project-backend.js';
import type { PromotePlanner } from './promoter.js';
import type { DeploymentStore } from './store.js';
import { resolveInputs } from './inputs.js';
import { inDependencyOrder } from './promotion-plan.js';

export type PlannedRun =
  /** `ref`: what the deploy sends (default HEAD), for the checks that look at the commit. */
  | { action: 'deploy'; env: string; ref?: string }
  /** `to`: the release rolled back to, as rollbackFlows takes it. */
  | { action: 'rollback'; env: string; to?: string }
  | { action: 'promote'; from: string; to: string };

export interface Preflight {
  /** The flows that would be deployed: for a promote, those not already there and with something to promote. */
  sending: FlowDetails[];
  /**
   * Why nothing may start: no deploy command (a ConfigError; for a promote only through the
   * default promoter), a lock on the target or on one of the flows there, or (with `queue: false`)
   * a flow still deploying to the target (a DeployError), or a failing pre-deploy check (a
   * DeployError holding each failing check's last lines). Only when something would be sent.
   */
  refusal?: ConfigError | DeployError;
  /**
   * The target environment's check results, in the config's order; absent when it has no checks
   * (or nothing is sent, or something refused first). With a `refusal`, the checks refused.
   */
  checks?: CheckResult[];
  /** Failing checks let through by `overrideChecks`: give it to the run (CheckedRun) so its deployments record it. */
  checksOverridden?: ChecksOverride;
}

export interface PreflightOptions {
  /**
   * Default true: a flow still deploying to the target is no refusal, its deploy waits its turn;
   * false (`--no-queue`) refuses the batch instead.
   */
  queue?: boolean;
  /** A reason to go on though checks fail (`--override-checks "reason"`): recorded with who gave it. */
  overrideChecks?: string;
  /** Each check's result as it finishes. */
  onCheck?: (result: CheckResult) => void;
  /** Stops the checks (and the commands they run). */
  signal?: AbortSignal;
}

/** What would be sent to the run's target, and what refuses it before anything starts. */
export async function preflight(
  project: Project,
  run: PlannedRun,
  flows: FlowDetails[],
  options: PreflightOptions = {},
): Promise<Preflight> {
  const promoted = new Map<string, string>();
  const sending =
    run.action === 'promote' ? await flowsToPromote(project, flows, { from: run.from, to: run.to }, promoted) : flows;
  if (sending.length === 0) return { sending };
  const deploysThroughDeployer = run.action !== 'promote' || !project.config.promote;
  if (deploysThroughDeployer && project.deployer instanceof MissingDeployer) {
    return { sending, refusal: project.deployer.problem() };
  }
  const target = run.action === 'promote' ? run.to : run.env;
  const locked = await lockRefusal(project.store, actionWord(run), sending, target);
  if (locked) return { sending, refusal: locked };
  // A promote's plan refuses a flow whose dependencies lag; a deploy's are resolved here, so an
  // unmet one refuses before any prompt (the deploy resolves them again as it starts).
  if (run.action !== 'promote') {
    const unmet = await unmetInputs(project, sending, target);
    if (unmet) return { sending, refusal: unmet };
  }
  if (options.queue === false) {
    const refusal = await stillDeploying(
      project.store,
      sending.map((f) => f.name),
      target,
    );
    if (refusal) return { sending, refusal };
  }
  // An environment without checks costs nothing more.
  const checks = project.environments.find((e) => e.name === target)?.checks ?? [];
  if (checks.length === 0) return { sending };
  const needsCommit = checks.some((c) => c.dependsOn?.includes('commit'));
  const units = needsCommit
    ? await unitsWithCommits(project, run, sending, promoted)
    : sending.map((flow) => ({ flow }));
  const results = await runChecks(checks, {
    root: project.root,
    env: target,
    units,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onCheck ? { onResult: options.onCheck } : {}),
  });
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0) return { sending, checks: results };
  if (options.overrideChecks === undefined) {
    return { sending, checks: results, refusal: checksRefusal(target, actionWord(run), failed) };
  }
  const checksOverridden: ChecksOverride = {
    by: currentInitiator(),
    reason: options.overrideChecks,
    failed: failed.flatMap((r) => failedFor(r, units)),
  };
  return { sending, checks: results, checksOverridden };
}

/**
 * Whom a failed check holds back: its flow, when it ran per flow; the flows sending its commit,
 * when the batch sends several commits (a promote); else the whole batch.
 */
function failedFor(result: CheckResult, units: readonly CheckUnit[]): ChecksOverride['failed'] {
  if (result.flow !== undefined) return [{ name: result.name, flow: result.flow }];
  const commits = new Set(units.map((u) => u.commit).filter(Boolean));
  if (result.commit === undefined || commits.size < 2) return [{ name: result.name }];
  return units.filter((u) => u.commit === result.commit).map((u) => ({ name: result.name, flow: u.flow.name }));
}

/** The verb of a message: "pass --override-checks to roll back anyway". */
export function actionWord(run: PlannedRun): string {
  return run.action === 'rollback' ? 'roll back' : run.action;
}

/**
 * The full SHA `ref` names, as the deployer resolves it, in one git call (resolveVersion makes
 * five); a ref that names none is refused with resolveVersion's words.
 */
async function commitOf(root: string, ref: string): Promise<string> {
  checkRef(ref);
  const named = await git(root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  if (named.code === 0) return named.stdout.trim();
  return (await resolveVersion(root, ref)).commit;
}

/** Each flow with the commit it would deploy, for the checks that look at it. */
async function unitsWithCommits(
  project: Project,
  run: PlannedRun,
  sending: FlowDetails[],
  promoted: ReadonlyMap<string, string>,
): Promise<CheckUnit[]> {
  switch (run.action) {
    case 'deploy': {
      const commit = await commitOf(project.root, run.ref ?? 'HEAD');
      return sending.map((flow) => ({ flow, commit }));
    }
    case 'promote':
      return sending.map((flow) => {
        const commit = promoted.get(flow.name);
        return commit
          ? { flow, commit }
          : {
              flow,
              commitProblem: `cannot tell which commit "${flow.name}" would promote: the promoter has no plan()`,
            };
      });
    case 'rollback': {
      const units: CheckUnit[] = [];
      for (const flow of sending) {
        try {
          const plan = await planRollback(project.deployments, flow.name, run.env, run.to);
          units.push(plan.action === 'deploy' ? { flow, commit: plan.restore.commit } : { flow });
        } catch (err) {
          // Nothing to roll back to: rollbackFlows refuses that flow on its own.
          if (flowportErrorKind(err) !== 'DeployError') throw err;
          units.push({ flow });
        }
      }
      return units;
    }
  }
}

/**
 * The first unmet input of a flow in `sending`, as the deploy would be refused with it. A
 * dependency deployed earlier in the same batch (`flowport deploy db api`) is not checked: it is
 * met by the time its dependent starts.
 */
async function unmetInputs(project: Project, sending: FlowDetails[], env: string): Promise<DeployError | undefined> {
  const releases = project.config.releases ?? {};
  const before = new Set<string>();
  for (const flow of sending) {
    const deps = dependenciesOf(releases[flow.name]);
    const waitsInBatch = deps.some((dep) => before.has(dep));
    before.add(flow.name);
    if (waitsInBatch || deps.length === 0) continue;
    try {
      await resolveInputs(
        {
          releases,
          deployments: project.deployments,
          flowNames: async () => (await project.flows.findFlows()).map((f) => f.name),
        },
        flow.name,
        env,
      );
    } catch (err) {
      if (flowportErrorKind(err) === 'DeployError') return err as DeployError;
      throw err;
    }
  }
  return undefined;
}

/** The whole batch refused while one of its flows is still deploying to `env` in `store`, which runRecorded checks too. */
async function stillDeploying(
  store: DeploymentStore,
  flowNames: readonly string[],
  env: string,
): Promise<DeployError | undefined> {
  const recorded = await store.findDeployments({ flows: [...flowNames], envs: [env], history: true });
  const busy = unfinishedDeployments(recorded, flowNames, env);
  if (busy.length === 0) return undefined;
  const others = flowNames.length - busy.length;
  const included = others > 0 ? ` (${others} other flow${others === 1 ? '' : 's'} included)` : '';
  return new DeployError(`${busy.map(alreadyDeploying).join('\n')}\nNothing was started${included}.`, {
    hint: cancelHint(busy[0]!),
  });
}

/** The whole batch refused while a lock holds `env` or one of its flows there (createRecorded checks again as each starts). */
async function lockRefusal(
  store: DeploymentStore,
  action: string,
  flows: readonly FlowDetails[],
  env: string,
): Promise<DeployError | undefined> {
  const locks = (await store.locks?.()) ?? [];
  for (const flow of flows) {
    const lock = lockOn(locks, flow.name, env);
    if (lock) return lockedError(lock, action, flow.name);
  }
  return undefined;
}

/**
 * The flows that would be deployed: all of them unless the promoter can plan (the default one
 * can). A flow already there, or with nothing to promote, is not sent; when none is, there is
 * nothing to confirm.
 */
async function flowsToPromote(
  project: Project,
  flows: FlowDetails[],
  route: { from: string; to: string },
  /** Filled with each sent flow's commit, as the plan says. */
  commits: Map<string, string>,
): Promise<FlowDetails[]> {
  const planner = project.promoter as Promoter & Partial<PromotePlanner>;
  if (typeof planner.plan !== 'function') return flows;
  const sending: FlowDetails[] = [];
  // In the plan's order: a dependency sent before a flow counts as in the target, as when it runs.
  for (const flow of inDependencyOrder(flows, project.config.releases)) {
    try {
      const plan = await planner.plan({ flow, ...route }, { promotedBefore: sending.map((f) => f.name) });
      if (plan.action !== 'deploy') continue;
      sending.push(flow);
      commits.set(flow.name, plan.source.commit);
    } catch (err) {
      // Nothing to promote from: promoteFlows reports that flow as refused.
      if (flowportErrorKind(err) !== 'DeployError') throw err;
    }
  }
  return sending;
}

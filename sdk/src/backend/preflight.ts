/**
 * What refuses a deploy or promote before anything starts, so that the CLI and the editor refuse
 * before they ask about a protected environment, not after the yes. (runRecorded refuses each
 * deploy again as it starts: another process may have started one since.)
 */
import { DeployError, flowportErrorKind, type ConfigError } from '../errors.js';
import type { FlowDetails, Promoter } from '../model.js';
import type { Project } from '../project.js';
import { lockedError, lockOn } from './locks.js';
import { alreadyDeploying, cancelHint, unfinishedDeployments } from './in-progress.js';
import { MissingDeployer } from './project-backend.js';
import type { PromotePlanner } from './promoter.js';
import type { DeploymentStore } from './store.js';

export type PlannedRun =
  | { action: 'deploy'; env: string }
  | { action: 'rollback'; env: string }
  | { action: 'promote'; from: string; to: string };

export interface Preflight {
  /** The flows that would be deployed: for a promote, those not already there and with something to promote. */
  sending: FlowDetails[];
  /**
   * Why nothing may start: no deploy command (a ConfigError; for a promote only through the
   * default promoter), a lock on the target or on one of the flows there, or (with `queue: false`)
   * a flow still deploying to the target (a DeployError). Only when something would be sent.
   */
  refusal?: ConfigError | DeployError;
}

/**
 * `queue` (default true): a flow still deploying to the target is no refusal, its deploy waits its
 * turn; false (`--no-queue`) refuses the batch instead.
 */
export async function preflight(
  project: Project,
  run: PlannedRun,
  flows: FlowDetails[],
  options: { queue?: boolean } = {},
): Promise<Preflight> {
  const sending =
    run.action === 'promote' ? await flowsToPromote(project.promoter, flows, { from: run.from, to: run.to }) : flows;
  if (sending.length === 0) return { sending };
  const deploysThroughDeployer = run.action !== 'promote' || !project.config.promote;
  if (deploysThroughDeployer && project.deployer instanceof MissingDeployer) {
    return { sending, refusal: project.deployer.problem() };
  }
  const target = run.action === 'promote' ? run.to : run.env;
  const locked = await lockRefusal(
    project.store,
    run.action === 'rollback' ? 'roll back' : run.action,
    sending,
    target,
  );
  if (locked) return { sending, refusal: locked };
  if (options.queue !== false) return { sending };
  const refusal = await stillDeploying(
    project.store,
    sending.map((f) => f.name),
    target,
  );
  return refusal ? { sending, refusal } : { sending };
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
  promoter: Promoter,
  flows: FlowDetails[],
  route: { from: string; to: string },
): Promise<FlowDetails[]> {
  const planner = promoter as Promoter & Partial<PromotePlanner>;
  if (typeof planner.plan !== 'function') return flows;
  const sending: FlowDetails[] = [];
  for (const flow of flows) {
    try {
      if ((await planner.plan({ flow, ...route })).action === 'deploy') sending.push(flow);
    } catch (err) {
      // Nothing to promote from: promoteFlows reports that flow as refused.
      if (flowportErrorKind(err) !== 'DeployError') throw err;
    }
  }
  return sending;
}

/**
 * The default {@link Promoter}: deploys the exact commit the source environment currently runs to
 * the target environment, through the project's deployer, recording `promotedFrom`.
 */
import type { EnvironmentConfig } from '../config/define.js';
import { DeployError, UsageError } from '../errors.js';
import type { DeploymentDetails, DeploymentFinder, Deployer, PromoteRequest, Promoter, RunContext } from '../model.js';
import type { ProjectAware, ProjectContext } from './context.js';
import { LOG_PREFIX } from './run.js';
import { withHint } from '../hint.js';
import type { FlowRelease } from '../config/flow-releases.js';
import { currentAmong } from './current.js';
import { checkDependenciesAhead } from './inputs.js';

export interface DefaultPromoterOptions {
  /** Promotion order. Default: the project's environments. */
  environments?: Array<string | EnvironmentConfig>;
  /** Allow dev → prod. Default: the project's `allowSkippingEnvironments`, else false. */
  allowSkippingEnvironments?: boolean;
  /** Where the current deployments are read. Default: the project's. */
  deployments?: DeploymentFinder;
  /** What deploys to the target. Default: the project's deployer. */
  deployer?: Deployer;
  /**
   * Each flow's release (`releases` in the config). Default: the project's. A flow that takes
   * another's outputs is promoted only where that one already runs.
   */
  releases?: Record<string, FlowRelease>;
}

/** What a promote would do, decided before anything runs. */
export type PromotePlan =
  | { action: 'deploy'; source: DeploymentDetails; target: DeploymentDetails | undefined; message: string }
  /** The target already runs the source's commit: nothing to do, and that is not an error. */
  | { action: 'unchanged'; source: DeploymentDetails; target: DeploymentDetails; message: string };

/** A promoter that can tell what it would do; `promoteFlows` uses it to report no-ops as such. */
export interface PromotePlanner {
  /**
   * `promotedBefore`: flows a plan of several promotes before this one (promotion-plan.ts); a
   * dependency among them counts as already in the target.
   */
  plan(request: PromoteRequest, options?: { promotedBefore?: readonly string[] }): Promise<PromotePlan>;
}

export function defaultPromoter(options: DefaultPromoterOptions = {}): DefaultPromoter {
  return new DefaultPromoter(options);
}

export class DefaultPromoter implements Promoter, PromotePlanner, ProjectAware<DefaultPromoter> {
  constructor(private readonly options: DefaultPromoterOptions = {}) {}

  forProject(project: ProjectContext): DefaultPromoter {
    const o = this.options;
    return new DefaultPromoter({
      environments: o.environments ?? project.environments,
      allowSkippingEnvironments: o.allowSkippingEnvironments ?? project.allowSkippingEnvironments,
      deployments: o.deployments ?? project.deployments,
      ...((o.releases ?? project.releases) ? { releases: (o.releases ?? project.releases)! } : {}),
      ...((o.deployer ?? project.deployer) ? { deployer: (o.deployer ?? project.deployer)! } : {}),
    });
  }

  /**
   * Refuses a route no flow may take: an unconfigured environment, the same environment twice,
   * a step backwards, or a skipped environment when skipping is not allowed.
   */
  checkRoute(flowName: string, from: string, to: string): void {
    const names = this.environmentNames();
    const order = names.join(' → ');
    for (const env of [from, to]) {
      if (!names.includes(env)) {
        throw new UsageError(
          `cannot promote "${flowName}": environment "${env}" is not configured (flowport.config.ts lists ${names.join(', ')})`,
        );
      }
    }
    if (from === to)
      throw new UsageError(
        `cannot promote "${flowName}" from ${from} to ${to}: that is the same environment; pick the next one (${order})`,
      );
    const step = names.indexOf(to) - names.indexOf(from);
    if (step < 0)
      throw new UsageError(
        `cannot promote "${flowName}" from ${from} back to ${to}: promotion goes forward, ${order}. To put an older version into ${to}, deploy it there.`,
      );
    if (step > 1 && !(this.options.allowSkippingEnvironments ?? false)) {
      const next = names[names.indexOf(from) + 1]!;
      throw new UsageError(
        `cannot promote "${flowName}" from ${from} to ${to}: the next environment after ${from} is ${next}. Promote to ${next} first, or set allowSkippingEnvironments: true in flowport.config.ts.`,
      );
    }
  }

  async plan(request: PromoteRequest, options: { promotedBefore?: readonly string[] } = {}): Promise<PromotePlan> {
    const { flow, from, to } = request;
    this.checkRoute(flow.name, from, to);
    const finder = this.options.deployments;
    if (!finder)
      throw new DeployError('defaultPromoter needs deployments: use it through a project or pass { deployments }');
    // The environments before `from` too: when one runs the flow, promoting it on is the fix.
    const names = this.environmentNames();
    const before = names.slice(0, names.indexOf(from));
    const current = await finder.findDeployments({ flows: [flow.name], envs: [...before, from, to] });
    const latest = (env: string) => currentAmong(current, flow.name, env);
    const source = latest(from);
    if (!source) {
      const runsIt = before.findLast((env) => latest(env));
      const why = `cannot promote "${flow.name}" from ${from} to ${to}: ${from} has no successful deployment of "${flow.name}".`;
      // One step at a time: from the nearest environment that runs it to the one after that.
      const next = runsIt && names[names.indexOf(runsIt) + 1]!;
      const { message, hint } = runsIt
        ? withHint(`${why} ${runsIt} runs it: promote it to ${next} first`, {
            command: 'promote',
            args: [flow.name, '--from', runsIt, '--to', next!],
          })
        : withHint(`${why} Deploy it there first`, { command: 'deploy', args: [flow.name, '--env', from] });
      throw new DeployError(message, { hint });
    }
    const target = latest(to);
    const short = source.commit.slice(0, 12);
    if (target && target.commit === source.commit) {
      return {
        action: 'unchanged',
        source,
        target,
        message: `"${flow.name}": ${to} already runs ${short}, the commit ${from} runs; nothing to promote`,
      };
    }
    // Its dependencies must be at least as far along: api reaches prod only once db runs there.
    await checkDependenciesAhead(
      { releases: this.options.releases ?? {}, deployments: finder },
      flow.name,
      { from, to },
      names,
      options.promotedBefore,
    );
    return { action: 'deploy', source, target, message: `promoting "${flow.name}" ${short} from ${from} to ${to}` };
  }

  async promote(request: PromoteRequest, run: RunContext): Promise<DeploymentDetails> {
    const plan = await this.plan(request);
    if (plan.action === 'unchanged') {
      run.log(`${LOG_PREFIX} ${plan.message}`);
      return plan.target;
    }
    const deployer = this.options.deployer;
    if (!deployer)
      throw new DeployError('defaultPromoter needs a deployer: use it through a project or pass { deployer }');
    run.log(`${LOG_PREFIX} ${plan.message} (deployment ${plan.source.id})`);
    if (plan.source.attributes.dirty === true) {
      run.log(
        `${LOG_PREFIX} note: ${request.from}'s deployment ${plan.source.id} was made with uncommitted changes; ${request.to} gets ${plan.source.commit.slice(0, 12)} as committed.`,
      );
    }
    return deployer.deploy(
      {
        flow: request.flow,
        env: request.to,
        ref: plan.source.commit,
        promotedFrom: { env: request.from, deploymentId: plan.source.id },
      },
      run,
    );
  }

  private environmentNames(): string[] {
    const envs = this.options.environments;
    if (!envs?.length)
      throw new DeployError('defaultPromoter needs environments: use it through a project or pass { environments }');
    return envs.map((e) => (typeof e === 'string' ? e : e.name));
  }
}

/**
 * What a project deploys and promotes with: the configured implementations bound to the project,
 * with the local defaults where the config is silent.
 */
import { dirname, relative, sep } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { DeploymentDetails, DeploymentFinder, Deployer, Promoter } from '../model.js';
import { bindToProject, type ProjectContext } from './context.js';
import { LocalLedger, localLedger } from './ledger.js';
import { defaultPromoter } from './promoter.js';
import { InputResolvingDeployer } from './inputs.js';
import { isDeploymentStore, type DeploymentStore } from './store.js';

export interface ProjectBackend {
  /** Where deployments are read: the configured `deployments`, or the local ledger. */
  deployments: DeploymentFinder;
  /** Where deploys are recorded: `deployments` when it is a store, else the local ledger. */
  store: DeploymentStore;
  /** The configured `deploy`; without one, every deploy is refused with what to add to the config. */
  deployer: Deployer;
  /** The configured `promote`, or the default promoter. */
  promoter: Promoter;
  /** The local ledger's folder when deploys are recorded there (watch it to see other processes' deploys). */
  stateDir: string | undefined;
}

export function projectBackend(loaded: LoadedConfig): ProjectBackend {
  const { config, root } = loaded;
  const store = isDeploymentStore(config.deployments) ? config.deployments : localLedger({ root });
  const deployments = config.deployments ?? store;
  const context: ProjectContext = {
    root,
    environments: loaded.environments,
    allowSkippingEnvironments: config.allowSkippingEnvironments ?? false,
    store,
    deployments,
    ...(config.notify?.length ? { notify: config.notify } : {}),
    releases: config.releases ?? {},
  };
  // Every caller's deploys (CLI, SDK host, promoter) get the flow's inputs resolved, whatever the deployer.
  const flowNames = async () => {
    const finder = (loaded as { flows?: { findFlows?: () => Promise<Array<{ name: string }>> } }).flows;
    return finder?.findFlows ? (await finder.findFlows()).map((f) => f.name) : undefined;
  };
  const deployer = config.deploy
    ? new InputResolvingDeployer(bindToProject(config.deploy, context), { ...context, flowNames })
    : new MissingDeployer(loaded.file, root, () => nearbyConfigs(loaded));
  const promoter = bindToProject(config.promote ?? defaultPromoter(), { ...context, deployer });
  // By shape too: a config's localLedger() comes from the project's copy of the flowport package.
  const stateDir =
    store instanceof LocalLedger ||
    (store.constructor?.name === 'LocalLedger' && typeof (store as LocalLedger).dir === 'string')
      ? (store as LocalLedger).dir
      : undefined;
  return { deployments, store, deployer, promoter, stateDir };
}

/** The config files of the projects of their own the flow source saw below the root, nearest first. */
function nearbyConfigs(loaded: LoadedConfig): string[] {
  const nested = (loaded as { nestedProjects?: () => Array<{ configFile: string }> }).nestedProjects?.() ?? [];
  return nested
    .map((p) => p.configFile)
    .sort((a, b) => a.split(sep).length - b.split(sep).length || a.localeCompare(b));
}

/** Stands in when the config has no `deploy`, or there is no config: refuses with what to write. */
export class MissingDeployer implements Deployer {
  constructor(
    private readonly configFile: string | undefined,
    private readonly root: string,
    /** Config files of projects of their own below the root, nearest first (no config: perhaps one of them was meant). */
    private readonly nearby: () => string[] = () => [],
  ) {}

  deploy(): Promise<DeploymentDetails> {
    return Promise.reject(this.problem());
  }

  /** What every deploy would be refused with: the config to write. */
  problem(): ConfigError {
    const line = "deploy: commandDeployer({ command: ['node', 'scripts/deploy.mjs', '{flow}', '{env}'] })";
    const nearest = this.configFile ? undefined : this.nearby()[0];
    const message = this.configFile
      ? `no deploy command is configured. Add ${line} to the config (import { commandDeployer } from 'flowport'), ` +
        'with the command your team deploys a flow with.'
      : // No config here: perhaps the project that has one is elsewhere (examples/demo in this repository).
        'no flowport.config.ts here, so nothing can deploy. Create one (in VS Code: "Flowport: Create ' +
        `flowport.config.ts") with ${line}, or run the command in the project that has one` +
        (nearest
          ? `: the nearest is ${relative(this.root, nearest).split(sep).join('/')} below, so pass --root ${relative(this.root, dirname(nearest)).split(sep).join('/')}.`
          : ', or pass --root to it.');
    return new ConfigError(message, this.configFile ?? this.root, 0);
  }
}

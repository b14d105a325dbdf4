/**
 * What a project deploys and promotes with: the configured implementations bound to the project,
 * with the local defaults where the config is silent.
 */
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { DeploymentDetails, DeploymentFinder, Deployer, Promoter } from '../model.js';
import { bindToProject, type ProjectContext } from './context.js';
import { LocalLedger, localLedger } from './ledger.js';
import { defaultPromoter } from './promoter.js';
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
  };
  const deployer = config.deploy
    ? bindToProject(config.deploy, context)
    : new MissingDeployer(loaded.file ?? join(root, 'flowport.config.ts'));
  const promoter = bindToProject(config.promote ?? defaultPromoter(), { ...context, deployer });
  return { deployments, store, deployer, promoter, stateDir: store instanceof LocalLedger ? store.dir : undefined };
}

/** Stands in when the config has no `deploy`: refuses with the line to add. */
export class MissingDeployer implements Deployer {
  constructor(private readonly configFile: string) {}

  deploy(): Promise<DeploymentDetails> {
    return Promise.reject(
      new ConfigError(
        "no deploy command is configured. Add deploy: commandDeployer({ command: ['node', 'scripts/deploy.mjs', '{flow}', '{env}'] }) " +
          "to the config (import { commandDeployer } from 'flowport'), with the command your team deploys a flow with.",
        this.configFile,
        0,
      ),
    );
  }
}

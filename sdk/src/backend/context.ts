/**
 * How implementations written in `flowport.config.ts` learn about the project they serve. A config
 * says `deploy: commandDeployer({ command })` without knowing the project root or where deploys
 * are recorded; the project hands both over through {@link ProjectAware.forProject}.
 */
import type { EnvironmentConfig } from '../config/define.js';
import type { FlowRelease } from '../config/flow-releases.js';
import type { DeploymentFinder, Deployer } from '../model.js';
import type { Notifier } from '../notify/webhook.js';
import type { DeploymentStore } from './store.js';

export interface ProjectContext {
  /** Absolute project root (the folder holding flowport.config.ts). */
  root: string;
  /** Environments in promotion order. */
  environments: EnvironmentConfig[];
  allowSkippingEnvironments: boolean;
  /** Where deploys are recorded. */
  store: DeploymentStore;
  /** Where deployments are read from (the store, unless the config names another finder). */
  deployments: DeploymentFinder;
  /** The project's deployer; given to promoters. */
  deployer?: Deployer;
  /** Who is told of each deploy's events (`notify` in the config): data, so a runner process can carry it. */
  notify?: Notifier[];
  /** Flow name → its release (`releases` in the config): inputs, build phase, steps. None when absent. */
  releases?: Record<string, FlowRelease>;
}

/** An implementation that wants the project: returns a copy of itself bound to it. */
export interface ProjectAware<T> {
  forProject(project: ProjectContext): T;
}

/** `impl` bound to the project when it asks for it, else `impl` itself. */
export function bindToProject<T extends object>(impl: T, project: ProjectContext): T {
  const aware = impl as T & Partial<ProjectAware<T>>;
  return typeof aware.forProject === 'function' ? aware.forProject(project) : impl;
}

/**
 * A project as the CLI and the SDK host see it: its loaded config and the implementations it
 * wires, with the defaults filled in where the config is silent.
 */
import { loadConfig, type LoadedConfig } from './config/load.js';
import type { FlowSourceOptions } from './config/define.js';
import { FlowIndex, typescriptFlows } from './finder/typescript-flows.js';
import type { Diagnostic, FlowFinder } from './model.js';
import type { ProjectBackend } from './backend/project-backend.js';

export interface ProjectOptions {
  /** `false` turns the persisted flow scan cache off (`--no-cache`). */
  cache?: boolean;
}

/** A project's config and flows: all that listing flows needs. */
export interface FlowSource extends LoadedConfig {
  flows: FlowFinder;
  /** Scan problems from the built-in finder (none for a custom finder). */
  flowDiagnostics(): Diagnostic[];
}

/** A project with its deployment store, deployer and promoter too. */
export interface Project extends FlowSource, ProjectBackend {}

/** Loads the config and wires the flow finder, without the deploy machinery (`flowport flows`). */
export async function openFlowSource(root: string, options: ProjectOptions = {}): Promise<FlowSource> {
  const loaded = await loadConfig(root);
  const source = loaded.config.flows;
  const flows: FlowFinder = isFinder(source)
    ? source
    : typescriptFlows({ root: loaded.root, ...(source ?? {}), cache: options.cache ?? true });
  return { ...loaded, flows, flowDiagnostics: () => (flows instanceof FlowIndex ? flows.diagnostics : []) };
}

export async function openProject(root: string, options: ProjectOptions = {}): Promise<Project> {
  const source = await openFlowSource(root, options);
  // Imported here, not at the top, so that openFlowSource never loads the backend's modules.
  const { projectBackend } = await import('./backend/project-backend.js');
  return { ...source, ...projectBackend(source) };
}

function isFinder(x: FlowSourceOptions | FlowFinder | undefined): x is FlowFinder {
  return typeof (x as FlowFinder | undefined)?.findFlows === 'function';
}

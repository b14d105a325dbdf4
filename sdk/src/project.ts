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

export interface Project extends LoadedConfig, ProjectBackend {
  flows: FlowFinder;
  /** Scan problems from the built-in finder (none for a custom finder). */
  flowDiagnostics(): Diagnostic[];
}

export async function openProject(root: string, options: ProjectOptions = {}): Promise<Project> {
  const loaded = await loadConfig(root);
  const source = loaded.config.flows;
  const flows: FlowFinder = isFinder(source)
    ? source
    : typescriptFlows({ root: loaded.root, ...(source ?? {}), cache: options.cache ?? true });
  return {
    ...loaded,
    flows,
    flowDiagnostics: () => (flows instanceof FlowIndex ? flows.diagnostics : []),
    // Imported here, not at the top: listing flows never loads the deploy machinery.
    ...(await import('./backend/project-backend.js')).projectBackend(loaded),
  };
}

function isFinder(x: FlowSourceOptions | FlowFinder | undefined): x is FlowFinder {
  return typeof (x as FlowFinder | undefined)?.findFlows === 'function';
}

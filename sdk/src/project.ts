/**
 * A project as the CLI and the SDK host see it: its loaded config and the implementations it
 * wires, with the defaults filled in where the config is silent.
 */
import { join, relative, sep } from 'node:path';
import { findConfigFile, loadConfig, type LoadedConfig } from './config/load.js';
import { bindToRoot } from './config/bind.js';
import type { FlowSourceOptions } from './config/define.js';
import {
  FlowIndex,
  type IndexUpdate,
  type TypeScriptFlowsOptions,
  type UnboundTypeScriptFlows,
} from './finder/typescript-flows.js';
import type { Diagnostic, FlowDetails, FlowFinder } from './model.js';
import type { ProjectBackend } from './backend/project-backend.js';

export interface ProjectOptions {
  /** `false` turns the persisted flow scan cache off (`--no-cache`). */
  cache?: boolean;
}

/**
 * A folder under the root that holds a `flowport.config.*` of its own: a project of its own (as a
 * nested git repository is), so its flows are not this project's. Seen by the built-in finder.
 */
export interface NestedProject {
  /** Absolute path of the folder. */
  root: string;
  /** Absolute path of its config file. */
  configFile: string;
  /** The flows found there, which belong to it. */
  flows: FlowDetails[];
}

/** A project's config and flows: all that listing flows needs. */
export interface FlowSource extends LoadedConfig {
  flows: FlowFinder;
  /** Scan problems from the built-in finder (none for a custom finder). */
  flowDiagnostics(): Diagnostic[];
  /** The projects of their own below the root, as of the last findFlows (none for a custom finder). */
  nestedProjects(): NestedProject[];
}

/** A project with its deployment store, deployer and promoter too. */
export interface Project extends FlowSource, ProjectBackend {}

/**
 * Loads the config and wires the flow finder, without the deploy machinery (`flowport flows`).
 * Factories the config called without the project (`typescriptFlows()`, `localLedger()`) are
 * bound to it here.
 */
export async function openFlowSource(root: string, options: ProjectOptions = {}): Promise<FlowSource> {
  const loaded = await loadConfig(root);
  const cache = options.cache ?? true;
  const source = loaded.config.flows;
  let flows: FlowFinder;
  if (isTypeScriptFlows(source)) {
    const own = source.typescriptFlowsOptions;
    flows = new ProjectFlowIndex({ ...own, root: loaded.root, cache: cache === false ? false : (own.cache ?? true) });
  } else if (isFinder(source)) {
    flows = bindToRoot(source, { root: loaded.root, cache });
  } else {
    flows = new ProjectFlowIndex({ root: loaded.root, ...(source ?? {}), cache });
  }
  // `flows` stays as written (its globs are named when nothing is found); `deployments` is used as it is.
  const config = { ...loaded.config };
  if (config.deployments) config.deployments = bindToRoot(config.deployments, { root: loaded.root });
  return {
    ...loaded,
    config,
    flows,
    flowDiagnostics: () => (flows instanceof FlowIndex ? flows.diagnostics : []),
    nestedProjects: () => (flows instanceof ProjectFlowIndex ? flows.nestedProjects() : []),
  };
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

function isTypeScriptFlows(x: unknown): x is UnboundTypeScriptFlows {
  const options = (x as Partial<UnboundTypeScriptFlows> | undefined)?.typescriptFlowsOptions;
  return isFinder(x as FlowFinder) && typeof options === 'object' && options !== null;
}

/**
 * The built-in finder over a project's own files: a folder below the root holding a config of its
 * own is another project, so its flows are set aside (see {@link nestedProjects}). The check
 * climbs from each flow's folder only: flows are few, files are many.
 */
class ProjectFlowIndex extends FlowIndex {
  private nested = new Map<string, NestedProject>();

  constructor(options: TypeScriptFlowsOptions) {
    super(options);
  }

  override async scanAll(): Promise<FlowDetails[]> {
    return this.own(await super.scanAll());
  }

  override async update(paths: string[]): Promise<IndexUpdate> {
    const result = await super.update(paths);
    return { ...result, flows: this.own(result.flows) };
  }

  override get diagnostics(): Diagnostic[] {
    return super.diagnostics.filter((d) => !this.nestedRootOf(d.file, new Map()));
  }

  nestedProjects(): NestedProject[] {
    return [...this.nested.values()];
  }

  private own(flows: FlowDetails[]): FlowDetails[] {
    // Configs come and go between scans: each scan asks again.
    const seen = new Map<string, string | null>();
    this.nested = new Map();
    const own: FlowDetails[] = [];
    for (const flow of flows) {
      const nestedRoot = this.nestedRootOf(flow.sourcePath, seen);
      if (!nestedRoot) {
        own.push(flow);
        continue;
      }
      let project = this.nested.get(nestedRoot);
      if (!project) {
        project = { root: nestedRoot, configFile: findConfigFile(nestedRoot)!, flows: [] };
        this.nested.set(nestedRoot, project);
      }
      project.flows.push(flow);
    }
    return own;
  }

  /** The nearest folder above `file` and below the root holding a config, or undefined. */
  private nestedRootOf(file: string, seen: Map<string, string | null>): string | undefined {
    const rel = relative(this.root, file);
    if (rel === '' || rel.startsWith('..')) return undefined;
    const parts = rel.split(sep).slice(0, -1);
    const climbed: string[] = [];
    let found: string | null = null;
    for (let i = parts.length; i > 0; i--) {
      const dir = join(this.root, ...parts.slice(0, i));
      const known = seen.get(dir);
      if (known !== undefined) {
        found = known;
        break;
      }
      climbed.push(dir);
      if (findConfigFile(dir)) {
        found = dir;
        break;
      }
    }
    // Each folder climbed through answers as the nearest config above it does.
    for (const dir of climbed) seen.set(dir, found);
    return found ?? undefined;
  }
}

/** Used by the CLI's messages: a folder as the root names it. */
export function relativeToRoot(root: string, path: string): string {
  return relative(root, path).split(sep).join('/') || '.';
}

/**
 * How one flow's release is put together, written under `releases` in `flowport.config.ts`: the
 * inputs it takes from other flows' deployments, a build phase every environment reuses, and the
 * steps it runs on the environment's target groups.
 *
 * ```ts
 * releases: {
 *   api: {
 *     inputs: { DATABASE_URL: output('db', 'url'), PREVIOUS_VERSION: current('api').output('version') },
 *     build: { command: ['node', 'scripts/build.mjs', '{flow}'] },
 *     steps: [
 *       { name: 'migrate', group: 'db', command: ['node', 'scripts/migrate.mjs', '{target}'] },
 *       { name: 'roll out', group: 'web', command: ['ssh', '{target}', 'deploy-api'], parallel: 2 },
 *     ],
 *   },
 * },
 * ```
 *
 * These are data, not code: the config loader validates them (sdk/src/config/validate.ts), and a
 * deploy resolves them into plain values and argv arrays before its runner starts.
 */

/**
 * Where an input's value comes from.
 * - `output`: another flow's output, read from that flow's current (latest succeeded) deployment in
 *   the same environment. The flow depends on it: a deploy is refused while it has none, and a
 *   promote while it is not at least as far along the path.
 * - `current`: the current deployment of a flow (often the flow itself) in the environment being
 *   deployed, before this deploy; empty when there is none. Not a dependency.
 * - `phase`: an output of this flow's own build phase, for the commit being deployed.
 */
export type InputSource =
  | { from: 'output'; flow: string; output: string }
  | { from: 'current'; flow: string; output: string }
  | { from: 'phase'; phase: 'build'; output: string };

/**
 * `output('db', 'url')`: the `url` output of flow `db`'s current deployment in the same
 * environment. Makes the flow depend on `db`.
 */
export function output(flow: string, name: string): InputSource {
  return { from: 'output', flow, output: name };
}

/**
 * `current('api').output('version')`: an output of the deployment of `api` running in the
 * environment right now (before this deploy), or empty when there is none. Not a dependency.
 */
export function current(flow: string): { output(name: string): InputSource } {
  return { output: (name: string) => ({ from: 'current', flow, output: name }) };
}

/**
 * `phase('build').output('binaryUrl')`: an output of this flow's build phase for the commit being
 * deployed. The build runs once per commit; every environment's deploy and every promote reuse it.
 */
export function phase(name: 'build'): { output(name: string): InputSource } {
  return { output: (outputName: string) => ({ from: 'phase', phase: name, output: outputName }) };
}

/** Runs once per commit, before the first deploy of that commit; its outputs feed `phase('build')` inputs. */
export interface BuildPhase {
  /** argv, no shell; the deploy placeholders (`{flow}`, `{commit}`, `{input:NAME}` …) are replaced in each element. */
  command: string[];
  /** A build longer than this fails as timed out. Default: the deployer's timeout. */
  timeoutMs?: number;
}

/** One step of a multi-step deploy: runs on every target of `group` in the environment deployed to. */
export interface DeployStep {
  /** Shown in progress and logs; unique within the flow's steps. */
  name: string;
  /** A target group every environment maps to its targets (`targets: { web: [...] }` on the environment). */
  group: string;
  /**
   * argv, no shell, run once per target. `{target}` is the target, `{step:NAME:OUTPUT}` an output an
   * earlier step reported (`::flowport-output OUTPUT=value`), plus the deploy placeholders.
   */
  command: string[];
  /** How many of the group's targets run at once. Default 1: one after the other. */
  parallel?: number;
}

/** One flow's release: see the module comment. Every part is optional. */
export interface FlowRelease {
  /**
   * Input name → source. Names are environment variable names (`DATABASE_URL`): each reaches the
   * deploy command as that variable and as the `{input:NAME}` placeholder, and a custom `Deployer`
   * gets them in `DeployRequest.inputs`.
   */
  inputs?: Record<string, InputSource>;
  /** A build phase run once per commit: see {@link BuildPhase}. */
  build?: BuildPhase;
  /** Deploy as these steps, in order, instead of the deployer's one command. */
  steps?: DeployStep[];
}

/** The flows `release` depends on: those it takes an `output()` of, once each, in the order written. */
export function dependenciesOf(release: FlowRelease | undefined): string[] {
  const names = Object.values(release?.inputs ?? {}).flatMap((s) => (s.from === 'output' ? [s.flow] : []));
  return [...new Set(names)];
}

/**
 * A cycle among `releases`' dependencies as the flow names along it (`['a', 'b', 'a']`), or
 * undefined. A cycle could never be deployed: each flow would wait for the other.
 */
export function dependencyCycle(releases: Record<string, FlowRelease>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (flow: string): string[] | undefined => {
    if (state.get(flow) === 'done') return undefined;
    if (state.get(flow) === 'visiting') return [...path.slice(path.indexOf(flow)), flow];
    state.set(flow, 'visiting');
    path.push(flow);
    for (const dep of dependenciesOf(releases[flow])) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(flow, 'done');
    return undefined;
  };
  for (const flow of Object.keys(releases)) {
    const cycle = visit(flow);
    if (cycle) return cycle;
  }
  return undefined;
}

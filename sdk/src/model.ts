/**
 * The Flowport model: the records every view shows and the four contracts that produce them.
 *
 * Everything a user sees in the tree, the board, CodeLens or the CLI comes from {@link FlowDetails}
 * and {@link DeploymentDetails}. Implementations of the contracts may add their own data under
 * `attributes`; the UI shows it but never interprets it.
 *
 * @packageDocumentation
 */

/** A JSON value: what `attributes` and `outputs` may hold so that records survive a round trip. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A unit of work that is deployed on its own, as found in the source by a {@link FlowFinder}. */
export interface FlowDetails {
  /**
   * Stable across runs: `<sourceRelative>#<name>`; a name repeated in one file gets `~2`, `~3` …
   * on its later occurrences, so ids stay unique while the duplicate is reported.
   */
  id: string;
  /** The flow's name; unique within a project (duplicates are reported with a diagnostic). */
  name: string;
  /** Human text: the `description` of `defineFlow` or the JSDoc text of a tagged function. */
  description: string;
  /** Absolute path of the file that defines the flow. */
  sourcePath: string;
  /** Path relative to the project root, with POSIX separators. */
  sourceRelative: string;
  /** 1-based line where the marker (call or declaration) starts. */
  line: number;
  /** Folder parts of `sourceRelative` (`src/billing/x.ts` → `['src', 'billing']`), or the flow's `group`. */
  grouping: string[];
  /** Implementation extras, e.g. `{ marker: 'defineFlow', exportName: 'nightly' }`. */
  attributes: Record<string, JsonValue>;
}

/**
 * Lifecycle of one deployment: `pending` until its runner takes it, `queued` while a deployment of
 * the same flow and environment recorded before it has not finished, then `running`. `interrupted`
 * means its runner died before it finished.
 */
export type DeploymentStatus = 'pending' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/** Statuses after which a deployment never changes again. */
export const FINAL_STATUSES: readonly DeploymentStatus[] = ['succeeded', 'failed', 'cancelled', 'interrupted'];

/** One flow's version in one environment. */
export interface DeploymentDetails {
  /** Unique, sortable by creation time. */
  id: string;
  flowName: string;
  env: string;
  /** Full commit SHA that was deployed. */
  commit: string;
  /** The ref the user asked for (`HEAD`, `main`, `v1.2.0`, a SHA). */
  ref: string;
  /** The package version at that commit, when the deployer knows it. */
  packageVersion?: string;
  status: DeploymentStatus;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601; the time of the latest status change. */
  updatedAt: string;
  /** Who started it (`user@host` for the local backend). */
  initiator: string;
  /** Where the deployed thing can be seen, when the deployer knows it. */
  url?: string;
  /** Set by a promote: the environment (and its deployment) this version was taken from. */
  promotedFrom?: { env: string; deploymentId: string };
  /** Where the full log is: a file path for the local backend, a URL for remote ones. */
  logLocation?: string;
  /** `name=value` pairs a deploy reported (`::flowport-output name=value`). */
  outputs: Record<string, string>;
  /** Implementation extras: exit code, dirty tree, failure reason … */
  attributes: Record<string, JsonValue>;
}

/** Narrows a flow search. Every filter is optional; an empty query means everything. */
export interface FlowQuery {
  /** Flow names to refetch. */
  flows?: string[];
  /** Groups to refetch: a flow matches when any of {@link groupsOf} it is listed (a folder, a folder path, a `group`). */
  groups?: string[];
  signal?: AbortSignal;
}

/**
 * Finds flows in the source. The default is `typescriptFlows()`; a team with flows declared
 * elsewhere (YAML, another language) implements this and sets `flows` in `flowport.config.ts`.
 */
export interface FlowFinder {
  /**
   * Every flow, in a stable order (the default: by path, then line), or the ones the query names.
   * Must not execute project code, and must not fail for one bad file: report it and go on.
   * Throws an `AbortError` when `query.signal` is aborted.
   */
  findFlows(query?: FlowQuery): Promise<FlowDetails[]>;
}

/** Narrows a deployment search. */
export interface DeploymentQuery {
  flows?: string[];
  envs?: string[];
  /**
   * When true, every recorded deployment, not only the current one per flow × environment, in
   * the order they were recorded (the runner relies on it to let the first of two racing deploys
   * of one flow to one environment win).
   */
  history?: boolean;
}

/** Finds deployments: by default the current one (latest succeeded) per flow × environment. */
export interface DeploymentFinder {
  findDeployments(query?: DeploymentQuery): Promise<DeploymentDetails[]>;
}

/** What a deploy or promote run gets from its caller: a live log and a way to be cancelled. */
export interface RunContext {
  /** Called once per output line, as it happens. */
  log(line: string): void;
  /** Aborted when the user cancels; the run must stop and report `cancelled`. */
  signal: AbortSignal;
}

/** Put a chosen version of one flow into one environment. */
export interface DeployRequest {
  flow: FlowDetails;
  env: string;
  /** Branch, tag or commit; `HEAD` when omitted. */
  ref?: string;
  /** Set by promoters: what this deploy takes its version from. */
  promotedFrom?: { env: string; deploymentId: string };
  /**
   * Set by a rollback: the release (deployment id) whose commit this redeploys, and the one it
   * replaces. A deployer records it as `attributes.rollback`, so the replaced release reads `rolled back`.
   */
  rollback?: { restores: string; replaces?: string };
  /**
   * The flow's inputs (`releases.<flow>.inputs` in the config), input name → value, resolved from
   * the store before the deploy was recorded: another flow's output in this environment, or an
   * output of a flow's current deployment here ('' when there is none). Set by the project for
   * every deployer; absent when the flow declares none. `phase('build')` inputs are not here:
   * `commandDeployer` runs the build and fills them itself.
   */
  inputs?: Record<string, string>;
  /**
   * Names of `inputs` whose values are secret outputs: pass them on, but never log, record or show
   * them (mask them as `commandDeployer` does, with `SecretMasker`).
   */
  secretInputs?: string[];
  /** Where each input came from, for the deployment's record (`attributes.inputs`): never the value. */
  inputOrigins?: Record<string, InputOrigin>;
}

/** Where one input's value came from, as a deployment records it in `attributes.inputs`. */
export interface InputOrigin {
  from: 'output' | 'current' | 'phase';
  /** The flow whose deployment gave it (for `phase`, the flow itself). */
  flow: string;
  output: string;
  /**
   * The deployment read; null when `current()` found none (the value is ''), or for `phase` when
   * this deployment runs the build itself (its `attributes.build` says so).
   */
  deploymentId: string | null;
}

/**
 * Makes a new deployment. The default, `commandDeployer()`, runs a command of the project's; a
 * team with a deploy service implements this to call it. The deployment must be recorded where
 * the configured {@link DeploymentFinder} reads, so every view refreshes from the store.
 */
export interface Deployer {
  /**
   * Deploys `request.flow` at `request.ref` to `request.env`, streaming progress through
   * `run.log`. Resolves with the final record whatever the outcome: `succeeded`, `failed` (with
   * the reason in `attributes`) or `cancelled` when `run.signal` aborted. Rejects only when no
   * deployment could be started at all (a `DeployError` whose message says what to fix).
   */
  deploy(request: DeployRequest, run: RunContext): Promise<DeploymentDetails>;
}

/** Take the exact version `from` runs and deploy it to `to`. */
export interface PromoteRequest {
  flow: FlowDetails;
  from: string;
  to: string;
}

/**
 * Moves a version along the promotion path. The default deploys the exact commit `from` runs
 * to `to` through the configured {@link Deployer}, with `promotedFrom` set, changing nothing but
 * the environment.
 */
export interface Promoter {
  /**
   * Resolves with the new deployment in `to` (or the one already there, when `to` already runs
   * that commit). Rejects with an error whose message says why and what to do when the promotion
   * is refused: nothing succeeded in `from`, an unknown environment, or `to` not the one after
   * `from` (`UsageError`, `DeployError`).
   */
  promote(request: PromoteRequest, run: RunContext): Promise<DeploymentDetails>;
}

/** A problem found while scanning that does not stop the scan. */
export interface Diagnostic {
  /** Absolute path. */
  file: string;
  /** 1-based; 0 when the problem is about the whole file. */
  line: number;
  message: string;
  severity: 'error' | 'warning';
}

/** `file:line: message`, the form editors and terminals turn into links. */
export function formatDiagnostic(d: Diagnostic): string {
  return d.line > 0 ? `${d.file}:${d.line}: ${d.message}` : `${d.file}: ${d.message}`;
}

/**
 * The groups a flow answers to: each folder of its path, each folder path (`src/billing`), and
 * each `group` of its `defineFlow`.
 */
export function groupsOf(flow: FlowDetails): string[] {
  const paths = flow.grouping.map((_, i) => flow.grouping.slice(0, i + 1).join('/'));
  const declared = Array.isArray(flow.attributes.group) ? flow.attributes.group.map(String) : [];
  return [...new Set([...flow.grouping, ...paths, ...declared])];
}

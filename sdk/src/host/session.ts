/**
 * What one SDK host does for its workspace folder: holds the loaded project, answers queries,
 * runs deploys and promotes (each cancellable by run id), and reports changes.
 */
import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';
import { deployFlows, promoteFlows, refuseAmbiguous, rollbackFlows, type FlowRunResult } from '../backend/batch.js';
import {
  decideApproval,
  heldLock,
  lockingStore,
  pendingApprovals,
  unlockQuestion,
  type DecisionOutcome,
} from '../backend/decisions.js';
import { actingIdentity } from '../backend/identity.js';
import type { EnvLock, LockResult } from '../backend/locks.js';
import { currentInitiator } from '../backend/processes.js';
import { listReleases, type Release } from '../backend/releases.js';
import { publicDeployment } from '../secrets.js';
import { commitCounts, headStatus } from '../backend/git.js';
import { withChecksOverride, type CheckedRun } from '../backend/checks.js';
import { preflight, type PlannedRun } from '../backend/preflight.js';
import {
  describePlan,
  inDependencyOrder,
  planPromotion,
  planSourceOf,
  worthShowing,
} from '../backend/promotion-plan.js';
import { CONFIG_FILE_NAMES, DEFAULT_ENVIRONMENTS, configSources, findConfigFile } from '../config/load.js';
import { environmentsOf } from '../config/define.js';
import { dependenciesOf, type FlowRelease } from '../config/flow-releases.js';
import { ConfigError, DeployError, UsageError, withNextStep } from '../errors.js';
import { refuseUnsafeNames } from '../finder/names.js';
import { FlowIndex } from '../finder/typescript-flows.js';
import type { DeploymentDetails, FlowDetails, RunContext } from '../model.js';
import { openProject, type Project } from '../project.js';
import { OVERRIDE_REASON_MAX } from './protocol.js';
import type {
  ApprovalsResult,
  LocksResult,
  RollbackParams,
  UnlockParams,
  CommitDistance,
  CommitPair,
  DeployParams,
  FlowsResult,
  GitStatus,
  PreflightParams,
  PreflightResult,
  ProjectState,
  PromoteParams,
  StoreStatus,
} from './protocol.js';

export interface SessionEvents {
  log(runId: string, line: string): void;
  flowsChanged(result: FlowsResult): void;
  deploymentsChanged(): void;
  storeStatusChanged(status: StoreStatus): void;
}

/** A store that hears other processes' changes itself (the team store: LISTEN/NOTIFY). */
interface WatchableStore {
  watch(
    listener: (
      event: { kind: 'changed' } | { kind: 'stale'; reason: string; since: string } | { kind: 'live' },
    ) => void,
  ): () => void;
  freshness(): { store: 'team'; where: string; stale?: { since: string; reason: string } };
}

/** By shape: a config's postgresStore() comes from the project's copy of the flowport package. */
function watchable(store: unknown): store is WatchableStore {
  const s = store as Partial<WatchableStore> | undefined;
  return typeof s?.watch === 'function' && typeof s.freshness === 'function';
}

/** The connection errors a team store goes stale with most, in words (the code stays after them). */
const REASON_WORDS: Record<string, string> = {
  ECONNREFUSED: 'the server refuses connections',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'connecting timed out',
  ENOTFOUND: 'the host name is not known',
  EHOSTUNREACH: 'the host is unreachable',
  '57P01': 'the server shut down',
  '57P02': 'the server crashed',
  '57P03': 'the server is starting up or shutting down',
  '42P01': 'the database has no Flowport schema: run "flowport state migrate"',
};

/**
 * A connection error's text, for the editor: without a connection string's password (pg's own
 * texts do not carry it, but a DNS or URL error may echo what it was given) nor a `password=` pair.
 */
export function redactReason(reason: string): string {
  const words = REASON_WORDS[reason.trim()];
  if (words) return `${words} (${reason.trim()})`;
  return reason
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@\s/]*@/gi, '$1@')
    .replace(/(password\s*=\s*)('[^']*'|"[^"]*"|\S+)/gi, '$1***')
    .slice(0, 500);
}

export class HostSession {
  private loadedProject: Project | undefined;
  private loading: Promise<ProjectState> | undefined;
  private state: ProjectState | undefined;
  /** Deploys and promotes in progress, by run id: how to cancel each, and when it has settled. */
  private readonly runs = new Map<string, { controller: AbortController; settled: Promise<void> }>();
  /** Cancels that came before their run started (the editor's task was terminated early). */
  private readonly cancelledEarly = new Set<string>();
  private closing = false;
  private watcher: FSWatcher | undefined;
  private notifyTimer: NodeJS.Timeout | undefined;
  /** Stops hearing the team store's changes. */
  private unwatch: (() => void) | undefined;
  /** The store status last sent, so that a read going stale is told once. */
  private sentStatus: string | undefined;
  /** Commit pairs never change their distance: counted once per host. */
  private readonly distances = new Map<string, Promise<CommitDistance | null>>();

  constructor(
    private readonly root: string,
    private readonly events: SessionEvents,
  ) {}

  /** Loads the config once; a config error is data here, not a failure. */
  project(): Promise<ProjectState> {
    if (this.state) return Promise.resolve(this.state);
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<ProjectState> {
    try {
      const project = await openProject(this.root);
      this.loadedProject = project;
      this.state = {
        root: project.root,
        configFile: project.file,
        environments: project.environments,
        allowSkippingEnvironments: project.config.allowSkippingEnvironments ?? false,
        configSources: configSources(project.root),
        dependencies: dependencyMap(project.config.releases),
      };
      // Loaded in the background: the first file saved after start then updates in milliseconds.
      if (project.flows instanceof FlowIndex) void project.flows.warmUp();
      if (watchable(project.store)) this.watchTeamStore(project.store);
      else this.watchStore(project.stateDir);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.state = {
        root: this.root,
        // The error may name a file the config imports: that is where to fix it, and what to watch.
        configFile: findConfigFile(this.root) ?? err.file,
        configSources: configSources(this.root, err.file),
        environments: environmentsOf({ environments: DEFAULT_ENVIRONMENTS }),
        allowSkippingEnvironments: false,
        dependencies: {},
        // The editor's next step: it reloads the config when the file is saved.
        configProblem: {
          message: withNextStep(err, 'fix this and save; Flowport reloads the config'),
          file: err.file,
          line: err.line,
        },
      };
    }
    return this.state;
  }

  private async loaded(): Promise<Project> {
    await this.project();
    if (!this.loadedProject) throw new UsageError(this.state?.configProblem?.message ?? 'the project is not loaded');
    return this.loadedProject;
  }

  async flows(query: { flows?: string[]; groups?: string[] }): Promise<FlowsResult> {
    await this.project();
    if (!this.loadedProject) return { flows: [], diagnostics: [] };
    const flows = await this.loadedProject.flows.findFlows(query);
    return { flows, diagnostics: this.loadedProject.flowDiagnostics() };
  }

  async deployments(query: { flows?: string[]; envs?: string[]; history?: boolean }): Promise<DeploymentDetails[]> {
    await this.project();
    if (!this.loadedProject) return [];
    const found = await this.loadedProject.deployments.findDeployments(query);
    // A read that fell back to the last state seen makes the store stale before the listener hears it.
    if (watchable(this.loadedProject.store)) this.tellStatus();
    return found;
  }

  async preflight(params: PreflightParams): Promise<PreflightResult> {
    const project = await this.loaded();
    // Only the run itself: the promoter is handed the route, not the request's other fields.
    const run: PlannedRun =
      params.action === 'deploy'
        ? { action: 'deploy', env: params.env, ...(params.ref === undefined ? {} : { ref: params.ref }) }
        : params.action === 'rollback'
          ? { action: 'rollback', env: params.env, ...(params.to === undefined ? {} : { to: params.to }) }
          : { action: 'promote', from: params.from, to: params.to };
    // In the order the run takes them: a dependency deployed earlier in the batch counts as met.
    const flows = inDependencyOrder(await this.flowsById(params.flowIds), project.config.releases);
    const { sending, refusal, checks } = await preflight(project, run, flows, {
      queue: params.queue !== false,
    });
    const names = sending.map((f) => f.name);
    // Several flows promoted together: the plan the run will follow, to show before it starts.
    const plan =
      run.action === 'promote' && flows.length > 1
        ? await planPromotion(planSourceOf(project), flows, { from: run.from, to: run.to })
        : undefined;
    const checked = {
      ...(checks ? { checks } : {}),
      ...(plan && worthShowing(plan) ? { plan: describePlan(plan) } : {}),
    };
    if (!refusal) return { sending: names, ...checked };
    return {
      refusal: refusal.message,
      ...(refusal.hint ? { refusalHint: refusal.hint } : {}),
      sending: names,
      ...checked,
    };
  }

  async deploy(params: DeployParams): Promise<FlowRunResult[]> {
    const override = overrideReason(params.overrideChecks);
    const project = await this.loaded();
    // A flow after those it reads outputs of, as the CLI deploys them.
    const flows = inDependencyOrder(await this.flowsById(params.flowIds), project.config.releases);
    const planned: PlannedRun = { action: 'deploy', env: params.env, ...(params.ref ? { ref: params.ref } : {}) };
    return this.run(params.runId, async (ctx) =>
      deployFlows(
        project.deployer,
        flows,
        { env: params.env, ref: params.ref },
        await overriding(project, planned, flows, override, queueing(ctx, params.queue)),
      ),
    );
  }

  async promote(params: PromoteParams): Promise<FlowRunResult[]> {
    const override = overrideReason(params.overrideChecks);
    const project = await this.loaded();
    const flows = await this.flowsById(params.flowIds);
    const planned: PlannedRun = { action: 'promote', from: params.from, to: params.to };
    const route = { from: params.from, to: params.to };
    // Several flows run as a plan: in the order their inputs need, stopping at the first that fails.
    const plan = flows.length > 1 ? await planPromotion(planSourceOf(project), flows, route) : undefined;
    return this.run(params.runId, async (ctx) =>
      promoteFlows(
        project.promoter,
        flows,
        { ...route, ...(plan ? { plan } : {}) },
        await overriding(project, planned, flows, override, queueing(ctx, params.queue)),
      ),
    );
  }

  /** Rolls flows back to an earlier release, as the CLI's rollback: a run like a deploy. */
  async rollback(params: RollbackParams): Promise<FlowRunResult[]> {
    const override = overrideReason(params.overrideChecks);
    const project = await this.loaded();
    const flows = await this.flowsById(params.flowIds);
    const options = { env: params.env, ...(params.to === undefined ? {} : { to: params.to }) };
    const planned: PlannedRun = { action: 'rollback', ...options };
    return this.run(params.runId, async (ctx) =>
      rollbackFlows(
        project.deployer,
        project.deployments,
        flows,
        options,
        await overriding(project, planned, flows, override, queueing(ctx, params.queue)),
      ),
    );
  }

  /** A flow's releases in `env`, newest first, with secret outputs masked (they reach a webview). */
  async releases(params: { flowId: string; env: string }): Promise<Release[]> {
    const project = await this.loaded();
    const [flow] = await this.flowsById([params.flowId]);
    return listReleases(project.deployments, flow!.name, params.env, publicDeployment);
  }

  async locks(): Promise<LocksResult> {
    const project = await this.loaded();
    // A store without locks has none: nothing to show, and nothing refused for them.
    return { locks: (await project.store.locks?.()) ?? [], me: currentInitiator() };
  }

  async lock(params: { env: string; flowName?: string; reason: string }): Promise<LockResult> {
    const project = await this.loaded();
    const reason = params.reason.trim();
    if (!reason) throw new UsageError('say why: a lock tells whoever it stops why.');
    this.knownEnvironment(project, params.env);
    if (params.flowName !== undefined && !(await project.flows.findFlows()).some((f) => f.name === params.flowName))
      throw new UsageError(`unknown flow "${params.flowName}": refresh the Flowport view.`);
    const result = await lockingStore(project.store).lock({
      env: params.env,
      ...(params.flowName === undefined ? {} : { flowName: params.flowName }),
      reason,
    });
    this.events.deploymentsChanged();
    return result;
  }

  /** Lifts a lock as `flowport unlock` does: someone else's only once the user confirmed. */
  async unlock(params: UnlockParams): Promise<EnvLock> {
    const project = await this.loaded();
    const store = lockingStore(project.store);
    const held = heldLock(await store.locks(), params.env, params.flowName);
    if (params.lockId !== undefined && held.id !== params.lockId)
      throw new DeployError('the lock changed meanwhile; nothing was unlocked. Look at the lock again and retry.');
    const question = unlockQuestion(held, currentInitiator());
    if (question && !params.confirmed) throw new DeployError(`${question}: confirm to unlock it.`);
    const unlocked = await store.unlock({
      env: params.env,
      ...(params.flowName === undefined ? {} : { flowName: params.flowName }),
      lockId: held.id,
    });
    if (!unlocked)
      throw new DeployError('the lock changed meanwhile; nothing was unlocked. Look at the lock again and retry.');
    this.events.deploymentsChanged();
    return unlocked;
  }

  async approvals(): Promise<ApprovalsResult> {
    const project = await this.loaded();
    return {
      requests: await pendingApprovals(project.store, publicDeployment),
      me: await actingIdentity(project.store, project.root),
    };
  }

  /** Approves or rejects by the CLI's rules, as git's user.email of the project (read each time). */
  async decide(deploymentId: string, decision: 'approved' | 'rejected', comment?: string): Promise<DecisionOutcome> {
    const project = await this.loaded();
    const d = await project.store.getDeployment(deploymentId);
    if (!d) throw new UsageError(`no deployment ${deploymentId}: refresh the Flowport view.`);
    if (decision === 'rejected' && !comment?.trim()) throw new UsageError('say why it is rejected.');
    const outcome = await decideApproval(
      project.store,
      d,
      decision,
      await actingIdentity(project.store, project.root),
      comment,
    );
    this.events.deploymentsChanged();
    return outcome;
  }

  private knownEnvironment(project: Project, env: string): void {
    if (!project.environments.some((e) => e.name === env))
      throw new UsageError(
        `unknown environment "${env}": the config names ${project.environments.map((e) => e.name).join(', ')}.`,
      );
  }

  /** Cancels a run; one not started yet (its request still on the way) is cancelled as it starts. */
  cancel(runId: string): void {
    const run = this.runs.get(runId);
    if (run) run.controller.abort();
    else if (this.cancelledEarly.add(runId).size > 100)
      this.cancelledEarly.delete(this.cancelledEarly.values().next().value!);
  }

  /** Cancels a deployment by id, wherever it runs: its runner carries the request out. */
  async cancelDeployment(deploymentId: string): Promise<void> {
    const project = await this.loaded();
    if (!(await project.store.getDeployment(deploymentId)))
      throw new UsageError(`no deployment ${deploymentId}: refresh the Flowport view.`);
    await project.store.requestCancel(deploymentId);
  }

  /** A deployment's log from byte `from`: the editor follows a run this host did not start. */
  async deploymentLog(deploymentId: string, from = 0): Promise<{ text: string; next: number } | null> {
    const project = await this.loaded();
    return (await project.store.readLog(deploymentId, from)) ?? null;
  }

  async gitStatus(): Promise<GitStatus> {
    return headStatus(this.root);
  }

  /** Counts, for the board's "N commits behind"; at most four git processes at a time. */
  async commitDistances(pairs: CommitPair[]): Promise<(CommitDistance | null)[]> {
    const results = new Array<CommitDistance | null>(pairs.length).fill(null);
    let next = 0;
    const worker = async () => {
      while (next < pairs.length) {
        const i = next++;
        const { base, head } = pairs[i]!;
        const key = `${base}..${head}`;
        let counted = this.distances.get(key);
        if (!counted) {
          counted = commitCounts(this.root, base, head).then((c) => c ?? null);
          this.distances.set(key, counted);
        }
        results[i] = await counted;
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, pairs.length) }, worker));
    return results;
  }

  /** From the editor's file watcher: update the flow index for just these paths. */
  async filesChanged(paths: string[]): Promise<void> {
    if (!this.loadedProject) return;
    if (paths.some((p) => CONFIG_FILE_NAMES.includes(basename(p)))) return; // the extension restarts us
    if (!(this.loadedProject.flows instanceof FlowIndex)) return;
    const { flows, rescanned } = await this.loadedProject.flows.update(paths);
    if (rescanned.length) this.events.flowsChanged({ flows, diagnostics: this.loadedProject.flowDiagnostics() });
  }

  private async flowsById(ids: string[]): Promise<FlowDetails[]> {
    const all = await this.loadedProject!.flows.findFlows();
    const flows = ids.map((id) => {
      const flow = all.find((f) => f.id === id);
      if (!flow) throw new UsageError(`unknown flow ${id}: it is no longer in the source. Refresh the Flowport view.`);
      return flow;
    });
    refuseAmbiguous(flows, all);
    // A finder of the project's own is not checked by the built-in finder's scan.
    refuseUnsafeNames(flows);
    return flows;
  }

  private async run<T>(
    runId: string,
    body: (ctx: { log(line: string): void; signal: AbortSignal }) => Promise<T>,
  ): Promise<T> {
    if (this.runs.has(runId)) throw new UsageError(`run ${runId} is already running`);
    if (this.closing) throw new UsageError('the SDK host is shutting down: nothing was started. Run it again.');
    const controller = new AbortController();
    if (this.cancelledEarly.delete(runId)) controller.abort();
    const running = body({ log: (line) => this.events.log(runId, line), signal: controller.signal });
    this.runs.set(runId, {
      controller,
      settled: running.then(
        () => undefined,
        () => undefined,
      ),
    });
    try {
      return await running;
    } finally {
      this.runs.delete(runId);
      this.events.deploymentsChanged();
    }
  }

  /** Which store is in use, and whether the views show it live or the last state seen. */
  async storeStatus(): Promise<StoreStatus> {
    await this.project();
    return this.currentStatus();
  }

  private currentStatus(): StoreStatus {
    const project = this.loadedProject;
    if (!project || !watchable(project.store))
      return { store: 'local', where: project?.stateDir ?? this.root, live: true };
    const f = project.store.freshness();
    return f.stale
      ? { store: 'team', where: f.where, live: false, staleSince: f.stale.since, reason: redactReason(f.stale.reason) }
      : { store: 'team', where: f.where, live: true };
  }

  private tellStatus(): void {
    const status = this.currentStatus();
    const key = JSON.stringify([status.live, status.staleSince]);
    if (key === this.sentStatus) return;
    this.sentStatus = key;
    this.events.storeStatusChanged(status);
  }

  private changed(delayMs: number): void {
    clearTimeout(this.notifyTimer);
    this.notifyTimer = setTimeout(() => this.events.deploymentsChanged(), delayMs);
  }

  /**
   * Another member's (or process's) write to the team store is heard through LISTEN/NOTIFY: the
   * editor is told within milliseconds, debounced briefly so that a deploy's burst of writes is
   * one refresh. Going stale and live again is told as a store status; back live, the views read
   * again (catching up from what they missed).
   */
  private watchTeamStore(store: WatchableStore): void {
    this.sentStatus = JSON.stringify([true, undefined]);
    this.unwatch = store.watch((event) => {
      if (event.kind === 'changed') return this.changed(50);
      this.tellStatus();
      if (event.kind === 'live') this.changed(0);
    });
  }

  /**
   * Deploys from other windows or the CLI land in the store on disk: watch it and tell the editor,
   * debounced, so the tree shows them within a second.
   */
  private watchStore(dir: string | undefined): void {
    if (!dir) return;
    try {
      mkdirSync(dir, { recursive: true }); // watch from the start, before the first deploy creates it
      this.watcher = watch(dir, { recursive: false }, () => this.changed(150));
    } catch {
      // No state folder yet (nothing deployed): the first deploy of this host notifies anyway.
    }
  }

  /**
   * The editor went away (window closed or reloaded, host restarted): runs go on. Each deploy runs
   * under a runner process of its own that this host only follows; the next host reads them from
   * the store as running and the log file keeps growing. Nothing is cancelled here.
   */
  shutdown(): void {
    this.closing = true; // a request still on its way starts nothing now
    this.dispose();
  }

  dispose(): void {
    this.watcher?.close();
    this.unwatch?.();
    this.unwatch = undefined;
    clearTimeout(this.notifyTimer);
    if (this.loadedProject?.flows instanceof FlowIndex) this.loadedProject.flows.flush();
  }
}

/**
 * `overrideChecks` as the host takes it: absent, or a reason to record (trimmed), refused with
 * what is wrong when it is not a string, is empty, or is longer than {@link OVERRIDE_REASON_MAX}.
 */
export function overrideReason(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw new UsageError(
      `overrideChecks must be a string (the reason, recorded on the deployment), not ${typeof value}.`,
    );
  const reason = value.trim();
  if (reason === '')
    throw new UsageError(
      'overrideChecks needs a reason, recorded on the deployment: say why the checks are overridden.',
    );
  if (reason.length > OVERRIDE_REASON_MAX)
    throw new UsageError(
      `the reason for overriding the checks is ${reason.length} characters long; at most ${OVERRIDE_REASON_MAX} are recorded: say it shorter.`,
    );
  return reason;
}

/**
 * A run with an override, as the CLI's `--override-checks` makes it: the target's checks run again
 * (their results go to the run's log), what refuses besides the checks still refuses, and the run
 * carries the failing checks let through, so that each deployment records them
 * (`attributes.checksOverridden`, with who and why). Without an override, the run as it is.
 */
async function overriding<T extends RunContext & { queue?: boolean }>(
  project: Project,
  planned: PlannedRun,
  flows: FlowDetails[],
  override: string | undefined,
  ctx: T,
): Promise<T & CheckedRun> {
  if (override === undefined) return ctx;
  const checked = await preflight(project, planned, flows, {
    queue: ctx.queue !== false,
    overrideChecks: override,
    signal: ctx.signal,
    onCheck: (r) => {
      ctx.log(`${r.ok ? '✓' : '✗'} check ${r.label}: ${r.message}`);
      if (!r.ok) for (const line of r.output.slice(-10)) ctx.log(`    | ${line}`);
    },
  });
  if (checked.refusal) throw checked.refusal;
  const overridden = checked.checksOverridden;
  if (overridden) {
    const names = [...new Set(overridden.failed.map((f) => f.name))].join(', ');
    ctx.log(`checks overridden by ${overridden.by} (${names}): ${JSON.stringify(overridden.reason)}`);
  }
  return withChecksOverride(ctx, overridden);
}

/** A run that waits its turn behind the deploys before it, unless the editor asked it not to. */
function queueing<T extends RunContext>(ctx: T, queue: boolean | undefined): T & { queue?: boolean } {
  return queue === false ? { ...ctx, queue: false } : ctx;
}

/** ProjectState.dependencies: each flow of `releases` that reads another's output(), and which. */
function dependencyMap(releases: Record<string, FlowRelease> | undefined): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const [flow, release] of Object.entries(releases ?? {})) {
    const deps = dependenciesOf(release);
    if (deps.length) map[flow] = deps;
  }
  return map;
}

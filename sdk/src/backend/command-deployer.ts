/**
 * The default {@link Deployer}: runs the team's deploy command, recorded in the project's store.
 *
 * `commandDeployer({ command: ['node', 'scripts/deploy.mjs', '{flow}', '{env}'] })`
 *
 * The command is an argv array started by its runner with no shell: placeholders are replaced inside
 * each element, so a flow, environment or ref is always exactly one argument, whatever characters
 * it holds. The version is a git commit: the ref resolves to a full SHA; a commit other than the
 * checked-out one runs from a temporary worktree of that commit, so a promote deploys exactly what
 * the source environment runs.
 */
import { join, resolve } from 'node:path';
import { DeployError, UsageError } from '../errors.js';
import { ensureStateDir } from '../finder/scan-cache.js';
import type { DeployRequest, Deployer, DeploymentDetails, InputOrigin, JsonValue, RunContext } from '../model.js';
import type { ProjectAware, ProjectContext } from './context.js';
import { LOG_PREFIX } from '../runner/life.js';
import type { CommandSpec } from '../runner/spec.js';
import { startCommandRun } from '../runner/start.js';
import { addWorktree, resolveVersion, type ResolvedVersion } from './git.js';
import { localLedger } from './ledger.js';
import { settingsDigest } from './releases.js';
import { overriddenChecksOf } from './checks.js';
import { requestFor } from './approvals.js';
import { actingIdentity } from './identity.js';
import { isSecretName } from '../secrets.js';
import type { DeploymentStore } from './store.js';
import { withResolvedInputs } from './inputs.js';
import { buildPlaceholder, findBuild, type BuildFound } from './build-phase.js';
import type { ReleaseCommandSpec } from '../runner/release.js';
import { stepsForDeploy } from './step-plan.js';
export { formatMs } from '../runner/command.js';

export interface CommandDeployerOptions {
  /**
   * The program and its arguments, e.g. `['node', 'scripts/deploy.mjs', '{flow}', '{env}']`.
   * `{flow}` `{env}` `{commit}` `{ref}` `{deploymentId}` are replaced inside each element, and
   * `{input:NAME}` by the flow's input NAME (`releases.<flow>.inputs` in the config; a flow that
   * declares no input NAME is refused).
   * Programs in the project's `node_modules/.bin` are found without a path.
   */
  command: string[];
  /** Folder the command runs in, relative to the project root. Default: the project root. */
  cwd?: string;
  /**
   * Extra environment variables (placeholders are replaced in values too). The values of those
   * whose names say they are secret (`API_TOKEN`, `DB_PASSWORD`, `DATABASE_URL`, … see
   * `isSecretName`) are masked as `•••` wherever the command prints them: the log, the last lines
   * of a failed run, the terminal.
   */
  env?: Record<string, string>;
  /**
   * Names of outputs that are secret besides those named so (`token`, `password`, `apiKey`, …)
   * and those the command prints as `::flowport-secret name=value`: stored encrypted, shown as
   * `•••` (`flowport history <flow> --show-secrets` reveals them at a terminal).
   */
  secretOutputs?: string[];
  /** A run longer than this fails as timed out. Default 30 minutes; 0 for none. */
  timeoutMs?: number;
  /** After a cancel or timeout, how long the command gets to stop on SIGTERM before SIGKILL. Default 5 s. */
  killGraceMs?: number;
  /**
   * `auto` (default): a commit other than the checked-out one, or a promote while the tree has
   * uncommitted changes, runs from a temporary git worktree of that commit. `never`: always run in
   * the working tree, and let the command check out `$FLOWPORT_COMMIT` itself.
   */
  worktree?: 'auto' | 'never';
  /** For use without a project: its root (default: the current folder). */
  root?: string;
  /** For use without a project: where to record (default: the local ledger under `root`). */
  store?: DeploymentStore;
}

const PLACEHOLDERS = ['flow', 'env', 'commit', 'ref', 'deploymentId'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
const PLACEHOLDER = /\{(flow|env|commit|ref|deploymentId)\}|\{input:([A-Za-z_][A-Za-z0-9_]*)\}/g;
const ANY_PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*(?::[^{}]*)?)\}/g;
const INPUT_PLACEHOLDER = /^input:[A-Za-z_][A-Za-z0-9_]*$/;

/** Creates the default deployer. Throws at once (so the config loader points at it) on a bad option. */
export function commandDeployer(options: CommandDeployerOptions): CommandDeployer {
  return new CommandDeployer(options);
}

export class CommandDeployer implements Deployer, ProjectAware<CommandDeployer> {
  private fallbackStore: DeploymentStore | undefined;

  constructor(
    readonly options: CommandDeployerOptions,
    private readonly project?: ProjectContext,
  ) {
    checkOptions(options);
  }

  forProject(project: ProjectContext): CommandDeployer {
    return new CommandDeployer(this.options, project);
  }

  /**
   * Says what to run: the version resolved, the checkout made, the command line filled in. The
   * runner (sdk/src/runner) records it, runs it in a process of its own and records the outcome.
   */
  async deploy(given: DeployRequest, run: RunContext): Promise<DeploymentDetails> {
    const root = this.project?.root ?? resolve(this.options.root ?? process.cwd());
    const store = this.project?.store ?? this.options.store ?? (this.fallbackStore ??= localLedger({ root }));
    // Resolved before anything is recorded: an unmet dependency refuses the deploy (the project's
    // deployer wrapper has usually done this already, for every deployer).
    const request = this.project ? await withResolvedInputs(given, this.project) : given;
    const flow = request.flow;
    checkName('flow', flow.name);
    checkName('environment', request.env);
    const environments = this.project?.environments;
    if (environments && !environments.some((e) => e.name === request.env)) {
      throw new UsageError(
        `cannot deploy "${flow.name}" to "${request.env}": that environment is not configured (flowport.config.ts lists ${environments.map((e) => e.name).join(', ')})`,
      );
    }
    this.refuseUndeclaredInputs(flow.name);
    const version = await resolveVersion(root, request.ref ?? 'HEAD');
    const build = await this.buildOf(store, flow.name, version.commit);
    const inPlace =
      this.options.worktree === 'never' ||
      (version.commit === version.headCommit && !(request.promotedFrom && version.changes.length > 0));
    const dirty = inPlace && version.changes.length > 0;
    const attributes: Record<string, JsonValue> = {
      dirty,
      checkout: inPlace ? 'working-tree' : 'worktree',
      settingsDigest: settingsDigest(
        deploySettings(this.options, releaseSettings(this.project, flow.name, request.env)),
      ),
    };
    if (dirty) attributes.changedFiles = version.changes.length;
    if (request.rollback) attributes.rollback = { ...request.rollback };
    // Where each input came from, never its value: enough to tell which db release api was given.
    const origins = { ...request.inputOrigins, ...build?.origins };
    if (Object.keys(origins).length) attributes.inputs = originsRecord(origins);
    if (build?.found)
      attributes.build = { commit: version.commit, deploymentId: build.found.deploymentId, reused: true };
    // Failing pre-deploy checks let through (--override-checks): who, why and which, on the record from its start.
    const overridden = overriddenChecksOf(run, flow.name);
    if (overridden) attributes.checksOverridden = overridden;
    const policy = environments?.find((e) => e.name === request.env)?.approval;
    // A deploy of a plan of promotes records the plan's one request (approvals.ts, PlanApproval).
    if (policy)
      attributes.approval = JSON.parse(
        JSON.stringify(requestFor(run, flow.name, policy, await actingIdentity(store, root))),
      ) as JsonValue;

    return startCommandRun(
      store,
      {
        flowName: flow.name,
        env: request.env,
        commit: version.commit,
        ref: version.ref,
        ...(version.packageVersion === undefined ? {} : { packageVersion: version.packageVersion }),
        ...(request.promotedFrom ? { promotedFrom: request.promotedFrom } : {}),
        attributes,
      },
      run,
      (pending) => this.commandFor(pending, request, root, version, inPlace, dirty, build),
      this.project?.notify,
    );
  }

  /**
   * `{input:NAME}` in the command or its env that no release declares is a typo: it would reach
   * the command as written. One a release declares is '' for the flows without it, so one
   * command serves every flow.
   */
  private refuseUndeclaredInputs(flow: string): void {
    const releases = Object.values(this.project?.releases ?? {});
    for (const text of [...this.options.command, ...Object.values(this.options.env ?? {})]) {
      for (const [, name] of text.matchAll(/\{input:([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
        if (releases.some((r) => r.inputs && name! in r.inputs)) continue;
        const own = Object.keys(this.project?.releases?.[flow]?.inputs ?? {});
        throw new DeployError(
          `the deploy command uses {input:${name}}, but no release declares an input ${name}` +
            ` (${own.length ? `"${flow}" has ${own.join(', ')}` : `"${flow}" has none`}): add ${name} to releases.${flow}.inputs in flowport.config.ts, e.g. ${name}: output('db', 'url')`,
        );
      }
    }
  }

  /** The flow's build phase for `commit`: the outputs of the build that ran, or the build to run. */
  private async buildOf(store: DeploymentStore, flow: string, commit: string): Promise<BuildPlan | undefined> {
    const release = this.project?.releases?.[flow];
    if (!release?.build) return undefined;
    const found = await findBuild(store, flow, commit);
    const plan: BuildPlan = { values: {}, secret: [], origins: {} };
    if (found) plan.found = found;
    else plan.run = release.build;
    for (const [name, source] of Object.entries(release.inputs ?? {})) {
      if (source.from !== 'phase') continue;
      if (found && !(source.output in found.values))
        throw new DeployError(
          `${flow}'s input ${name} reads phase('build').output('${source.output}'), but the build of ${commit.slice(0, 12)} (deployment ${found.deploymentId}) reported no output ${source.output}. ` +
            `Make the build command print ::flowport-output ${source.output}=…, commit, and deploy the new commit`,
        );
      plan.values[name] = found ? found.values[source.output]! : buildPlaceholder(source.output);
      if (found?.secret.includes(source.output)) plan.secret.push(name);
      plan.origins[name] = { from: 'phase', flow, output: source.output, deploymentId: found?.deploymentId ?? null };
    }
    return plan;
  }

  /** The command for the pending deployment `d`: its log's first lines, a checkout when it needs one. */
  private async commandFor(
    d: DeploymentDetails,
    request: DeployRequest,
    root: string,
    version: ResolvedVersion,
    inPlace: boolean,
    dirty: boolean,
    build?: BuildPlan,
  ): Promise<CommandSpec> {
    const preamble = [
      `${LOG_PREFIX} deploying ${request.flow.name} to ${d.env}: ${d.commit.slice(0, 12)}${d.ref !== d.commit ? ` (${d.ref})` : ''}` +
        `${d.promotedFrom ? `, promoted from ${d.promotedFrom.env}` : ''}, deployment ${d.id}`,
    ];
    if (dirty) {
      const shown = version.changes.slice(0, 5).join(', ');
      preamble.push(
        `${LOG_PREFIX} warning: ${version.changes.length} uncommitted change(s) under ${root} (${shown}${version.changes.length > 5 ? ', …' : ''}). ` +
          'This deployment is recorded as dirty: it holds files no commit has.',
      );
    }
    if (inPlace && version.headCommit !== version.commit) {
      preamble.push(
        `${LOG_PREFIX} warning: the working tree is at ${version.headCommit?.slice(0, 12) ?? 'no commit'}, not ${version.commit.slice(0, 12)}; worktree: 'never' runs the command there anyway.`,
      );
    }
    let workRoot = root;
    let worktree: CommandSpec['worktree'];
    if (!inPlace) {
      const dir = join(ensureStateDir(root), 'worktrees', d.id);
      preamble.push(`${LOG_PREFIX} checking out ${d.commit.slice(0, 12)} into ${dir}`);
      workRoot = (await addWorktree(version, root, dir)).root;
      worktree = { topLevel: version.topLevel, dir };
    }
    const inputs = { ...request.inputs, ...build?.values };
    const values: Values = {
      flow: request.flow.name,
      env: d.env,
      commit: d.commit,
      ref: d.ref,
      deploymentId: d.id,
      inputs,
    };
    for (const line of inputLines(request.inputOrigins, build)) preamble.push(`${LOG_PREFIX} ${line}`);
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.options.env ?? {})) env[name] = fill(value, values);
    // Each input as the variable of its name, under Flowport's own (which it cannot replace).
    Object.assign(env, inputs);
    Object.assign(env, {
      FLOWPORT_FLOW: request.flow.name,
      FLOWPORT_ENV: d.env,
      FLOWPORT_COMMIT: d.commit,
      FLOWPORT_REF: d.ref,
      FLOWPORT_DEPLOYMENT_ID: d.id,
      FLOWPORT_SOURCE: join(workRoot, request.flow.sourceRelative),
      FLOWPORT_ROOT: root,
      FLOWPORT_WORKDIR: workRoot,
      FLOWPORT_DIRTY: dirty ? '1' : '0',
      FLOWPORT_PROMOTED_FROM: d.promotedFrom?.env ?? '',
    });
    const secretEnv = [...(request.secretInputs ?? []), ...(build?.secret ?? [])];
    const release: Pick<ReleaseCommandSpec, 'secretEnv' | 'build'> = {
      ...(secretEnv.length ? { secretEnv } : {}),
      ...(build?.run
        ? {
            build: {
              commit: d.commit,
              argv: build.run.command.map((arg) => fill(arg, values)),
              timeoutMs: build.run.timeoutMs ?? this.options.timeoutMs ?? 30 * 60_000,
            },
          }
        : {}),
    };
    return {
      ...release,
      argv: this.options.command.map((arg) => fill(arg, values)),
      // A release of steps runs them on the environment's targets, instead of argv.
      ...stepsForDeploy(this.project, request.flow.name, d.env, values, inputs),
      cwd: resolve(workRoot, this.options.cwd ?? '.'),
      env,
      localDir: root,
      timeoutMs: this.options.timeoutMs ?? 30 * 60_000,
      killGraceMs: this.options.killGraceMs ?? 5000,
      preamble,
      ...(worktree ? { worktree } : {}),
      ...(this.options.secretOutputs?.length ? { secretOutputs: [...this.options.secretOutputs] } : {}),
    };
  }
}

/** A flow's build for the commit deployed: reused when one ran, else run first by the runner. */
interface BuildPlan {
  /** phase('build') input → value: the reused build's output, or a placeholder the runner fills. */
  values: Record<string, string>;
  /** phase('build') inputs whose values are secret (of a reused build). */
  secret: string[];
  origins: Record<string, InputOrigin>;
  /** The build reused. */
  found?: BuildFound;
  /** The build to run before the deploy command. */
  run?: { command: string[]; timeoutMs?: number };
}

type Values = Record<Placeholder, string> & { inputs: Record<string, string> };

/** `attributes.inputs`: input name → where it came from. */
function originsRecord(origins: Record<string, InputOrigin>): JsonValue {
  return Object.fromEntries(Object.entries(origins).map(([name, o]) => [name, { ...o }]));
}

/** The log's lines on where the inputs came from (names and deployments, never values) and on the build. */
function inputLines(origins: Record<string, InputOrigin> | undefined, build: BuildPlan | undefined): string[] {
  const lines = Object.entries(origins ?? {}).map(([name, o]) =>
    o.deploymentId
      ? `input ${name}: ${o.flow}'s output ${o.output}${o.from === 'current' ? ' (current)' : ''}, deployment ${o.deploymentId}`
      : `input ${name}: empty, ${o.flow} has no current deployment here`,
  );
  if (build?.found)
    lines.push(
      `build: reusing the build of this commit from deployment ${build.found.deploymentId} (${build.found.env}); not building again`,
    );
  return lines;
}

/**
 * What of the options decides how a deploy runs, for the release's digest. Secret values are left
 * out (a digest of a short one could be guessed), their names stay: a rotated token is the same
 * config, a new variable is not.
 */
function deploySettings(options: CommandDeployerOptions, release?: JsonValue): JsonValue {
  const env = Object.fromEntries(
    Object.entries(options.env ?? {}).map(([name, value]) => [name, isSecretName(name) ? '(secret)' : value]),
  );
  return {
    command: options.command,
    cwd: options.cwd ?? '.',
    env,
    timeoutMs: options.timeoutMs ?? null,
    killGraceMs: options.killGraceMs ?? null,
    worktree: options.worktree ?? 'auto',
    secretOutputs: options.secretOutputs ?? [],
    // Only when the flow has a release, so the digests of flows without one stay as they were.
    ...(release === undefined ? {} : { release }),
  };
}

/**
 * What of the flow's release decides how its deploy to `env` runs: where its inputs come from, its
 * build and steps, and the targets of the groups those steps run on there.
 */
function releaseSettings(project: ProjectContext | undefined, flow: string, env: string): JsonValue | undefined {
  const release = project?.releases?.[flow];
  if (!release) return undefined;
  const targets = project?.environments.find((e) => e.name === env)?.targets ?? {};
  const groups = [...new Set((release.steps ?? []).map((s) => s.group))].sort();
  return {
    inputs: (release.inputs ?? {}) as unknown as JsonValue,
    build: release.build ? { command: release.build.command, timeoutMs: release.build.timeoutMs ?? null } : null,
    steps: (release.steps ?? []).map((s) => ({
      name: s.name,
      group: s.group,
      command: s.command,
      parallel: s.parallel ?? 1,
    })),
    targets: Object.fromEntries(groups.map((g) => [g, targets[g] ?? []])),
  };
}

function checkOptions(options: CommandDeployerOptions): void {
  const example = `e.g. commandDeployer({ command: ['node', 'scripts/deploy.mjs', '{flow}', '{env}'] })`;
  if (
    !Array.isArray(options?.command) ||
    options.command.length === 0 ||
    !options.command.every((a) => typeof a === 'string')
  ) {
    throw new TypeError(
      `commandDeployer: command must be a non-empty array of strings (the program, then its arguments), ${example}`,
    );
  }
  if (options.command[0]!.trim() === '')
    throw new TypeError(`commandDeployer: command[0] must name the program to run, ${example}`);
  const texts = [...options.command, ...Object.values(options.env ?? {})];
  for (const text of texts) {
    for (const m of text.matchAll(ANY_PLACEHOLDER)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!) && !INPUT_PLACEHOLDER.test(m[1]!)) {
        throw new TypeError(
          `commandDeployer: unknown placeholder {${m[1]}} in ${JSON.stringify(text)}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')} {input:NAME}`,
        );
      }
    }
  }
  if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs >= 0)) {
    throw new TypeError('commandDeployer: timeoutMs must be a number of milliseconds (0 for no timeout)');
  }
  const secret = options.secretOutputs;
  if (secret !== undefined && !(Array.isArray(secret) && secret.every((n) => typeof n === 'string')))
    throw new TypeError(`commandDeployer: secretOutputs must be an array of output names, e.g. ['apiToken']`);
  if (options.worktree !== undefined && options.worktree !== 'auto' && options.worktree !== 'never') {
    throw new TypeError(`commandDeployer: worktree must be 'auto' or 'never'`);
  }
}

/** One pass, so a value that itself looks like `{env}` is never replaced again. */
function fill(text: string, values: Values): string {
  return text.replace(PLACEHOLDER, (_, name: Placeholder | undefined, input: string | undefined) =>
    name ? values[name] : (values.inputs[input!] ?? ''),
  );
}

/** Names reach the command as single argv elements; only what no argument or variable can hold is refused. */
function checkName(kind: string, name: string): void {
  if (name === '' || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new UsageError(`${kind} name ${JSON.stringify(name)} is empty or holds control characters`);
  }
}

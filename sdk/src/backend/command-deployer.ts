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
import { UsageError } from '../errors.js';
import { ensureStateDir } from '../finder/scan-cache.js';
import type { DeployRequest, Deployer, DeploymentDetails, JsonValue, RunContext } from '../model.js';
import type { ProjectAware, ProjectContext } from './context.js';
import { LOG_PREFIX } from '../runner/life.js';
import type { CommandSpec } from '../runner/spec.js';
import { startCommandRun } from '../runner/start.js';
import { addWorktree, resolveVersion, type ResolvedVersion } from './git.js';
import { localLedger } from './ledger.js';
import { settingsDigest } from './releases.js';
import { overriddenChecksOf } from './checks.js';
import { approvalRequest } from './approvals.js';
import { actingIdentity } from './identity.js';
import { isSecretName } from '../secrets.js';
import type { DeploymentStore } from './store.js';
export { formatMs } from '../runner/command.js';

export interface CommandDeployerOptions {
  /**
   * The program and its arguments, e.g. `['node', 'scripts/deploy.mjs', '{flow}', '{env}']`.
   * `{flow}` `{env}` `{commit}` `{ref}` `{deploymentId}` are replaced inside each element.
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
const PLACEHOLDER = /\{(flow|env|commit|ref|deploymentId)\}/g;
const ANY_PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

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
  async deploy(request: DeployRequest, run: RunContext): Promise<DeploymentDetails> {
    const root = this.project?.root ?? resolve(this.options.root ?? process.cwd());
    const store = this.project?.store ?? this.options.store ?? (this.fallbackStore ??= localLedger({ root }));
    const flow = request.flow;
    checkName('flow', flow.name);
    checkName('environment', request.env);
    const environments = this.project?.environments;
    if (environments && !environments.some((e) => e.name === request.env)) {
      throw new UsageError(
        `cannot deploy "${flow.name}" to "${request.env}": that environment is not configured (flowport.config.ts lists ${environments.map((e) => e.name).join(', ')})`,
      );
    }
    const version = await resolveVersion(root, request.ref ?? 'HEAD');
    const inPlace =
      this.options.worktree === 'never' ||
      (version.commit === version.headCommit && !(request.promotedFrom && version.changes.length > 0));
    const dirty = inPlace && version.changes.length > 0;
    const attributes: Record<string, JsonValue> = {
      dirty,
      checkout: inPlace ? 'working-tree' : 'worktree',
      settingsDigest: settingsDigest(deploySettings(this.options)),
    };
    if (dirty) attributes.changedFiles = version.changes.length;
    if (request.rollback) attributes.rollback = { ...request.rollback };
    // Failing pre-deploy checks let through (--override-checks): who, why and which, on the record from its start.
    const overridden = overriddenChecksOf(run, flow.name);
    if (overridden) attributes.checksOverridden = overridden;
    const policy = environments?.find((e) => e.name === request.env)?.approval;
    if (policy) attributes.approval = { ...approvalRequest(policy, await actingIdentity(store, root)) };

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
      (pending) => this.commandFor(pending, request, root, version, inPlace, dirty),
      this.project?.notify,
    );
  }

  /** The command for the pending deployment `d`: its log's first lines, a checkout when it needs one. */
  private async commandFor(
    d: DeploymentDetails,
    request: DeployRequest,
    root: string,
    version: ResolvedVersion,
    inPlace: boolean,
    dirty: boolean,
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
    const values: Record<Placeholder, string> = {
      flow: request.flow.name,
      env: d.env,
      commit: d.commit,
      ref: d.ref,
      deploymentId: d.id,
    };
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.options.env ?? {})) env[name] = fill(value, values);
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
    return {
      argv: this.options.command.map((arg) => fill(arg, values)),
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

/**
 * What of the options decides how a deploy runs, for the release's digest. Secret values are left
 * out (a digest of a short one could be guessed), their names stay: a rotated token is the same
 * config, a new variable is not.
 */
function deploySettings(options: CommandDeployerOptions): JsonValue {
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
      if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
        throw new TypeError(
          `commandDeployer: unknown placeholder {${m[1]}} in ${JSON.stringify(text)}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}`,
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
function fill(text: string, values: Record<Placeholder, string>): string {
  return text.replace(PLACEHOLDER, (_, name: Placeholder) => values[name]);
}

/** Names reach the command as single argv elements; only what no argument or variable can hold is refused. */
function checkName(kind: string, name: string): void {
  if (name === '' || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new UsageError(`${kind} name ${JSON.stringify(name)} is empty or holds control characters`);
  }
}

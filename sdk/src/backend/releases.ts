/**
 * Releases: every successful deployment is one, immutable: what a flow ran in an environment from
 * then on (commit, ref, outputs, who, when, and a digest of the deploy settings it ran with).
 * Rolling back redeploys an earlier release's commit, recorded as a rollback naming the release it
 * restores and the one it replaces. Both are read from the store's deployments: nothing here
 * keeps state of its own, so every store engine has releases as soon as it records deployments.
 */
import { createHash } from 'node:crypto';
import { DeployError } from '../errors.js';
import type { DeploymentDetails, DeploymentFinder, JsonValue } from '../model.js';
import { withHint, type CommandHint } from '../hint.js';

/** How a release stands in its environment's history. */
export type ReleaseState =
  /** What the environment runs now. */
  | 'current'
  /** A rollback replaced it. */
  | 'rolled back'
  /** A later deploy or promote replaced it. */
  | 'superseded';

/** What a rollback deployment records in `attributes.rollback`. */
export interface RollbackOf {
  /** The release (deployment id) whose commit it redeploys. */
  restores: string;
  /** The release that ran before it, now shown `rolled back`. */
  replaces?: string;
}

export interface Release {
  /** The deployment that made it. */
  deploymentId: string;
  flowName: string;
  env: string;
  commit: string;
  ref: string;
  packageVersion?: string;
  outputs: Record<string, string>;
  initiator: string;
  /** When its deployment was asked for, and when it succeeded (ISO 8601). */
  createdAt: string;
  deployedAt: string;
  /** `sha256:…` of the resolved deploy settings (command, cwd, environment names, …); null when the deployer recorded none. */
  settingsDigest: string | null;
  promotedFrom?: { env: string; deploymentId: string };
  rollback?: RollbackOf;
  state: ReleaseState;
  /** For `rolled back`: the rollback deployment that replaced it. */
  rolledBackBy?: string;
}

/**
 * The releases of `flowName` in `env`, newest first. `shown` makes each deployment what its
 * reader may see (secret outputs masked, say) before it becomes a release.
 */
export async function listReleases(
  finder: DeploymentFinder,
  flowName: string,
  env: string,
  shown: (d: DeploymentDetails) => DeploymentDetails = (d) => d,
): Promise<Release[]> {
  const history = await finder.findDeployments({ flows: [flowName], envs: [env], history: true });
  return releasesOf(history.filter((d) => d.flowName === flowName && d.env === env).map(shown));
}

/** The releases among one pair's deployments (oldest first, as the store lists them), newest first. */
export function releasesOf(deployments: readonly DeploymentDetails[]): Release[] {
  // In the order they went live: the one that succeeded last is what runs.
  const succeeded = deployments
    .map((d, i) => ({ d, i }))
    .filter(({ d }) => d.status === 'succeeded')
    .sort((a, b) => a.d.updatedAt.localeCompare(b.d.updatedAt) || a.i - b.i)
    .map(({ d }) => d);
  const replacedBy = new Map<string, string>();
  for (const d of succeeded) {
    const rollback = rollbackOf(d);
    if (rollback?.replaces) replacedBy.set(rollback.replaces, d.id);
  }
  return succeeded.reverse().map((d, i) => {
    const rollback = rollbackOf(d);
    const rolledBackBy = i === 0 ? undefined : replacedBy.get(d.id);
    return {
      deploymentId: d.id,
      flowName: d.flowName,
      env: d.env,
      commit: d.commit,
      ref: d.ref,
      ...(d.packageVersion === undefined ? {} : { packageVersion: d.packageVersion }),
      outputs: d.outputs,
      initiator: d.initiator,
      createdAt: d.createdAt,
      deployedAt: d.updatedAt,
      settingsDigest: typeof d.attributes.settingsDigest === 'string' ? d.attributes.settingsDigest : null,
      ...(d.promotedFrom ? { promotedFrom: d.promotedFrom } : {}),
      ...(rollback ? { rollback } : {}),
      state: i === 0 ? 'current' : rolledBackBy ? 'rolled back' : 'superseded',
      ...(rolledBackBy ? { rolledBackBy } : {}),
    } satisfies Release;
  });
}

/** A deployment's `attributes.rollback`, when it is one and well formed (records are the project's text). */
export function rollbackOf(d: DeploymentDetails): RollbackOf | undefined {
  const r = d.attributes.rollback;
  if (!r || typeof r !== 'object' || Array.isArray(r)) return undefined;
  const { restores, replaces } = r as Record<string, JsonValue>;
  if (typeof restores !== 'string') return undefined;
  return typeof replaces === 'string' ? { restores, replaces } : { restores };
}

/** What a rollback would do, decided before anything runs. */
export type RollbackPlan =
  | { action: 'deploy'; restore: Release; replaces: Release; message: string }
  /** The release asked for is what runs: nothing to do, and that is not an error. */
  | { action: 'unchanged'; restore: Release; message: string };

/**
 * Which release a rollback of `flowName` in `env` restores: `to` (a deployment id) when given,
 * else the newest earlier release with another commit that was not itself rolled back (so two
 * rollbacks in a row go further back, not to and fro). Refuses, saying what to do, when there is
 * nothing to roll back to.
 */
export async function planRollback(
  finder: DeploymentFinder,
  flowName: string,
  env: string,
  to?: string,
): Promise<RollbackPlan> {
  const releases = await listReleases(finder, flowName, env);
  const current = releases[0];
  const list: CommandHint = { command: 'releases', args: [flowName, '--env', env] };
  if (!current) {
    const { message, hint } = withHint(
      `cannot roll back "${flowName}" in ${env}: ${env} has no release of it (no successful deployment). Deploy it first`,
      { command: 'deploy', args: [flowName, '--env', env] },
    );
    throw new DeployError(message, { hint });
  }
  let restore: Release | undefined;
  if (to !== undefined) {
    restore = releases.find((r) => r.deploymentId === to);
    if (!restore) {
      const { message, hint } = withHint(
        `cannot roll back "${flowName}" in ${env} to ${to}: that is not a release of "${flowName}" in ${env} (only a successful deployment is). List them with`,
        list,
      );
      throw new DeployError(message, { hint });
    }
    if (restore === current) {
      return {
        action: 'unchanged',
        restore,
        message: `"${flowName}": ${env} already runs release ${to} (${short(restore.commit)}); nothing to roll back`,
      };
    }
  } else {
    restore = releases.slice(1).find((r) => r.commit !== current.commit && r.state !== 'rolled back');
    if (!restore) {
      const { message, hint } = withHint(
        `cannot roll back "${flowName}" in ${env}: no earlier release runs another commit than the current ${short(current.commit)}. List the releases with`,
        list,
      );
      throw new DeployError(message, { hint });
    }
  }
  return {
    action: 'deploy',
    restore,
    replaces: current,
    message: `rolling back "${flowName}" in ${env} from ${short(current.commit)} to ${short(restore.commit)} (release ${restore.deploymentId})`,
  };
}

/**
 * A short, stable digest of a deployer's resolved settings: keys sorted, so the same settings give
 * the same digest in any order. A release's digest tells "same commit, other config" apart.
 */
export function settingsDigest(settings: JsonValue): string {
  return `sha256:${createHash('sha256').update(canonicalJson(settings)).digest('hex').slice(0, 16)}`;
}

function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const short = (sha: string) => sha.slice(0, 12);

/**
 * A flow's build phase (`releases.<flow>.build`), as the store remembers it: the deployment that
 * first deployed a commit ran the build before its deploy command, and recorded what it produced
 * as `attributes.build` ({@link BuildRecord}); every later deploy or promote of that commit, in
 * any environment, reuses those outputs instead of building again.
 */
import { DeployError } from '../errors.js';
import type { DeploymentDetails } from '../model.js';
import { openValue, SecretError } from '../secrets.js';
import type { DeploymentStore } from './store.js';

/** `attributes.build` of a deployment that built (or reused the build of) its commit. */
export interface BuildRecord {
  commit: string;
  /** The deployment that ran the build. */
  deploymentId: string;
  /** Output name → value as shown: a secret one reads •••. Absent when reused. */
  outputs?: Record<string, string>;
  /** Secret outputs, sealed (bound to the building deployment and the output's name). */
  sealed?: Record<string, string>;
  /** True when this deployment reused another's build. */
  reused?: boolean;
}

/** A build found for a commit, its outputs opened. */
export interface BuildFound {
  deploymentId: string;
  env: string;
  values: Record<string, string>;
  /** Names of the outputs that are secret. */
  secret: string[];
}

/**
 * What stands in an argv element or variable for a build output until the runner has built: NUL
 * can be in no real argument or variable, so nothing else is ever taken for it.
 */
export function buildPlaceholder(output: string): string {
  return `\u0000flowport-build:${output}\u0000`;
}

/** Every {@link buildPlaceholder} in a text; group 1 is the output's name. */
export const BUILD_PLACEHOLDERS = /\u0000flowport-build:([^\u0000]*)\u0000/g;

/** What a sealed build output is bound to: a copy in another record does not open there. */
export function buildSealContext(deploymentId: string, output: string): string {
  return `flowport build output\u0000${deploymentId}\u0000${output}`;
}

/** The build record of a deployment, when it has a well-formed one. */
export function buildRecordOf(d: Pick<DeploymentDetails, 'attributes'>): BuildRecord | undefined {
  const b = d.attributes.build as Partial<BuildRecord> | undefined;
  if (!b || typeof b !== 'object' || typeof b.commit !== 'string' || typeof b.deploymentId !== 'string')
    return undefined;
  return b as BuildRecord;
}

/** The latest build of `commit` for `flow`, in any environment, with its outputs opened; undefined when none ran. */
export async function findBuild(
  store: Pick<DeploymentStore, 'findDeployments'>,
  flow: string,
  commit: string,
): Promise<BuildFound | undefined> {
  return buildAmong(await store.findDeployments({ flows: [flow], history: true }), flow, commit);
}

/** {@link findBuild} among deployments already read (the flow's history, in the order recorded). */
export function buildAmong(all: readonly DeploymentDetails[], flow: string, commit: string): BuildFound | undefined {
  const built = all.findLast((d) => {
    const b = buildRecordOf(d);
    return d.flowName === flow && b?.commit === commit && b.deploymentId === d.id && !b.reused && b.outputs;
  });
  if (!built) return undefined;
  const record = buildRecordOf(built)!;
  const values: Record<string, string> = { ...record.outputs };
  const secret: string[] = [];
  for (const [name, sealed] of Object.entries(record.sealed ?? {})) {
    try {
      values[name] = openValue(sealed, buildSealContext(built.id, name));
    } catch (err) {
      const why = err instanceof SecretError ? err.message : String(err);
      throw new DeployError(
        `${flow}'s build of ${commit.slice(0, 12)} (deployment ${built.id}) has the secret output ${name}, which cannot be read here: ${why}. ` +
          `Use the secret key it was sealed with (FLOWPORT_SECRET_KEY_FILE)`,
      );
    }
    secret.push(name);
  }
  return { deploymentId: built.id, env: built.env, values, secret };
}

/**
 * A flow's inputs for one deploy, resolved from the store before anything is recorded
 * (`releases.<flow>.inputs` in the config, sdk/src/config/flow-releases.ts):
 * - `output('db', 'url')`: the `url` output of db's current (latest succeeded) deployment in the
 *   environment deployed to. None there, or no such output: the deploy is refused with a
 *   {@link DeployError} naming db and the command that fixes it.
 * - `current('api').output('version')`: that output of api's current deployment there, before this
 *   deploy; '' when there is none.
 * - `phase('build').output('binaryUrl')`: an output of the flow's own build of the commit deployed;
 *   `commandDeployer` fills these (it runs the build, once per commit), so they are not resolved here.
 *
 * A secret output (sealed in the store) is opened to become the input's value, and the input is
 * listed in `secretInputs`: masked wherever the deploy command prints it, never recorded. What is
 * recorded is where each input came from ({@link InputOrigin}), never its value.
 */
import { dependenciesOf, type FlowRelease, type InputSource } from '../config/flow-releases.js';
import { currentAmong } from './current.js';
import { DeployError } from '../errors.js';
import { withHint } from '../hint.js';
import type {
  DeployRequest,
  Deployer,
  DeploymentDetails,
  DeploymentFinder,
  InputOrigin,
  RunContext,
} from '../model.js';
import { isSecretOutput, maskUrlCredentials, revealOutput, SecretError } from '../secrets.js';

export type { InputOrigin } from '../model.js';

/** What resolving needs of a project: its releases, where deployments are read, and its flows' names. */
export interface InputsContext {
  releases?: Record<string, FlowRelease>;
  deployments: DeploymentFinder;
  /** Every flow's name, to tell a mistyped dependency from one never deployed. */
  flowNames?: () => Promise<string[] | undefined>;
}

/** The inputs of `flow` in `env` that come from deployments (not its build), with where each came from. */
export interface ResolvedInputs {
  values: Record<string, string>;
  /** Inputs whose value is a secret output: masked in what the command prints. */
  secret: string[];
  origins: Record<string, InputOrigin>;
}

/** `request` with `inputs`, `secretInputs` and `inputOrigins` filled in, unless already filled or the flow declares none. */
export async function withResolvedInputs(request: DeployRequest, context: InputsContext): Promise<DeployRequest> {
  if (request.inputs !== undefined) return request;
  const declared = context.releases?.[request.flow.name]?.inputs;
  if (!declared || Object.keys(declared).length === 0) return request;
  const resolved = await resolveInputs(context, request.flow.name, request.env, request.promotedFrom?.env);
  return {
    ...request,
    inputs: resolved.values,
    secretInputs: resolved.secret,
    inputOrigins: resolved.origins,
  };
}

/**
 * Resolves `flow`'s `output()` and `current()` inputs in `env`. Throws a {@link DeployError} naming
 * the first unmet dependency and the command that fixes it: deploying it there, or for a promote
 * (`promotedFrom`, the environment promoted from) promoting it.
 */
export async function resolveInputs(
  context: InputsContext,
  flow: string,
  env: string,
  promotedFrom?: string,
): Promise<ResolvedInputs> {
  const declared = Object.entries(context.releases?.[flow]?.inputs ?? {}).filter(([, s]) => s.from !== 'phase');
  const result: ResolvedInputs = { values: {}, secret: [], origins: {} };
  if (declared.length === 0) return result;
  const flows = [...new Set(declared.map(([, s]) => (s as { flow: string }).flow))];
  const current = await context.deployments.findDeployments({ flows, envs: [env] });
  const currentOf = (name: string) => currentAmong(current, name, env);
  for (const [name, source] of declared) {
    const from = source as Extract<InputSource, { flow: string }>;
    const d = currentOf(from.flow);
    if (!d) {
      if (from.from === 'current') {
        result.values[name] = '';
        result.origins[name] = { from: 'current', flow: from.flow, output: from.output, deploymentId: null };
        continue;
      }
      await refuseUnknownFlow(context, flow, name, from.flow);
      throw noDeployment(flow, name, from, env, promotedFrom);
    }
    if (!(from.output in d.outputs)) {
      if (from.from === 'current') {
        result.values[name] = '';
      } else {
        const known = Object.keys(d.outputs);
        throw new DeployError(
          `${flow} needs ${from.flow}'s output ${from.output} in ${env} (input ${name}), but ${from.flow}'s deployment ${d.id} there has no output ${from.output} ` +
            `(it has ${known.length ? known.join(', ') : 'none'}). Make ${from.flow}'s deploy print ::flowport-output ${from.output}=… and deploy it again, ` +
            `or fix releases.${flow}.inputs.${name} in flowport.config.ts`,
          {
            hint: { command: 'deploy', args: [from.flow, '--env', env] },
          },
        );
      }
    } else {
      const { value, secret } = outputValue(d, from.output, flow, name);
      result.values[name] = value;
      if (secret) result.secret.push(name);
    }
    result.origins[name] = { from: from.from, flow: from.flow, output: from.output, deploymentId: d.id };
  }
  return result;
}

/** An output's value in clear, opening a sealed one; whether it is secret. */
function outputValue(
  d: DeploymentDetails,
  output: string,
  flow: string,
  input: string,
): { value: string; secret: boolean } {
  let sealed: string | undefined;
  try {
    sealed = revealOutput(d, output);
  } catch (err) {
    const why = err instanceof SecretError ? err.message : String(err);
    throw new DeployError(
      `${flow}'s input ${input} is ${d.flowName}'s secret output ${output} (deployment ${d.id}), which cannot be read here: ${why}. ` +
        `Deploy ${d.flowName} again from this machine, or use the secret key it was sealed with (FLOWPORT_SECRET_KEY_FILE)`,
    );
  }
  const value = sealed ?? d.outputs[output]!;
  // A URL with a password is sealed like a secret: its value is one too.
  const secret = sealed !== undefined || isSecretOutput(output, d) || maskUrlCredentials(value) !== value;
  return { value, secret };
}

/** An input naming a flow the project does not have: say which it has. */
async function refuseUnknownFlow(
  context: InputsContext,
  flow: string,
  input: string,
  dependency: string,
): Promise<void> {
  const names = await context.flowNames?.();
  if (!names || names.includes(dependency)) return;
  const shown = names.slice(0, 20).join(', ') || '(none)';
  throw new DeployError(
    `releases.${flow}.inputs.${input} reads an output of "${dependency}", but the project has no flow "${dependency}" ` +
      `(its flows: ${shown}${names.length > 20 ? ', …' : ''}). Fix the flow's name in flowport.config.ts`,
  );
}

function noDeployment(
  flow: string,
  input: string,
  source: { flow: string; output: string },
  env: string,
  promotedFrom: string | undefined,
): DeployError {
  const why = `${flow} needs ${source.flow}'s output ${source.output} in ${env} (input ${input}), but ${source.flow} has no successful deployment in ${env}`;
  const { message, hint } =
    promotedFrom !== undefined
      ? withHint(`${why}: promote it there first`, {
          command: 'promote',
          args: [source.flow, '--from', promotedFrom, '--to', env],
        })
      : withHint(`${why}: deploy it first`, { command: 'deploy', args: [source.flow, '--env', env] });
  return new DeployError(message, { hint });
}

/**
 * A promote's dependencies must be at least as far along the path: each flow `flow` takes an
 * `output()` of has a succeeded deployment in `to`. Throws a {@link DeployError} naming the first
 * that has none and the promote (or deploy) that fixes it.
 */
export async function checkDependenciesAhead(
  context: InputsContext,
  flow: string,
  route: { from: string; to: string },
  environments: readonly string[],
  /** Flows promoted before this one in the same plan (promotion-plan.ts): counted as there. */
  promotedBefore: readonly string[] = [],
): Promise<void> {
  const inputs = Object.entries(context.releases?.[flow]?.inputs ?? {});
  const deps = dependenciesOf(context.releases?.[flow]).filter((dep) => !promotedBefore.includes(dep));
  if (deps.length === 0) return;
  const upTo = environments.slice(0, environments.indexOf(route.to) + 1);
  const found = await context.deployments.findDeployments({ flows: deps, envs: upTo });
  const runs = (dep: string, env: string) =>
    found.some((d) => d.flowName === dep && d.env === env && d.status === 'succeeded');
  for (const dep of deps) {
    if (runs(dep, route.to)) continue;
    await refuseUnknownFlow(context, flow, inputs.find(([, s]) => s.from === 'output' && s.flow === dep)![0], dep);
    const why = `cannot promote "${flow}" from ${route.from} to ${route.to}: it takes ${dep}'s outputs, and ${dep} has no successful deployment in ${route.to}`;
    // The fix is one step: from the nearest environment before `to` that runs the dependency.
    const nearest = upTo.slice(0, -1).findLast((env) => runs(dep, env));
    const { message, hint } = nearest
      ? withHint(`${why}. Promote ${dep} first`, {
          command: 'promote',
          args: [dep, '--from', nearest, '--to', route.to],
        })
      : withHint(`${why}. Deploy ${dep} first`, { command: 'deploy', args: [dep, '--env', environments[0]!] });
    throw new DeployError(message, { hint });
  }
}

/**
 * The project's deployer with inputs resolved before each deploy: every caller (the CLI, the SDK
 * host, batches, the promoter) goes through it, so a deployer of one's own gets `request.inputs`
 * as `commandDeployer` does.
 */
export class InputResolvingDeployer implements Deployer {
  constructor(
    readonly inner: Deployer,
    private readonly context: InputsContext,
  ) {}

  async deploy(request: DeployRequest, run: RunContext): Promise<DeploymentDetails> {
    return this.inner.deploy(await withResolvedInputs(request, this.context), run);
  }
}

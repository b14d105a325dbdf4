/**
 * A release's `steps` made into what its runner runs ({@link StepSpec}): per step, one argv per
 * target of its group in the environment deployed to, every placeholder filled but
 * `{step:NAME:OUTPUT}` (only known once the earlier steps ran: sdk/src/runner/steps.ts fills it).
 */
import type { EnvironmentConfig } from '../config/define.js';
import type { DeployStep } from '../config/flow-releases.js';
import { DeployError } from '../errors.js';
import type { StepSpec } from '../runner/spec.js';
import type { ProjectContext } from './context.js';

/** The deploy's own placeholders: `{flow}` `{env}` `{commit}` `{ref}` `{deploymentId}`. */
export type DeployValues = Record<'flow' | 'env' | 'commit' | 'ref' | 'deploymentId', string>;

/**
 * For a `CommandSpec`: `{ steps }` when `flow`'s release in `project` has steps (the deployer's
 * own command, `argv`, does not run then), else nothing. `inputs` are the flow's inputs for
 * this deploy (`{input:NAME}`).
 */
export function stepsForDeploy(
  project: Pick<ProjectContext, 'releases' | 'environments'> | undefined,
  flow: string,
  env: string,
  values: DeployValues,
  inputs: Readonly<Record<string, string>>,
): { steps: StepSpec[] } | Record<string, never> {
  const steps = project?.releases?.[flow]?.steps;
  if (!steps?.length) return {};
  const environment = project?.environments.find((e) => e.name === env);
  // Only these: a caller's values object may carry more (its inputs), which are no placeholders.
  const { flow: f, env: e, commit, ref, deploymentId } = values;
  return { steps: planSteps(steps, environment, { flow: f, env: e, commit, ref, deploymentId }, inputs) };
}

/** Each step on every target its group has in `environment`; see {@link stepsForDeploy}. */
export function planSteps(
  steps: readonly DeployStep[],
  environment: Pick<EnvironmentConfig, 'name' | 'targets'> | undefined,
  values: DeployValues,
  inputs: Readonly<Record<string, string>>,
): StepSpec[] {
  return steps.map((step) => {
    const targets = environment?.targets?.[step.group];
    // The config's validation refuses this; a config built by hand (a test, a deployer of one's own) may not have run it.
    if (!targets?.length)
      throw new DeployError(
        `step "${step.name}" runs on target group "${step.group}", but environment "${values.env}" has no targets for it: add targets: { ${step.group}: ["…"] } to that environment in flowport.config.ts`,
      );
    return {
      name: step.name,
      group: step.group,
      parallel: Math.max(1, Math.floor(step.parallel ?? 1)),
      targets: targets.map((target) => ({
        target,
        argv: step.command.map((arg) => fillPlaceholders(arg, { ...values, target }, inputs, step.name)),
        env: { FLOWPORT_STEP: step.name, FLOWPORT_TARGET_GROUP: step.group, FLOWPORT_TARGET: target },
      })),
    };
  });
}

/**
 * One pass over `text`: `{flow}` … `{target}` and `{input:NAME}` replaced, `{step:…}` (and any
 * other, which the config's validation refuses) left. A value that itself holds `{step:` is
 * refused: the runner would read it as a placeholder and put an earlier step's output there.
 */
function fillPlaceholders(
  text: string,
  values: Readonly<Record<string, string>>,
  inputs: Readonly<Record<string, string>>,
  step: string,
): string {
  return text.replace(/\{([^{}]*)\}/g, (whole, body: string) => {
    let value: string | undefined;
    if (Object.hasOwn(values, body)) value = values[body];
    else if (body.startsWith('input:')) {
      const name = body.slice('input:'.length);
      value = Object.hasOwn(inputs, name) ? inputs[name] : undefined;
      if (value === undefined)
        throw new DeployError(
          `step "${step}": input ${name} has no value for this deploy, so ${whole} cannot be filled. Declare it under the release's inputs in flowport.config.ts.`,
        );
    }
    if (value === undefined) return whole;
    if (value.includes('{step:'))
      throw new DeployError(
        `step "${step}": the value of ${whole} holds "{step:", which would be read as a placeholder; use a value without it`,
      );
    return value;
  });
}

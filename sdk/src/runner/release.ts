/**
 * A release's run, around the deploy command (command.ts): the flow's build first when its commit
 * has not been built yet (`releases.<flow>.build`), then the deploy command with the build's
 * outputs filled in. Secret inputs (a dependency's secret output, a secret build output) are
 * masked in every line logged and in what is recorded of the run.
 */
import type { JsonValue } from '../model.js';
import { BUILD_PLACEHOLDERS, buildSealContext, type BuildRecord } from '../backend/build-phase.js';
import { isSecretName, MASK, maskSecretValues, maskUrlCredentials, SECRET_OUTPUTS, sealValue } from '../secrets.js';
import { awaitBuildTurn, type BuildTurnStore } from './build-turn.js';
import { runCommand } from './command.js';
import { LOG_PREFIX, type ActiveRun, type RunOutcome } from './life.js';
import type { CommandSpec } from './spec.js';

/** The build a runner runs before the deploy command. */
export interface BuildSpec {
  commit: string;
  /** Placeholders filled (phase('build') inputs cannot be used by the build itself). */
  argv: string[];
  timeoutMs: number;
}

/** What commandDeployer adds to the spec for a release: kept here, apart from the spec every run has. */
export interface ReleaseCommandSpec extends CommandSpec {
  /** Variables of `env` whose values are secret (secret inputs), whatever their names. */
  secretEnv?: string[];
  /** Run first; its outputs replace the build placeholders in `argv` and `env`. */
  build?: BuildSpec;
}

/** Runs `spec` as its release says: the build first when it has one, secret inputs masked. */
export async function runRelease(given: CommandSpec, active: ActiveRun, store?: BuildTurnStore): Promise<RunOutcome> {
  const spec = given as ReleaseCommandSpec;
  if (!spec.build && !spec.secretEnv?.length) return runCommand(spec, active);
  const secrets: string[] = [];
  for (const name of spec.secretEnv ?? []) {
    const value = spec.env[name];
    if (value) secrets.push(value);
  }
  const mask = (text: string) => maskUrlCredentials(maskSecretValues(text, secrets));
  // The progress a deploy of steps records as it goes (steps.ts) is masked as its log is.
  const progress = active as ActiveRun & {
    recordAttributes?: (attributes: Record<string, JsonValue>) => Promise<unknown>;
  };
  const masked: ActiveRun = {
    ...active,
    log: (line) => active.log(mask(line)),
    ...(progress.recordAttributes
      ? {
          recordAttributes: (attributes: Record<string, JsonValue>) =>
            progress.recordAttributes!(deepMask(attributes, secrets) as Record<string, JsonValue>),
        }
      : {}),
  };
  const { build, secretEnv: _secretEnv, ...plain } = spec;
  if (!build) return maskOutcome(await runCommand(plain, masked), secrets);

  // A deploy of this commit elsewhere may be building it right now: its build is reused.
  const reused = store
    ? await awaitBuildTurn(store, active.deployment, build.commit, active.signal, (line) => masked.log(line))
    : undefined;
  if (active.signal.aborted) {
    masked.log(`${LOG_PREFIX} cancelled: before the build; nothing was deployed`);
    return { status: 'cancelled', attributes: { reason: 'cancelled while waiting for the build of this commit' } };
  }
  if (reused) {
    masked.log(
      `${LOG_PREFIX} build: deployment ${reused.deploymentId} built ${build.commit.slice(0, 12)}; reusing its outputs`,
    );
    for (const name of reused.secret) secrets.push(reused.values[name]!);
    const record: BuildRecord = { commit: build.commit, deploymentId: reused.deploymentId, reused: true };
    return deployWithBuild(spec, plain, masked, secrets, reused.values, record);
  }
  masked.log(
    `${LOG_PREFIX} build: building ${build.commit.slice(0, 12)} first; every later deploy and promote of this commit reuses its outputs`,
  );
  // The build runs where the deploy will, without the variables that wait for its outputs.
  const buildEnv: Record<string, string> = { FLOWPORT_PHASE: 'build' };
  for (const [name, value] of Object.entries(spec.env)) if (!hasPlaceholder(value)) buildEnv[name] = value;
  const buildSpec: CommandSpec = { ...plain, argv: build.argv, env: { ...buildEnv }, timeoutMs: build.timeoutMs };
  delete buildSpec.worktree; // removed after the deploy, not after the build
  delete buildSpec.steps;
  if (build.argv.some(hasPlaceholder)) {
    const reason = `the build command reads a phase('build') input, which only exists once the build has run: use the build's own outputs in the deploy`;
    masked.log(`${LOG_PREFIX} failed: ${reason}`);
    return { status: 'failed', attributes: { reason } };
  }
  const built = maskOutcome(await runCommand(buildSpec, masked), secrets);
  if (built.status !== 'succeeded') {
    const why = typeof built.attributes?.reason === 'string' ? built.attributes.reason : built.status;
    const reason = `the build failed (${why.replace(/^the deploy command/, 'the build command')}); nothing was deployed`;
    masked.log(`${LOG_PREFIX} ${built.status === 'cancelled' ? 'cancelled' : 'failed'}: ${reason}`);
    return { status: built.status, attributes: { ...built.attributes, phase: 'build', reason } };
  }

  const outputs = built.outputs ?? {};
  const declared = new Set([...stringsOf(built.attributes?.[SECRET_OUTPUTS]), ...(spec.secretOutputs ?? [])]);
  const record: BuildRecord = { commit: build.commit, deploymentId: active.deployment.id, outputs: {} };
  for (const [name, value] of Object.entries(outputs)) {
    const secret = declared.has(name) || isSecretName(name);
    const shown = secret ? MASK : maskUrlCredentials(value);
    record.outputs![name] = shown;
    if (shown !== value) {
      (record.sealed ??= {})[name] = sealValue(value, buildSealContext(active.deployment.id, name));
      secrets.push(value);
    }
  }
  const buildAttribute = record as unknown as JsonValue;
  // Recorded at once, not with the outcome: a deploy of this commit elsewhere that starts while
  // this one still runs (or after its runner died) reuses the build.
  await progress.recordAttributes?.({ build: buildAttribute }).catch((err: unknown) => {
    masked.log(
      `${LOG_PREFIX} warning: could not record the build yet: ${err instanceof Error ? err.message : String(err)}`,
    );
  });
  masked.log(`${LOG_PREFIX} build: done; outputs ${Object.keys(outputs).join(', ') || '(none)'}`);
  return deployWithBuild(spec, plain, masked, secrets, outputs, record);
}

/** The deploy command (or steps) with the build's `outputs` in place of its placeholders. */
async function deployWithBuild(
  spec: ReleaseCommandSpec,
  plain: CommandSpec,
  masked: ActiveRun,
  secrets: readonly string[],
  outputs: Record<string, string>,
  record: BuildRecord,
): Promise<RunOutcome> {
  const build = spec.build!;
  const buildAttribute = record as unknown as JsonValue;
  let missing: string | undefined;
  const fill = (text: string) =>
    text.replace(BUILD_PLACEHOLDERS, (_, name: string) => {
      if (!(name in outputs)) missing ??= name;
      return outputs[name] ?? '';
    });
  const argv = spec.argv.map(fill);
  const env = Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, fill(v)]));
  // A deploy of steps reads the build's outputs in each target's command too.
  const steps = spec.steps?.map((step) => ({
    ...step,
    targets: step.targets.map((t) => ({
      ...t,
      argv: t.argv.map(fill),
      env: Object.fromEntries(Object.entries(t.env).map(([k, v]) => [k, fill(v)])),
    })),
  }));
  if (missing !== undefined) {
    const reason = `the build of ${build.commit.slice(0, 12)} reported no output ${missing}, which phase('build').output('${missing}') reads: make the build command print ::flowport-output ${missing}=…`;
    masked.log(`${LOG_PREFIX} failed: ${reason}`);
    return { status: 'failed', attributes: { reason, build: buildAttribute } };
  }
  const deployed = maskOutcome(
    await runCommand({ ...plain, argv, env, preamble: [], ...(steps ? { steps } : {}) }, masked),
    secrets,
  );
  return { ...deployed, attributes: { ...deployed.attributes, build: buildAttribute } };
}

function hasPlaceholder(text: string): boolean {
  return text.includes('\u0000flowport-build:');
}

function stringsOf(value: JsonValue | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * What is recorded of a run with the secret values masked (its last lines, command line, reason),
 * and each output that holds one declared secret, so the store seals it.
 */
function maskOutcome(outcome: RunOutcome, secrets: readonly string[]): RunOutcome {
  if (secrets.length === 0) return outcome;
  // Every string: the last lines, the command line, the reason, each step's and target's.
  const attributes = deepMask(outcome.attributes ?? {}, secrets) as Record<string, JsonValue>;
  const holding = Object.entries(outcome.outputs ?? {})
    .filter(([, value]) => maskSecretValues(value, secrets) !== value)
    .map(([name]) => name);
  if (holding.length) attributes[SECRET_OUTPUTS] = [...new Set([...stringsOf(attributes[SECRET_OUTPUTS]), ...holding])];
  return { ...outcome, attributes };
}

/** `value` with each of `secrets` masked in every string it holds. */
function deepMask(value: JsonValue, secrets: readonly string[]): JsonValue {
  if (typeof value === 'string') return maskSecretValues(value, secrets);
  if (Array.isArray(value)) return value.map((v) => deepMask(v, secrets));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepMask(v, secrets)]));
  return value;
}

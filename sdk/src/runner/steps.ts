/**
 * A deploy run as steps (a release's `steps`, planned by sdk/src/backend/step-plan.ts): each step
 * in order, on every target of its group, `parallel` targets at a time. Each target's command is a
 * process of its own, run as a deploy command is (runProcess: its own process group, masked lines,
 * `::flowport-output` outputs, SIGTERM then SIGKILL on a stop, a watchdog should the runner die).
 *
 * What it decides:
 * - **Outputs.** A target's outputs are its command's `::flowport-output` lines. A step's output
 *   is the value its targets reported; targets that report none are fine (one target may report
 *   it alone), but targets that report different values make it ambiguous: a later
 *   `{step:STEP:NAME}` of it fails that later step before it starts, naming the targets that
 *   disagree. One that no target reported fails it too. The deployment's outputs are its steps'
 *   outputs, a later step's over an earlier's; an ambiguous one is left out, with a warning.
 * - **A failure** (a command exiting non-zero, one that cannot start, an unresolved
 *   `{step:…}`) fails its step and the deploy: no other target of the step starts, nor any later
 *   step (both are recorded `skipped`). Targets of that step already running are let finish:
 *   stopping one halfway would leave it half deployed, which is worse than finished. The failure
 *   reason says `step "S" failed on T: …`, with that target's last lines.
 * - **Cancel** stops every running target (SIGTERM, then SIGKILL after killGraceMs) and records,
 *   per target, which had finished (`succeeded`), which were stopped (`cancelled`) and which
 *   never started (`skipped`); the reason says the same in words.
 * - **Timeout.** The deployer's `timeoutMs` bounds the whole deploy, every step: past it the
 *   running targets are stopped as on a cancel, and the deploy fails as timed out.
 *
 * Progress is recorded as it goes in `attributes.steps` (step-progress.ts), one store update at a
 * time, the last one before the outcome; log lines are prefixed `[step target]`.
 */
import type { JsonValue } from '../model.js';
import type { DeploymentStore } from '../backend/store.js';
import { MASK, SecretMasker, SECRET_OUTPUTS } from '../secrets.js';
import { displayArg, firstLine, formatMs, runProcess } from './command.js';
import type { BuildTurnStore } from './build-turn.js';
import { runRelease } from './release.js';
import { LOG_PREFIX, messageOf, type ActiveRun, type RunOutcome } from './life.js';
import type { CommandSpec, StepSpec, StepTargetSpec } from './spec.js';
import { STEPS_ATTRIBUTE, type StepProgress, type TargetProgress } from './step-progress.js';

/** A run whose steps' progress can be recorded as it goes (see {@link withProgress}). */
export interface ProgressRun extends ActiveRun {
  /** Merges `attributes` into the running deployment's record. */
  recordAttributes?: (attributes: Record<string, JsonValue>) => Promise<unknown>;
}

/**
 * `active` able to record progress in `store`: what a runner hands runCommand (command.ts), so a
 * deploy of steps shows each step and target as it goes, not only once it ended. It is a field
 * of the run, so a wrapper that spreads the run (`{ ...active, log }`) keeps it.
 */
export function withProgress(active: ActiveRun, store: Pick<DeploymentStore, 'update'>): ProgressRun {
  return { ...active, recordAttributes: (attributes) => store.update(active.deployment.id, { attributes }) };
}

/** Runs the deploy `spec` describes (its one command, or its steps) with progress recorded in `store`. */
export function runDeploy(spec: CommandSpec, active: ActiveRun, store: BuildTurnStore): Promise<RunOutcome> {
  // A release's build phase and secret inputs (issue 16) wrap the command: release.ts.
  return runRelease(spec, withProgress(active, store), store);
}

/** An output as a step's targets reported it: one value, or several (ambiguous). */
type StepOutput = { value: string } | { conflict: string[] };

interface Failure {
  step: string;
  target: string;
  reason: string;
  lastLines: string[];
}

/** Runs `steps` in order; see the module comment for what a failure, a cancel and a timeout do. */
export async function runSteps(spec: CommandSpec, steps: StepSpec[], active: ProgressRun): Promise<RunOutcome> {
  const masker = new SecretMasker({ env: spec.env, secretOutputs: spec.secretOutputs ?? [] });
  for (const line of spec.preamble) active.log(masker.mask(line));
  for (const warning of masker.warnings) active.log(`${LOG_PREFIX} ${warning}`);
  const say = (text: string) => active.log(masker.mask(`${LOG_PREFIX} ${text}`));

  const progress: StepProgress[] = steps.map((s) => ({
    name: s.name,
    group: s.group,
    status: 'pending',
    outputs: {},
    targets: s.targets.map((t) => ({ target: t.target, status: 'pending', outputs: {} })),
  }));
  // What is recorded: secret outputs masked (attributes are not sealed as outputs are).
  const shown = (): JsonValue => {
    const showOutputs = (o: Record<string, string>) =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [k, masker.isSecret(k) ? MASK : masker.mask(v)]));
    return progress.map((s) => ({
      ...s,
      outputs: showOutputs(s.outputs),
      targets: s.targets.map((t) => ({ ...t, outputs: showOutputs(t.outputs) })),
    }));
  };
  const record = active.recordAttributes;
  const recorder = progressRecorder(
    // Without a way to record as it goes, the outcome alone carries the steps.
    () => (record ? record({ [STEPS_ATTRIBUTE]: shown() }) : Promise.resolve()),
    (err) => say(`warning: could not record the steps' progress: ${messageOf(err)}`),
  );

  say(
    `${steps.length} step${steps.length === 1 ? '' : 's'}: ` +
      steps
        .map(
          (s) =>
            `${s.name} on ${s.group} (${s.targets.map((t) => t.target).join(', ')}${s.parallel > 1 && s.targets.length > 1 ? `; ${s.parallel} at a time` : ''})`,
        )
        .join(', then '),
  );

  // Aborted on a cancel or on the deploy's timeout: every running target stops.
  const stop = new AbortController();
  let timedOut = false;
  const onCancel = () => stop.abort();
  if (active.signal.aborted) onCancel();
  else active.signal.addEventListener('abort', onCancel, { once: true });
  const timer =
    spec.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          say(`timed out after ${formatMs(spec.timeoutMs)}: stopping every running target`);
          stop.abort();
        }, spec.timeoutMs)
      : undefined;

  const stepOutputs = new Map<string, Map<string, StepOutput>>();
  let failure: Failure | undefined;
  const started = Date.now();
  try {
    for (const [i, step] of steps.entries()) {
      if (failure || stop.signal.aborted) break;
      const p = progress[i]!;
      p.status = 'running';
      recorder.changed();
      say(`step "${step.name}" starts on ${step.group}: ${step.targets.map((t) => t.target).join(', ')}`);
      const stepStarted = Date.now();
      const onFailure = (f: Failure) => {
        failure ??= f;
      };
      await runStep(step, p, {
        spec,
        masker,
        active,
        signal: stop.signal,
        outputs: stepOutputs,
        changed: () => recorder.changed(),
        failed: onFailure,
        hasFailed: () => failure !== undefined,
      });
      for (const t of p.targets) if (t.status === 'pending') t.status = 'skipped';
      const outputs = mergeOutputs(p.targets);
      stepOutputs.set(step.name, outputs);
      for (const [name, o] of outputs) if ('value' in o) p.outputs[name] = o.value;
      const conflicts = [...outputs].filter(([, o]) => 'conflict' in o).map(([name]) => name);
      if (conflicts.length) p.conflicts = conflicts;
      p.status = p.targets.some((t) => t.status === 'failed')
        ? 'failed'
        : p.targets.some((t) => t.status === 'cancelled' || t.status === 'skipped')
          ? 'cancelled'
          : 'succeeded';
      recorder.changed();
      say(`step "${step.name}" ${p.status} in ${formatMs(Date.now() - stepStarted)}`);
    }
  } finally {
    if (timer) clearTimeout(timer);
    active.signal.removeEventListener('abort', onCancel);
  }
  for (const p of progress) {
    if (p.status === 'pending') p.status = 'skipped';
    for (const t of p.targets) if (t.status === 'pending') t.status = 'skipped';
  }

  // The deployment's outputs: each step's over the ones before it; an ambiguous one is not one.
  const outputs: Record<string, string> = {};
  for (const [stepName, stepOut] of stepOutputs) {
    for (const [name, o] of stepOut) {
      if ('value' in o) outputs[name] = o.value;
      else {
        delete outputs[name];
        say(
          `warning: the targets of step "${stepName}" reported different values of output "${name}" (${o.conflict.join(', ')}): the deployment does not record it`,
        );
      }
    }
  }
  recorder.changed();
  await recorder.flush();

  const secretOutputs = [...masker.declared].filter((name) => name in outputs);
  const attributes: Record<string, JsonValue> = {
    [STEPS_ATTRIBUTE]: shown(),
    ...(secretOutputs.length ? { [SECRET_OUTPUTS]: secretOutputs } : {}),
  };
  const base = { outputs, ...(outputs.url === undefined ? {} : { url: outputs.url }) };
  const ms = formatMs(Date.now() - started);
  if (timedOut) {
    const reason = `timed out after ${formatMs(spec.timeoutMs)}${whereStopped(progress)}`;
    say(`failed: ${reason}`);
    return { status: 'failed', ...base, attributes: { ...attributes, timedOut: true, reason } };
  }
  if (failure) {
    const reason = `step "${failure.step}" failed on ${failure.target}: ${failure.reason}`;
    say(`failed: ${reason}`);
    return {
      status: 'failed',
      ...base,
      attributes: {
        ...attributes,
        reason,
        failedStep: failure.step,
        failedTarget: failure.target,
        lastLines: failure.lastLines,
      },
    };
  }
  if (stop.signal.aborted) {
    const reason = `cancelled${whereStopped(progress)}`;
    say(`${reason}, after ${ms}`);
    return { status: 'cancelled', ...base, attributes: { ...attributes, reason } };
  }
  say(`succeeded in ${ms}: ${steps.length} step${steps.length === 1 ? '' : 's'}`);
  return { status: 'succeeded', ...base, attributes };
}

interface StepRun {
  spec: CommandSpec;
  masker: SecretMasker;
  active: ActiveRun;
  signal: AbortSignal;
  outputs: ReadonlyMap<string, ReadonlyMap<string, StepOutput>>;
  changed(): void;
  failed(f: Failure): void;
  hasFailed(): boolean;
}

/** Runs `step` on its targets, `parallel` at a time, until they are done, one fails, or the run stops. */
async function runStep(step: StepSpec, p: StepProgress, run: StepRun): Promise<void> {
  let next = 0;
  const startMore = () => !run.hasFailed() && !run.signal.aborted && next < step.targets.length;
  const worker = async () => {
    while (startMore()) {
      const i = next++;
      await runTarget(step, step.targets[i]!, p.targets[i]!, run);
    }
  };
  const width = Math.max(1, Math.min(step.parallel, step.targets.length));
  await Promise.all(Array.from({ length: width }, worker));
}

async function runTarget(step: StepSpec, t: StepTargetSpec, tp: TargetProgress, run: StepRun): Promise<void> {
  const { active, masker, spec } = run;
  const prefix = `[${step.name} ${t.target}]`;
  const say = (text: string) => active.log(masker.mask(`${LOG_PREFIX} ${prefix} ${text}`));
  tp.startedAt = new Date().toISOString();
  const filled = fillStepOutputs(t.argv, run.outputs);
  if ('problem' in filled) {
    end(tp, 'failed', filled.problem);
    say(`failed: ${filled.problem}`);
    run.failed({ step: step.name, target: t.target, reason: filled.problem, lastLines: [] });
    run.changed();
    return;
  }
  const argv = filled.argv;
  tp.status = 'running';
  run.changed();
  say(`$ ${argv.map(displayArg).join(' ')}`);
  const ran = await runProcess({
    argv,
    cwd: spec.cwd,
    env: { ...spec.env, ...t.env },
    localDir: spec.localDir,
    timeoutMs: 0, // the deploy's timeout bounds all steps (runSteps)
    killGraceMs: spec.killGraceMs,
    signal: run.signal,
    masker,
    line: (line) => active.log(`${prefix} ${line}`),
    note: (text) => say(text),
  });
  tp.outputs = ran.outputs;
  if (ran.notStarted !== undefined) {
    const reason = `could not start ${JSON.stringify(argv[0])}: ${firstLine(ran.notStarted)}. Check the step's command in flowport.config.ts.`;
    end(tp, 'failed', reason);
    say(`failed: ${reason}`);
    run.failed({ step: step.name, target: t.target, reason, lastLines: [] });
  } else {
    tp.exitCode = ran.exited.code;
    const took = formatMs(ran.ms);
    if (ran.stopped) {
      end(tp, 'cancelled');
      say(`stopped after ${took}`);
    } else if (ran.exited.code === 0) {
      end(tp, 'succeeded');
      say(`succeeded in ${took}`);
    } else {
      const reason = ran.exited.signal
        ? `its command was killed by ${ran.exited.signal}`
        : `its command exited with code ${ran.exited.code}`;
      end(tp, 'failed', reason);
      say(`failed after ${took}: ${reason}`);
      run.failed({ step: step.name, target: t.target, reason, lastLines: ran.tail.map((l) => `${prefix} ${l}`) });
    }
  }
  run.changed();
}

function end(tp: TargetProgress, status: TargetProgress['status'], reason?: string): void {
  tp.status = status;
  tp.endedAt = new Date().toISOString();
  if (reason !== undefined) tp.reason = reason;
}

/** `{step:NAME:OUTPUT}`; NAME holds no colon (the config's validation reads it so). */
const STEP_OUTPUT = /\{step:([^:{}]+):([^{}]+)\}/g;

/** `argv` with each `{step:NAME:OUTPUT}` replaced by that step's output, or why one cannot be. */
export function fillStepOutputs(
  argv: readonly string[],
  outputs: ReadonlyMap<string, ReadonlyMap<string, StepOutput>>,
): { argv: string[] } | { problem: string } {
  let problem: string | undefined;
  const filled = argv.map((arg) =>
    arg.replace(STEP_OUTPUT, (text, step: string, name: string) => {
      const o = outputs.get(step)?.get(name);
      if (o && 'value' in o) return o.value;
      problem ??= o
        ? `${text}: the targets of step "${step}" reported different values of "${name}" (${o.conflict.join(', ')}), and a later step needs one. Print it from one target only, or make them agree.`
        : `${text}: step "${step}" reported no output "${name}" on any target (its command prints it as ::flowport-output ${name}=…)`;
      return text;
    }),
  );
  return problem === undefined ? { argv: filled } : { problem };
}

/** A step's outputs from its targets': agreed values, or the targets whose values differ. */
function mergeOutputs(targets: readonly TargetProgress[]): Map<string, StepOutput> {
  const seen = new Map<string, Array<{ target: string; value: string }>>();
  for (const t of targets)
    for (const [name, value] of Object.entries(t.outputs)) {
      const list = seen.get(name) ?? [];
      list.push({ target: t.target, value });
      seen.set(name, list);
    }
  const merged = new Map<string, StepOutput>();
  for (const [name, list] of seen) {
    const values = new Set(list.map((e) => e.value));
    merged.set(name, values.size === 1 ? { value: list[0]!.value } : { conflict: list.map((e) => e.target) });
  }
  return merged;
}

/** ` during step "S": finished on a; stopped on b; not started on c`, for a cancel or a timeout. */
function whereStopped(progress: readonly StepProgress[]): string {
  const step = progress.find((s) => s.status === 'cancelled');
  if (!step) {
    const next = progress.find((s) => s.status === 'skipped');
    return next ? ` before step "${next.name}" started` : '';
  }
  const on = (status: TargetProgress['status']) => step.targets.filter((t) => t.status === status).map((t) => t.target);
  const parts = [
    ['finished on', on('succeeded')],
    ['stopped on', on('cancelled')],
    ['not started on', on('skipped')],
  ] as const;
  const said = parts.filter(([, names]) => names.length).map(([what, names]) => `${what} ${names.join(', ')}`);
  return ` during step "${step.name}"${said.length ? `: ${said.join('; ')}` : ''}`;
}

/**
 * Records progress one store update at a time: a change while one is being written is folded into
 * the next, so a burst of target starts costs two writes, not one each, and writes never overtake
 * one another. `flush` waits for the last.
 */
function progressRecorder(write: () => Promise<unknown>, warn: (err: unknown) => void) {
  let writing: Promise<void> | undefined;
  let again = false;
  let warned = false;
  const loop = async () => {
    do {
      again = false;
      try {
        await write();
      } catch (err) {
        // Said once: progress is a view, the outcome is still recorded at the end.
        if (!warned) warn(err);
        warned = true;
      }
    } while (again);
    writing = undefined;
  };
  return {
    changed(): void {
      if (writing) again = true;
      else writing = loop();
    },
    async flush(): Promise<void> {
      while (writing) await writing;
    },
  };
}

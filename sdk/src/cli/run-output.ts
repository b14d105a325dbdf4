/** What the deployment commands share: a cancellable run for the terminal, results, ids, ages. */
import { basename } from 'node:path';
import { closest } from '../did-you-mean.js';
import { DeployError, UsageError } from '../errors.js';
import { commandLine, type CommandHint } from '../hint.js';
import type { DeploymentDetails, FlowFinder } from '../model.js';
import { quoteName } from '../finder/names.js';
import { GOOD_OUTCOMES, type FlowRunResult } from '../backend/batch.js';
import { checksRefusal, type CheckResult } from '../backend/checks.js';
import type { Preflight } from '../backend/preflight.js';
import { formatMs } from '../runner/command.js';
import type { DeploymentStore } from '../backend/store.js';
import type { DetachableRun } from '../runner/start.js';
import { relativeToRoot, type FlowSource, type Project } from '../project.js';
import { asTypedHere } from './options.js';
import type { CommandIO } from './main.js';
import { publicDeployment } from '../secrets.js';
import { formatTable, outputsText, shownDeployment } from './table.js';

/**
 * A run whose log goes to the terminal (stderr with `--json`, so stdout stays parseable), attached
 * to the runners it starts: each deploy runs in a runner process of its own, which this CLI only
 * follows. The first Ctrl+C (or SIGTERM) asks the runners to cancel and waits for `cancelled`; a
 * second one stops waiting (the cancel goes on). A hang-up (the terminal closed) or a closed
 * stdout (`| head -1`) only detaches: the deploy goes on, and `flowport logs -f <id>` follows it.
 */
export function terminalRun(
  io: CommandIO,
  json: boolean,
  options: { detach?: boolean; queue?: boolean } = {},
): { run: DetachableRun; dispose: () => void } {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signal === 'SIGHUP') {
      // No terminal to print to, nor anyone to wait for: the runners go on without this process.
      process.exit(129);
    }
    interrupts++;
    if (interrupts === 1) {
      io.err('flowport: cancelling… (Ctrl+C again to stop waiting; the cancel goes on)');
      controller.abort(new Error('cancelled from the terminal'));
      return;
    }
    process.exit(130);
  };
  // A reader that went away (EPIPE) ends what this process prints, never the deploy.
  const onStreamError = () => undefined;
  for (const stream of [process.stdout, process.stderr]) stream.on('error', onStreamError);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, onSignal);
  return {
    run: {
      log: (line) => (json ? io.err(line) : io.out(line)),
      signal: controller.signal,
      ...(options.detach ? { detach: true } : {}),
      ...(options.queue === false ? { queue: false } : {}),
    },
    dispose: () => {
      for (const s of signals) process.off(s, onSignal);
    },
  };
}

/**
 * Prints the per-flow results and returns the exit code: 0 when every flow ended well, else 1.
 * Secret outputs read `•••` and no ciphertext is printed. `reveal` (`--show-secrets`, allowed at a
 * terminal only: secretsShown in table.ts) adds each run's outputs, decrypted, after its message; the
 * `--json` document never holds a secret in clear, whatever `reveal` says.
 */
export function reportResults(
  io: CommandIO,
  given: FlowRunResult[],
  json: boolean,
  reveal = false,
  /** What preflight found: its `checks` and `checksOverridden` join the `--json` document when checks ran. */
  checked?: Preflight,
): number {
  const results = given.map((r) => ({
    ...r,
    ...(r.hint ? { message: asTypedHere(r.message, r.hint) } : {}),
    // Secret outputs read ••• (sealed in the store); their ciphertext stays in the ledger.
    deployment: r.deployment && publicDeployment(r.deployment),
  }));
  if (json) {
    io.out(JSON.stringify({ results, ...checksJson(checked) }, null, 2));
  } else {
    io.out('');
    if (results.length === 1) {
      io.out(results[0]!.message);
    } else {
      const rows = results.map((r) => [
        r.flow,
        r.env,
        r.outcome,
        r.deployment ? shortCommit(r.deployment.commit) : '-',
        r.deployment?.id ?? '-',
        r.message,
      ]);
      io.out(formatTable(['FLOW', 'ENV', 'RESULT', 'COMMIT', 'DEPLOYMENT', 'MESSAGE'], rows));
    }
    if (reveal) {
      // Asked for at a terminal: the outputs as the command set them, secrets in clear.
      for (const r of given) {
        const shown = r.deployment && shownDeployment(r.deployment, true);
        if (shown && Object.keys(shown.outputs).length > 0) io.out(`Outputs of ${shown.id}: ${outputsText(shown)}`);
      }
    }
  }
  return results.every((r) => GOOD_OUTCOMES.includes(r.outcome)) ? 0 : 1;
}

/** `checks` (and `checksOverridden`) for a `--json` document, when the environment's checks ran. */
function checksJson(checked: Preflight | undefined): Pick<Preflight, 'checks' | 'checksOverridden'> {
  if (!checked?.checks) return {};
  return {
    checks: checked.checks,
    ...(checked.checksOverridden ? { checksOverridden: checked.checksOverridden } : {}),
  };
}

/**
 * Prints each pre-deploy check's result on stderr as it finishes (stdout stays the command's
 * table or JSON): ✓ or ✗, its name, how long it took and, under a failed one, its last lines.
 */
export function checkPrinter(io: CommandIO, env: string): (result: CheckResult) => void {
  let first = true;
  return (r) => {
    if (first) io.err(`Checks for ${env}:`);
    first = false;
    io.err(`  ${r.ok ? '✓' : '✗'} ${r.label} (${formatMs(r.durationMs)})${r.ok ? '' : `: ${r.message}`}`);
    if (!r.ok) for (const line of r.output.slice(-10)) io.err(`      | ${line}`);
  };
}

/**
 * What the CLI does with preflight's answer: a refusal by the checks is printed here (stderr, and
 * with `--json` an `{ error, checks }` document on stdout) and gives exit code 1; any other
 * refusal is thrown, as before. An override is said on stderr. Undefined: go on.
 */
export function afterPreflight(
  io: CommandIO,
  checked: Preflight,
  options: { env: string; action: string; json: boolean; override: string | undefined },
): number | undefined {
  const { checks, refusal, checksOverridden } = checked;
  if (refusal && !checks) throw refusal;
  if (refusal) {
    // The list above shows each failing check's last lines: the message does not repeat them.
    const short = checksRefusal(
      options.env,
      options.action,
      checks!.filter((r) => !r.ok),
      false,
    );
    io.err(`flowport: ${short.message}`);
    if (options.json) io.out(JSON.stringify({ error: { kind: short.kind, message: short.message }, checks }, null, 2));
    return 1;
  }
  if (checksOverridden) {
    const failed = [...new Set(checksOverridden.failed.map((f) => f.name))].join(', ');
    io.err(
      `flowport: checks overridden by ${checksOverridden.by} (${failed}): ${JSON.stringify(checksOverridden.reason)} — recorded on the deployment`,
    );
  } else if (options.override !== undefined) {
    io.err(
      `flowport: --override-checks: ${checks ? 'every check passed' : `${options.env} has no checks`}; nothing was overridden`,
    );
  }
  return undefined;
}

/** `--override-checks "reason"`: a reason is required, since it is recorded. */
export function overrideReason(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '')
    throw new UsageError(
      '--override-checks needs a reason, recorded on the deployment: --override-checks "hotfix for INC-123"',
    );
  return value;
}

/** Refuses an environment the config does not list, with the one meant (`Dev` for `dev`). */
export function checkEnvironment(project: Project, env: string, flag: string): void {
  const names = project.environments.map((e) => e.name);
  if (!names.includes(env)) {
    const near = closest(env, names);
    throw new UsageError(
      `${flag} ${env}: no such environment${near ? `: did you mean ${near}?` : '.'} ${project.file ? `${basename(project.file)} lists` : 'The defaults are'} ${names.join(', ')}.`,
    );
  }
}

/**
 * The flows the command names, found once: an unknown name is refused with the one meant
 * (`weekly-report` for `weeklyReport`), or with the project of its own below that holds it.
 */
export function withFlow(args: readonly string[], typed: string, meant: string): string[] {
  return args.map((a) => (a === typed ? meant : a));
}

export async function namedFlows(
  source: FlowSource,
  names: readonly string[],
  /** The command again, with `meant` in place of the flow named `typed`. */
  retry: (typed: string, meant: string) => CommandHint,
): Promise<FlowFinder> {
  const all = await source.flows.findFlows();
  for (const name of names) {
    if (all.some((f) => f.name === name)) continue;
    const elsewhere = source.nestedProjects().find((p) => p.flows.some((f) => f.name === name));
    if (elsewhere) {
      const where = relativeToRoot(source.root, elsewhere.root);
      const hint = { ...retry(name, name), root: elsewhere.root };
      throw new UsageError(
        `"${name}" is a flow of ${where}, a project of its own (${relativeToRoot(source.root, elsewhere.configFile)}), not of ${source.root}: ` +
          commandLine(hint),
        { hint },
      );
    }
    const near = closest(name, [...new Set(all.map((f) => f.name))]);
    if (near) {
      const hint = retry(name, near);
      throw new UsageError(`unknown flow "${name}": did you mean "${near}"? ${commandLine(hint)}`, { hint });
    }
  }
  // selectFlows reports the rest (no such flow at all, groups), from this one scan.
  return { findFlows: () => Promise.resolve(all) };
}

/**
 * A protected environment (config `{ name, protected: true }`) needs a yes: `--yes`, or an answer
 * at the prompt when a person is at the terminal. A script without `--yes` is refused, not
 * silently let through. Asked last, once nothing else can refuse: a yes followed by "you cannot
 * do that" wastes the yes.
 */
export async function confirmProtected(project: Project, env: string, action: string, yes: boolean): Promise<void> {
  if (yes || !project.environments.find((e) => e.name === env)?.protected) return;
  // Refused, as any deploy or promote that is not let through: exit 1, not bad input.
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new DeployError(`${env} is a protected environment: pass --yes to ${action} to it without a prompt.`);
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(
      `${env} is protected. ${action[0]!.toUpperCase()}${action.slice(1)} to ${env}? [y/N] `,
    );
    if (!/^y(es)?$/i.test(answer.trim())) throw new DeployError(`not confirmed: nothing was sent to ${env}.`);
  } finally {
    rl.close();
  }
}

/** The fewest characters of an id a user may give: `cancel a` must not stop whatever id ends in "a". */
export const MIN_ID_CHARS = 6;

/**
 * The deployment a user named: its id, or a prefix or suffix of it at least {@link MIN_ID_CHARS}
 * long that no other id shares. Too short or ambiguous is refused, listing the candidates.
 */
export async function findDeployment(store: DeploymentStore, input: string): Promise<DeploymentDetails> {
  const exact = await store.getDeployment(input);
  if (exact) return exact;
  const matches =
    input === ''
      ? []
      : (await store.findDeployments({ history: true })).filter((d) => d.id.startsWith(input) || d.id.endsWith(input));
  const listed = (ds: DeploymentDetails[]) =>
    ds
      .slice(-10)
      .reverse()
      .map((d) => `\n  ${d.id}  ${d.flowName} → ${d.env}  ${d.status}  ${d.createdAt}`)
      .join('') + (ds.length > 10 ? `\n  … (${ds.length} in all)` : '');
  if (input.length < MIN_ID_CHARS) {
    throw new UsageError(
      `deployment id ${quoteName(input)} is too short: give its whole id, or at least ${MIN_ID_CHARS} characters of its start or end` +
        (matches.length
          ? `. It matches:${listed(matches)}`
          : '. "flowport history <flow>" lists deployments with their ids.'),
    );
  }
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0)
    throw new UsageError(
      `no deployment ${quoteName(input)}. "flowport history <flow>" lists deployments with their ids.`,
    );
  throw new UsageError(
    `deployment id ${quoteName(input)} matches ${matches.length} deployments; give more of the one you mean:${listed(matches)}`,
  );
}

export function shortCommit(sha: string): string {
  return sha.slice(0, 7);
}

/** `45s`, `12m`, `3h`, `5d` ago. */
export function formatAge(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(s)) return '?';
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** A strictly positive integer option, or a UsageError naming the flag. */
export function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} ${value}: give a whole number above 0`);
  return n;
}

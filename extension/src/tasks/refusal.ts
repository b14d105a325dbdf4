/**
 * A refused deploy or promote, as the editor shows it: Flowport's one-line reason, and the fix as
 * buttons that run Deploy or Promote with the right arguments, instead of the CLI's
 * "Deploy it there first: flowport deploy …" (text for a terminal, not for an editor).
 */
import type { CheckResult } from '../../../sdk/src/backend/checks';
import { commandLine, type CommandHint } from '../../../sdk/src/hint';
import type { DeploymentDetails, FlowDetails } from '../../../sdk/src/model';
import type { FolderState } from '../store';

export interface FixAction {
  /** The button: "Deploy send-invoices to dev". */
  title: string;
  command: 'flowport.deploy' | 'flowport.promote' | 'flowport.unlockEnvironment';
  arguments: unknown[];
}

export interface Refusal {
  message: string;
  actions: FixAction[];
}

/** What runs in `env`: the latest succeeded deployment of the flow there, as the tree shows it. */
export function currentIn(state: FolderState, flowName: string, env: string): DeploymentDetails | undefined {
  let current: DeploymentDetails | undefined;
  for (const d of state.deployments) {
    if (d.flowName !== flowName || d.env !== env || d.status !== 'succeeded') continue;
    if (!current || d.createdAt > current.createdAt || (d.createdAt === current.createdAt && d.id > current.id))
      current = d;
  }
  return current;
}

/** The CLI's next step ("…: flowport deploy x --env dev") taken off: the editor offers it as a button. */
export function withoutCliHint(message: string): string {
  return message
    .split('\n')
    .map((line) =>
      line
        .replace(/\s*Deploy it there first: flowport deploy \S+ --env \S+\.?/g, '')
        .replace(/:\s*flowport (?:deploy|promote) [^\n]*$/, '.'),
    )
    .join('\n');
}

/** One line for a notification: the first line, the rest goes to the task's terminal. */
export function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

export type PlannedRun =
  | { action: 'deploy'; env: string }
  | { action: 'promote'; from: string; to: string }
  | { action: 'rollback'; env: string; to?: string };

/**
 * The fix for a refused promote, from the route and what runs where: a route that skips an
 * environment goes to the next one; a source that runs nothing gets it promoted from the
 * environment before it when that one runs the flow, or else deployed. A deploy's refusals (a
 * deploy still running) have no button: waiting is the fix.
 */
export function fixesFor(state: FolderState, run: PlannedRun, flows: readonly FlowDetails[]): FixAction[] {
  if (run.action !== 'promote' || flows.length === 0) return [];
  const names = (state.project?.environments ?? []).map((e) => e.name);
  const from = names.indexOf(run.from);
  const to = names.indexOf(run.to);
  const ids = flows.map((f) => f.id);
  const label = flows.length === 1 ? flows[0]!.name : `${flows.length} flows`;
  if (from < 0 || to < 0) return [];
  const missing = flows.filter((f) => !currentIn(state, f.name, run.from));
  if (missing.length > 0) {
    const previous = names[from - 1];
    const missingIds = missing.map((f) => f.id);
    const what = missing.length === 1 ? missing[0]!.name : `${missing.length} flows`;
    if (previous && missing.every((f) => currentIn(state, f.name, previous))) {
      return [
        {
          title: `Promote ${what} ${previous} → ${run.from}`,
          command: 'flowport.promote',
          arguments: [missingIds, previous],
        },
      ];
    }
    return [{ title: `Deploy ${what} to ${run.from}`, command: 'flowport.deploy', arguments: [missingIds, run.from] }];
  }
  if (to - from > 1 && !state.project?.allowSkippingEnvironments) {
    return [
      {
        title: `Promote ${label} ${run.from} → ${names[from + 1]}`,
        command: 'flowport.promote',
        arguments: [ids, run.from],
      },
    ];
  }
  return [];
}

/**
 * The SDK's hint (the fix as a command, as data) as a button, when the editor has that command:
 * Deploy and Promote. A hint for another project, or a command the editor does not run (cancel,
 * logs), stays text in the message.
 */
export function actionOfHint(state: FolderState, hint: CommandHint | undefined): FixAction | undefined {
  if (!hint || (hint.root !== undefined && hint.root !== state.folder.uri.fsPath)) return undefined;
  const [flowName, ...flags] = hint.args;
  const flag = (name: string) => {
    const i = flags.indexOf(name);
    return i < 0 ? undefined : flags[i + 1];
  };
  // A lock refused it: `flowport unlock <env> [--flow F]`, the editor's Unlock (which asks first
  // when the lock is someone else's).
  if (hint.command === 'unlock' && flowName) {
    const lockedFlow = flag('--flow');
    return {
      title: `Unlock ${lockedFlow ? `${lockedFlow} in ` : ''}${flowName}`,
      command: 'flowport.unlockEnvironment',
      arguments: [flowName, lockedFlow],
    };
  }
  const flow = state.flows.find((f) => f.name === flowName);
  if (!flow) return undefined;
  if (hint.command === 'deploy') {
    const env = flag('--env');
    const ref = flag('--ref');
    if (!env) return undefined;
    return {
      title: `Deploy ${flow.name} to ${env}${ref ? ` @ ${ref}` : ''}`,
      command: 'flowport.deploy',
      arguments: ref ? [[flow.id], env, ref] : [[flow.id], env],
    };
  }
  if (hint.command === 'promote') {
    const from = flag('--from');
    const to = flag('--to');
    const names = (state.project?.environments ?? []).map((e) => e.name);
    // flowport.promote with a source goes to the environment after it: the hint's step must be that.
    if (!from || !to || names[names.indexOf(from) + 1] !== to) return undefined;
    return { title: `Promote ${flow.name} ${from} → ${to}`, command: 'flowport.promote', arguments: [[flow.id], from] };
  }
  return undefined;
}

/**
 * A refusal as the editor shows it: with the SDK's hint as a button (its command line taken off the
 * message), or else the fix derived here from the route and what runs where.
 */
export function refusalOf(
  state: FolderState,
  run: PlannedRun,
  flows: readonly FlowDetails[],
  message: string,
  hint: CommandHint | undefined,
): Refusal {
  const action = actionOfHint(state, hint);
  if (action && hint) return { message: message.split(`: ${commandLine(hint)}`).join('.'), actions: [action] };
  return { message: withoutCliHint(message), actions: fixesFor(state, run, flows) };
}

/** The verb of a run, for a button or a title: "Deploy", "Promote", "Roll Back". */
export function actionTitle(action: PlannedRun['action']): string {
  return action === 'deploy' ? 'Deploy' : action === 'rollback' ? 'Roll Back' : 'Promote';
}

/** A check's duration as the CLI prints it: "80 ms", "1.2 s". */
function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** One line per check, as the CLI lists them: "✓ clean tree (12 ms)", "✗ ci (80 ms): exited with code 3". */
export function checkLines(checks: readonly CheckResult[], withOutput: boolean): string[] {
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${c.ok ? '✓' : '✗'} ${c.label} (${duration(c.durationMs)})${c.ok ? '' : `: ${c.message}`}`);
    if (withOutput && !c.ok) for (const line of c.output.slice(-10)) lines.push(`    | ${line}`);
  }
  return lines;
}

/**
 * The refusal of failing checks, in the editor's words: which failed, each check with a failing
 * one's last lines, and the next step (`how` to override, which differs between a command, which
 * offers "Override Checks…", and a task from tasks.json, which takes `overrideChecks`).
 */
export function checksRefusalText(env: string, checks: readonly CheckResult[], how: string): string {
  const failed = checks.filter((c) => !c.ok);
  const what =
    failed.length === 1
      ? `check "${failed[0]!.label}" failed for ${env}`
      : `${failed.length} checks failed for ${env} (${failed.map((c) => `"${c.label}"`).join(', ')})`;
  return [
    `${what}: nothing was sent.`,
    ...checkLines(checks, true),
    `Fix ${failed.length === 1 ? 'it' : 'them'} and run it again, or ${how} (the reason is recorded on the deployment).`,
  ].join('\n');
}

/**
 * Deploys and promotes run as VS Code tasks of type `flowport`: from the tree, the palette, the
 * board, "Tasks: Run Task", tasks.json and keybindings alike, so every run's log is in one place
 * (its terminal) and terminating the task cancels the run.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { GOOD_OUTCOMES } from '../../../sdk/src/backend/batch';
import type { CommandHint } from '../../../sdk/src/hint';
import { sanitizeTerminalText } from '../../../sdk/src/terminal-text';
import { maskUrlCredentials } from '../../../sdk/src/secrets';
import {
  Methods,
  OVERRIDE_REASON_MAX,
  type CheckResult,
  type FlowRunResult,
  type PreflightResult,
  type RunLogParams,
} from '../../../sdk/src/host/protocol';
import type { DeploymentDetails, FlowDetails } from '../../../sdk/src/model';
import { input, pick, showMessage, type PickItem } from '../commands/prompts';
import { hostError } from '../host/host-client';
import { finalStatusLine, followDeployment, isActive } from '../logs/follow';
import { hostSource } from '../logs/host-source';
import type { FlowportStore, FolderState } from '../store';
import { failedChecks } from '../model/failed-checks';
import {
  actionTitle,
  checkLines,
  checksRefusalText,
  currentIn,
  firstLine,
  refusalOf,
  withoutCliHint,
  type PlannedRun,
  type Refusal,
} from './refusal';

export const TASK_TYPE = 'flowport';

export interface FlowportTaskDefinition extends vscode.TaskDefinition {
  type: typeof TASK_TYPE;
  action: 'deploy' | 'promote' | 'rollback';
  /** Flow name (or several). */
  flow: string | string[];
  /** Deploy and rollback: the target environment. */
  env?: string;
  /** Rollback: the release (deployment id) to roll back to; without it, the one before the current. */
  to?: string;
  /** Deploy: branch, tag or commit; HEAD by default. */
  ref?: string;
  /** Promote: source and target environments. */
  from?: string;
  /**
   * tasks.json only: why the run goes on though the target's pre-deploy checks fail (a task
   * cannot ask). Recorded on the deployment with who ran it, as `--override-checks` does.
   */
  overrideChecks?: string;
}

/** The task's name, and its terminal's: "Deploy send-invoices → dev", "Promote send-invoices dev → uat". */
export function taskTitle(def: FlowportTaskDefinition): string {
  const flows = Array.isArray(def.flow) ? def.flow.join(', ') : def.flow;
  if (def.action === 'rollback') return `Roll back ${flows} in ${def.env}${def.to ? ` to ${def.to}` : ''}`;
  return def.action === 'deploy'
    ? `Deploy ${flows} → ${def.env}${def.ref && def.ref !== 'HEAD' ? ` @ ${def.ref}` : ''}`
    : `Promote ${flows} ${def.from} → ${def.to}`;
}

/** How a run ended, beyond its exit code: what the notification after it says. */
export interface RunReport {
  results?: FlowRunResult[];
  refusal?: Refusal;
  notConfirmed?: boolean;
  /** The user terminated the task. */
  cancelled?: boolean;
  /** The host failed (not a refusal): the message, for "Show Details". */
  crash?: string;
}

export function createTask(
  store: FlowportStore,
  state: FolderState,
  def: FlowportTaskDefinition,
  started?: { checked: RunPlan; onTerminal: (terminal: RunTerminal) => void },
): vscode.Task {
  const task = new vscode.Task(
    def,
    state.folder,
    taskTitle(def),
    'flowport',
    new vscode.CustomExecution(async (resolved) => {
      const terminal = new RunTerminal(store, state, resolved as FlowportTaskDefinition, started?.checked);
      started?.onTerminal(terminal);
      return terminal;
    }),
  );
  // A shared panel: the next run reuses the terminal of one that has ended, and only runs at the
  // same time get terminals of their own. (A CustomExecution task gets a new id each time, so a
  // "dedicated" panel, which VS Code matches by that id, opened a new terminal for every run.)
  // The same run asked for again while one runs queues behind it (one deploy per flow and
  // environment at a time, the store's queue): VS Code must start it, not ask which one to end
  // (its default is one instance per task). `instanceLimit` is VS Code's own run option, which
  // the typed API leaves out.
  task.runOptions = { instanceLimit: 100 } as vscode.RunOptions;
  task.presentationOptions = {
    reveal: vscode.TaskRevealKind.Always,
    panel: vscode.TaskPanelKind.Shared,
    clear: true,
  };
  return task;
}

/** A run the host does not refuse, confirmed: the flows, the target, and the flows that would be sent. */
export interface RunPlan {
  flows: FlowDetails[];
  target: string;
  sending: string[];
  /** The target's pre-deploy check results, when it has checks: the terminal lists them first. */
  checks?: CheckResult[];
  /** Failing checks let through, and why: given to the host, which records it on the deployments. */
  overrideChecks?: string;
  /** Several flows promoted together: the host's plan (order, versions, gates), shown before the run. */
  promotionPlan?: string[];
}

/** `told`: the user has seen the refusal already (the failing checks' picker), so no notification repeats it. */
type Checked = { plan: RunPlan } | { refusal: Refusal; told?: boolean } | { notConfirmed: true };

/**
 * Before a run starts, and before any terminal opens: what the host refuses (a flow still
 * deploying there, a route that skips an environment, nothing deployed where a promote starts),
 * then the protected environment's question. A refusal asked after the yes would waste the yes.
 * (The host refuses each deploy again as it starts, for one started elsewhere since.)
 */
export async function checkRun(
  state: FolderState,
  def: FlowportTaskDefinition,
  /**
   * From a command: failing checks offer "Override Checks…". A task from tasks.json cannot ask.
   * `overrideFirst` (the tree's and the board's Override Checks… on a failed check): failing
   * checks ask for the reason at once, without the checks' picker first.
   */
  options: { interactive: boolean; log?: vscode.LogOutputChannel; overrideFirst?: boolean } = { interactive: false },
): Promise<Checked> {
  const flows = resolveFlows(state, def);
  const target = def.action === 'promote' ? def.to : def.env;
  if (!target || (def.action === 'promote' && !def.from)) {
    throw new Error(`The task needs ${def.action === 'promote' ? '"from" and "to"' : '"env"'}.`);
  }
  const run: PlannedRun =
    def.action === 'promote'
      ? { action: 'promote', from: def.from!, to: target }
      : def.action === 'rollback'
        ? { action: 'rollback', env: target, ...(def.to ? { to: def.to } : {}) }
        : { action: 'deploy', env: target };
  const refuse = (message: string, hint?: CommandHint): Checked => ({
    refusal: refusalOf(state, run, flows, message, hint),
  });
  let result: PreflightResult;
  try {
    result = await sendPreflight(state, def, run, flows, target);
  } catch (err) {
    const error = hostError(err);
    if (error.kind === undefined) throw error; // the host failed: not a refusal
    return refuse(error.message, error.hint);
  }
  const checks = result.checks;
  let overrideChecks: string | undefined;
  if (result.refusal !== undefined && checks?.some((c) => !c.ok)) {
    // Failing checks: the only refusal that a reason can let through.
    const verb = actionTitle(run.action).toLowerCase();
    if (def.overrideChecks !== undefined) {
      // tasks.json's reason: the host checks it (a string, not empty, not too long) and records it.
      overrideChecks = def.overrideChecks;
    } else if (!options.interactive) {
      const how = `give the task "overrideChecks": "<reason>" to ${verb} anyway`;
      return { refusal: { message: checksRefusalText(target, checks, how), actions: [] } };
    } else {
      const reason = await askOverride(def, target, checks, options.log, options.overrideFirst === true);
      if (reason === undefined) {
        const how = `use Override Checks… to ${verb} anyway`;
        return { refusal: { message: checksRefusalText(target, checks, how), actions: [] }, told: true };
      }
      overrideChecks = reason;
    }
  } else if (result.refusal !== undefined) return refuse(result.refusal, result.refusalHint);
  if (run.action === 'promote' && result.sending.length === 0) {
    // Nothing deployed where the promote starts, for any of the flows: refused, with the fix.
    const missing = flows.filter((f) => !currentIn(state, f.name, run.from));
    if (missing.length === flows.length) {
      return refuse(
        missing.length === 1
          ? `cannot promote "${missing[0]!.name}" from ${run.from}: nothing of it has been deployed to ${run.from} yet.`
          : `cannot promote from ${run.from}: none of ${missing.map((f) => f.name).join(', ')} has been deployed to ${run.from} yet.`,
      );
    }
  }
  // Nothing would be sent (a promote of flows already there): nothing to confirm either.
  if (
    result.sending.length > 0 &&
    !(await confirmProtected(state, def, target, result.sending, checks, overrideChecks, result.plan))
  ) {
    return { notConfirmed: true };
  }
  return {
    plan: {
      flows,
      target,
      sending: result.sending,
      ...(checks ? { checks } : {}),
      ...(result.plan ? { promotionPlan: result.plan } : {}),
      ...(overrideChecks === undefined ? {} : { overrideChecks }),
    },
  };
}

/**
 * The host's preflight of `run`. Its checks' outcome is kept for the views: failing ones mark the
 * flows in the target ("check failed: …"), passing ones clear the mark.
 */
async function sendPreflight(
  state: FolderState,
  def: FlowportTaskDefinition,
  run: PlannedRun,
  flows: readonly FlowDetails[],
  target: string,
): Promise<PreflightResult> {
  const connection = await state.client.connect();
  const flowIds = flows.map((f) => f.id);
  const result = await connection.sendRequest(
    Methods.preflight,
    run.action === 'promote'
      ? { action: 'promote', flowIds, from: run.from, to: run.to }
      : run.action === 'rollback'
        ? { action: 'rollback', flowIds, env: run.env, ...(run.to ? { to: run.to } : {}) }
        : { action: 'deploy', flowIds, env: run.env },
  );
  // Refused before its checks ran (a lock, a busy pair): what they said last still stands.
  if (result.checks !== undefined || result.refusal === undefined) {
    failedChecks.record(
      state.folder.uri.toString(),
      flows.map((f) => f.name),
      target,
      result.checks,
      {
        action: def.action,
        ...(def.from === undefined ? {} : { from: def.from }),
        ...(def.to === undefined ? {} : { to: def.to }),
        ...(def.ref === undefined ? {} : { ref: def.ref }),
      },
    );
  }
  return result;
}

/**
 * Run Checks Again, on a failed check: the preflight of the run it refused, only (nothing is
 * deployed). Resolves with the checks, which also clear or renew the mark.
 */
export async function rerunChecks(state: FolderState, def: FlowportTaskDefinition): Promise<CheckResult[]> {
  const flows = resolveFlows(state, def);
  const target = def.action === 'promote' ? def.to : def.env;
  if (!target) throw new Error(`The run needs ${def.action === 'promote' ? '"to"' : '"env"'}.`);
  const run: PlannedRun =
    def.action === 'promote'
      ? { action: 'promote', from: def.from!, to: target }
      : def.action === 'rollback'
        ? { action: 'rollback', env: target, ...(def.to ? { to: def.to } : {}) }
        : { action: 'deploy', env: target };
  return (await sendPreflight(state, def, run, flows, target)).checks ?? [];
}

const OVERRIDE_CHECKS = '$(warning) Override Checks…';

/**
 * Failing checks, from a command: a QuickPick of every check (✓ or ✗, its message, a failing one's
 * last lines) with "Override Checks…", which asks for the reason. Picking a check shows its whole
 * output in the Flowport log and asks again. Resolves with the reason, or undefined: refused.
 */
async function askOverride(
  def: FlowportTaskDefinition,
  env: string,
  checks: readonly CheckResult[],
  log: vscode.LogOutputChannel | undefined,
  /** Straight to the reason: the user chose Override Checks… on the failed check already. */
  overrideFirst = false,
): Promise<string | undefined> {
  const verb = actionTitle(def.action);
  const failed = checks.filter((c) => !c.ok);
  const byLabel = new Map<string, CheckResult>();
  const items: PickItem[] = checks.map((c) => {
    const label = `${c.ok ? '$(pass)' : '$(error)'} ${c.label}`;
    byLabel.set(label, c);
    // A URL's password in a check's output (a CI link with a token) shows masked, as on the views.
    const tail = c.output.slice(-3).map(maskUrlCredentials).join(' ⏎ ');
    return { label, description: maskUrlCredentials(c.message), ...(!c.ok && tail ? { detail: tail } : {}) };
  });
  items.push(
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    {
      label: OVERRIDE_CHECKS,
      description: `${verb} anyway, with a reason recorded on the deployment`,
      alwaysShow: true,
    },
  );
  const title = `Flowport: ${taskTitle(def)}: ${failed.length === 1 ? `check "${failed[0]!.label}" failed` : `${failed.length} checks failed`}`;
  for (; !overrideFirst;) {
    const chosen = await pick(items, {
      title,
      placeHolder: 'Nothing was sent. Fix the failing checks and run it again, or override them',
      matchOnDescription: true,
    });
    if (!chosen) return undefined;
    if (chosen.label === OVERRIDE_CHECKS) break;
    const check = byLabel.get(chosen.label);
    if (check && log) {
      log.info(`${title}:\n${checkLines([check], true).join('\n')}`);
      log.show(true);
    }
  }
  const names = failed.map((c) => c.label).join(', ');
  const reason = await input({
    title: `Flowport: Override Checks (${names})`,
    prompt: `Why ${verb.toLowerCase()} to ${env} though ${failed.length === 1 ? 'it fails' : 'they fail'}? The reason is recorded on the deployment, with who gave it.`,
    placeHolder: 'e.g. hotfix for INC-123, CI is down',
    ignoreFocusOut: true,
    validateInput: (value) =>
      value.trim() === ''
        ? 'Say why: the reason is recorded on the deployment.'
        : value.trim().length > OVERRIDE_REASON_MAX
          ? `At most ${OVERRIDE_REASON_MAX} characters.`
          : undefined,
  });
  const given = reason?.trim();
  return given ? given : undefined;
}

function resolveFlows(state: FolderState, def: FlowportTaskDefinition): FlowDetails[] {
  const names = Array.isArray(def.flow) ? def.flow : [def.flow];
  return names.map((name) => {
    const flow = state.flows.find((f) => f.name === name || f.id === name);
    if (!flow)
      throw new Error(
        `Unknown flow "${name}" in ${state.folder.name}. Run "Flowport: Refresh" or check the task's "flow".`,
      );
    return flow;
  });
}

async function confirmProtected(
  state: FolderState,
  def: FlowportTaskDefinition,
  env: string,
  flowNames: string[],
  checks: readonly CheckResult[] | undefined,
  overrideChecks: string | undefined,
  promotionPlan: readonly string[] | undefined,
): Promise<boolean> {
  const config = state.project?.environments.find((e) => e.name === env);
  if (!config?.protected) {
    if (checks?.length) {
      const passed = checks.every((c) => c.ok);
      vscode.window.setStatusBarMessage(
        `Flowport: ${passed ? 'checks passed' : 'checks overridden'} for ${env}: ${checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.label}`).join(', ')}`,
        5000,
      );
    }
    return true;
  }
  const go = actionTitle(def.action);
  const overridden = overrideChecks === undefined ? '' : `\nOverridden: ${JSON.stringify(overrideChecks)}`;
  const listed =
    (promotionPlan ? `\n\n${promotionPlan.join('\n')}` : '') +
    (checks?.length ? `\n\nChecks:\n${checkLines(checks, false).join('\n')}${overridden}` : '');
  const answer = await showMessage(
    'warning',
    `${go} ${flowNames.join(', ')} to ${env}?`,
    { modal: true, detail: `"${env}" is a protected environment.${listed}` },
    go,
  );
  return answer === go;
}

export const NOT_CONFIRMED = 'Not confirmed: nothing was deployed.';

/**
 * Runs a deploy or promote from a command: refused or not confirmed, it ends before any terminal
 * opens, with Flowport's reason and its fix as buttons. Otherwise it runs as a flowport task and
 * resolves with its exit code once it ends; while it runs, a notification shows progress with
 * Cancel (which terminates the task, and so cancels the run). Resolves undefined when the user
 * said no to the protected environment's question.
 */
export async function runTask(
  store: FlowportStore,
  state: FolderState,
  def: FlowportTaskDefinition,
  /** From a failed check's Override Checks…: failing checks ask for the reason at once. */
  options: { overrideFirst?: boolean } = {},
): Promise<number | undefined> {
  const title = taskTitle(def);
  let checked: Checked;
  try {
    await store.ensureLoaded();
    checked = await checkRun(state, def, { interactive: true, log: store.log, ...options });
  } catch (err) {
    reportCrash(store, title, err instanceof Error ? err.message : String(err));
    return 2;
  }
  if ('refusal' in checked) {
    store.log.info(`${title}: refused: ${checked.refusal.message}`);
    if (!checked.told) notifyRefusal(checked.refusal);
    return 1;
  }
  if ('notConfirmed' in checked) {
    store.log.info(`${title}: ${NOT_CONFIRMED}`);
    vscode.window.setStatusBarMessage(`Flowport: ${title}: not confirmed, nothing deployed`, 5000);
    return undefined;
  }
  let terminal: RunTerminal | undefined;
  const task = createTask(store, state, def, { checked: checked.plan, onTerminal: (t) => (terminal = t) });
  const execution = await vscode.tasks.executeTask(task);
  // Its own terminal says when this run ended: two runs of one definition (the second queued
  // behind the first) are one TaskExecution to VS Code, whose end event would end both. The event
  // counts only for a task whose terminal never opened.
  const ended = new Promise<number | undefined>((resolve) => {
    const sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution === execution) {
        sub.dispose();
        if (terminal) void terminal.done.then(resolve);
        else resolve(e.exitCode);
      }
    });
  });
  const code = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Flowport: ${title}`, cancellable: true },
    (_progress, token) => {
      token.onCancellationRequested(() => execution.terminate());
      return ended;
    },
  );
  store.log.info(`${title}: exit ${code ?? 'unknown'}`);
  const report = terminal?.report ?? {};
  if (report.cancelled) return code;
  if (report.crash !== undefined) reportCrash(store, title, report.crash);
  else if (report.refusal) notifyRefusal(report.refusal);
  else if (code !== 0 && code !== undefined) {
    const failed = report.results?.find((r) => !GOOD_OUTCOMES.includes(r.outcome) && r.outcome !== 'cancelled');
    const cancelled = report.results?.find((r) => r.outcome === 'cancelled');
    if (!failed && cancelled) {
      // Someone asked for it (Cancel in the tree or on the board, another window, the CLI): not a failure.
      void showMessage('info', `Flowport: ${cancelled.message}`);
      return code;
    }
    void showMessage(
      'error',
      `Flowport: ${title} failed${failed ? `: ${failed.message}` : '.'}`,
      {},
      'Show Details',
    ).then((choice) => choice && showTerminal(store, title));
  }
  return code;
}

/** A refusal: Flowport's reason in one line, and its fixes as buttons that run them. */
export function notifyRefusal(refusal: Refusal): void {
  void showMessage('warning', firstLine(refusal.message), {}, ...refusal.actions.map((a) => a.title)).then((choice) => {
    const action = refusal.actions.find((a) => a.title === choice);
    if (action) void vscode.commands.executeCommand(action.command, ...action.arguments);
  });
}

function reportCrash(store: FlowportStore, title: string, message: string): void {
  store.log.error(`${title}: ${message}`);
  void showMessage('error', `Flowport: ${title}: ${firstLine(message)}`, {}, 'Show Details').then(
    (choice) => choice && store.log.show(),
  );
}

function showTerminal(store: FlowportStore, title: string): void {
  const terminal = vscode.window.terminals.find((t) => t.name.includes(title));
  if (terminal) terminal.show();
  else store.log.show();
}

export function registerTaskProvider(context: vscode.ExtensionContext, store: FlowportStore): void {
  context.subscriptions.push(
    vscode.tasks.registerTaskProvider(TASK_TYPE, {
      // Offered in "Tasks: Run Task": deploy each flow to the first environment.
      async provideTasks() {
        await store.ensureLoaded();
        return store.folders.flatMap((state) => {
          const first = state.project?.environments[0]?.name;
          if (!first) return [];
          return state.flows.map((f) =>
            createTask(store, state, { type: TASK_TYPE, action: 'deploy', flow: f.name, env: first }),
          );
        });
      },
      // tasks.json entries come back here to get their execution.
      resolveTask(task) {
        const def = task.definition as FlowportTaskDefinition;
        const folder =
          task.scope && typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
        const state = folder ? store.stateFor(folder.uri) : undefined;
        if (!state) return undefined;
        const resolved = createTask(store, state, def);
        resolved.name = task.name;
        return resolved;
      },
    }),
  );
}

const CSI = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', dim: '\x1b[2m', reset: '\x1b[0m' };

/**
 * VS Code reads a terminal that ends with a non-zero code within 500 ms of its start as one that
 * "failed to launch" and says so. A refusal is not that: it ends after this long.
 */
const MIN_FAILED_TERMINAL_MS = 600;

/** The task's terminal: streams the run's log lines as the host reports them. */
export class RunTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly runId = randomUUID();
  private finished = false;
  /** Terminated by the user: whatever has not started yet does not start. */
  private closed = false;
  private openedAt = 0;
  private subscription: vscode.Disposable | undefined;
  readonly report: RunReport = {};
  private resolveDone!: (code: number) => void;
  /** Resolves with the exit code once this run has ended. */
  readonly done = new Promise<number>((resolve) => (this.resolveDone = resolve));
  /** Log lines shown so far, by flow: once re-attached, the runner's log is shown from after them. */
  private readonly shown = new Map<string, string[]>();
  /** Set once the host that ran this task stopped: the deployments followed since, from the store. */
  private reattached: DeploymentDetails[] | undefined;
  /** The host that ran this task stopped mid-run: its run id means nothing to the next one. */
  private hostStopped = false;

  constructor(
    private readonly store: FlowportStore,
    private readonly state: FolderState,
    private readonly def: FlowportTaskDefinition,
    /** Checked and confirmed by the command that started it; a task from tasks.json checks here. */
    private readonly checked?: RunPlan,
  ) {}

  open(): void {
    this.openedAt = Date.now();
    void this.execute().then(
      (code) => this.finish(code),
      (err: unknown) => {
        const error = hostError(err);
        if (error.kind === undefined) this.report.crash = error.message;
        else this.report.refusal = refusalOf(this.state, this.plannedRun(), [], error.message, error.hint);
        this.write(`${CSI.red}${sanitizeTerminalText(error.message)}${CSI.reset}`);
        this.finish(error.kind === undefined ? 2 : 1);
      },
    );
  }

  /** The user terminated the task (or closed its terminal): cancel the run. */
  close(): void {
    if (this.finished) return;
    this.closed = true;
    this.report.cancelled = true;
    this.write(`${CSI.yellow}cancelling…${CSI.reset}`);
    // Re-attached (or re-attaching), the host that knew this run id is gone: the deployments'
    // runners are asked instead, once they are known (reattach cancels them as it finds them).
    if (this.reattached) void this.cancelReattached();
    else if (!this.hostStopped) {
      void this.state.client
        .connect()
        .then((c) => c.sendRequest(Methods.cancel, { runId: this.runId }))
        .catch((err: unknown) => this.store.log.error(`cancel of ${taskTitle(this.def)} failed: ${String(err)}`));
    }
  }

  /** Asks the runner of each re-attached deployment still running to cancel it. */
  private async cancelReattached(): Promise<void> {
    for (const d of (this.reattached ?? []).filter(isActive)) {
      try {
        await retried(async () =>
          (await this.state.client.connect()).sendRequest(Methods.cancelDeployment, { deploymentId: d.id }),
        );
      } catch (err) {
        this.store.log.error(`cancel of ${d.id} (${taskTitle(this.def)}) failed: ${String(err)}`);
      }
    }
  }

  private async execute(): Promise<number> {
    await this.store.ensureLoaded();
    let plan = this.checked;
    if (!plan) {
      const checked = await checkRun(this.state, this.def);
      if ('refusal' in checked) {
        this.report.refusal = checked.refusal;
        for (const line of sanitizeTerminalText(checked.refusal.message).split('\n'))
          this.write(`${CSI.red}${line}${CSI.reset}`);
        return 1;
      }
      if ('notConfirmed' in checked) {
        // The user's no is not a failure: the task ends quietly.
        this.report.notConfirmed = true;
        this.write(NOT_CONFIRMED);
        return 0;
      }
      plan = checked.plan;
    }
    if (this.closed) return 1; // terminated while the question was open
    const { flows, target, overrideChecks } = plan;
    // The order the flows go in, before the first of them starts.
    for (const line of plan.promotionPlan ?? []) this.write(sanitizeTerminalText(line));
    // The checks that passed before the run (with an override, the host runs them again and says so).
    if (plan.checks && overrideChecks === undefined) {
      this.write(`Checks for ${target}:`);
      for (const line of checkLines(plan.checks, false))
        this.write(`  ${line.startsWith('✓') ? CSI.green : CSI.red}${sanitizeTerminalText(line)}${CSI.reset}`);
    }
    const override = overrideChecks === undefined ? {} : { overrideChecks };
    // A deploy of the pairs starts: a failed check shown on them is over.
    failedChecks.clear(
      this.state.folder.uri.toString(),
      flows.map((f) => f.name),
      target,
    );
    // No title line of our own: VS Code's "Executing task: flowport: Deploy …" is above.
    this.subscription = this.state.client.onNotification(({ method, params }) => {
      const p = params as RunLogParams;
      if (method !== Methods.runLog.method || p.runId !== this.runId) return;
      this.remember(flows, p.line);
      // The deploy command's own output: it may not set the title, the clipboard or move the cursor.
      this.write(sanitizeTerminalText(p.line));
    });
    const flowIds = flows.map((f) => f.id);
    const generation = this.state.client.generation;
    // A second early: the store's clock and this one are the same machine's, its records' times are whole ms.
    const since = Date.now() - 1000;
    // Through client.run: a config saved meanwhile reloads the host after this run, not under it.
    const results = await this.state.client
      .run((connection) =>
        this.def.action === 'deploy'
          ? connection.sendRequest(Methods.deploy, {
              runId: this.runId,
              flowIds,
              env: target,
              ref: this.def.ref,
              ...override,
            })
          : this.def.action === 'rollback'
            ? connection.sendRequest(Methods.rollback, {
                runId: this.runId,
                flowIds,
                env: target,
                ...(this.def.to ? { to: this.def.to } : {}),
                ...override,
              })
            : connection.sendRequest(Methods.promote, {
                runId: this.runId,
                flowIds,
                from: this.def.from!,
                to: target,
                ...override,
              }),
      )
      .then(
        (results) => ({ results }),
        (err: unknown) => {
          if (this.state.client.generation === generation) throw err;
          this.hostStopped = true;
          // "Restart SDK Host" ended the connection, or the host died: the deploy goes on under its runner.
          return { results: undefined };
        },
      );
    if (!results.results) return this.summarize(await this.reattach(flows, target, since), flows);
    return this.summarize(results.results, flows);
  }

  /** A log line from the host, kept by flow (a run of several flows prefixes each line with its flow). */
  private remember(flows: FlowDetails[], line: string): void {
    let flow = flows[0]!.name;
    let text = line;
    if (flows.length > 1) {
      const named = flows.find((f) => line.startsWith(`[${f.name}] `));
      if (!named) return;
      flow = named.name;
      text = line.slice(flow.length + 3);
    }
    const lines = this.shown.get(flow) ?? [];
    lines.push(text);
    this.shown.set(flow, lines);
  }

  /**
   * The host stopped mid-run (restarted, or it died): each deployment goes on under its runner,
   * so the task follows them from the store until they end, through the host that runs now, and
   * ends with how they ended. A flow whose deploy had not started is reported as such.
   */
  private async reattach(flows: FlowDetails[], env: string, since: number): Promise<FlowRunResult[]> {
    this.write(
      `${CSI.yellow}The SDK host stopped during the run; the deploy goes on under its runner. Following it from its log…${CSI.reset}`,
    );
    const names = flows.map((f) => f.name);
    const known = await retried(async () =>
      (await this.state.client.connect()).sendRequest(Methods.deployments, {
        flows: names,
        envs: [env],
        history: true,
      }),
    );
    const mine = (name: string) =>
      known
        .filter((d) => d.flowName === name && d.env === env && Date.parse(d.createdAt) >= since)
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    const started = flows.map((f) => ({ flow: f.name, deployment: mine(f.name) }));
    this.reattached = started.flatMap((s) => (s.deployment ? [s.deployment] : []));
    // Terminated while the host was away: the cancel asked for then is carried out now.
    if (this.closed) await this.cancelReattached();
    const results: FlowRunResult[] = [];
    for (const { flow, deployment } of started) {
      if (!deployment) {
        results.push({
          flow,
          env,
          outcome: 'cancelled',
          message: `${flow}: not started — the SDK host stopped before its deploy began. Deploy it again.`,
          deployment: null,
        });
        continue;
      }
      const final = await this.follow(flow, deployment, flows.length > 1);
      const d = final ?? deployment;
      this.reattached = this.reattached.map((r) => (r.id === d.id ? d : r));
      results.push({
        flow,
        env,
        outcome: outcomeOf(d, final !== undefined),
        message: finalStatusLine(d),
        deployment: d,
      });
    }
    return results;
  }

  /** Follows one deployment's log from its runner, after the lines this task has shown already. */
  private follow(
    flow: string,
    deployment: DeploymentDetails,
    prefixed: boolean,
  ): Promise<DeploymentDetails | undefined> {
    const already = this.shown.get(flow) ?? [];
    let skipping = 0;
    let matching = already.length > 0;
    return followDeployment(hostSource(this.state, flow, deployment.env), deployment.id, {
      onText: (text) => {
        for (const line of text.replace(/\n$/, '').split('\n')) {
          // The lines the host had already sent, in order: shown once.
          if (matching && skipping < already.length && already[skipping] === line) {
            skipping++;
            continue;
          }
          matching = false;
          this.write(sanitizeTerminalText(prefixed ? `[${flow}] ${line}` : line));
        }
      },
      onError: (err) =>
        this.store.log.debug(`[${taskTitle(this.def)}] reading ${deployment.id} failed, trying again: ${String(err)}`),
    });
  }

  private summarize(results: FlowRunResult[], flows: FlowDetails[]): number {
    this.report.results = results;
    this.write('');
    let worst = 0;
    for (const r of results) {
      const good = GOOD_OUTCOMES.includes(r.outcome);
      if (!good) worst = 1;
      const mark = good ? CSI.green + '✔' : r.outcome === 'cancelled' ? CSI.yellow + '⊘' : CSI.red + '✖';
      this.write(`${mark} ${sanitizeTerminalText(r.message)}${CSI.reset}`);
    }
    // Refused flows (the others ran, or were already there): the reason and its fix, as a refusal
    // before the run would have said it; a failure of one that ran says more, and is said instead.
    const refused = results.filter((r) => r.outcome === 'refused');
    const failed = results.some((r) => !GOOD_OUTCOMES.includes(r.outcome) && r.outcome !== 'refused');
    if (refused.length > 0 && !failed) {
      const run = this.plannedRun();
      const refusedFlows = flows.filter((f) => refused.some((r) => r.flow === f.name));
      const [first] = refused;
      const shown = refusalOf(this.state, run, refusedFlows, first!.message, first!.hint);
      this.report.refusal = {
        message: [shown.message, ...refused.slice(1).map((r) => withoutCliHint(r.message))].join('\n'),
        actions: shown.actions,
      };
    }
    return worst;
  }

  private plannedRun(): PlannedRun {
    if (this.def.action === 'rollback') return { action: 'rollback', env: this.def.env ?? '' };
    return this.def.action === 'deploy'
      ? { action: 'deploy', env: this.def.env ?? '' }
      : { action: 'promote', from: this.def.from ?? '', to: this.def.to ?? '' };
  }

  private write(line: string): void {
    this.writeEmitter.fire(line.replace(/\r?\n/g, '\r\n') + '\r\n');
  }

  private finish(code: number): void {
    this.finished = true;
    this.resolveDone(code);
    this.subscription?.dispose();
    // Not started by a command (tasks.json, Run Task), which would say so: the task says it itself.
    if (!this.checked && this.report.refusal) notifyRefusal(this.report.refusal);
    const wait = code === 0 ? 0 : Math.max(0, this.openedAt + MIN_FAILED_TERMINAL_MS - Date.now());
    setTimeout(() => this.closeEmitter.fire(code), wait);
    void this.store.refreshDeployments(this.state);
  }
}

/** A followed deployment's outcome as the task reports it: still running when following stopped first. */
function outcomeOf(d: DeploymentDetails, ended: boolean): FlowRunResult['outcome'] {
  if (!ended || isActive(d)) return 'started';
  return d.status as FlowRunResult['outcome'];
}

/** `read`, tried again for a few seconds while it fails: a host that has just stopped is being started again. */
async function retried<T>(read: () => Promise<T>, tries = 40, pauseMs = 250): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await read();
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }
}

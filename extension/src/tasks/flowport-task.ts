/**
 * Deploys and promotes run as VS Code tasks of type `flowport`: from the tree, the palette, the
 * board, "Tasks: Run Task", tasks.json and keybindings alike, so every run's log is in one place
 * (its terminal) and terminating the task cancels the run.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { Methods, type FlowRunResult, type RunLogParams } from '../../../sdk/src/host/protocol';
import type { FlowDetails } from '../../../sdk/src/model';
import type { FlowportStore, FolderState } from '../store';

export const TASK_TYPE = 'flowport';

export interface FlowportTaskDefinition extends vscode.TaskDefinition {
  type: typeof TASK_TYPE;
  action: 'deploy' | 'promote';
  /** Flow name (or several). */
  flow: string | string[];
  /** Deploy: the target environment. */
  env?: string;
  /** Deploy: branch, tag or commit; HEAD by default. */
  ref?: string;
  /** Promote: source and target environments. */
  from?: string;
  to?: string;
}

export function taskTitle(def: FlowportTaskDefinition): string {
  const flows = Array.isArray(def.flow) ? def.flow.join(', ') : def.flow;
  return def.action === 'deploy'
    ? `deploy ${flows} → ${def.env}${def.ref && def.ref !== 'HEAD' ? ` @ ${def.ref}` : ''}`
    : `promote ${flows} ${def.from} → ${def.to}`;
}

export function createTask(store: FlowportStore, state: FolderState, def: FlowportTaskDefinition): vscode.Task {
  const task = new vscode.Task(
    def,
    state.folder,
    taskTitle(def),
    'flowport',
    new vscode.CustomExecution(async (resolved) => new RunTerminal(store, state, resolved as FlowportTaskDefinition)),
  );
  task.presentationOptions = {
    reveal: vscode.TaskRevealKind.Always,
    panel: vscode.TaskPanelKind.Dedicated,
    clear: true,
  };
  return task;
}

/**
 * Runs a flowport task and resolves with its exit code once it ends. While it runs, a notification
 * shows progress with Cancel (which terminates the task, and so cancels the run); a failure is
 * reported with "Show Details", which brings its terminal up.
 */
export async function runTask(
  store: FlowportStore,
  state: FolderState,
  def: FlowportTaskDefinition,
): Promise<number | undefined> {
  const task = createTask(store, state, def);
  const execution = await vscode.tasks.executeTask(task);
  const ended = new Promise<number | undefined>((resolve) => {
    const sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (e.execution === execution) {
        sub.dispose();
        resolve(e.exitCode);
      }
    });
  });
  const title = taskTitle(def);
  const code = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Flowport: ${title}`, cancellable: true },
    (_progress, token) => {
      token.onCancellationRequested(() => execution.terminate());
      return ended;
    },
  );
  store.log.info(`${title}: exit ${code ?? 'unknown'}`);
  if (code !== 0 && code !== undefined) {
    void vscode.window.showErrorMessage(`Flowport: ${title} failed.`, 'Show Details').then((choice) => {
      if (choice) {
        const terminal = vscode.window.terminals.find((t) => t.name.includes(title));
        if (terminal) terminal.show();
        else store.log.show();
      }
    });
  }
  return code;
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

/** The task's terminal: streams the run's log lines as the host reports them. */
class RunTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly runId = randomUUID();
  private finished = false;
  /** Terminated by the user: whatever has not started yet does not start. */
  private closed = false;
  private subscription: vscode.Disposable | undefined;

  constructor(
    private readonly store: FlowportStore,
    private readonly state: FolderState,
    private readonly def: FlowportTaskDefinition,
  ) {}

  open(): void {
    void this.execute().then(
      (code) => this.finish(code),
      (err: unknown) => {
        this.write(`${CSI.red}${err instanceof Error ? err.message : String(err)}${CSI.reset}`);
        this.finish(2);
      },
    );
  }

  /** The user terminated the task (or closed its terminal): cancel the run. */
  close(): void {
    if (this.finished) return;
    this.closed = true;
    this.write(`${CSI.yellow}cancelling…${CSI.reset}`);
    void this.state.client.connect().then((c) => c.sendRequest(Methods.cancel, { runId: this.runId }));
  }

  private async execute(): Promise<number> {
    await this.store.ensureLoaded();
    const flows = this.resolveFlows();
    const target = this.def.action === 'deploy' ? this.def.env : this.def.to;
    if (!target || (this.def.action === 'promote' && !this.def.from)) {
      throw new Error(`The task needs ${this.def.action === 'deploy' ? '"env"' : '"from" and "to"'}.`);
    }
    const sending = this.closed ? undefined : await this.preflight(target, flows);
    if (!sending) return 1;
    // Nothing would be sent (a promote of flows already there): nothing to confirm either.
    const confirmed = sending.length === 0 || (await this.confirmProtected(target, sending));
    if (!confirmed) {
      this.write('Not confirmed: nothing was deployed.');
      return 1;
    }
    if (this.closed) return 1; // terminated while the question was open
    this.write(`${CSI.dim}> ${taskTitle(this.def)}${CSI.reset}`);
    this.subscription = this.state.client.onNotification(({ method, params }) => {
      const p = params as RunLogParams;
      if (method === Methods.runLog.method && p.runId === this.runId) this.write(p.line);
    });
    const flowIds = flows.map((f) => f.id);
    const generation = this.state.client.generation;
    // Through client.run: a config saved meanwhile reloads the host after this run, not under it.
    const results = await this.state.client
      .run((connection) =>
        this.def.action === 'deploy'
          ? connection.sendRequest(Methods.deploy, { runId: this.runId, flowIds, env: target, ref: this.def.ref })
          : connection.sendRequest(Methods.promote, {
              runId: this.runId,
              flowIds,
              from: this.def.from!,
              to: target,
            }),
      )
      .catch((err: unknown) => {
        if (this.state.client.generation === generation) throw err;
        // "Restart SDK Host" ended the connection (a stopped host cancels its runs), or the host died.
        throw new Error(
          "The SDK host stopped during the run (restarted, or it died): the flow's history says how the deployment ended.",
        );
      });
    return this.summarize(results);
  }

  private resolveFlows(): FlowDetails[] {
    const names = Array.isArray(this.def.flow) ? this.def.flow : [this.def.flow];
    return names.map((name) => {
      const flow = this.state.flows.find((f) => f.name === name || f.id === name);
      if (!flow)
        throw new Error(
          `Unknown flow "${name}" in ${this.state.folder.name}. Run "Flowport: Refresh" or check the task's "flow".`,
        );
      return flow;
    });
  }

  /**
   * Asks the host what refuses the run before it starts (a flow still deploying to the target, in
   * the store deploys are recorded in), before the protected-environment question: a yes followed
   * by "already deploying" wastes the yes. Returns the flows that would be deployed, or undefined
   * when refused. (The host refuses each deploy again as it starts, for one started elsewhere since.)
   */
  private async preflight(target: string, flows: FlowDetails[]): Promise<string[] | undefined> {
    const connection = await this.state.client.connect();
    const flowIds = flows.map((f) => f.id);
    const result = await connection.sendRequest(
      Methods.preflight,
      this.def.action === 'deploy'
        ? { action: 'deploy', flowIds, env: target }
        : { action: 'promote', flowIds, from: this.def.from!, to: target },
    );
    if (result.refusal === undefined) return result.sending;
    for (const line of result.refusal.split('\n')) this.write(`${CSI.red}${line}${CSI.reset}`);
    return undefined;
  }

  private async confirmProtected(env: string, flowNames: string[]): Promise<boolean> {
    const config = this.state.project?.environments.find((e) => e.name === env);
    if (!config?.protected) return true;
    const go = this.def.action === 'deploy' ? 'Deploy' : 'Promote';
    const answer = await vscode.window.showWarningMessage(
      `${go} ${flowNames.join(', ')} to ${env}?`,
      { modal: true, detail: `"${env}" is a protected environment.` },
      go,
    );
    return answer === go;
  }

  private summarize(results: FlowRunResult[]): number {
    this.write('');
    let worst = 0;
    for (const r of results) {
      const good = r.outcome === 'succeeded' || r.outcome === 'unchanged' || r.outcome === 'started';
      if (!good) worst = 1;
      this.write(`${good ? CSI.green + '✔' : CSI.red + '✖'} ${r.message}${CSI.reset}`);
    }
    return worst;
  }

  private write(line: string): void {
    this.writeEmitter.fire(line.replace(/\r?\n/g, '\r\n') + '\r\n');
  }

  private finish(code: number): void {
    this.finished = true;
    this.subscription?.dispose();
    this.closeEmitter.fire(code);
    void this.store.refreshDeployments(this.state);
  }
}

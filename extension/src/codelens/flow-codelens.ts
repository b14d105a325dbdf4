/**
 * Above each flow's definition: where it runs, and Deploy / Promote. When the folder's team store
 * cannot be reached, the summary says it is the last state seen (as the tree's and the board's
 * headers do): a lens is read where no header is in sight.
 */
import * as vscode from 'vscode';
import { describeLock } from '../../../sdk/src/backend/locks';
import {
  buildRow,
  describeQueueSpot,
  indexDeployments,
  isActiveStatus,
  shortCommit,
  unmetInputs,
  type EnvCell,
  type FlowRow,
} from '../model/matrix';
import { lockLookup } from '../model/locks';
import type { FlowportStore } from '../store';
import type { StoreStatus, StoreStatusBar } from '../store-status';

export function registerCodeLens(
  context: vscode.ExtensionContext,
  store: FlowportStore,
  storeStatus?: StoreStatusBar,
): void {
  const provider = new FlowCodeLensProvider(store, storeStatus);
  const selector = ['ts', 'tsx', 'mts', 'cts', 'js', 'jsx', 'mjs', 'cjs'].map((ext) => ({
    scheme: 'file',
    pattern: `**/*.${ext}`,
  }));
  context.subscriptions.push(vscode.languages.registerCodeLensProvider(selector, provider), provider);
}

class FlowCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly store: FlowportStore,
    private readonly storeStatus: StoreStatusBar | undefined,
  ) {
    this.subscriptions = [
      store.onDidChange(() => this.changed.fire()),
      ...(storeStatus ? [storeStatus.onDidChange(() => this.changed.fire())] : []),
      vscode.workspace.onDidChangeConfiguration(
        (e) => e.affectsConfiguration('flowport.codeLens') && this.changed.fire(),
      ),
    ];
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!vscode.workspace.getConfiguration('flowport').get<boolean>('codeLens.enabled', true)) return [];
    const state = this.store.stateFor(document.uri);
    if (!state?.project) return [];
    const flows = state.flows.filter((f) => f.sourcePath === document.uri.fsPath);
    if (flows.length === 0) return [];
    const index = indexDeployments(state.deployments);
    return flows.flatMap((flow) => {
      const line = Math.min(Math.max(0, flow.line - 1), document.lineCount - 1);
      const range = new vscode.Range(line, 0, line, 0);
      const row = buildRow(
        flow,
        state.project!.environments,
        index,
        lockLookup(state),
        undefined,
        state.project!.dependencies,
      );
      const status = this.storeStatus?.of(state);
      const stale = status && !status.live ? status : undefined;
      const summary = (stale ? '$(warning) stale · ' : '') + row.cells.map(cellLens).join(' · ');
      const notes = [...(stale ? [staleLine(stale)] : []), ...row.cells.flatMap(cellNote)];
      return [
        new vscode.CodeLens(range, {
          title: summary,
          command: 'flowport.revealFlow',
          arguments: [flow.id],
          tooltip: notes.length ? `${notes.join('\n')}\n\nShow in the Flowport view` : 'Show in the Flowport view',
        }),
        new vscode.CodeLens(range, { title: 'Deploy', command: 'flowport.deploy', arguments: [flow.id] }),
        new vscode.CodeLens(range, promoteLens(flow.id, row)),
        ...inputsLens(row).map((command) => new vscode.CodeLens(range, command)),
      ];
    });
  }

  dispose(): void {
    this.changed.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}

/** The tooltip's first line while the team store cannot be reached. */
function staleLine(status: StoreStatus): string {
  const since = status.staleSince ? ` since ${new Date(status.staleSince).toLocaleTimeString()}` : '';
  return `Stale: the team store cannot be reached${since}; this is the last state seen. Deploy and Promote are refused until it is back.`;
}

/** `prod $(lock) a1b2c3d`, `dev $(watch) queued`, `uat $(sync~spin)`: one environment in the lens. */
function cellLens(c: EnvCell): string {
  const lock = c.lock ? '$(lock) ' : '';
  if (c.awaiting) return `${c.env} ${lock}$(shield) awaiting approval`;
  if (c.queued) return `${c.env} ${lock}$(watch) queued`;
  if (isActiveStatus(c.status)) return `${c.env} ${lock}$(sync~spin)`;
  return `${c.env} ${lock}${shortCommit(c.current?.commit)}`;
}

/** What the lens's tooltip says of an environment: its lock (who, why, since), its queue, its approval. */
function cellNote(c: EnvCell): string[] {
  const notes: string[] = [];
  if (c.lock) notes.push(`${c.env}: ${describeLock(c.lock)}`);
  if (c.queued) notes.push(`${c.env}: ${describeQueueSpot(c.queued)}`);
  if (c.awaiting) notes.push(`${c.env}: waiting for approval (asked by ${c.awaiting.request.requestedBy})`);
  return notes;
}

/**
 * `$(link) needs db in uat`: the inputs the flow lacks where it would go next (a dependency that
 * does not run there), with each fix in the tooltip. Plain text (no command): the fix is another
 * flow's deploy or promote.
 */
function inputsLens(row: FlowRow): vscode.Command[] {
  const unmet = unmetInputs(row);
  if (unmet.length === 0) return [];
  const title = `$(link) needs ${unmet.map((u) => `${u.flows.join(', ')} in ${u.env}`).join(' · ')}`;
  const tooltip = unmet.map((u) => `${row.flow.name} in ${u.env}: ${u.reason}`).join('\n');
  return [{ title, command: '', tooltip }];
}

/**
 * Promote, only where it can work: the one step there is to take ("Promote dev → uat"), or the
 * pickers when there are several; with none, a lens that says why and runs nothing (an empty
 * command makes it plain text).
 */
function promoteLens(flowId: string, row: FlowRow): vscode.Command {
  const steps = row.cells.filter((c, i) => {
    const next = row.cells[i + 1];
    return c.current && next && next.current?.commit !== c.current.commit;
  });
  if (steps.length === 1) {
    const [step] = steps;
    // Still offered when a dependency holds it back: the host refuses it with the fix.
    const blocked = row.cells[row.cells.indexOf(step!) + 1]?.dependencyBlock;
    return {
      title: `Promote ${step!.env} → ${step!.nextEnv}`,
      command: 'flowport.promote',
      arguments: [flowId, step!.env],
      ...(blocked ? { tooltip: `blocked: ${blocked}` } : {}),
    };
  }
  if (steps.length > 1) return { title: 'Promote', command: 'flowport.promote', arguments: [flowId] };
  const deployed = row.cells.some((c) => c.current);
  return deployed
    ? { title: 'Promote: up to date', command: '', tooltip: 'Every environment runs the same commit.' }
    : {
        title: 'Promote: nothing deployed yet',
        command: '',
        tooltip: `Deploy it to ${row.cells[0]?.env ?? 'an environment'} first; then it can be promoted.`,
      };
}

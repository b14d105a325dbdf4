/** Above each flow's definition: where it runs, and Deploy / Promote. */
import * as vscode from 'vscode';
import { buildRow, indexDeployments, shortCommit, type FlowRow } from '../model/matrix';
import type { FlowportStore } from '../store';

export function registerCodeLens(context: vscode.ExtensionContext, store: FlowportStore): void {
  const provider = new FlowCodeLensProvider(store);
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

  constructor(private readonly store: FlowportStore) {
    this.subscriptions = [
      store.onDidChange(() => this.changed.fire()),
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
      const row = buildRow(flow, state.project!.environments, index);
      const summary = row.cells
        .map(
          (c) =>
            `${c.env} ${c.status === 'running' || c.status === 'pending' ? '$(sync~spin)' : shortCommit(c.current?.commit)}`,
        )
        .join(' · ');
      return [
        new vscode.CodeLens(range, {
          title: summary,
          command: 'flowport.revealFlow',
          arguments: [flow.id],
          tooltip: 'Show in the Flowport view',
        }),
        new vscode.CodeLens(range, { title: 'Deploy', command: 'flowport.deploy', arguments: [flow.id] }),
        new vscode.CodeLens(range, promoteLens(flow.id, row)),
      ];
    });
  }

  dispose(): void {
    this.changed.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
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
    return {
      title: `Promote ${step!.env} → ${step!.nextEnv}`,
      command: 'flowport.promote',
      arguments: [flowId, step!.env],
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

/**
 * The Problems panel: scan problems (syntax errors, non-literal names, duplicates) and a config
 * that does not load, each at its file and line.
 */
import * as vscode from 'vscode';
import type { FlowportStore } from './store';

export function registerDiagnostics(context: vscode.ExtensionContext, store: FlowportStore): void {
  const collection = vscode.languages.createDiagnosticCollection('flowport');
  context.subscriptions.push(
    collection,
    store.onDidChange(() => {
      collection.clear();
      const byFile = new Map<string, vscode.Diagnostic[]>();
      const add = (file: string, line: number, message: string, severity: vscode.DiagnosticSeverity) => {
        const at = Math.max(0, line - 1);
        const diagnostic = new vscode.Diagnostic(
          new vscode.Range(at, 0, at, Number.MAX_SAFE_INTEGER),
          message,
          severity,
        );
        diagnostic.source = 'flowport';
        byFile.set(file, [...(byFile.get(file) ?? []), diagnostic]);
      };
      for (const state of store.folders) {
        const problem = state.project?.configProblem;
        // The panel shows the file and line itself: the message without its "path:line: " prefix.
        if (problem)
          add(
            problem.file,
            problem.line,
            withoutLocation(problem.message, problem.file, problem.line),
            vscode.DiagnosticSeverity.Error,
          );
        for (const d of state.diagnostics) {
          add(
            d.file,
            d.line,
            d.message,
            d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
          );
        }
      }
      for (const [file, list] of byFile) collection.set(vscode.Uri.file(file), list);
    }),
  );
}

/** `/abs/flowport.config.ts:5: environments[1]: …` → `environments[1]: …`. */
export function withoutLocation(message: string, file: string, line: number): string {
  for (const prefix of [`${file}:${line}: `, `${file}: `]) {
    if (message.startsWith(prefix)) return message.slice(prefix.length);
  }
  return message;
}

/** Scan problems (syntax errors, non-literal names, duplicates) in the Problems panel. */
import * as vscode from 'vscode';
import type { FlowportStore } from './store';

export function registerDiagnostics(context: vscode.ExtensionContext, store: FlowportStore): void {
  const collection = vscode.languages.createDiagnosticCollection('flowport');
  context.subscriptions.push(
    collection,
    store.onDidChange(() => {
      collection.clear();
      const byFile = new Map<string, vscode.Diagnostic[]>();
      for (const state of store.folders) {
        for (const d of state.diagnostics) {
          const line = Math.max(0, d.line - 1);
          const diagnostic = new vscode.Diagnostic(
            new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER),
            d.message,
            d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
          );
          diagnostic.source = 'flowport';
          byFile.set(d.file, [...(byFile.get(d.file) ?? []), diagnostic]);
        }
      }
      for (const [file, list] of byFile) collection.set(vscode.Uri.file(file), list);
    }),
  );
}

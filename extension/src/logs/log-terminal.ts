/**
 * "Show Log" of a deployment that still runs: a terminal that follows its log as the runner writes
 * it (like `flowport logs -f`), whichever window or CLI started it, and ends with how it ended.
 * A terminal rather than a document: it scrolls with the log, keeps the deploy command's colours,
 * and says plainly when following has ended. A finished deployment's log opens as a file instead.
 */
import * as vscode from 'vscode';
import type { DeploymentDetails } from '../../../sdk/src/model';
import { sanitizeTerminalText } from '../../../sdk/src/terminal-text';
import type { FlowportStore, FolderState } from '../store';
import { finalStatusLine, followDeployment } from './follow';
import { hostSource } from './host-source';

const CSI = { red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', dim: '\x1b[2m', reset: '\x1b[0m' };

/** A terminal following one deployment's log; it stays open once the deployment has ended. */
export class LogTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writeEmitter.event;
  private readonly stop = new AbortController();
  /** Everything written so far, as plain text (the integration tests read it). */
  text = '';
  /** Resolves with the final record once the deployment has ended (undefined: following stopped first). */
  readonly ended: Promise<DeploymentDetails | undefined>;
  private start!: () => void;

  constructor(
    private readonly store: FlowportStore,
    private readonly state: FolderState,
    readonly deployment: DeploymentDetails,
  ) {
    const opened = new Promise<void>((resolve) => (this.start = resolve));
    this.ended = opened.then(() => this.follow());
  }

  open(): void {
    const d = this.deployment;
    this.write(
      `${CSI.dim}${sanitizeTerminalText(`Following the log of ${d.flowName} → ${d.env} (deployment ${d.id})`)} as its runner writes it…${CSI.reset}\n`,
    );
    this.start();
  }

  /** The terminal was closed: stop reading; the deployment goes on. */
  close(): void {
    this.stop.abort();
  }

  private async follow(): Promise<DeploymentDetails | undefined> {
    const d = this.deployment;
    const final = await followDeployment(hostSource(this.state, d.flowName, d.env), d.id, {
      onText: (text) => this.write(sanitizeTerminalText(text)),
      signal: this.stop.signal,
      onError: (err) => this.store.log.debug(`[log ${d.id}] read failed, trying again: ${String(err)}`),
    });
    if (this.stop.signal.aborted) return undefined;
    if (!final) {
      this.write(
        `${CSI.yellow}Stopped following: deployment ${d.id} could not be read any more (run "Flowport: Refresh").${CSI.reset}\n`,
      );
      return undefined;
    }
    const color = final.status === 'succeeded' ? CSI.green : final.status === 'cancelled' ? CSI.yellow : CSI.red;
    const mark = final.status === 'succeeded' ? '✔' : final.status === 'cancelled' ? '⊘' : '✖';
    this.write(`\n${color}${mark} ${sanitizeTerminalText(finalStatusLine(final))}${CSI.reset}\n`);
    return final;
  }

  private write(text: string): void {
    this.text += text.replace(/\u001b\[[0-9;]*m/g, '');
    this.writeEmitter.fire(text.replace(/\r?\n/g, '\r\n'));
  }
}

/** The open log terminals, by deployment id: Show Log twice on one deployment brings back the same one. */
export class LiveLogs implements vscode.Disposable {
  private readonly open = new Map<string, { terminal: vscode.Terminal; pty: LogTerminal }>();
  private readonly subscription = vscode.window.onDidCloseTerminal((t) => {
    for (const [id, entry] of this.open) if (entry.terminal === t) this.open.delete(id);
  });

  constructor(private readonly store: FlowportStore) {}

  /** Shows a terminal that follows `deployment`'s log until it ends. */
  show(state: FolderState, deployment: DeploymentDetails): LogTerminal {
    const existing = this.open.get(deployment.id);
    if (existing) {
      existing.terminal.show();
      return existing.pty;
    }
    const pty = new LogTerminal(this.store, state, deployment);
    const terminal = vscode.window.createTerminal({
      name: `Log: ${deployment.flowName} → ${deployment.env}`,
      pty,
      iconPath: new vscode.ThemeIcon('output'),
    });
    this.open.set(deployment.id, { terminal, pty });
    terminal.show();
    return pty;
  }

  /** The terminal following deployment `id`, if one is open (for the integration tests). */
  get(id: string): LogTerminal | undefined {
    return this.open.get(id)?.pty;
  }

  dispose(): void {
    this.subscription.dispose();
    for (const { terminal } of this.open.values()) terminal.dispose();
    this.open.clear();
  }
}

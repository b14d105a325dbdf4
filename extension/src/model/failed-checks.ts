/**
 * The last refusal by failing pre-deploy checks, per workspace folder × flow × environment: kept
 * in memory by the editor (nothing is recorded in the store for a refused deploy), shown by the
 * tree and the board until a later preflight of the pair passes or a deploy of it starts.
 * No `vscode` import: plain data and listeners.
 */
import { maskUrlCredentials } from '../../../sdk/src/secrets';
import { sanitizeTerminalText } from '../../../sdk/src/terminal-text';
import type { CheckResult } from '../../../sdk/src/host/protocol';
import type { FailedCheck, FailedCheckLookup } from './matrix';

/** How many of a check's last output lines are kept: a tooltip's worth. */
export const KEPT_OUTPUT_LINES = 5;
const MAX_LINE_CHARS = 200;

/** What a check's text may show: no terminal controls, a URL's password masked, one line of bounded length. */
function shown(text: string): string {
  // The colours sanitizeTerminalText keeps, which no tooltip shows.
  const plain = sanitizeTerminalText(text).replace(/\x1b\[[0-9;]*m/g, '');
  const line = maskUrlCredentials(plain).replace(/[\r\n]+/g, ' ');
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line;
}

export class FailedChecks {
  private readonly marks = new Map<string, FailedCheck>();
  private readonly listeners = new Set<() => void>();

  private static key(folder: string, flowName: string, env: string): string {
    return `${folder}\u0000${flowName}\u0000${env}`;
  }

  /** Calls `listener` whenever a mark is set or cleared; returns its removal. */
  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /**
   * A preflight of `flowNames` to `env` in `folder` came back: failing checks mark each flow they
   * failed for (a check run per flow names its flow; one run once fails them all), passing ones
   * clear the mark.
   */
  record(
    folder: string,
    flowNames: readonly string[],
    env: string,
    checks: readonly CheckResult[] | undefined,
    run: FailedCheck['run'],
  ): void {
    let changed = false;
    for (const flowName of flowNames) {
      const failing = (checks ?? []).filter((c) => !c.ok && (c.flow === undefined || c.flow === flowName));
      const key = FailedChecks.key(folder, flowName, env);
      if (failing.length === 0) {
        changed = this.marks.delete(key) || changed;
        continue;
      }
      this.marks.set(key, {
        checks: failing.map((c) => ({
          name: shown(c.name),
          message: shown(c.message),
          output: c.output.slice(-KEPT_OUTPUT_LINES).map(shown),
        })),
        run: { ...run },
        at: new Date().toISOString(),
      });
      changed = true;
    }
    if (changed) this.fire();
  }

  /** A deploy of the pairs starts: their marks go. */
  clear(folder: string, flowNames: readonly string[], env: string): void {
    let changed = false;
    for (const flowName of flowNames) changed = this.marks.delete(FailedChecks.key(folder, flowName, env)) || changed;
    if (changed) this.fire();
  }

  get(folder: string, flowName: string, env: string): FailedCheck | undefined {
    return this.marks.get(FailedChecks.key(folder, flowName, env));
  }

  lookup(folder: string): FailedCheckLookup {
    return (flowName, env) => this.get(folder, flowName, env);
  }

  private fire(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** The editor's one registry (a window's memory): the tree, the board and the tasks share it. */
export const failedChecks = new FailedChecks();

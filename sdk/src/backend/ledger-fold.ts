/**
 * What the ledger's lines add up to: the latest record of each deployment, the cancel requests,
 * every valid record in file order (for `events()`), and the warnings the damaged lines gave.
 * One fold is fed every line of the log in order — or starts from a snapshot (ledger-snapshot.ts)
 * and is fed the lines after it; both end in the same state (test/unit/backend/ledger-snapshot.test.ts).
 */
import type { DeploymentDetails, JsonValue } from '../model.js';
import { LEDGER_FORMAT, parseLine, type LedgerRecord, type RunnerIdentity } from './records.js';
import type { CancelRequest } from './store.js';

/** A record read back from the ledger: a known one, or one of a type this SDK does not know. */
export type LedgerEvent = LedgerRecord | { type: string; v: number; at: string; [key: string]: JsonValue };

/** One deployment as its records leave it. */
export interface Entry {
  deployment: DeploymentDetails;
  runner: RunnerIdentity | undefined;
  /** Line numbers (1-based) of its first and of its latest record. */
  first: number;
  last: number;
}

/** A warning about the ledger: about one line, or (line 0) about the whole file. */
export interface FoldWarning {
  line: number;
  text: string;
}

export class LedgerFold {
  readonly entries = new Map<string, Entry>();
  readonly cancels = new Map<string, CancelRequest>();
  /** The valid records after line `eventsAfter`, in file order. */
  events: LedgerEvent[] = [];
  /** 0 when `events` holds every record; a snapshot's line count when the fold started from one. */
  eventsAfter = 0;
  /**
   * Every valid record other than a deployment's, with its line: few (cancels, and the record
   * types still to come), and what a snapshot carries so that a fold started from it replays them.
   */
  readonly carried: Array<[line: number, record: LedgerEvent]> = [];
  /** Every warning given so far, so that a read started from a snapshot gives them again. */
  readonly warnings: FoldWarning[] = [];
  /** The first format newer than {@link LEDGER_FORMAT} seen (its records are skipped); 0 if none. */
  newerFormat = 0;
  /** Lines seen, blank and damaged ones included. */
  lines = 0;

  constructor(private readonly onWarning: (warning: FoldWarning) => void) {}

  /** Feeds the next complete line (without its newline). */
  line(text: string): void {
    const lineNo = ++this.lines;
    const line = text.trim();
    if (line) this.apply(line, lineNo);
  }

  private warn(warning: FoldWarning): void {
    this.warnings.push(warning);
    this.onWarning(warning);
  }

  private apply(line: string, lineNo: number): void {
    const parsed = parseLine(line);
    switch (parsed.kind) {
      case 'damaged':
        this.warn({
          line: lineNo,
          text: `skipped a damaged record (${parsed.why}); the records around it are intact.`,
        });
        return;
      case 'newer':
        if (this.newerFormat === 0) {
          this.newerFormat = parsed.v;
          this.warn({
            line: 0,
            text: `skipped records written by a newer Flowport (format ${parsed.v}, this one reads ${LEDGER_FORMAT}). Upgrade the flowport package to see them.`,
          });
        }
        return;
      case 'other':
        this.record(parsed.value as LedgerEvent, lineNo);
        return;
      case 'record':
        this.record(parsed.record, lineNo);
        return;
    }
  }

  /** Applies one valid record found at `lineNo`. */
  record(record: LedgerEvent, lineNo: number): void {
    if (record.type === 'deployment') {
      this.deployment(record as Extract<LedgerRecord, { type: 'deployment' }>, lineNo);
      return;
    }
    this.events.push(record);
    this.carried.push([lineNo, record]);
    if (record.type === 'cancel-request') {
      const r = record as Extract<LedgerRecord, { type: 'cancel-request' }>;
      if (!this.cancels.has(r.deploymentId))
        this.cancels.set(r.deploymentId, {
          deploymentId: r.deploymentId,
          by: r.by,
          at: r.at,
          ...(r.reason === undefined ? {} : { reason: r.reason }),
        });
    }
  }

  private deployment(record: Extract<LedgerRecord, { type: 'deployment' }>, lineNo: number): void {
    const prev = this.entries.get(record.deployment.id);
    // A deployment is one flow in one environment for good: a later record of its id that says
    // otherwise is forged or damaged, and would move its history to another flow.
    if (
      prev &&
      (prev.deployment.flowName !== record.deployment.flowName || prev.deployment.env !== record.deployment.env)
    ) {
      this.warn({
        line: lineNo,
        text: `skipped a record of deployment ${record.deployment.id} that moves it from ${prev.deployment.flowName} in ${prev.deployment.env} to ${record.deployment.flowName} in ${record.deployment.env}; the records around it are intact.`,
      });
      return;
    }
    this.events.push(record);
    this.entries.set(record.deployment.id, {
      deployment: record.deployment,
      runner: record.runner,
      first: prev?.first ?? lineNo,
      last: lineNo,
    });
  }
}

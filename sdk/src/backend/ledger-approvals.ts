/** Approval decisions in the local ledger: `approval` records appended like any other, read in file order. */
import type { ApprovalDecision } from './approvals.js';
import { LEDGER_FORMAT, type ApprovalRecord, type LedgerRecord } from './records.js';

/** What of the ledger the decisions need: their records in file order, and an append. */
export interface ApprovalLedger {
  records(): Promise<ReadonlyArray<{ type: string }>>;
  append(record: LedgerRecord): Promise<void>;
}

export async function ledgerDecisions(ledger: ApprovalLedger, deploymentId?: string): Promise<ApprovalDecision[]> {
  return (await ledger.records())
    .filter((r): r is ApprovalRecord => r.type === 'approval')
    .filter((r) => deploymentId === undefined || r.queueId === deploymentId)
    .map((r) => ({
      deploymentId: r.queueId,
      decision: r.decision,
      by: r.by,
      at: r.at,
      ...(r.comment === undefined ? {} : { comment: r.comment }),
    }));
}

export async function recordDecision(
  ledger: ApprovalLedger,
  decision: Omit<ApprovalDecision, 'at'>,
): Promise<ApprovalDecision> {
  const at = new Date().toISOString();
  await ledger.append({
    v: LEDGER_FORMAT,
    type: 'approval',
    at,
    by: decision.by,
    queueId: decision.deploymentId,
    decision: decision.decision,
    ...(decision.comment === undefined ? {} : { comment: decision.comment }),
  });
  return { ...decision, at };
}

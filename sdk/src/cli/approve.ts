import { parseArgs } from 'node:util';
import type { ApprovalDecision } from '../backend/approvals.js';
import { decideApproval, decidingStore } from '../backend/decisions.js';
import { actingIdentity } from '../backend/identity.js';
import type { DeploymentStore } from '../backend/store.js';
import { UsageError } from '../errors.js';
import { openProject } from '../project.js';
import type { CommandIO } from './main.js';
import { rootOption, type FlagSpecs } from './options.js';
import { USAGE } from './usage.js';
import { findDeployment } from './run-output.js';

/** The `--json` output of `flowport approve` and `flowport reject`. */
export interface DecisionOutput {
  decision: ApprovalDecision;
  /** Where the request stands after it: `approved` once enough identities approved. */
  state: 'pending' | 'approved' | 'rejected';
  deploymentId: string;
}

/** Every flag `flowport approve` takes; `--help` lists each (test/unit/cli/usage.test.ts checks). */
export const OPTIONS = {
  comment: { type: 'string' },
  root: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies FlagSpecs;

/**
 * `flowport approve <deploymentId>`: approves a deploy waiting for its environment's approval, as
 * this identity (git's user.email, else user@host). Once enough approved, its runner starts it
 * through the queue. Refused (exit 1) for the asker when the policy says `notInitiator`, a second
 * approval by the same identity, and a request rejected or expired.
 */
export async function approveCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError(`name one deployment: ${USAGE.approve}`);
  return decide(positionals[0]!, 'approved', values, io);
}

/** What approve and reject share: the request found, then decided by the rules every front end applies. */
export async function decide(
  idArg: string,
  decision: ApprovalDecision['decision'],
  values: { root?: string; json?: boolean; comment?: string },
  io: CommandIO,
): Promise<number> {
  const project = await openProject(rootOption(values.root));
  const store = decidingStore(project.store);
  const d = await findDeployment(store, idArg);
  const outcome = await decideApproval(store, d, decision, await actingIdentity(store, project.root), values.comment);
  if (values.json)
    io.out(
      JSON.stringify(
        { decision: outcome.decision, state: outcome.state, deploymentId: d.id } satisfies DecisionOutput,
        null,
        2,
      ),
    );
  else io.out(outcome.message);
  return 0;
}

/** The decisions recorded on `ids`, for listings. */
export async function decisionsOf(store: DeploymentStore, id: string): Promise<ApprovalDecision[]> {
  return (await store.decisions?.(id)) ?? [];
}

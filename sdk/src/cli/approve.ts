import { parseArgs } from 'node:util';
import {
  approvalOf,
  approvalState,
  approveRefusal,
  describeApproval,
  type ApprovalDecision,
} from '../backend/approvals.js';
import { personIdentity } from '../backend/identity.js';
import type { DeploymentStore } from '../backend/store.js';
import { DeployError, UsageError } from '../errors.js';
import { FINAL_STATUSES, type DeploymentDetails } from '../model.js';
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

/** What approve and reject share: the request found and checked, the decision recorded. */
export async function decide(
  idArg: string,
  decision: ApprovalDecision['decision'],
  values: { root?: string; json?: boolean; comment?: string },
  io: CommandIO,
): Promise<number> {
  const project = await openProject(rootOption(values.root));
  const store = project.store;
  if (!store.decide || !store.decisions)
    throw new DeployError(
      'the configured deployments store keeps no approvals: use localLedger() (the default) or a store that implements decide and decisions',
    );
  const d = await findDeployment(store, idArg);
  const request = waitingRequest(d);
  const me = personIdentity(project.root);
  const before = approvalState(request, await store.decisions(d.id));
  const verb = decision === 'approved' ? 'approve' : 'reject';
  if (before.state === 'approved')
    throw new DeployError(
      `${what(d)} is approved already (${describeApproval(request, before)}); it runs through the queue${decision === 'rejected' ? `. To stop it, cancel it: flowport cancel ${d.id}` : ''}.`,
    );
  const refusal =
    decision === 'approved'
      ? approveRefusal(request, before, me)
      : before.state === 'pending'
        ? undefined
        : approveRefusal(request, before, me);
  if (refusal) throw new DeployError(`cannot ${verb} ${what(d)}: ${refusal}.`);
  const made = await store.decide({
    deploymentId: d.id,
    decision,
    by: me,
    ...(values.comment === undefined ? {} : { comment: values.comment }),
  });
  const after = approvalState(request, await store.decisions(d.id));
  const state = after.state === 'expired' ? 'pending' : after.state;
  if (values.json)
    io.out(JSON.stringify({ decision: made, state, deploymentId: d.id } satisfies DecisionOutput, null, 2));
  else if (decision === 'rejected') io.out(`Rejected by ${me}: ${what(d)} will not run.`);
  else if (after.state === 'approved') io.out(`Approved by ${me}: ${what(d)} runs now, through the queue.`);
  else io.out(`Approved by ${me}: ${what(d)} has ${describeApproval(request, after)}.`);
  return 0;
}

/** The request of a deployment that waits for approval; a clear refusal for any other. */
function waitingRequest(d: DeploymentDetails) {
  const request = approvalOf(d);
  if (!request) throw new UsageError(`${what(d)} does not wait for approval: its environment asks for none.`);
  if (FINAL_STATUSES.includes(d.status)) throw new UsageError(`${what(d)} is ${d.status} already: nothing to decide.`);
  return request;
}

const what = (d: DeploymentDetails) => `${d.id} (${d.flowName} → ${d.env}, ${d.commit.slice(0, 12)})`;

/** The decisions recorded on `ids`, for listings. */
export async function decisionsOf(store: DeploymentStore, id: string): Promise<ApprovalDecision[]> {
  return (await store.decisions?.(id)) ?? [];
}

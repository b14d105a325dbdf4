import { parseArgs } from 'node:util';
import { approvalOf, approvalState, describeApproval, type ApprovalRequest } from '../backend/approvals.js';
import { FINAL_STATUSES, type DeploymentDetails } from '../model.js';
import { openProject } from '../project.js';
import { publicDeployment } from '../secrets.js';
import type { CommandIO } from './main.js';
import { rootOption, type FlagSpecs } from './options.js';
import { formatAge, shortCommit } from './run-output.js';
import { formatTable } from './table.js';
import { decisionsOf } from './approve.js';

/** The `--json` output of `flowport approvals`. */
export interface ApprovalsOutput {
  /** Requests still waiting for a decision, oldest first. */
  requests: Array<{
    deployment: DeploymentDetails;
    request: ApprovalRequest;
    approvedBy: string[];
    needed: number;
  }>;
}

/** Every flag `flowport approvals` takes; `--help` lists each (test/unit/cli/usage.test.ts checks). */
export const OPTIONS = {
  root: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies FlagSpecs;

/** `flowport approvals`: the deploys waiting for approval, and what each still needs. */
export async function approvalsCommand(args: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, allowPositionals: false, strict: true });
  const project = await openProject(rootOption(values.root));
  const store = project.store;
  const waiting = (await store.findDeployments({ history: true })).filter(
    (d) => !FINAL_STATUSES.includes(d.status) && d.attributes.awaiting === 'approval',
  );
  const requests: ApprovalsOutput['requests'] = [];
  for (const d of waiting) {
    const request = approvalOf(d);
    if (!request) continue;
    const state = approvalState(request, await decisionsOf(store, d.id));
    if (state.state !== 'pending') continue;
    requests.push({ deployment: publicDeployment(d), request, approvedBy: state.approvedBy, needed: state.needed });
  }
  if (values.json) {
    io.out(JSON.stringify({ requests } satisfies ApprovalsOutput, null, 2));
    return 0;
  }
  if (requests.length === 0) {
    io.out('No deploy waits for approval.');
    return 0;
  }
  const now = Date.now();
  const rows = requests.map(({ deployment: d, request, approvedBy, needed }) => [
    d.id,
    d.flowName,
    d.env,
    shortCommit(d.commit),
    request.requestedBy,
    `${formatAge(d.createdAt, now)} ago`,
    request.expiresAt ?? 'never',
    describeApproval(request, { state: 'pending', approvedBy, needed }),
  ]);
  io.out(formatTable(['DEPLOYMENT', 'FLOW', 'ENV', 'COMMIT', 'ASKED BY', 'ASKED', 'EXPIRES', 'APPROVALS'], rows));
  return 0;
}

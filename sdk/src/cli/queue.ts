import { parseArgs } from 'node:util';
import { FINAL_STATUSES, type DeploymentDetails } from '../model.js';
import { openProject } from '../project.js';
import { publicDeployment } from '../secrets.js';
import { queuePlace } from '../runner/queue.js';
import type { CommandIO } from './main.js';
import { rootOption, type FlagSpecs } from './options.js';
import { formatAge, shortCommit } from './run-output.js';
import { formatTable } from './table.js';

/** The `--json` output of `flowport queue`. */
export interface QueueOutput {
  /** Each flow × environment with deploys waiting, oldest first. */
  pairs: Array<{
    flow: string;
    env: string;
    /** The one whose turn it is (running, or about to). */
    active: DeploymentDetails;
    /** The ones behind it, in the order they run. */
    waiting: DeploymentDetails[];
  }>;
}

/** Every flag `flowport queue` takes; `--help` lists each (test/unit/cli/usage.test.ts checks). */
export const OPTIONS = {
  root: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies FlagSpecs;

/** `flowport queue`: the deploys waiting their turn, per flow × environment, in the order they run. */
export async function queueCommand(args: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, allowPositionals: false, strict: true });
  const project = await openProject(rootOption(values.root));
  const unfinished = (await project.store.findDeployments({ history: true }))
    .filter((d) => !FINAL_STATUSES.includes(d.status))
    .map(publicDeployment);
  const byPair = new Map<string, DeploymentDetails[]>();
  for (const d of unfinished) {
    const key = `${d.flowName}\0${d.env}`;
    byPair.set(key, [...(byPair.get(key) ?? []), d]);
  }
  const pairs: QueueOutput['pairs'] = [...byPair.values()]
    .filter((ds) => ds.length > 1)
    .map(([active, ...waiting]) => ({ flow: active!.flowName, env: active!.env, active: active!, waiting }));
  if (values.json) {
    io.out(JSON.stringify({ pairs } satisfies QueueOutput, null, 2));
    return 0;
  }
  if (pairs.length === 0) {
    io.out('Nothing is queued: no deploy waits for another.');
    return 0;
  }
  const now = Date.now();
  const rows = pairs.flatMap((p) =>
    p.waiting.map((d, i) => [
      d.id,
      p.flow,
      p.env,
      queuePlace([p.active, ...p.waiting.slice(0, i)]),
      shortCommit(d.commit),
      d.initiator,
      `${formatAge(d.createdAt, now)} ago`,
    ]),
  );
  io.out(formatTable(['DEPLOYMENT', 'FLOW', 'ENV', 'PLACE', 'COMMIT', 'BY', 'ASKED'], rows));
  return 0;
}

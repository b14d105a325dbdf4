import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import { FINAL_STATUSES } from '../model.js';
import { openProject } from '../project.js';
import type { CommandIO } from './main.js';
import { rootOption, type FlagSpecs } from './options.js';
import { USAGE } from './usage.js';
import { findDeployment } from './run-output.js';
import { stepsOf, stepsSummary } from '../runner/step-progress.js';
import type { DeploymentDetails } from '../model.js';

const FOLLOW_POLL_MS = 200;

/** Every flag `flowport logs` takes; `--help` lists each (test/unit/cli/usage.test.ts checks). */
export const OPTIONS = {
  follow: { type: 'boolean', short: 'f', default: false },
  root: { type: 'string' },
} as const satisfies FlagSpecs;

/** `flowport logs <deploymentId> [--follow]`: prints a deployment's log; `--follow` until it ends. */
export async function logsCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError(`name one deployment: ${USAGE.logs}`);
  const project = await openProject(rootOption(values.root));
  const store = project.store;
  const deployment = await findDeployment(store, positionals[0]!);
  const print = (text: string) => {
    if (text) io.out(text.endsWith('\n') ? text.slice(0, -1) : text);
  };
  let chunk = await store.readLog(deployment.id);
  // A run just started (`deploy --detach`) may not have written its log yet: follow it from its start.
  if (!chunk && values.follow && !FINAL_STATUSES.includes(deployment.status)) chunk = { text: '', next: 0 };
  if (!chunk) {
    if (deployment.logLocation) io.out(`The log of ${deployment.id} is at ${deployment.logLocation}`);
    else io.err(`flowport: deployment ${deployment.id} has no log`);
    return 0;
  }
  print(chunk.text);
  if (!values.follow) {
    printSteps(deployment, io);
    return 0;
  }
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.on('SIGINT', onSignal);
  try {
    let finished = false;
    while (!stop) {
      // Read once more after the deployment ended: its last lines are written before the final record.
      const status = (await store.getDeployment(deployment.id))?.status;
      finished = status === undefined || FINAL_STATUSES.includes(status);
      chunk = (await store.readLog(deployment.id, chunk.next)) ?? chunk;
      print(chunk.text);
      if (finished) {
        const ended = await store.getDeployment(deployment.id);
        if (ended) printSteps(ended, io);
        break;
      }
      await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
  return 0;
}

/** After the log of a deploy run as steps: one line per step, with each target's status. */
function printSteps(d: DeploymentDetails, io: CommandIO): void {
  const steps = stepsOf(d);
  if (!steps) return;
  io.out(`Steps of ${d.id}:`);
  for (const line of stepsSummary(steps)) io.out(`  ${line}`);
}

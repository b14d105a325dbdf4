import { parseArgs } from 'node:util';
import { promoteFlows, selectFlows } from '../backend/batch.js';
import { UsageError } from '../errors.js';
import { openProject } from '../project.js';
import type { CommandIO } from './main.js';
import { rootOption } from './options.js';
import { checkEnvironment, confirmProtected, reportResults, terminalRun } from './run-output.js';

export const PROMOTE_USAGE = 'flowport promote <flow…|--group G> --from E1 --to E2 [--yes] [--json]';

/**
 * `flowport promote`: moves the version `--from` runs to `--to`, per flow. A flow already there is
 * reported unchanged (exit 0); a refused or failed one makes the exit code 1.
 */
export async function promoteCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      group: { type: 'string', multiple: true },
      root: { type: 'string' },
      json: { type: 'boolean', default: false },
      yes: { type: 'boolean', short: 'y', default: false },
      'no-cache': { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  if (!values.from || !values.to) throw new UsageError(`--from and --to are required: ${PROMOTE_USAGE}`);
  const project = await openProject(rootOption(values.root), { cache: !values['no-cache'] });
  // The default promoter checks the route itself, naming the flow; a custom one gets the basics checked here.
  if (typeof (project.promoter as { checkRoute?: unknown }).checkRoute !== 'function') {
    checkEnvironment(project, values.from, '--from');
    checkEnvironment(project, values.to, '--to');
  }
  const flows = await selectFlows(project.flows, { flows: positionals, groups: values.group ?? [] });
  await confirmProtected(project, values.to, 'promote', values.yes);
  const { run, dispose } = terminalRun(io, values.json);
  try {
    const results = await promoteFlows(project.promoter, flows, { from: values.from, to: values.to }, run);
    return reportResults(io, results, values.json);
  } finally {
    dispose();
  }
}

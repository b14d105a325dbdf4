import { parseArgs } from 'node:util';
import { promoteFlows, selectFlows } from '../backend/batch.js';
import { withChecksOverride } from '../backend/checks.js';
import { preflight } from '../backend/preflight.js';
import type { DefaultPromoter } from '../backend/promoter.js';
import { UsageError } from '../errors.js';
import type { FlowDetails, Promoter } from '../model.js';
import { refuseUnsafeNames } from '../finder/names.js';
import { openProject, type Project } from '../project.js';
import type { CommandIO } from './main.js';
import { rootOption, type FlagSpecs } from './options.js';
import { USAGE } from './usage.js';
import { runSecretsShown } from './table.js';
import {
  afterPreflight,
  checkEnvironment,
  checkPrinter,
  confirmProtected,
  namedFlows,
  overrideReason,
  reportResults,
  terminalRun,
  withFlow,
} from './run-output.js';

/** Every flag `flowport promote` takes; `--help` lists each (test/unit/cli/usage.test.ts checks). */
export const OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  group: { type: 'string', multiple: true },
  root: { type: 'string' },
  json: { type: 'boolean', default: false },
  yes: { type: 'boolean', short: 'y', default: false },
  'no-cache': { type: 'boolean', default: false },
  detach: { type: 'boolean', default: false },
  'no-queue': { type: 'boolean', default: false },
  'override-checks': { type: 'string' },
  'show-secrets': { type: 'boolean', default: false },
} as const satisfies FlagSpecs;

/**
 * `flowport promote`: moves the version `--from` runs to `--to`, per flow. A flow already there is
 * reported unchanged (exit 0); a refused or failed one makes the exit code 1.
 */
export async function promoteCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  if (!values.from || !values.to) throw new UsageError(`--from and --to are required: ${USAGE.promote}`);
  // Refused before anything runs: a pipe or --json would keep the secrets it prints.
  const reveal = runSecretsShown(values['show-secrets'], values.json);
  const override = overrideReason(values['override-checks']);
  const project = await openProject(rootOption(values.root), { cache: !values['no-cache'] });
  const route = { from: values.from, to: values.to };
  const again = [...(values.group ?? []).flatMap((g) => ['--group', g]), '--from', route.from, '--to', route.to];
  const finder = await namedFlows(project, positionals, (typed, meant) => ({
    command: 'promote',
    args: [...withFlow(positionals, typed, meant), ...again],
  }));
  // A mistyped environment (Dev for dev) gets the one meant, whatever the promoter.
  checkEnvironment(project, route.from, '--from');
  checkEnvironment(project, route.to, '--to');
  const flows = await selectFlows(finder, { flows: positionals, groups: values.group ?? [] });
  refuseUnsafeNames(flows);
  // Whatever can refuse without running anything does so before the protected-environment prompt.
  checkRoute(project, flows, route);
  const checked = await preflight(project, { action: 'promote', ...route }, flows, {
    queue: !values['no-queue'],
    onCheck: checkPrinter(io, route.to),
    ...(override === undefined ? {} : { overrideChecks: override }),
  });
  const refused = afterPreflight(io, checked, { env: route.to, action: 'promote', json: values.json, override });
  if (refused !== undefined) return refused;
  if (checked.sending.length > 0) await confirmProtected(project, values.to, 'promote', values.yes);
  // --detach: each runner is started and left at once, as with deploy.
  const terminal = terminalRun(io, values.json, { detach: values.detach, queue: !values['no-queue'] });
  const { dispose } = terminal;
  const run = withChecksOverride(terminal.run, checked.checksOverridden);
  try {
    const results = await promoteFlows(project.promoter, flows, route, run);
    return reportResults(io, results, values.json, reveal, checked);
  } finally {
    dispose();
  }
}

type Route = { from: string; to: string };

/** The default promoter's route check (it names the flow); for another, that both environments exist. */
function checkRoute(project: Project, flows: FlowDetails[], route: Route): void {
  const router = project.promoter as Promoter & Partial<Pick<DefaultPromoter, 'checkRoute'>>;
  if (typeof router.checkRoute === 'function') {
    for (const flow of flows) router.checkRoute(flow.name, route.from, route.to);
    return;
  }
  checkEnvironment(project, route.from, '--from');
  checkEnvironment(project, route.to, '--to');
}

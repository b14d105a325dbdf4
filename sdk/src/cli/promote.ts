import { parseArgs } from 'node:util';
import { promoteFlows, selectFlows } from '../backend/batch.js';
import { withChecksOverride } from '../backend/checks.js';
import { preflight } from '../backend/preflight.js';
import {
  describePlan,
  planPromotion,
  planSourceOf,
  worthShowing,
  type PromotionPlan,
} from '../backend/promotion-plan.js';
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
  'dry-run': { type: 'boolean', default: false },
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
  // Several flows: the plan (order, versions, what each waits for, gates) is shown before anything runs.
  const plan =
    flows.length > 1 || values['dry-run'] ? await planPromotion(planSourceOf(project), flows, route) : undefined;
  if (plan && values['dry-run']) {
    if (values.json) io.out(JSON.stringify(planJson(plan), null, 2));
    else io.out(describePlan(plan).join('\n'));
    return 0;
  }
  if (plan && worthShowing(plan) && !values.json) io.err(describePlan(plan).join('\n'));
  if (plan?.ordered && values.detach)
    throw new UsageError(
      "these flows read each other's outputs, so the plan waits for each before the next: run it without --detach",
    );
  // One approval for the whole plan: this command waits for it, then runs the deploys in turn.
  if (plan?.approval && values.detach)
    throw new UsageError(
      `${route.to} asks for approval: the plan asks once for all its deploys, waits for it here and then runs them in turn, so run it without --detach (or promote the flows one at a time with --detach, each waiting for its own approval)`,
    );
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
    const results = await promoteFlows(project.promoter, flows, { ...route, ...(plan ? { plan } : {}) }, run);
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

/** `--dry-run --json`: the plan as data, flows by name and deployments by id and commit. */
function planJson(plan: PromotionPlan) {
  return {
    from: plan.from,
    to: plan.to,
    ordered: plan.ordered,
    gates: plan.gates,
    // One approval for the whole plan: what it covers, in order.
    approval: plan.approval ?? null,
    steps: plan.steps.map((s) => ({
      flow: s.flow.name,
      waitsFor: s.waitsFor,
      reads: s.reads.map((r) => ({
        flow: r.flow,
        inTarget: r.inTarget ? { id: r.inTarget.id, commit: r.inTarget.commit } : null,
      })),
      action: s.plan.action,
      ...(s.plan.action === 'refused'
        ? { message: s.plan.message }
        : {
            source: { id: s.plan.source.id, commit: s.plan.source.commit },
            target: s.plan.target ? { id: s.plan.target.id, commit: s.plan.target.commit } : null,
          }),
    })),
  };
}

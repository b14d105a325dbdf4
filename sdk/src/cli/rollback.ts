import { parseArgs } from 'node:util';
import { rollbackFlows, selectFlows } from '../backend/batch.js';
import { withChecksOverride } from '../backend/checks.js';
import { preflight } from '../backend/preflight.js';
import { UsageError } from '../errors.js';
import { refuseUnsafeNames } from '../finder/names.js';
import { openProject } from '../project.js';
import type { CommandIO } from './main.js';
import { rootOption, type FlagSpecs } from './options.js';
import { USAGE } from './usage.js';
import {
  afterPreflight,
  checkEnvironment,
  checkPrinter,
  confirmProtected,
  findDeployment,
  namedFlows,
  overrideReason,
  reportResults,
  terminalRun,
  withFlow,
} from './run-output.js';

/** Every flag `flowport rollback` takes; `--help` lists each (test/unit/cli/usage.test.ts checks). */
export const OPTIONS = {
  env: { type: 'string' },
  to: { type: 'string' },
  root: { type: 'string' },
  json: { type: 'boolean', default: false },
  yes: { type: 'boolean', short: 'y', default: false },
  'no-cache': { type: 'boolean', default: false },
  detach: { type: 'boolean', default: false },
  'no-queue': { type: 'boolean', default: false },
  'override-checks': { type: 'string' },
} as const satisfies FlagSpecs;

/**
 * `flowport rollback <flow> --env E [--to <deploymentId>]`: redeploys an earlier release's commit
 * to E, recorded as a rollback; exits 1 unless it succeeded (or E already runs that release).
 */
export async function rollbackCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  if (!values.env) throw new UsageError(`--env is required: ${USAGE.rollback}`);
  if (positionals.length === 0) throw new UsageError(`name the flow to roll back: ${USAGE.rollback}`);
  const override = overrideReason(values['override-checks']);
  const project = await openProject(rootOption(values.root), { cache: !values['no-cache'] });
  const env = values.env;
  const again = ['--env', env, ...(values.to ? ['--to', values.to] : [])];
  const finder = await namedFlows(project, positionals, (typed, meant) => ({
    command: 'rollback',
    args: [...withFlow(positionals, typed, meant), ...again],
  }));
  checkEnvironment(project, env, '--env');
  const flows = await selectFlows(finder, { flows: positionals });
  refuseUnsafeNames(flows);
  // An id as typed (a unique prefix or suffix) becomes the whole id the releases are listed by.
  const to = values.to === undefined ? undefined : (await findDeployment(project.store, values.to)).id;
  const checked = await preflight(project, { action: 'rollback', env, ...(to === undefined ? {} : { to }) }, flows, {
    queue: !values['no-queue'],
    onCheck: checkPrinter(io, env),
    ...(override === undefined ? {} : { overrideChecks: override }),
  });
  const refused = afterPreflight(io, checked, { env, action: 'roll back', json: values.json, override });
  if (refused !== undefined) return refused;
  await confirmProtected(project, env, 'roll back', values.yes);
  const terminal = terminalRun(io, values.json, { detach: values.detach, queue: !values['no-queue'] });
  const { dispose } = terminal;
  const run = withChecksOverride(terminal.run, checked.checksOverridden);
  try {
    const results = await rollbackFlows(
      project.deployer,
      project.deployments,
      flows,
      { env, ...(to === undefined ? {} : { to }) },
      run,
    );
    return reportResults(io, results, values.json, false, checked);
  } finally {
    dispose();
  }
}

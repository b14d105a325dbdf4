import { parseArgs } from 'node:util';
import { rollbackFlows, selectFlows } from '../backend/batch.js';
import { preflight } from '../backend/preflight.js';
import { UsageError } from '../errors.js';
import { refuseUnsafeNames } from '../finder/names.js';
import { openProject } from '../project.js';
import type { CommandIO } from './main.js';
import { rootOption, type FlagSpecs } from './options.js';
import { USAGE } from './usage.js';
import {
  checkEnvironment,
  confirmProtected,
  findDeployment,
  namedFlows,
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
} as const satisfies FlagSpecs;

/**
 * `flowport rollback <flow> --env E [--to <deploymentId>]`: redeploys an earlier release's commit
 * to E, recorded as a rollback; exits 1 unless it succeeded (or E already runs that release).
 */
export async function rollbackCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  if (!values.env) throw new UsageError(`--env is required: ${USAGE.rollback}`);
  if (positionals.length === 0) throw new UsageError(`name the flow to roll back: ${USAGE.rollback}`);
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
  const { refusal } = await preflight(project, { action: 'rollback', env }, flows, { queue: !values['no-queue'] });
  if (refusal) throw refusal;
  await confirmProtected(project, env, 'roll back', values.yes);
  const { run, dispose } = terminalRun(io, values.json, { detach: values.detach, queue: !values['no-queue'] });
  try {
    const results = await rollbackFlows(
      project.deployer,
      project.deployments,
      flows,
      { env, ...(to === undefined ? {} : { to }) },
      run,
    );
    return reportResults(io, results, values.json);
  } finally {
    dispose();
  }
}

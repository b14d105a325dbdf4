import { parseArgs } from 'node:util';
import { deployFlows, selectFlows } from '../backend/batch.js';
import { checkRef } from '../backend/git.js';
import { withChecksOverride } from '../backend/checks.js';
import { preflight } from '../backend/preflight.js';
import { inDependencyOrder } from '../backend/promotion-plan.js';
import { UsageError } from '../errors.js';
import { refuseUnsafeNames } from '../finder/names.js';
import { openProject } from '../project.js';
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

/** Every flag `flowport deploy` takes; `--help` lists each (test/unit/cli/usage.test.ts checks). */
export const OPTIONS = {
  env: { type: 'string' },
  ref: { type: 'string' },
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
 * `flowport deploy`: deploys each flow to one environment, streaming logs; exits 1 unless all
 * succeeded. With `--detach`, starts each and returns at once, printing the deployment ids.
 */
export async function deployCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  if (!values.env) throw new UsageError(`--env is required: ${USAGE.deploy}`);
  if (values.ref !== undefined) checkRef(values.ref);
  const override = overrideReason(values['override-checks']);
  // Refused before anything runs: a pipe or --json would keep the secrets it prints.
  const reveal = runSecretsShown(values['show-secrets'], values.json);
  const project = await openProject(rootOption(values.root), { cache: !values['no-cache'] });
  const env = values.env;
  const again = [
    ...(values.group ?? []).flatMap((g) => ['--group', g]),
    '--env',
    env,
    ...(values.ref ? ['--ref', values.ref] : []),
  ];
  const finder = await namedFlows(project, positionals, (typed, meant) => ({
    command: 'deploy',
    args: [...withFlow(positionals, typed, meant), ...again],
  }));
  checkEnvironment(project, values.env, '--env');
  // A flow after those it reads outputs of: `deploy api db` deploys db first.
  const flows = inDependencyOrder(
    await selectFlows(finder, { flows: positionals, groups: values.group ?? [] }),
    project.config.releases,
  );
  refuseUnsafeNames(flows);
  // Whatever can refuse without running anything (the checks too) does so before the protected-environment prompt.
  const checked = await preflight(
    project,
    { action: 'deploy', env: values.env, ...(values.ref === undefined ? {} : { ref: values.ref }) },
    flows,
    {
      queue: !values['no-queue'],
      onCheck: checkPrinter(io, values.env),
      ...(override === undefined ? {} : { overrideChecks: override }),
    },
  );
  const refused = afterPreflight(io, checked, { env: values.env, action: 'deploy', json: values.json, override });
  if (refused !== undefined) return refused;
  await confirmProtected(project, values.env, 'deploy', values.yes);
  // --detach: each runner is started and left at once; the result says how to follow it.
  const terminal = terminalRun(io, values.json, { detach: values.detach, queue: !values['no-queue'] });
  const { dispose } = terminal;
  const run = withChecksOverride(terminal.run, checked.checksOverridden);
  try {
    const results = await deployFlows(
      project.deployer,
      flows,
      { env: values.env, ...(values.ref === undefined ? {} : { ref: values.ref }) },
      run,
    );
    return reportResults(io, results, values.json, reveal, checked);
  } finally {
    dispose();
  }
}

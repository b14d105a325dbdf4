import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import type { DeploymentDetails } from '../model.js';
import { openProject } from '../project.js';
import type { CommandIO } from './main.js';
import { commandHere, rootOption, type FlagSpecs } from './options.js';
import type { CommandHint } from '../hint.js';
import { USAGE } from './usage.js';
import { checkEnvironment, formatAge, namedFlows, positiveInt, shortCommit } from './run-output.js';
import { formatTable, outputsText, secretsShown, shownDeployment } from './table.js';
import { stepsBrief, stepsOf } from '../runner/step-progress.js';

/** The `--json` output of `flowport history`. */
export interface HistoryOutput {
  flow: string;
  /** The `--env` asked for, or null for every environment. */
  env: string | null;
  /** Newest first. */
  deployments: DeploymentDetails[];
}

/** Every flag `flowport history` takes; `--help` lists each (test/unit/cli/usage.test.ts checks). */
export const OPTIONS = {
  env: { type: 'string' },
  limit: { type: 'string' },
  root: { type: 'string' },
  json: { type: 'boolean', default: false },
  'show-secrets': { type: 'boolean', default: false },
  'no-cache': { type: 'boolean', default: false },
} as const satisfies FlagSpecs;

/** `flowport history <flow> [--env E]`: every recorded deployment of a flow, newest first. */
export async function historyCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError(`name one flow: ${USAGE.history}`);
  const flow = positionals[0]!;
  const reveal = secretsShown(values['show-secrets']);
  const limit = positiveInt(values.limit, '--limit', Number.MAX_SAFE_INTEGER);
  const project = await openProject(rootOption(values.root), { cache: !values['no-cache'] });
  if (values.env !== undefined) checkEnvironment(project, values.env, '--env');
  const all = await project.deployments.findDeployments({
    flows: [flow],
    ...(values.env ? { envs: [values.env] } : {}),
    history: true,
  });
  const deployments = all
    .filter((d) => d.flowName === flow && (!values.env || d.env === values.env))
    .reverse()
    .slice(0, limit)
    .map((d) => shownDeployment(d, reveal));
  if (deployments.length === 0) {
    const again = values.env ? ['--env', values.env] : [];
    const finder = await namedFlows(project, [flow], (_typed, meant) => ({
      command: 'history',
      args: [meant, ...again],
    }));
    const known = (await finder.findFlows()).some((f) => f.name === flow);
    if (!known)
      throw new UsageError(
        `unknown flow "${flow}": not in the source and never deployed. "flowport flows" lists the flows.`,
      );
  }
  if (values.json) {
    io.out(JSON.stringify({ flow, env: values.env ?? null, deployments } satisfies HistoryOutput, null, 2));
    return 0;
  }
  if (deployments.length === 0) {
    const hint: CommandHint = { command: 'deploy', args: [flow, '--env', values.env ?? project.environments[0]!.name] };
    io.out(
      `No deployments of ${flow}${values.env ? ` in ${values.env}` : ''} yet. Deploy it with: ${commandHere(hint)}`,
    );
    return 0;
  }
  const now = Date.now();
  // Outputs last, and only when there are some: secret ones read ••• unless --show-secrets.
  const withOutputs = deployments.some((d) => Object.keys(d.outputs).length > 0);
  const rows = deployments.map((d) => [
    d.id,
    d.env,
    d.status,
    `${shortCommit(d.commit)}${d.attributes.dirty === true ? '*' : ''}`,
    d.ref === d.commit ? shortCommit(d.ref) : d.ref,
    formatAge(d.createdAt, now),
    d.initiator,
    note(d),
    ...(withOutputs ? [outputsText(d)] : []),
  ]);
  const header = [
    'DEPLOYMENT',
    'ENV',
    'STATUS',
    'COMMIT',
    'REF',
    'AGE',
    'BY',
    'NOTE',
    ...(withOutputs ? ['OUTPUTS'] : []),
  ];
  io.out(formatTable(header, rows));
  return 0;
}

function note(d: DeploymentDetails): string {
  const parts: string[] = [];
  if (d.promotedFrom) parts.push(`promoted from ${d.promotedFrom.env}`);
  const steps = stepsOf(d);
  if (steps) parts.push(stepsBrief(steps));
  const inputs = inputsBrief(d);
  if (inputs) parts.push(inputs);
  const approvedBy = Array.isArray(d.attributes.approvedBy)
    ? d.attributes.approvedBy.filter((by): by is string => typeof by === 'string')
    : [];
  if (approvedBy.length) {
    // Under a plan's one approval: the deploy that asked for it, for the audit.
    const plan = d.attributes.approvedWithPlan;
    parts.push(
      `approved by ${approvedBy.join(', ')}${typeof plan === 'string' ? ` for the plan asked on ${plan}` : ''}`,
    );
  }
  if (d.status !== 'succeeded' && typeof d.attributes.reason === 'string') parts.push(d.attributes.reason);
  if (d.attributes.dirty === true) parts.push('uncommitted changes');
  return parts.join('; ');
}

/** `inputs from db 20261202-…; build reused from 20261201-…`: which deployments a release read (attributes.inputs, .build). */
function inputsBrief(d: DeploymentDetails): string | undefined {
  const inputs = d.attributes.inputs;
  const read = new Map<string, string>();
  if (inputs && typeof inputs === 'object' && !Array.isArray(inputs)) {
    for (const origin of Object.values(inputs)) {
      const o = origin as { from?: unknown; flow?: unknown; deploymentId?: unknown } | null;
      if (o?.from === 'output' && typeof o.flow === 'string' && typeof o.deploymentId === 'string')
        read.set(o.flow, o.deploymentId);
    }
  }
  const parts = [...read].map(([flow, id]) => `${flow} ${id}`);
  const build = d.attributes.build as { deploymentId?: unknown; reused?: unknown } | undefined;
  const built =
    build && typeof build.deploymentId === 'string'
      ? build.reused === true
        ? `build reused from ${build.deploymentId}`
        : 'built here'
      : undefined;
  const text = [parts.length ? `inputs from ${parts.join(', ')}` : undefined, built].filter(Boolean).join('; ');
  return text || undefined;
}

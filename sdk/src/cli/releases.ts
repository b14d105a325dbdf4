import { parseArgs } from 'node:util';
import { listReleases, type Release } from '../backend/releases.js';
import { UsageError } from '../errors.js';
import { openProject } from '../project.js';
import type { CommandIO } from './main.js';
import { commandHere, rootOption, type FlagSpecs } from './options.js';
import { USAGE } from './usage.js';
import { checkEnvironment, formatAge, shortCommit } from './run-output.js';
import { formatTable, secretsShown, shownDeployment } from './table.js';

/** The `--json` output of `flowport releases`. */
export interface ReleasesOutput {
  flow: string;
  env: string;
  /** Newest first; the first is `current`. */
  releases: Release[];
}

/** Every flag `flowport releases` takes; `--help` lists each (test/unit/cli/usage.test.ts checks). */
export const OPTIONS = {
  env: { type: 'string' },
  root: { type: 'string' },
  json: { type: 'boolean', default: false },
  'show-secrets': { type: 'boolean', default: false },
  'no-cache': { type: 'boolean', default: false },
} as const satisfies FlagSpecs;

/** `flowport releases <flow> --env E`: the successful deployments of a flow in one environment, newest first. */
export async function releasesCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError(`name one flow: ${USAGE.releases}`);
  if (!values.env) throw new UsageError(`--env is required: ${USAGE.releases}`);
  const flow = positionals[0]!;
  const reveal = secretsShown(values['show-secrets']);
  const project = await openProject(rootOption(values.root), { cache: !values['no-cache'] });
  checkEnvironment(project, values.env, '--env');
  const releases = await listReleases(project.deployments, flow, values.env, (d) => shownDeployment(d, reveal));
  if (values.json) {
    io.out(JSON.stringify({ flow, env: values.env, releases } satisfies ReleasesOutput, null, 2));
    return 0;
  }
  if (releases.length === 0) {
    io.out(
      `No releases of ${flow} in ${values.env} yet. Deploy it with: ${commandHere({ command: 'deploy', args: [flow, '--env', values.env] })}`,
    );
    return 0;
  }
  const now = Date.now();
  const rows = releases.map((r) => [
    r.deploymentId,
    r.state,
    shortCommit(r.commit),
    r.ref === r.commit ? shortCommit(r.ref) : r.ref,
    formatAge(r.deployedAt, now),
    r.initiator,
    r.settingsDigest?.replace(/^sha256:/, '').slice(0, 8) ?? '-',
    note(r),
  ]);
  io.out(formatTable(['RELEASE', 'STATE', 'COMMIT', 'REF', 'AGE', 'BY', 'SETTINGS', 'NOTE'], rows));
  return 0;
}

function note(r: Release): string {
  const parts: string[] = [];
  if (r.rollback) parts.push(`rollback to ${r.rollback.restores}`);
  if (r.promotedFrom) parts.push(`promoted from ${r.promotedFrom.env}`);
  if (r.rolledBackBy) parts.push(`rolled back by ${r.rolledBackBy}`);
  return parts.join('; ');
}

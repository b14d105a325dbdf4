import { parseArgs } from 'node:util';
import { FlowIndex } from '../finder/typescript-flows.js';
import { presetLines } from '../finder/presets.js';
import { openFlowSource, relativeToRoot } from '../project.js';
import type { CommandIO } from './main.js';
import { formatTable } from './table.js';
import { diagnosticLines } from './diagnostic-lines.js';
import { commandHere, rootOption, type FlagSpecs } from './options.js';

/** Every flag `flowport flows` takes; `--help` lists each (test/unit/cli/usage.test.ts checks). */
export const OPTIONS = {
  root: { type: 'string' },
  json: { type: 'boolean', default: false },
  'no-cache': { type: 'boolean', default: false },
} as const satisfies FlagSpecs;

export async function flowsCommand(args: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: OPTIONS,
    strict: true,
  });
  const project = await openFlowSource(rootOption(values.root), { cache: !values['no-cache'] });
  const flows = await project.flows.findFlows();
  for (const line of diagnosticLines(project.flowDiagnostics(), project.root)) io.err(line);
  // Which presets were on and why (stderr, so that --json keeps stdout the flows array).
  if (project.flows instanceof FlowIndex) for (const line of presetLines(project.flows.presetStatus())) io.err(line);
  // Their flows are theirs: say where they are rather than list them as this project's.
  const nested = project
    .nestedProjects()
    .map(
      (p) =>
        `${relativeToRoot(project.root, p.configFile)}: ${p.flows.length} flow${p.flows.length === 1 ? '' : 's'} in a project of its own, not listed here: ` +
        commandHere({ command: 'flows', args: [], root: p.root }),
    );
  if (flows.length > 0 || values.json) for (const line of nested) io.err(line);
  if (values.json) {
    io.out(JSON.stringify(flows, null, 2));
  } else if (flows.length === 0) {
    const source = project.config.flows;
    const { include, exclude } = source && !('findFlows' in source) ? source : {};
    // The globs are the likelier cause when the config narrows the search.
    const globs = [
      include?.length ? `include ${JSON.stringify(include)}` : '',
      exclude?.length ? `exclude ${JSON.stringify(exclude)}` : '',
    ].filter(Boolean);
    const within = globs.length ? ` within the config's flows: { ${globs.join(', ')} }` : '';
    io.out(
      `No flows found under ${project.root}${within}. Mark one with defineFlow({ name: '…' }, handler) from 'flowport', or a /** @flow */ JSDoc tag` +
        (globs.length ? ', or widen those globs.' : '.') +
        nested.map((line) => `\n${line}`).join(''),
    );
  } else {
    const rows = flows.map((f) => [
      f.name,
      f.grouping.join('/') || '.',
      `${f.sourceRelative}:${f.line}`,
      f.description,
    ]);
    io.out(formatTable(['FLOW', 'GROUP', 'SOURCE', 'DESCRIPTION'], rows));
  }
  return 0;
}

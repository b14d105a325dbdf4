import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import type { CommandIO } from './main.js';
import type { FlagSpecs } from './options.js';
import { USAGE } from './usage.js';
import { decide } from './approve.js';

/** Every flag `flowport reject` takes; `--help` lists each (test/unit/cli/usage.test.ts checks). */
export const OPTIONS = {
  reason: { type: 'string' },
  root: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies FlagSpecs;

/** `flowport reject <deploymentId> --reason "…"`: closes an approval request; the deploy never runs. */
export async function rejectCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError(`name one deployment: ${USAGE.reject}`);
  const reason = values.reason?.trim();
  if (!reason) throw new UsageError(`say why with --reason "…": ${USAGE.reject}`);
  return decide(positionals[0]!, 'rejected', { ...values, comment: reason }, io);
}

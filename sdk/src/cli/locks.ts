import { parseArgs } from 'node:util';
import type { EnvLock } from '../backend/locks.js';
import { openProject } from '../project.js';
import type { CommandIO } from './main.js';
import { rootOption, type FlagSpecs } from './options.js';
import { formatAge } from './run-output.js';
import { formatTable } from './table.js';
import { lockingStore } from './lock-store.js';

/** The `--json` output of `flowport locks`. */
export interface LocksOutput {
  /** Oldest first. */
  locks: EnvLock[];
}

/** Every flag `flowport locks` takes; `--help` lists each (test/unit/cli/usage.test.ts checks). */
export const OPTIONS = {
  root: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies FlagSpecs;

/** `flowport locks`: every lock that holds, who took it, when and why. */
export async function locksCommand(args: string[], io: CommandIO): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, allowPositionals: false, strict: true });
  const project = await openProject(rootOption(values.root));
  const locks = await lockingStore(project.store).locks();
  if (values.json) {
    io.out(JSON.stringify({ locks } satisfies LocksOutput, null, 2));
    return 0;
  }
  if (locks.length === 0) {
    io.out('No locks: every environment takes deploys.');
    return 0;
  }
  const now = Date.now();
  io.out(
    formatTable(
      ['ENV', 'FLOW', 'BY', 'SINCE', 'REASON'],
      locks.map((l) => [l.env, l.flowName ?? '(every flow)', l.by, `${formatAge(l.at, now)} ago`, l.reason]),
    ),
  );
  return 0;
}

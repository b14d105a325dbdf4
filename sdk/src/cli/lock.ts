import { parseArgs } from 'node:util';
import { describeLock, type EnvLock } from '../backend/locks.js';
import { UsageError } from '../errors.js';
import { openProject } from '../project.js';
import type { CommandIO } from './main.js';
import { rootOption, type FlagSpecs } from './options.js';
import { USAGE } from './usage.js';
import { checkEnvironment } from './run-output.js';
import { lockingStore, knownFlow } from './lock-store.js';

/** The `--json` output of `flowport lock`. */
export interface LockOutput {
  /** False when another lock held it already: then `lock` is that one. */
  taken: boolean;
  lock: EnvLock;
}

/** Every flag `flowport lock` takes; `--help` lists each (test/unit/cli/usage.test.ts checks). */
export const OPTIONS = {
  flow: { type: 'string' },
  reason: { type: 'string' },
  root: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies FlagSpecs;

/**
 * `flowport lock <env> [--flow F] --reason "…"`: deploys, promotes and rollbacks to `env` (of `F`
 * only, with --flow) are refused from any process until it is unlocked. Exit 0 when it is locked
 * by this call, 1 when another lock held it already (that lock is shown).
 */
export async function lockCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError(`name one environment: ${USAGE.lock}`);
  const reason = values.reason?.trim();
  if (!reason) throw new UsageError(`say why with --reason "…": a lock tells whoever it stops why: ${USAGE.lock}`);
  const env = positionals[0]!;
  const project = await openProject(rootOption(values.root));
  checkEnvironment(project, env, 'the environment');
  if (values.flow !== undefined) await knownFlow(project, values.flow);
  const store = lockingStore(project.store);
  const result = await store.lock({ env, ...(values.flow === undefined ? {} : { flowName: values.flow }), reason });
  if (values.json) io.out(JSON.stringify(result satisfies LockOutput, null, 2));
  else if (result.taken) io.out(`Locked: ${describeLock(result.lock)}.`);
  else io.out(`Already locked, nothing changed: ${describeLock(result.lock)}.`);
  return result.taken ? 0 : 1;
}

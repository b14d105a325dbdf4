import { parseArgs } from 'node:util';
import { describeLock, type EnvLock } from '../backend/locks.js';
import { currentInitiator } from '../backend/processes.js';
import { DeployError, UsageError } from '../errors.js';
import { openProject } from '../project.js';
import type { CommandIO } from './main.js';
import { rootOption, type FlagSpecs } from './options.js';
import { USAGE } from './usage.js';
import { checkEnvironment } from './run-output.js';
import { lockingStore } from './lock-store.js';

/** The `--json` output of `flowport unlock`. */
export interface UnlockOutput {
  /** The lock lifted. */
  unlocked: EnvLock;
  by: string;
}

/** Every flag `flowport unlock` takes; `--help` lists each (test/unit/cli/usage.test.ts checks). */
export const OPTIONS = {
  flow: { type: 'string' },
  yes: { type: 'boolean', short: 'y', default: false },
  root: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies FlagSpecs;

/**
 * `flowport unlock <env> [--flow F]`: lifts the lock, recorded with who did it. Someone else's lock
 * asks first at a terminal, and needs `--yes` without one. Exit 0 when lifted, 1 when not confirmed,
 * 2 when nothing was locked.
 */
export async function unlockCommand(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError(`name one environment: ${USAGE.unlock}`);
  const env = positionals[0]!;
  const project = await openProject(rootOption(values.root));
  checkEnvironment(project, env, 'the environment');
  const store = lockingStore(project.store);
  const flowName = values.flow;
  const held = (await store.locks()).find((l) => l.env === env && l.flowName === flowName);
  if (!held) {
    const what = flowName === undefined ? env : `"${flowName}" in ${env}`;
    throw new UsageError(`${what} is not locked; "flowport locks" lists the locks that hold.`);
  }
  const me = currentInitiator();
  if (held.by !== me && !values.yes) await confirmUnlock(held, me);
  const unlocked = await store.unlock({ env, ...(flowName === undefined ? {} : { flowName }), lockId: held.id });
  if (!unlocked)
    throw new DeployError(`the lock changed meanwhile; nothing was unlocked. Run "flowport locks" and try again.`);
  if (values.json) io.out(JSON.stringify({ unlocked, by: me } satisfies UnlockOutput, null, 2));
  else io.out(`Unlocked by ${me}: ${describeLock(unlocked).replace(' is locked ', ' was locked ')}.`);
  return 0;
}

async function confirmUnlock(lock: EnvLock, me: string): Promise<void> {
  const what = `${describeLock(lock)}, not by you (${me})`;
  if (!process.stdin.isTTY || !process.stderr.isTTY)
    throw new DeployError(`${what}: pass --yes to unlock it without a prompt.`);
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${what}. Unlock it? [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new DeployError('not confirmed: the lock holds.');
  } finally {
    rl.close();
  }
}

// What the backend and deploy benchmarks start with: `--runs N` (a whole number above 0) and
// `--check` from the command line, then the SDK built as the CLI they time runs it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export const repo = new URL('..', import.meta.url).pathname;

/** @param {number} defaultRuns @returns {{ runs: number, check: boolean }} */
export function benchSetup(defaultRuns) {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: String(defaultRuns) }, check: { type: 'boolean', default: false } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`--runs ${values.runs}: give a whole number above 0`);
    process.exit(2);
  }
  const build = spawnSync(process.execPath, [join(repo, 'sdk/build.mjs'), '--no-types'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(1);
  return { runs, check: Boolean(values.check) };
}

import { UsageError } from '../errors.js';
import type { DeploymentDetails } from '../model.js';
import { publicDeployment, revealDeployment } from '../secrets.js';

/** Aligned plain-text tables for the CLI: no colours, so output pipes and diffs cleanly. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * A deployment as the CLI prints it: secret outputs `•••` and no ciphertext, or, with
 * `--show-secrets`, decrypted (see {@link secretsShown} for when that is allowed).
 */
export function shownDeployment(d: DeploymentDetails, reveal: boolean): DeploymentDetails {
  return reveal ? revealDeployment(d) : publicDeployment(d);
}

/**
 * `--show-secrets` prints secrets in clear: only to a terminal, where a person asked for them. A
 * pipe, a file or a CI log would keep them, so it is refused there.
 */
export function secretsShown(flag: boolean | undefined, stdoutIsTTY = process.stdout.isTTY === true): boolean {
  if (!flag) return false;
  if (!stdoutIsTTY)
    throw new UsageError(
      '--show-secrets prints secrets in clear, so only to a terminal: stdout is not one (a pipe, a file or a CI log would keep them). Run it at a terminal, without redirecting the output.',
    );
  return true;
}

/**
 * `--show-secrets` for `deploy` and `promote`: as {@link secretsShown}, and never with `--json`.
 * Their JSON result is what scripts and CI keep (a terminal's scrollback included), so it always
 * reads `•••`; the flag prints the run's outputs in clear after the human-readable result.
 */
export function runSecretsShown(
  flag: boolean | undefined,
  json: boolean,
  stdoutIsTTY = process.stdout.isTTY === true,
): boolean {
  if (flag && json)
    throw new UsageError(
      '--show-secrets cannot be used with --json here: the JSON result of a deploy or promote always shows secrets as •••. ' +
        'Leave out --json to see the outputs in clear at the terminal, or run "flowport history <flow> --show-secrets" afterwards.',
    );
  return secretsShown(flag, stdoutIsTTY);
}

/** `name=value, …` of a deployment's outputs, as {@link shownDeployment} left them. */
export function outputsText(d: DeploymentDetails): string {
  return Object.entries(d.outputs)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
}

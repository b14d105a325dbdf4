/** Runs the built `flowport` CLI as a user would: a real process, argv only, no shell. */
import { spawnSync } from 'node:child_process';
import { cliPath } from './tmp.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function flowport(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

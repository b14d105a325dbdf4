import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';

/** `--root DIR`, defaulting to the current folder; refuses a path that is not a folder. */
export function rootOption(root: string | undefined): string {
  const dir = resolve(root ?? process.cwd());
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`--root ${root}: not a folder. Pass the project folder that holds flowport.config.ts.`);
  }
  return dir;
}

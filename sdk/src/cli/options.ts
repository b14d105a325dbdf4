import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { findProjectRoot } from '../config/load.js';
import { UsageError } from '../errors.js';

/** A command's flags, as parseArgs takes them. */
export type FlagSpecs = NonNullable<ParseArgsConfig['options']>;

/**
 * The project root every command works on: `--root DIR` exactly (it must be a folder), else the
 * project holding the current folder, so that running from a subfolder sees the same project.
 */
export function rootOption(root: string | undefined): string {
  if (root === undefined) return findProjectRoot(process.cwd());
  const dir = resolve(root);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`--root ${root}: not a folder. Pass the project folder that holds flowport.config.ts.`);
  }
  return dir;
}

import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { findProjectRoot } from '../config/load.js';
import { UsageError } from '../errors.js';
import { commandLineFrom, rerootMessage, type CommandHint } from '../hint.js';

/** A command's flags, as parseArgs takes them. */
export type FlagSpecs = NonNullable<ParseArgsConfig['options']>;

/**
 * The project root every command works on: `--root DIR` exactly (it must be a folder), else the
 * project holding the current folder, so that running from a subfolder sees the same project.
 */
export function rootOption(root: string | undefined): string {
  if (root === undefined) return (chosenRoot = findProjectRoot(process.cwd()));
  const dir = resolve(root);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`--root ${root}: not a folder. Pass the project folder that holds flowport.config.ts.`);
  }
  return (chosenRoot = dir);
}

/** The root this run works on, once {@link rootOption} has chosen it. */
let chosenRoot: string | undefined;

/**
 * A message's hint (`flowport promote …`) as the user can type it here: with `--root` when the
 * command without it would find another project from the current folder.
 */
export function asTypedHere(message: string, hint: CommandHint | undefined, projectRoot = chosenRoot): string {
  if (!hint || !projectRoot) return message;
  const cwd = process.cwd();
  return rerootMessage(message, hint, projectRoot, cwd, findProjectRoot(cwd));
}

/** The hint's command line as the user can type it here. */
export function commandHere(hint: CommandHint, projectRoot = chosenRoot ?? process.cwd()): string {
  const cwd = process.cwd();
  return commandLineFrom(hint, projectRoot, cwd, findProjectRoot(cwd));
}

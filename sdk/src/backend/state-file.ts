/** Opening the files of a state folder: never through a link, only regular files. */
import { constants as fsConstants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DeployError } from '../errors.js';
import { PRIVATE_FILE_MODE, tightenStateFile } from '../secrets.js';

const OPEN_FLAGS = {
  r: fsConstants.O_RDONLY,
  a: fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT,
  'a+': fsConstants.O_RDWR | fsConstants.O_APPEND | fsConstants.O_CREAT,
  /** A new file that must not exist yet (a temp file, renamed into place once written). */
  new: fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL,
} as const;

export type StateFileFlags = keyof typeof OPEN_FLAGS;

/**
 * Opens a state file only as itself: never through a link (a `.flowport/ledger.jsonl` linked
 * elsewhere had records appended to its target) and only when it is a regular file. Made 0600.
 */
export async function openStateFile(path: string, flags: StateFileFlags): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    // O_NONBLOCK: a FIFO put in a state file's place would otherwise hang the open for good.
    const guard = (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0);
    fh = await open(path, OPEN_FLAGS[flags] | guard, PRIVATE_FILE_MODE);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw notAStateFile(path, 'a symbolic link');
    if (code === 'ENXIO') throw notAStateFile(path, 'not a regular file');
    throw err;
  }
  if (!(await fh.stat()).isFile()) {
    await fh.close();
    throw notAStateFile(path, 'not a regular file');
  }
  // One an older Flowport left 0644 (a mode is set only when a file is made) is made private now.
  await tightenStateFile(fh, path);
  return fh;
}

function notAStateFile(path: string, what: string): DeployError {
  return new DeployError(
    `${path} is ${what}: Flowport keeps its state only in regular files of its own folder, and follows no links there. ` +
      `Remove it (or put the real file in its place) and run the command again.`,
  );
}

/** Reads `length` bytes at `position` (fewer at the end of the file). */
export async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

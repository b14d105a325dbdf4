/**
 * Reads a source file's text as TypeScript does (`ts.sys.readFile`): a UTF-16 file, little- or
 * big-endian, is known by its byte order mark and decoded as such; a UTF-8 BOM is dropped; any
 * other file is UTF-8. A file Node cannot hold as one string is a problem to report, not a file
 * that silently has no flows.
 */
import { readFileSync } from 'node:fs';
import { constants } from 'node:buffer';

export type SourceText = { text: string } | { tooLarge: string };

/**
 * The text of `path`, why it cannot be read whole, or undefined when it is gone (or unreadable).
 * `size` (as the walk stat'ed it) is for the message only.
 */
export function readSourceText(path: string, size: number): SourceText | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    // Over 2 GB: Node refuses to read it into one buffer.
    if (errorCode(err) === 'ERR_FS_FILE_TOO_LARGE') return { tooLarge: tooLargeMessage(size) };
    return undefined; // gone since the walk, or no permission: no flows
  }
  try {
    return { text: decodeSource(bytes) };
  } catch (err) {
    if (errorCode(err) === 'ERR_STRING_TOO_LONG') return { tooLarge: tooLargeMessage(bytes.length) };
    throw err;
  }
}

/** `bytes` decoded by its byte order mark, which is left out. May throw ERR_STRING_TOO_LONG. */
export function decodeSource(bytes: Buffer): string {
  const n = bytes.length;
  if (n >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    // UTF-16 BE: Node decodes only LE, so swap each pair (an odd last byte is dropped, as TypeScript does).
    const le = Buffer.from(bytes.subarray(2, 2 + ((n - 2) & ~1)));
    return le.swap16().toString('utf16le');
  }
  if (n >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.toString('utf16le', 2);
  if (n >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.toString('utf8', 3);
  return bytes.toString('utf8');
}

function tooLargeMessage(size: number): string {
  const limit = `Node holds at most ${megabytes(constants.MAX_STRING_LENGTH)} of text in one string`;
  return `file too large to read (${megabytes(size)}; ${limit}), skipped: leave it out with typescriptFlows({ exclude: ['…'] }) or make it smaller`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

function errorCode(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

/** Reads a user's text file strictly: it must exist, be non-empty UTF-8 text. Node only. */
import { readFileSync, statSync } from 'node:fs';
import { DataError, dataErrors } from './errors.ts';

/**
 * The largest text a run takes, in bytes (so at most as many characters). Tokenizing keeps one
 * JavaScript array entry per token, and V8 cannot grow an array much past 128M entries.
 */
export const MAX_TEXT_BYTES = 100_000_000;

/** Offset of the first byte where `bytes` stops being valid UTF-8, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const extra =
      b < 0x80
        ? 0
        : b >= 0xc2 && b < 0xe0
          ? 1
          : b >= 0xe0 && b < 0xf0
            ? 2
            : b >= 0xf0 && b < 0xf5
              ? 3
              : -1;
    if (extra < 0 || i + extra >= bytes.length + (extra === 0 ? 1 : 0)) return i;
    for (let k = 1; k <= extra; k++) if (((bytes[i + k] as number) & 0xc0) !== 0x80) return i;
    i += extra + 1;
  }
  return -1;
}

/** The file's bytes; its size is checked first, so an oversized file is never read. */
function readBytes(path: string): Buffer {
  try {
    const { size } = statSync(path);
    if (size > MAX_TEXT_BYTES) throw dataErrors.fileTooLarge(path, size, MAX_TEXT_BYTES);
    return readFileSync(path);
  } catch (error) {
    if (error instanceof DataError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw dataErrors.fileMissing(path);
    if (code === 'EISDIR') throw dataErrors.fileIsDirectory(path);
    throw dataErrors.fileUnreadable(path, error instanceof Error ? error.message : String(error));
  }
}

export function readTextFile(path: string): string {
  const bytes = readBytes(path);
  if (bytes.length === 0) throw dataErrors.fileEmpty(path);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw dataErrors.fileBinary(path, nul);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw dataErrors.fileNotUtf8(path, Math.max(0, firstInvalidUtf8(bytes)));
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte-order mark is not content
  if (text.trim().length === 0) throw dataErrors.fileEmpty(path);
  return text;
}

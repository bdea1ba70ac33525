import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Durable, atomic file writes shared by documents, the recovery file, run records,
 * checkpoints and exports: the bytes go to a temporary file in the same folder, are fsynced,
 * and the temporary file is renamed over the target. A reader (or a crash) sees the old
 * content or the new one, never half; a failed write leaves the old file as it was, removes
 * the temporary file and throws a `WriteError` whose message names the path, what happened
 * and what to do next.
 */

/** The open file a durable write needs: write everything, flush it to the disk, close. */
export interface WritableFile {
  write(data: Uint8Array | string): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The file-system calls durable writes make, in one replaceable object: tests swap one entry
 * to fail the way a full disk or a read-only folder does (ENOSPC, EACCES) — running as root,
 * where chmod stops nothing, or where no small disk can be mounted — instead of mocking fs.
 */
export const writeSeam = {
  async open(path: string, flags: 'w' | 'wx'): Promise<WritableFile> {
    const handle = await open(path, flags);
    return {
      write: async (data) => void (await handle.writeFile(data)),
      sync: () => handle.sync(),
      close: () => handle.close(),
    };
  },
  rename: (from: string, to: string): Promise<void> => rename(from, to),
  mkdir: async (path: string): Promise<void> => void (await mkdir(path, { recursive: true })),
};

/** A write that failed; `code` is the system's (ENOSPC, EACCES, EROFS, …) when it gave one. */
export class WriteError extends Error {
  constructor(
    readonly code: string,
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'WriteError';
  }
}

/** What a failed write's error code means, as a clause, and the step that fixes it. */
function reasonOf(code: string, folder: string): { what: string; next: string } {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return {
        what: `the disk is full (${code})`,
        next: 'free some space on that disk, or choose a folder on another disk, then try again',
      };
    case 'EACCES':
    case 'EPERM':
      return {
        what: `this app may not write in ${folder} (${code})`,
        next: 'choose another folder, or allow writing there, then try again',
      };
    case 'EROFS':
      return {
        what: `${folder} is on a read-only disk (${code})`,
        next: 'choose a folder on a writable disk, then try again',
      };
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EEXIST':
      return {
        what: `the folder ${folder} does not exist or is not a folder (${code})`,
        next: 'choose an existing folder, then try again',
      };
    default:
      return { what: `the system refused (${code})`, next: 'check the folder, then try again' };
  }
}

/**
 * Turn a failed write's system error into a `WriteError` naming `path`; `what` says which
 * thing was being written ("the document", "checkpoint step-000120").
 */
export function writeError(e: unknown, path: string, what = 'the file'): WriteError {
  if (e instanceof WriteError) return e;
  const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
  const { what: why, next } = reasonOf(code, dirname(path));
  return new WriteError(
    code,
    path,
    `Could not write ${what} to ${path}: ${why}. Nothing there was changed; ${next}.`,
  );
}

/**
 * Check, before long work whose result goes to `folder`, that new files can be made there: the
 * folder is created when missing and a small file is written in it and removed. A refusal is a
 * `WriteError` naming the folder, so a read-only place is reported before any step runs, not
 * after the last one.
 */
export async function probeWritable(folder: string, what: string): Promise<void> {
  const probe = tempPathFor(join(folder, 'write-probe'));
  try {
    await writeSeam.mkdir(folder);
    await (await writeSeam.open(probe, 'wx')).close();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    const { what: why, next } = reasonOf(code, folder);
    throw new WriteError(
      code,
      folder,
      `Cannot write ${what} in ${folder}: ${why}. Nothing was started; ${next}.`,
    );
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}

/** Write a whole file and flush it to the disk (no rename: for files inside a temp folder). */
export async function writeDurably(path: string, data: Uint8Array | string): Promise<void> {
  const file = await writeSeam.open(path, 'w');
  try {
    await file.write(data);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Flush a folder's entries (a rename into it) to the disk; not every platform can. */
export async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open a folder for syncing; the rename itself is still atomic there.
  } finally {
    await handle?.close();
  }
}

/** The temporary name a write to `path` uses: hidden, beside it, never ending in .json. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Replace `path` with `data` atomically and durably (see the top of this file). Creates the
 * folder when missing. On failure the previous file is untouched and the temp file is gone.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  what = 'the file',
): Promise<void> {
  const temp = tempPathFor(path);
  try {
    await writeSeam.mkdir(dirname(path));
    await writeDurably(temp, data);
    await writeSeam.rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw writeError(e, path, what);
  }
  await syncDir(dirname(path));
}

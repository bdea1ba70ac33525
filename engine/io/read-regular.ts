import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

/** What a path names when it is not a regular file. */
export type NotRegular = 'folder' | 'pipe, socket or device';

export class NotRegularFileError extends Error {
  constructor(
    readonly path: string,
    readonly kind: NotRegular,
  ) {
    super(`${path} is a ${kind}, not a file.`);
    this.name = 'NotRegularFileError';
  }
}

/**
 * A regular file's bytes and stats, from one open handle. The file is opened non-blocking and
 * checked before reading, so a FIFO named like a document cannot hang the reader (and take a
 * thread of the pool with it), and a folder is refused instead of failing with EISDIR.
 */
export async function readRegularFile(path: string): Promise<{ bytes: Buffer; info: Stats }> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new NotRegularFileError(path, info.isDirectory() ? 'folder' : 'pipe, socket or device');
    }
    return { bytes: await handle.readFile(), info };
  } finally {
    await handle.close();
  }
}

import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { realLocation, within } from '../io/confine.ts';
import { WriteError, writeFileAtomic } from '../io/durable-write.ts';
import { NotRegularFileError, readRegularFile } from '../io/read-regular.ts';
import { ServiceError } from './errors.ts';

/**
 * Write a file so that readers see the old content or the new one, never half of it; a
 * failed write (full disk, read-only folder) leaves the old file and says so, naming it.
 */
export async function writeAtomic(path: string, text: string, what?: string): Promise<void> {
  try {
    await writeFileAtomic(path, text, what);
  } catch (e) {
    if (e instanceof WriteError) throw new ServiceError('write-failed', e.message);
    throw e;
  }
}

/**
 * A file's version as `document.open` hands it out and `document.save` checks it:
 * `v1:<mtime ms>:<size>:<sha-256 of the bytes>`. Only the hash decides whether the content
 * changed (a touched but unchanged file is no conflict); mtime and size make it readable.
 */
export function versionOf(bytes: Uint8Array | string, mtimeMs: number): string {
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const hash = createHash('sha256').update(data).digest('hex');
  return `v1:${Math.floor(mtimeMs)}:${data.byteLength}:${hash}`;
}

const hashOf = (version: string): string => version.split(':')[3] ?? version;

/** A folder, FIFO or socket where a document should be, as a sentence naming `path`. */
export function notRegularError(path: string, e: NotRegularFileError): ServiceError {
  return new ServiceError(
    'not-a-file',
    e.kind === 'folder'
      ? `"${path}" is a folder, not a document; pick a .json file inside it.`
      : `"${path}" is a ${e.kind}, not a document file; pick a saved .json document.`,
  );
}

/**
 * The version of the file at `full` now; null when it does not exist. Anything but a regular
 * file (a FIFO that would block the read, a folder) is refused with a sentence naming `path`.
 */
export async function currentVersion(full: string, path = full): Promise<string | null> {
  try {
    const { bytes, info } = await readRegularFile(full);
    return versionOf(bytes, info.mtimeMs);
  } catch (e) {
    if (e instanceof NotRegularFileError) throw notRegularError(path, e);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Whether the file at `full` holds other content than the version the caller last saw. */
export async function changedSince(full: string, seen: string, path = full): Promise<Date | null> {
  const now = await currentVersion(full, path);
  if (now === null || hashOf(now) === hashOf(seen)) return null;
  return (await stat(full)).mtime;
}

/**
 * Which files the UI may touch: documents under the allowed folders, nothing else. Relative
 * paths resolve against the workspace. A host that shows native dialogs adds what the user
 * picked with `allowFile`.
 */
export class FilePolicy {
  private readonly picked = new Set<string>();
  constructor(
    readonly workspace: string,
    private readonly folders: string[],
  ) {}

  allowFile(path: string): void {
    this.picked.add(resolve(path));
  }

  async check(path: string, access: 'read' | 'write'): Promise<string> {
    if (!/\.json$/i.test(path)) {
      throw new ServiceError(
        'bad-path',
        `"${path}" is not a graph document; choose a file ending in .trm.json or .json.`,
      );
    }
    const full = resolve(this.workspace, path);
    if (this.picked.has(full)) return full;
    if (/[\0-\x1f]/.test(path)) {
      throw new ServiceError(
        'bad-path',
        `The file name ${JSON.stringify(path)} contains control characters; rename it with letters, digits and spaces only.`,
      );
    }
    // A link inside the workspace that points out counts as where it points.
    const real = await realLocation(full);
    const roots = access === 'write' ? [this.workspace] : [this.workspace, ...this.folders];
    for (const root of roots) {
      const realRoot = await realpath(root).catch(() => resolve(root));
      if (within(realRoot, real)) return full;
    }
    throw new ServiceError(
      'outside-workspace',
      `"${path}" is outside the folders this app may ${access === 'write' ? 'write to' : 'read'} (${roots.join(', ')}); save it in the workspace instead.`,
    );
  }

  /**
   * A file the app wrote in the workspace (an export), whatever its extension: its absolute
   * path. Links count as where they point, as in `check`; a file outside the workspace or
   * missing is refused with a sentence. Read-only uses (revealing it) only.
   */
  async workspaceFile(path: string): Promise<string> {
    if (/[\0-\x1f]/.test(path)) {
      throw new ServiceError(
        'bad-path',
        `The path ${JSON.stringify(path)} contains control characters; pick the file from the app.`,
      );
    }
    const full = resolve(this.workspace, path);
    // Where it is before whether it is: a refusal must not tell what exists outside.
    const real = await realLocation(full);
    const root = await realpath(this.workspace).catch(() => resolve(this.workspace));
    if (!within(root, real)) {
      throw new ServiceError(
        'outside-workspace',
        `"${path}" is outside the workspace (${this.workspace}); only files the app wrote there can be shown.`,
      );
    }
    if (!(await stat(full).catch(() => null))?.isFile()) {
      throw new ServiceError(
        'read-failed',
        `"${path}" does not exist (it may have been moved or deleted); export it again.`,
      );
    }
    return full;
  }

  /** Read a document's text and its version (see `versionOf`), from the same bytes. */
  async read(path: string): Promise<{ full: string; text: string; version: string }> {
    const full = await this.check(path, 'read');
    try {
      const { bytes, info } = await readRegularFile(full);
      return { full, text: bytes.toString('utf8'), version: versionOf(bytes, info.mtimeMs) };
    } catch (e) {
      if (e instanceof NotRegularFileError) throw notRegularError(path, e);
      const code = (e as NodeJS.ErrnoException).code;
      throw new ServiceError(
        'read-failed',
        code === 'ENOENT'
          ? `"${path}" does not exist; check the name or pick another file.`
          : `"${path}" could not be read (${code ?? (e as Error).message}); check its permissions.`,
      );
    }
  }
}

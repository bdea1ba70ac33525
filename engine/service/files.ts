import { randomBytes } from 'node:crypto';
import { mkdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ServiceError } from './errors.ts';

/** Write a file so that readers see the old content or the new one, never half of it. */
export async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, text, { encoding: 'utf8', flush: true });
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

function inside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(`..${sep}`));
}

/** The real path of a file's folder (links resolved), keeping the file name. */
async function realLocation(path: string): Promise<string> {
  let dir = dirname(path);
  const tail: string[] = [path.slice(dir.length + 1)];
  for (;;) {
    try {
      return join(await realpath(dir), ...tail);
    } catch {
      const up = dirname(dir);
      if (up === dir) return path;
      tail.unshift(dir.slice(up.length + 1));
      dir = up;
    }
  }
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
    const real = await realpath(full).catch(() => realLocation(full));
    const roots = access === 'write' ? [this.workspace] : [this.workspace, ...this.folders];
    for (const root of roots) {
      const realRoot = await realpath(root).catch(() => resolve(root));
      if (inside(realRoot, real)) return full;
    }
    throw new ServiceError(
      'outside-workspace',
      `"${path}" is outside the folders this app may ${access === 'write' ? 'write to' : 'read'} (${roots.join(', ')}); save it in the workspace instead.`,
    );
  }

  async read(path: string): Promise<{ full: string; text: string }> {
    const full = await this.check(path, 'read');
    try {
      return { full, text: await readFile(full, 'utf8') };
    } catch (e) {
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

import { lstat, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { z } from 'zod';

/**
 * Keeping file access inside a folder (the workspace, a run folder). A path is judged by where
 * it lies before anything is read, so a refusal says nothing about what exists outside.
 */

/** Whether `path` lies in `folder` (both absolute). */
export function within(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The real path of `path` (links resolved); for a missing file, of its nearest existing folder
 * with the rest appended. A dangling link counts as where it points: writing through it would
 * create its target.
 */
export async function realLocation(path: string): Promise<string> {
  let dir = path;
  const tail: string[] = [];
  for (let hops = 0; hops < 40; hops++) {
    try {
      return join(await realpath(dir), ...tail);
    } catch {
      const link = await lstat(dir).then(
        (s) => s.isSymbolicLink(),
        () => false,
      );
      if (link) {
        dir = resolve(dirname(dir), await readlink(dir));
        continue;
      }
      const up = dirname(dir);
      if (up === dir) return join(dir, ...tail);
      tail.unshift(dir.slice(up.length + 1));
      dir = up;
    }
  }
  return path;
}

/**
 * `path` resolved against `root` when it lies in `root`, links included; null when it lies
 * outside. A path outside by its name is refused before the file system is asked anything.
 */
export async function confineTo(root: string, path: string): Promise<string | null> {
  const full = resolve(root, path);
  const realRoot = await realLocation(resolve(root));
  if (!within(resolve(root), full) && !within(realRoot, full)) return null;
  return within(realRoot, await realLocation(full)) ? full : null;
}

/**
 * A name inside its folder, never a path: what `latest.json`'s `checkpoint` and a checkpoint
 * blob's `file` hold, so a planted file cannot point a reader elsewhere.
 */
export const LocalName = z
  .string()
  .min(1)
  .max(255)
  .refine((n) => !/[/\\\0]/.test(n) && n !== '.' && n !== '..', {
    message: 'must be a file name inside its folder, not a path',
  });

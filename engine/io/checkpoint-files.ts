import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { confineTo, LocalName } from './confine.ts';
import { parseJsonText } from '../graph/json-text.ts';

/**
 * The files a checkpoint names from inside the workspace: `latest.json`'s `checkpoint` and each
 * blob's `file`. Both are names in their own folder (`LocalName`) and must stay there once links
 * are resolved, so a planted file cannot send a reader (or an export) elsewhere. Shared by the
 * trainer's reader and the exporter's, which stays free of tfjs.
 */

/** `latest.json` beside the step folders. */
export const LatestPointer = z.strictObject({ checkpoint: LocalName, step: z.number().int() });

/** `latest.json` is damaged, names a missing step, or points out of its folder. */
export class CheckpointPointerError extends Error {
  constructor(
    /** The latest.json file. */
    readonly file: string,
    /** What is wrong, as the rest of a sentence starting "latest.json …". */
    readonly problem: string,
  ) {
    super(`${file} ${problem}`);
    this.name = 'CheckpointPointerError';
  }
}

/** The step folder `<folder>/latest.json` names, checked to exist inside `folder`. */
export async function followLatest(folder: string): Promise<string> {
  const file = join(folder, 'latest.json');
  const text = await readFile(file, 'utf8');
  let latest;
  try {
    latest = LatestPointer.safeParse(parseJsonText(text));
  } catch {
    latest = null;
  }
  if (!latest?.success) {
    throw new CheckpointPointerError(
      file,
      'is damaged (it must name a step-NNNNNN folder beside it); pass a step-NNNNNN folder instead.',
    );
  }
  const name = latest.data.checkpoint;
  const dir = await confineTo(folder, name);
  if (dir === null) {
    throw new CheckpointPointerError(
      file,
      `names ${name}, which links outside ${folder}; pass a step-NNNNNN folder that lies there.`,
    );
  }
  if (!(await stat(join(dir, 'checkpoint.json')).catch(() => null))?.isFile()) {
    throw new CheckpointPointerError(
      file,
      `names ${name}, which is missing; pass one of the step-NNNNNN folders that remain, or train again to write a new checkpoint.`,
    );
  }
  return dir;
}

const isFile = async (p: string) => (await stat(p).catch(() => null))?.isFile() === true;

/**
 * The checkpoint folder a path means: a step-NNNNNN folder itself, a run folder written by
 * `trm train --out` (through its latest.json), or an app run or `trm import` folder (through
 * its checkpoints/latest.json).
 */
export async function resolveCheckpointDir(path: string): Promise<string> {
  if (await isFile(join(path, 'checkpoint.json'))) return path;
  if (await stat(join(path, 'latest.json')).catch(() => null)) return followLatest(path);
  const inner = join(path, 'checkpoints');
  if (await stat(join(inner, 'latest.json')).catch(() => null)) return followLatest(inner);
  throw new Error(
    `${path} holds no checkpoint (neither checkpoint.json nor latest.json, nor a checkpoints/ folder with one); pass a run folder written by \`trm train --out\`, an app run's folder, or one of their step-NNNNNN folders.`,
  );
}

/** A blob's file inside its step folder; a name that leaves it is a damaged checkpoint. */
export async function blobPath(dir: string, file: string): Promise<string> {
  const full = LocalName.safeParse(file).success ? await confineTo(dir, file) : null;
  if (full === null) {
    throw new Error(
      `${join(dir, 'checkpoint.json')} names the data file "${file}", which is not a file in its folder: the checkpoint is damaged.`,
    );
  }
  return full;
}

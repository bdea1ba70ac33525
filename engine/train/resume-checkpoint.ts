import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { checkpointFolders } from '../io/checkpoint-integrity.ts';
import { readCheckpoint, type LoadedCheckpoint } from './checkpoint.ts';

/**
 * The checkpoint a resumed run starts from. A step-NNNNNN folder is read as given (a damaged
 * one is refused, naming the previous intact one). A run folder resumes from the checkpoint
 * `latest.json` names; when that one is damaged or missing (a crash, flipped bytes), from the
 * newest one that loads, with a notice saying which was skipped and why.
 */
export async function readResumeCheckpoint(
  path: string,
): Promise<{ checkpoint: LoadedCheckpoint; notice?: string }> {
  if (await stat(join(path, 'checkpoint.json')).catch(() => null)) {
    return { checkpoint: await readCheckpoint(path) };
  }
  let newest: Error;
  try {
    return { checkpoint: await readCheckpoint(path) };
  } catch (e) {
    newest = e as Error;
  }
  for (const dir of await checkpointFolders(path)) {
    let checkpoint: LoadedCheckpoint;
    try {
      checkpoint = await readCheckpoint(dir);
    } catch {
      continue;
    }
    const reason = newest.message.replace(/;[^;]*$/, '.');
    return {
      checkpoint,
      notice: `The newest checkpoint in ${path} could not be used: ${reason} Resuming from the newest intact one, ${basename(dir)}, instead.`,
    };
  }
  throw newest;
}

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointPointerError } from '../io/checkpoint-files.ts';
import { ServiceError } from './errors.ts';
import type { RunManager } from './runs.ts';

/** A graph's name as a folder name (`TRM (Sudoku)` → `TRM-Sudoku`). */
export const safeName = (name: string): string =>
  name.replace(/[^\w-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';

/**
 * A run's last checkpoint for an export, or a ServiceError `no-checkpoint` that says which of
 * the three it is: a damaged pointer, a checkpoint that cannot be read, or none written yet.
 */
export async function runCheckpoint(runs: RunManager, runId: string) {
  const { readCheckpointWeights } = await import('../onnx-runtime/checkpoint.ts');
  const checkpoints = await runs.folder(runId, 'checkpoints');
  try {
    return await readCheckpointWeights(checkpoints);
  } catch (e) {
    if (e instanceof CheckpointPointerError)
      throw new ServiceError('no-checkpoint', `Run ${runId}'s latest.json ${e.problem}`);
    throw new ServiceError(
      'no-checkpoint',
      (await stat(join(checkpoints, 'latest.json')).catch(() => null))
        ? `Run ${runId}'s last checkpoint cannot be exported: ${(e as Error).message}`
        : `Run ${runId} has no checkpoint yet; stop it (which writes one) or wait for the first checkpoint, then export.`,
    );
  }
}

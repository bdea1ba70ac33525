/**
 * The contract between data sources and the trainer. Pure: no file system, no tensors.
 * Every source is deterministic in (seed, batch index) so a resumed run sees the same stream.
 */

/** Target value for positions that are not scored (the loss and the metrics skip them). */
export const IGNORE = -1;

export interface Batch {
  /** [batch * length] row-major token ids fed to the model. */
  inputs: Int32Array;
  /** [batch * length] target id per position, IGNORE where not scored. */
  targets: Int32Array;
  batch: number;
  length: number;
  /**
   * [batch] puzzle id per row, for a per-puzzle embedding (the paper's puzzle identifiers; 0 =
   * blank). Only sources with `puzzleIds` set it; `sliceBatch` and the trainer's slot gathering
   * (engine/train/slots.ts) keep it with its example. A graph with a per-puzzle table reads it
   * through its puzzle-id input (engine/graph/puzzle-input.ts); data without ids feeds 0.
   */
  puzzle?: Int32Array;
}

export interface DataSource {
  name: string;
  /**
   * `lm`: next-token prediction, targets already shifted by one.
   * `mlm`: masked LM, targets only at masked positions.
   * `cells`: per-position answers (puzzles, sequence tasks), IGNORE where nothing is asked.
   */
  kind: 'lm' | 'mlm' | 'cells';
  vocabSize: number;
  /** Sequence length of every batch. */
  length: number;
  /** Deterministic in (seed, index): batch number `index` of the training stream. Resume = same index. */
  trainBatch(index: number, batchSize: number): Batch;
  /**
   * A fixed held-out set (never overlapping training data where that is checkable). Puzzle
   * sources hold a fixed number of held-out examples (`validationSize`) and return at most
   * that many: read `batch` of the result.
   */
  validation(count: number): Batch;
  decode(ids: ArrayLike<number>): string;
  /**
   * Rows of a per-puzzle embedding table when examples carry puzzle ids (`Batch.puzzle` holds
   * ids in [0, puzzleIds), 0 = blank); absent otherwise.
   */
  puzzleIds?: number;
  /** Exact match of whole sequences is the task metric (puzzles, copy/sort...). */
  exactMatch: boolean;
  /**
   * Grid puzzles (Sudoku, mazes, ARC), whose question gives some cells and leaves others open:
   * evaluation also scores the open cells. Sequence tasks ask only blanks, so there open cells
   * would be every answer position again, under a puzzle's name.
   */
  openCells?: boolean;
  /** For document metadata and export: vocabulary / tokenizer description. */
  describe(): { vocab?: string[]; tokenizer?: unknown; encoding?: string };
}

/** Rows [from, to) of a batch, as views of its arrays (no copy). */
export function sliceBatch(b: Batch, from: number, to: number): Batch {
  return {
    inputs: b.inputs.subarray(from * b.length, to * b.length),
    targets: b.targets.subarray(from * b.length, to * b.length),
    batch: to - from,
    length: b.length,
    ...(b.puzzle ? { puzzle: b.puzzle.subarray(from, to) } : {}),
  };
}

/** Allocates an empty batch. */
export function emptyBatch(batch: number, length: number): Batch {
  return {
    inputs: new Int32Array(batch * length),
    targets: new Int32Array(batch * length).fill(IGNORE),
    batch,
    length,
  };
}

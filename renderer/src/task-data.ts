/**
 * The data a document declares it is for (`meta.task`), as the Train panel's data choice: a
 * Sudoku template opens on Sudoku of its size, a language model on the built-in corpus; and the
 * spec for a puzzle file. Pure.
 */
export type DataChoice =
  | { source: 'corpus'; corpus: string }
  | { source: 'task'; task: string; values: Record<string, string> };

const SEQUENCE_TASKS = new Set(['copy', 'reverse', 'sort', 'addition']);

export function dataForTask(task: unknown): DataChoice | null {
  if (typeof task !== 'string') return null;
  if (task === 'causal-lm') return { source: 'corpus', corpus: 'brown' };
  if (task === 'masked-lm') return { source: 'corpus', corpus: 'brown-mlm' };
  // `sudoku-4x4`, `maze-30x30`: square grids, named by their side.
  const grid = /^(sudoku|maze)-(\d+)x(\d+)$/.exec(task);
  if (grid && grid[2] === grid[3]) {
    return { source: 'task', task: grid[1] as string, values: { size: grid[2] as string } };
  }
  if (SEQUENCE_TASKS.has(task)) return { source: 'task', task, values: {} };
  return null;
}

/** The spec `train.start` takes for a puzzle file (a path is not a shorthand). */
export function puzzleFileSpec(
  layout: string,
  path: string,
  options: Record<string, unknown>,
): Record<string, unknown> {
  if (!path.trim()) {
    throw new Error(
      'Name the puzzle file (or ARC folder) in the workspace: drop a CSV here, choose one, or type its path.',
    );
  }
  return { type: layout, path: path.trim(), ...options };
}

/**
 * The data a document declares it is for (`meta.task`), as the Train panel's data choice: a
 * Sudoku template opens on Sudoku of its size, a language model on the built-in corpus; and the
 * spec for a puzzle file. Pure.
 */
export type DataChoice =
  | { source: 'corpus'; corpus: string }
  | { source: 'task'; task: string; values: Record<string, string> };

const SEQUENCE_TASKS = new Set(['copy', 'reverse', 'sort', 'addition']);
/** `seq2seq-reverse`: the seq2seq data type, its target chosen by the `task` option. */
const SEQ2SEQ_TASKS = new Set(['copy', 'reverse', 'sort']);

/** Tasks a document may declare (the document panel's Task choice), grids by size. */
export const DOCUMENT_TASKS: { id: string; label: string }[] = [
  { id: 'sudoku-4x4', label: 'Sudoku 4×4' },
  { id: 'sudoku-9x9', label: 'Sudoku 9×9' },
  { id: 'maze-30x30', label: 'Maze 30×30' },
  { id: 'copy', label: 'Copy a sequence' },
  { id: 'reverse', label: 'Reverse a sequence' },
  { id: 'sort', label: 'Sort a sequence' },
  { id: 'addition', label: 'Addition' },
  { id: 'seq2seq-copy', label: 'Encoder–decoder: copy a sequence' },
  { id: 'seq2seq-reverse', label: 'Encoder–decoder: reverse a sequence' },
  { id: 'seq2seq-sort', label: 'Encoder–decoder: sort a sequence' },
  { id: 'causal-lm', label: 'Language model (next token)' },
  { id: 'masked-lm', label: 'Masked language model' },
];

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
  const seq2seq = /^seq2seq-(\w+)$/.exec(task);
  if (seq2seq && SEQ2SEQ_TASKS.has(seq2seq[1] as string)) {
    return { source: 'task', task: 'seq2seq', values: { task: seq2seq[1] as string } };
  }
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

/**
 * What to do when the chosen text needs a larger vocabulary than the graph's V: a document
 * made for a generated task (`meta.task`: a Sudoku template) should train on that task, not
 * grow V to fit text it was never meant for; a language model grows V. Null when V fits.
 */
export type VocabFix =
  | { fix: 'task'; task: string; v: number; needed: number }
  | { fix: 'dim'; v: number; needed: number };

export function vocabFix(
  task: unknown,
  v: unknown,
  needed: number | null,
  exact: boolean,
): VocabFix | null {
  if (needed === null || typeof v !== 'number') return null;
  if (exact ? v === needed : v >= needed) return null;
  const declared = dataForTask(task);
  if (declared?.source === 'task' && typeof task === 'string') {
    return { fix: 'task', task, v, needed };
  }
  return { fix: 'dim', v, needed };
}

/**
 * A training failure that says to resize the graph to the data ("…; set the graph's V to
 * 86."), rewritten for a document made for a generated task while other data is chosen: the
 * fix is that task, not a graph grown to fit data it was never meant for. Null when the
 * message is another failure, or the document declares no task, or its task is chosen.
 */
export function declaredTaskFix(
  message: string,
  task: unknown,
  onDeclaredData: boolean,
): { text: string; task: string } | null {
  const m = /^([\s\S]*?);? set the graph's (?:V|sequence length) to \d+\.$/.exec(message.trim());
  if (!m || onDeclaredData || typeof task !== 'string' || !dataForTask(task)) return null;
  return {
    text: `${m[1]}. This model is made for ${task} (its meta.task): train it on that, not on other data.`,
    task,
  };
}

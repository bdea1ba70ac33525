/**
 * What a user picks as training data, validated at every boundary (CLI flag, document
 * metadata, IPC). `DataSpec` is what one writes (defaults optional), `ResolvedDataSpec` what the
 * sources receive (defaults filled in).
 */
import { z } from 'zod';
import { dataErrors } from './errors.ts';
import { filePath } from './file-fields.ts';

const SeqLength = z.number().int().min(1).max(65536);
const ValidationSize = z.number().int().min(1).max(100000);

const TextFields = {
  /** `char`: one id per Unicode character; `bpe`: byte-level BPE trained on the training split. @default 'char' */
  tokenizer: z.enum(['char', 'bpe']).default('char'),
  /** BPE only: vocabulary size including the 256 byte tokens. @default 1024 */
  vocabSize: z.number().int().min(257).max(65536).default(1024),
  /**
   * BPE only: a tokenizer.json to load; when the file does not exist yet, the trained tokenizer
   * is saved there.
   */
  tokenizerFile: filePath({ access: 'read-or-create', what: 'tokenizer file' }).optional(),
  /** Tokens per training sequence. @default 128 */
  length: SeqLength.default(128),
  /** Share of the text held out for validation (chosen in blocks with the seed). @default 0.1 */
  valFraction: z.number().gt(0).lt(1).default(0.1),
};

export const TextSpec = z.strictObject({
  type: z.literal('text'),
  /** A plain UTF-8 text file. */
  path: filePath({ access: 'read', what: 'data file' }),
  ...TextFields,
});

export const CorpusSpec = z.strictObject({
  type: z.literal('corpus'),
  /** Built-in corpus: the Brown corpus (1 M words of 1961 American English, MIT licensed package). */
  name: z.enum(['brown']).default('brown'),
  /** Brown categories to keep (news, editorial, fiction, ...); all when absent. */
  categories: z.array(z.string().min(1)).min(1).optional(),
  ...TextFields,
});

export const SudokuSpec = z.strictObject({
  type: z.literal('sudoku'),
  /** 4 (2×2 boxes, vocab 6) or 9 (3×3 boxes, vocab 11). @default 9 */
  size: z.literal([4, 9]).default(9),
  /** Stop removing clues at this many (0: dig until every remaining clue is needed). @default 0 */
  minClues: z.number().int().min(0).max(81).default(0),
  /** Training examples are random validity-preserving transforms of the base pool. @default true */
  augment: z.boolean().default(true),
  /** Base puzzles generated per seed for training (4×4 has only a few thousand distinct). @default 1000 */
  pool: z.number().int().min(1).max(100000).default(1000),
  /** Held-out puzzles (fresh, not augmented, never shown in training). @default 1000 */
  validationSize: ValidationSize.default(1000),
});

export const MazeSpec = z.strictObject({
  type: z.literal('maze'),
  /** Grid side in cells, walls included (the TRM paper uses 30). @default 15 */
  size: z.number().int().min(5).max(64).default(15),
  /** Shortest start→goal distance in steps; default: the grid side. */
  minPath: z.number().int().min(1).optional(),
  /** Share of inner walls knocked out after carving, creating loops (0: a perfect maze). @default 0.05 */
  loops: z.number().min(0).max(1).default(0.05),
  /** Random dihedral symmetry (rotations, reflections) per training example. @default true */
  augment: z.boolean().default(true),
  /** @default 1000 */
  validationSize: ValidationSize.default(1000),
});

/** Puzzles read from a user's file: the first `limit`, a seeded held-out share of them. */
const PuzzleFileFields = {
  /** Read only the first this many puzzles (rows after the header, or task files by name); all when absent. */
  limit: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Read only the first this many puzzles; all when blank.'),
  /** Held-out puzzles (chosen with the seed, never trained on, never augmented); default: a tenth of the rows, 1 to 1000. */
  validationSize: ValidationSize.optional().describe(
    'Held-out puzzles, chosen with the seed and never trained on; blank: a tenth of the rows, 1 to 1000.',
  ),
};

export const SudokuCsvSpec = z.strictObject({
  type: z.literal('sudoku-csv'),
  /** A CSV in the Sudoku-Extreme layout: `source,question,answer,rating`, 81 (9×9) or 16 (4×4) characters, `.` or `0` blank. */
  path: filePath({ access: 'read', what: 'Sudoku CSV file' }),
  /** Training rows get a random digit relabelling, transpose and band/stack/row/column shuffle. @default true */
  augment: z
    .boolean()
    .default(true)
    .describe(
      'Relabel digits, transpose and shuffle bands, stacks, rows and columns of training rows.',
    ),
  ...PuzzleFileFields,
});

export const MazeCsvSpec = z.strictObject({
  type: z.literal('maze-csv'),
  /** A CSV in the Maze-Hard layout: `source,question,answer,rating`, a square grid of `#`, space, `S`, `G` (answer: path `o`). */
  path: filePath({ access: 'read', what: 'maze CSV file' }),
  /** Training rows get one of the 8 symmetries of the square. @default true */
  augment: z
    .boolean()
    .default(true)
    .describe('Rotate or reflect training mazes (the 8 symmetries of the square).'),
  ...PuzzleFileFields,
});

export const ArcSpec = z.strictObject({
  type: z.literal('arc'),
  /** A folder of ARC-AGI task files, one `{"train": [...], "test": [...]}` JSON per task. */
  path: filePath({ access: 'read-folder', what: 'ARC task folder' }),
  /** Training pairs use fixed per-task variants: a square symmetry and colours 1–9 permuted. @default true */
  augment: z
    .boolean()
    .default(true)
    .describe('Train on rotated/reflected variants with colours 1–9 permuted (0 kept).'),
  /** Variants per task besides the task as written (each its own puzzle id; the paper uses 1000). @default 1000 */
  augmentations: z
    .number()
    .int()
    .min(1)
    .max(10000)
    .default(1000)
    .describe('Variants per task, each with its own puzzle id (the paper uses 1000).'),
  /** Read only the first this many task files (by file name); all when absent. */
  limit: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Read only the first this many task files (by name); all when blank.'),
  /** Held-out pairs: the tasks' test pairs, all of them or a seeded choice of this many. */
  validationSize: ValidationSize.optional().describe(
    "Held-out pairs: the tasks' test pairs, all when blank or a seeded choice of this many.",
  ),
});

export const SequenceTaskSpec = z.strictObject({
  type: z.enum(['copy', 'reverse', 'sort']),
  /** Items in the question; the batch length is 2 · length + 1. @default 8 */
  length: z.number().int().min(1).max(4096).default(8),
  /** Distinct symbols (digits 0..symbols-1). @default 10 */
  symbols: z.number().int().min(2).max(10).default(10),
  /** @default 1000 */
  validationSize: ValidationSize.default(1000),
});

export const AdditionSpec = z.strictObject({
  type: z.literal('addition'),
  /** Digits per operand (zero padded); the sum has digits + 1. @default 3 */
  digits: z.number().int().min(1).max(30).default(3),
  /** @default 1000 */
  validationSize: ValidationSize.default(1000),
});

export const Seq2SeqSpec = z.strictObject({
  type: z.literal('seq2seq'),
  /** What the target is: the source copied, reversed or sorted. @default 'reverse' */
  task: z.enum(['copy', 'reverse', 'sort']).default('reverse'),
  /** Longest source (its padded length n); rows are 2n + 1 tokens. @default 8 */
  length: z.number().int().min(1).max(2048).default(8),
  /** Shortest source; lengths are drawn uniformly from minLength to length. @default 4 */
  minLength: z.number().int().min(1).max(2048).default(4),
  /** Distinct symbols (digits 0..symbols-1). @default 10 */
  symbols: z.number().int().min(2).max(10).default(10),
  /** @default 1000 */
  validationSize: ValidationSize.default(1000),
});

export const MlmSpec = z.strictObject({
  type: z.literal('mlm'),
  /** The text the masked windows come from. */
  base: z.discriminatedUnion('type', [TextSpec, CorpusSpec]),
  /** Share of positions selected for prediction (BERT: 80% [MASK], 10% random, 10% kept). @default 0.15 */
  maskRate: z.number().gt(0).lt(1).default(0.15),
});

export const DataSpec = z.discriminatedUnion('type', [
  TextSpec,
  CorpusSpec,
  SudokuSpec,
  MazeSpec,
  SudokuCsvSpec,
  MazeCsvSpec,
  ArcSpec,
  SequenceTaskSpec,
  AdditionSpec,
  Seq2SeqSpec,
  MlmSpec,
]);
export type DataSpec = z.input<typeof DataSpec>;
export type ResolvedDataSpec = z.output<typeof DataSpec>;
export type TextSpec = z.output<typeof TextSpec>;
export type CorpusSpec = z.output<typeof CorpusSpec>;
export type SudokuSpec = z.output<typeof SudokuSpec>;
export type MazeSpec = z.output<typeof MazeSpec>;
export type SudokuCsvSpec = z.output<typeof SudokuCsvSpec>;
export type MazeCsvSpec = z.output<typeof MazeCsvSpec>;
export type ArcSpec = z.output<typeof ArcSpec>;
export type SequenceTaskSpec = z.output<typeof SequenceTaskSpec>;
export type AdditionSpec = z.output<typeof AdditionSpec>;
export type Seq2SeqSpec = z.output<typeof Seq2SeqSpec>;
export type MlmSpec = z.output<typeof MlmSpec>;

/** Validates `input`; throws a DataError naming every bad field. */
export function parseDataSpec(input: unknown): ResolvedDataSpec {
  const result = DataSpec.safeParse(input);
  if (result.success) return result.data;
  const detail = result.error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'spec'}: ${issue.message}`)
    .join('; ');
  throw dataErrors.invalidSpec(detail);
}

/**
 * Every user-visible data error lives here so wording stays consistent. Each message names the
 * file or spec field, the problem, and the fix.
 */
export class DataError extends Error {
  override name = 'DataError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Decimal megabytes as a person reads a file size: 150.2, 100. */
const megabytes = (bytes: number) => String(Math.round(bytes / 1e5) / 10);

export const dataErrors = {
  invalidSpec: (detail: string) =>
    new DataError(
      'invalid-spec',
      `The data settings are invalid: ${detail}. Fix them and try again.`,
    ),
  fileMissing: (path: string) =>
    new DataError(
      'file-missing',
      `Cannot read "${path}": the file does not exist. Check the path.`,
    ),
  fileIsDirectory: (path: string) =>
    new DataError(
      'file-is-directory',
      `Cannot read "${path}": it is a folder, not a text file. Pick a file.`,
    ),
  fileUnreadable: (path: string, detail: string) =>
    new DataError(
      'file-unreadable',
      `Cannot read "${path}" (${detail}). Check that the file exists and you may read it.`,
    ),
  fileUnwritable: (path: string, detail: string) =>
    new DataError(
      'file-unwritable',
      `Cannot write "${path}" (${detail}). Check that its folder exists and may be written.`,
    ),
  fileTooLarge: (path: string, bytes: number, limit: number) =>
    new DataError(
      'file-too-large',
      `"${path}" is ${megabytes(bytes)} MB; a training text may be at most ${megabytes(limit)} MB (${limit / 1e6} million characters). Train on a part of it: cut the file to under ${megabytes(limit)} MB.`,
    ),
  fileEmpty: (path: string) =>
    new DataError('file-empty', `"${path}" is empty. Pick a file that contains text.`),
  fileBinary: (path: string, offset: number) =>
    new DataError(
      'file-binary',
      `"${path}" looks like a binary file (a NUL byte at offset ${offset}), not text. Pick a plain UTF-8 text file.`,
    ),
  fileNotUtf8: (path: string, offset: number) =>
    new DataError(
      'file-not-utf8',
      `"${path}" is not valid UTF-8 (bad byte sequence near offset ${offset}). Save it as UTF-8 and try again.`,
    ),
  textTooShort: (source: string, split: string, tokens: number, needed: number) =>
    new DataError(
      'text-too-short',
      `${source}: the ${split} split has ${tokens} tokens, fewer than the ${needed} one sequence needs. Use a longer text, a shorter sequence length, or a different validation fraction.`,
    ),
  tokenizerMalformed: (path: string, detail: string) =>
    new DataError(
      'tokenizer-malformed',
      `"${path}" is not a usable tokenizer.json (${detail}). Delete it to train a new one, or pick a byte-level BPE tokenizer.json.`,
    ),
  bpeTrainingFailed: (detail: string) =>
    new DataError('bpe-training-failed', `Training the BPE tokenizer failed (${detail}).`),
  corpusMissing: (name: string, detail: string) =>
    new DataError(
      'corpus-missing',
      `The built-in corpus "${name}" cannot be read (${detail}). Reinstall the app's dependencies (npm ci).`,
    ),
  unknownCategory: (name: string, category: string, known: readonly string[]) =>
    new DataError(
      'unknown-category',
      `The ${name} corpus has no category "${category}". Use some of: ${known.join(', ')}.`,
    ),
  taskSpaceTooSmall: (task: string, wanted: number, found: number) =>
    new DataError(
      'task-space-too-small',
      `${task}: only ${found} distinct held-out examples could be made, ${wanted} were asked for. Make the task larger or lower validationSize.`,
    ),
  trainingSpaceExhausted: (task: string) =>
    new DataError(
      'training-space-exhausted',
      `${task}: could not draw a training example outside the held-out set. Make the task larger or lower validationSize.`,
    ),
  puzzleRow: (path: string, line: number, problem: string) =>
    new DataError(
      'puzzle-row',
      `"${path}" line ${line} (the header is line 1): ${problem}. Fix or remove that row; nothing was loaded.`,
    ),
  puzzleHeader: (path: string, header: string) =>
    new DataError(
      'puzzle-header',
      `"${path}" line 1 is ${JSON.stringify(header.slice(0, 80))}, not a header naming the question and answer columns. Puzzle CSV files start with the line source,question,answer,rating.`,
    ),
  puzzleFileEmpty: (path: string) =>
    new DataError(
      'puzzle-file-empty',
      `"${path}" holds no puzzle rows after its header. Pick a file with puzzles in it.`,
    ),
  puzzleSplitTooSmall: (source: string, rows: number, heldOut: number) =>
    new DataError(
      'puzzle-split-too-small',
      `${source} has ${rows} puzzles; holding out ${heldOut} leaves none to train on. Lower validationSize or use a larger file (or a larger limit).`,
    ),
  folderMissing: (path: string) =>
    new DataError(
      'folder-missing',
      `Cannot read the folder "${path}": it does not exist. Check the path.`,
    ),
  notAFolder: (path: string) =>
    new DataError(
      'not-a-folder',
      `"${path}" is a file, not a folder. Name the folder that holds the task JSON files.`,
    ),
  arcFolderEmpty: (path: string) =>
    new DataError(
      'arc-folder-empty',
      `The folder "${path}" holds no .json task files. Name a folder of ARC tasks (one {"train": [...], "test": [...]} file per task).`,
    ),
  arcTask: (path: string, problem: string) =>
    new DataError(
      'arc-task',
      `"${path}": ${problem}. Fix the file or move it out of the folder; nothing was loaded.`,
    ),
} as const;

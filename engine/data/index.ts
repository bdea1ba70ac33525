/**
 * `createDataSource(spec, seed)`: the one entry point the trainer, CLI and hosts use. Importing
 * this file is pure; file reading, the Brown corpus and HF tokenizers are loaded on demand.
 */
import { createCellsSource } from './cells-source.ts';
import { CharTokenizer } from './char-tokenizer.ts';
import { dataErrors } from './errors.ts';
import { createLmSource, createMlmSource, type TokenStreams } from './lm-source.ts';
import { mazeTask } from './maze-source.ts';
import { seq2seqTask } from './seq2seq-tasks.ts';
import { additionTask, sequenceTask } from './sequence-tasks.ts';
import { parseDataSpec, type CorpusSpec, type DataSpec, type TextSpec } from './spec.ts';
import { sudokuTask } from './sudoku-source.ts';
import { splitText } from './text-split.ts';
import type { TextTokenizer } from './text-tokenizer.ts';
import type { DataSource } from './types.ts';

export { IGNORE, sliceBatch, type Batch, type DataSource } from './types.ts';
export { DataSpec, parseDataSpec, type ResolvedDataSpec } from './spec.ts';
export { DataError } from './errors.ts';

async function bpeTokenizer(
  spec: TextSpec | CorpusSpec,
  trainText: string,
): Promise<TextTokenizer> {
  const { BpeTokenizer } = await import('./bpe.ts');
  const { existsSync } = await import('node:fs');
  if (spec.tokenizerFile && existsSync(spec.tokenizerFile))
    return BpeTokenizer.load(spec.tokenizerFile);
  const tokenizer = await BpeTokenizer.train(trainText, spec.vocabSize);
  if (spec.tokenizerFile) tokenizer.save(spec.tokenizerFile);
  return tokenizer;
}

/** Reads, splits and tokenizes a text or the built-in corpus. */
export async function loadTokenStreams(
  spec: TextSpec | CorpusSpec,
  seed: number,
): Promise<TokenStreams> {
  if (spec.tokenizer === 'char' && spec.tokenizerFile) {
    throw dataErrors.invalidSpec(
      `tokenizerFile: only BPE uses a tokenizer.json; set tokenizer to "bpe" or remove it`,
    );
  }
  let text: string;
  let name: string;
  let origin: string;
  if (spec.type === 'text') {
    const { readTextFile } = await import('./text-file.ts');
    const { basename } = await import('node:path');
    text = readTextFile(spec.path);
    name = basename(spec.path);
    origin = `"${spec.path}"`;
  } else {
    const { loadBrown } = await import('./brown.ts');
    text = loadBrown(spec.categories);
    name = spec.categories ? `brown (${spec.categories.join(', ')})` : 'brown';
    origin = `The ${name} corpus`;
  }
  const split = splitText(text, spec.valFraction, seed);
  const tokenizer =
    spec.tokenizer === 'char'
      ? CharTokenizer.fromText(text)
      : await bpeTokenizer(spec, split.train);
  return {
    name,
    origin,
    tokenizer,
    train: await tokenizer.encode(split.train),
    validation: await tokenizer.encode(split.validation),
  };
}

export async function createDataSource(spec: DataSpec, seed: number): Promise<DataSource> {
  const resolved = parseDataSpec(spec);
  switch (resolved.type) {
    case 'text':
    case 'corpus':
      return createLmSource(await loadTokenStreams(resolved, seed), resolved.length, seed);
    case 'mlm':
      return createMlmSource(
        await loadTokenStreams(resolved.base, seed),
        resolved.base.length,
        seed,
        resolved.maskRate,
      );
    case 'sudoku':
      return createCellsSource(sudokuTask(resolved, seed), seed, resolved.validationSize);
    case 'maze':
      return createCellsSource(mazeTask(resolved), seed, resolved.validationSize);
    case 'sudoku-csv':
    case 'maze-csv':
    case 'arc': {
      const { loadPuzzleFile } = await import('./puzzle-file.ts');
      return loadPuzzleFile(resolved, seed);
    }
    case 'copy':
    case 'reverse':
    case 'sort':
      return createCellsSource(sequenceTask(resolved), seed, resolved.validationSize);
    case 'addition':
      return createCellsSource(additionTask(resolved), seed, resolved.validationSize);
    case 'seq2seq':
      return createCellsSource(seq2seqTask(resolved), seed, resolved.validationSize);
  }
}

/**
 * Rebuilds a text tokenizer from a source's `describe()` (as stored in model metadata), for the
 * playground and export: a char vocabulary or a byte-level BPE tokenizer.json.
 */
export async function restoreTokenizer(description: {
  tokenizer?: unknown;
}): Promise<TextTokenizer> {
  const tokenizer = description.tokenizer as { type?: unknown; vocab?: unknown } | undefined;
  if (tokenizer?.type === 'char' && Array.isArray(tokenizer.vocab)) {
    return CharTokenizer.fromVocab(tokenizer.vocab.map(String));
  }
  const { BpeTokenizer } = await import('./bpe.ts');
  return BpeTokenizer.fromJson(tokenizer, 'the stored tokenizer');
}

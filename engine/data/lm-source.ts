/**
 * Text sources over tokenized train/validation streams. Pure.
 *   lm:  random windows of length + 1 tokens; inputs = the first `length`, targets = the same
 *        window shifted by one (the next token at every position).
 *   mlm: random windows of `length` tokens; each position is selected with probability
 *        `maskRate` (at least one per row); a selected token becomes [MASK] (80%), a random
 *        token (10%) or stays (10%), and only selected positions have targets (the original).
 *        [MASK] is the id after the base vocabulary.
 * `decode` skips IGNORE ids. Validation windows are evenly spaced over the validation stream (fixed, seed independent for
 * lm; the mlm masks are fixed by the seed).
 */
import { dataErrors } from './errors.ts';
import { Rng, Stream } from './rng.ts';
import type { TextTokenizer } from './text-tokenizer.ts';
import { emptyBatch, IGNORE, type Batch, type DataSource } from './types.ts';

export interface TokenStreams {
  name: string;
  /** Where the text came from, for messages: the file path or the corpus. */
  origin: string;
  tokenizer: TextTokenizer;
  train: Int32Array;
  validation: Int32Array;
}

export const MASK_TOKEN = '[MASK]';

/** Text decoding skips IGNORE (unscored target positions). */
function withoutIgnored(ids: ArrayLike<number>): number[] {
  return Array.from(ids).filter((id) => id !== IGNORE);
}

function checkLength(streams: TokenStreams, needed: number): void {
  for (const split of ['train', 'validation'] as const) {
    if (streams[split].length < needed) {
      throw dataErrors.textTooShort(
        streams.origin,
        split === 'train' ? 'training' : 'validation',
        streams[split].length,
        needed,
      );
    }
  }
}

/** Start of validation window i of count over a stream of `size` tokens, windows of `span`. */
function evenStart(i: number, count: number, size: number, span: number): number {
  return count <= 1 ? 0 : Math.floor((i * (size - span)) / (count - 1));
}

/** Row `row` of training batch `index`: its generator, and a uniform start for a `span` window. */
function trainDraw(
  seed: number,
  index: number,
  row: number,
  stream: Int32Array,
  span: number,
): { rng: Rng; start: number } {
  const rng = Rng.of(seed, Stream.train, index, row);
  return { rng, start: rng.int(stream.length - span + 1) };
}

export function createLmSource(streams: TokenStreams, length: number, seed: number): DataSource {
  const span = length + 1;
  checkLength(streams, span);
  const { tokenizer } = streams;
  const window = (batch: Batch, row: number, stream: Int32Array, start: number): void => {
    batch.inputs.set(stream.subarray(start, start + length), row * length);
    batch.targets.set(stream.subarray(start + 1, start + span), row * length);
  };
  return {
    name: streams.name,
    kind: 'lm',
    vocabSize: tokenizer.vocabSize,
    length,
    exactMatch: false,
    trainBatch(index, batchSize) {
      const batch = emptyBatch(batchSize, length);
      for (let row = 0; row < batchSize; row++) {
        window(batch, row, streams.train, trainDraw(seed, index, row, streams.train, span).start);
      }
      return batch;
    },
    validation(count) {
      const batch = emptyBatch(count, length);
      for (let row = 0; row < count; row++) {
        window(
          batch,
          row,
          streams.validation,
          evenStart(row, count, streams.validation.length, span),
        );
      }
      return batch;
    },
    decode: (ids) => tokenizer.decode(withoutIgnored(ids)),
    describe: () => tokenizer.describe(),
  };
}

function maskWindow(
  batch: Batch,
  row: number,
  stream: Int32Array,
  start: number,
  rng: Rng,
  maskRate: number,
  baseVocab: number,
): void {
  const length = batch.length;
  const offset = row * length;
  batch.inputs.set(stream.subarray(start, start + length), offset);
  const selected: number[] = [];
  for (let i = 0; i < length; i++) if (rng.float() < maskRate) selected.push(i);
  if (selected.length === 0) selected.push(rng.int(length));
  for (const i of selected) {
    batch.targets[offset + i] = stream[start + i] as number;
    const roll = rng.float();
    if (roll < 0.8) batch.inputs[offset + i] = baseVocab;
    else if (roll < 0.9) batch.inputs[offset + i] = rng.int(baseVocab);
  }
}

/** Adds [MASK] to a tokenizer description (a char vocabulary or an HF tokenizer.json). */
function describeWithMask(tokenizer: TextTokenizer, maskId: number) {
  const base = tokenizer.describe();
  const json = base.tokenizer as { added_tokens?: unknown[] } | undefined;
  const hfJson =
    tokenizer.kind === 'bpe' && json
      ? {
          ...json,
          added_tokens: [
            ...(json.added_tokens ?? []),
            {
              id: maskId,
              content: MASK_TOKEN,
              single_word: false,
              lstrip: false,
              rstrip: false,
              normalized: false,
              special: true,
            },
          ],
        }
      : base.tokenizer;
  return {
    vocab: base.vocab ? [...base.vocab, MASK_TOKEN] : undefined,
    tokenizer: tokenizer.kind === 'char' ? { ...(base.tokenizer as object), maskId } : hfJson,
    encoding: `${base.encoding} Masked LM: id ${maskId} = ${MASK_TOKEN}; targets only at selected positions (BERT 80/10/10).`,
  };
}

export function createMlmSource(
  streams: TokenStreams,
  length: number,
  seed: number,
  maskRate: number,
): DataSource {
  checkLength(streams, length);
  const { tokenizer } = streams;
  const maskId = tokenizer.vocabSize;
  return {
    name: `${streams.name} (masked)`,
    kind: 'mlm',
    vocabSize: maskId + 1,
    length,
    exactMatch: false,
    trainBatch(index, batchSize) {
      const batch = emptyBatch(batchSize, length);
      for (let row = 0; row < batchSize; row++) {
        const { rng, start } = trainDraw(seed, index, row, streams.train, length);
        maskWindow(batch, row, streams.train, start, rng, maskRate, maskId);
      }
      return batch;
    },
    validation(count) {
      const batch = emptyBatch(count, length);
      for (let row = 0; row < count; row++) {
        const start = evenStart(row, count, streams.validation.length, length);
        maskWindow(
          batch,
          row,
          streams.validation,
          start,
          Rng.of(seed, Stream.validation, row),
          maskRate,
          maskId,
        );
      }
      return batch;
    },
    decode(ids) {
      // Decode the runs between [MASK]s with the base tokenizer (BPE merges bytes across ids).
      let text = '';
      let run: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i] as number;
        if (id === IGNORE) continue;
        if (id !== maskId) {
          run.push(id);
          continue;
        }
        text += tokenizer.decode(run) + MASK_TOKEN;
        run = [];
      }
      return text + tokenizer.decode(run);
    },
    describe: () => describeWithMask(tokenizer, maskId),
  };
}

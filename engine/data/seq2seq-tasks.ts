/**
 * String-to-string tasks for encoder–decoder models, laid out as one sequence so the trainer's
 * single token input and per-position targets carry them (a cells source):
 *
 *   positions 0 … n−1     the source, k items (minLength ≤ k ≤ n), then <pad> to n
 *   position  n           `=`, the decoder's start token
 *   positions n+1 … 2n    the target so far (teacher forcing): y1 … y(k), then <pad>
 *
 * Targets: y1 … yk at positions n … n+k−1, `.` (end) at n+k, IGNORE elsewhere — position n+j
 * predicts the token after the decoder's j-th input. A graph reads positions 0 … n−1 in its
 * encoder and n … 2n in its decoder (`sequence-slice`); cross-attention masks the source's
 * <pad>. Teacher-forced exact match equals greedy decoding's: a row whose every scored
 * position is right decodes to exactly its target. Pure.
 *
 * Tokens (vocab 13): 0 = <pad>, 1 = `=`, 2 = `.`, digit d → 3 + d.
 */
import type { CellsExample, CellsTask } from './cells-source.ts';
import { dataErrors } from './errors.ts';
import type { Rng } from './rng.ts';
import { answerOf } from './sequence-tasks.ts';
import type { Seq2SeqSpec } from './spec.ts';
import { IGNORE } from './types.ts';

export const Seq2SeqToken = { pad: 0, start: 1, end: 2, digit0: 3 } as const;
export const SEQ2SEQ_VOCAB = ['<pad>', '=', '.', ...'0123456789'];

/** Where the parts of a seq2seq row lie, for decoding and export. */
export interface Seq2SeqLayout {
  /** Source positions n (the longest source). */
  source: number;
  /** Row length 2n + 1. */
  length: number;
  pad: number;
  start: number;
  end: number;
}

export function seq2seqLayout(n: number): Seq2SeqLayout {
  return { source: n, length: 2 * n + 1, pad: Seq2SeqToken.pad, start: 1, end: 2 };
}

/** One row: the source padded to n, `=`, the target as decoder inputs; targets shifted by one. */
export function seq2seqRow(n: number, source: number[], target: number[]): CellsExample {
  const input = new Int32Array(2 * n + 1).fill(Seq2SeqToken.pad);
  const expected = new Int32Array(2 * n + 1).fill(IGNORE);
  input.set(source, 0);
  input[n] = Seq2SeqToken.start;
  input.set(target.slice(0, n), n + 1);
  expected.set(target, n);
  expected[n + target.length] = Seq2SeqToken.end;
  return { input, target: expected };
}

export function seq2seqTask(spec: Seq2SeqSpec): CellsTask {
  const { task, length: n, symbols } = spec;
  const { minLength } = spec;
  if (minLength > n) {
    throw dataErrors.invalidSpec(
      `minLength: the shortest source (${minLength}) is longer than the longest (length ${n}); lower minLength or raise length`,
    );
  }
  const draw = (rng: Rng): CellsExample => {
    const k = minLength + rng.int(n - minLength + 1);
    const items = Array.from({ length: k }, () => rng.int(symbols));
    const digit = (d: number) => Seq2SeqToken.digit0 + d;
    return seq2seqRow(n, items.map(digit), answerOf(task, items).map(digit));
  };
  return {
    name: `seq2seq ${task} ${minLength}–${n}`,
    vocab: [...SEQ2SEQ_VOCAB],
    length: 2 * n + 1,
    encoding:
      `seq2seq ${task}: a source of ${minLength}–${n} digits (0–${symbols - 1}) padded to ${n}, then '=', then the target so far (decoder inputs). ` +
      `Tokens: 0 = <pad>, 1 = '=', 2 = '.' (end), digit d → 3 + d. Targets: from position ${n}, the target digits then '.', -1 (ignored) elsewhere.`,
    train: draw,
    heldOut: draw,
  };
}

/**
 * Copy, reverse, sort and addition as cells tasks with one fixed layout: the question, `=`, then
 * blanks where the answer goes. Targets hold the answer at the blank positions and IGNORE
 * elsewhere, so a causal model (which sees the whole question before the first blank) and a
 * bidirectional one can both learn them. Pure.
 *
 * Tokens (vocab 14): 0 = PAD, 1 = blank `_`, 2 = `=`, 3 = `+`, digit d → 4 + d.
 *   copy/reverse/sort, n items: x1 … xn = _ … _      (length 2n + 1; answer n items)
 *   addition, d digits:         a1 … ad + b1 … bd = _ … _   (length 3d + 3; the sum, d + 1 digits,
 *                               most significant first, operands zero padded)
 */
import type { CellsExample, CellsTask } from './cells-source.ts';
import type { Rng } from './rng.ts';
import type { AdditionSpec, SequenceTaskSpec } from './spec.ts';
import { IGNORE } from './types.ts';

export const SeqToken = { pad: 0, blank: 1, equals: 2, plus: 3, digit0: 4 } as const;
export const SEQ_VOCAB = ['<pad>', '_', '=', '+', ...'0123456789'];

const digit = (d: number): number => SeqToken.digit0 + d;

/** Lays out question tokens, `=`, and blanks for the answer tokens. */
function layout(question: number[], answer: number[]): CellsExample {
  const length = question.length + 1 + answer.length;
  const input = new Int32Array(length).fill(SeqToken.blank);
  const target = new Int32Array(length).fill(IGNORE);
  input.set(question, 0);
  input[question.length] = SeqToken.equals;
  target.set(answer, question.length + 1);
  return { input, target };
}

/** The answer a copy, reverse or sort task asks for (a new array; `items` is left as it is). */
export function answerOf(task: SequenceTaskSpec['type'], items: readonly number[]): number[] {
  switch (task) {
    case 'copy':
      return [...items];
    case 'reverse':
      return [...items].reverse();
    case 'sort':
      return [...items].sort((a, b) => a - b);
  }
}

export function sequenceTask(spec: SequenceTaskSpec): CellsTask {
  const { type, length: n, symbols } = spec;
  const draw = (rng: Rng): CellsExample => {
    const items = Array.from({ length: n }, () => rng.int(symbols));
    return layout(items.map(digit), answerOf(type, items).map(digit));
  };
  return {
    name: `${type} ${n}`,
    vocab: [...SEQ_VOCAB],
    length: 2 * n + 1,
    encoding:
      `${type}: ${n} digits (0–${symbols - 1}), then '=', then ${n} blanks to fill. Tokens: 0 = PAD, 1 = blank '_', 2 = '=', 3 = '+', digit d → 4 + d. ` +
      `Targets: the answer digits at the blank positions, -1 (ignored) elsewhere.`,
    train: draw,
    heldOut: draw,
  };
}

/** Digits of a + b, most significant first, d + 1 of them. */
export function addDigits(a: readonly number[], b: readonly number[]): number[] {
  const sum = new Array<number>(a.length + 1).fill(0);
  let carry = 0;
  for (let i = a.length - 1; i >= 0; i--) {
    const s = (a[i] as number) + (b[i] as number) + carry;
    sum[i + 1] = s % 10;
    carry = Math.floor(s / 10);
  }
  sum[0] = carry;
  return sum;
}

export function additionTask(spec: AdditionSpec): CellsTask {
  const d = spec.digits;
  const draw = (rng: Rng): CellsExample => {
    const a = Array.from({ length: d }, () => rng.int(10));
    const b = Array.from({ length: d }, () => rng.int(10));
    return layout([...a.map(digit), SeqToken.plus, ...b.map(digit)], addDigits(a, b).map(digit));
  };
  return {
    name: `addition ${d}`,
    vocab: [...SEQ_VOCAB],
    length: 3 * d + 3,
    encoding:
      `addition: ${d}-digit a, '+', ${d}-digit b (zero padded), '=', then ${d + 1} blanks for the sum (most significant digit first). ` +
      `Tokens: 0 = PAD, 1 = blank '_', 2 = '=', 3 = '+', digit d → 4 + d. Targets: the sum digits at the blanks, -1 (ignored) elsewhere.`,
    train: draw,
    heldOut: draw,
  };
}

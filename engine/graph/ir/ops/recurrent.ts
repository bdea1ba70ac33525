import type { Dim } from '../../dims.ts';
import { agree, defineOp, fail, floats, show, type OpBase, type ValueType } from '../op-def.ts';

/**
 * One layer of a recurrent cell over batch-first x [B, T, D], as PyTorch's nn.RNN (tanh),
 * nn.GRU and nn.LSTM compute it with `batch_first` and one layer, from a zero initial state.
 * The weights keep PyTorch's layout, per direction w_ih [G·H, D], w_hh [G·H, H], b_ih [G·H],
 * b_hh [G·H] with the G gates stacked in PyTorch's order (LSTM i f g o, GRU r z n), so a
 * PyTorch engine maps them one to one; the ONNX emitter reorders them into ONNX's RNN, GRU
 * (linear_before_reset = 1, which is PyTorch's GRU) and LSTM.
 *
 * Results, in order: the sequence Y [B, T, dirs·H] (forward then reverse direction, each step
 * aligned with its input step), the final hidden state [B, dirs, H] and, for an LSTM, the
 * final cell state [B, dirs, H] (the reverse direction's final state is the one after step 0).
 */
interface RecurrentOp<K extends string> extends OpBase {
  op: K;
  x: string;
  /** w_ih, w_hh, b_ih, b_hh, then the same four of the reverse direction when bidirectional. */
  weights: string[];
  hidden: number;
  bidirectional: boolean;
}

export type RNNOp = RecurrentOp<'RNN'>;
export type GRUOp = RecurrentOp<'GRU'>;
export type LSTMOp = RecurrentOp<'LSTM'>;
export type RecurrentOpName = 'RNN' | 'GRU' | 'LSTM';

/** Gates per cell: the rows of w_ih and w_hh are G·H. */
export const GATES: Readonly<Record<RecurrentOpName, number>> = { RNN: 1, GRU: 3, LSTM: 4 };

/** The name of a cell's final hidden (`h`) or cell (`c`) state, its results after Y. */
export function finalState(out: string, which: 'h' | 'c'): string {
  return `${out}.${which}`;
}

function recurrent<K extends RecurrentOpName>(name: K) {
  const results = (op: RecurrentOp<K>) =>
    name === 'LSTM'
      ? [op.out, finalState(op.out, 'h'), finalState(op.out, 'c')]
      : [op.out, finalState(op.out, 'h')];
  const types = (op: RecurrentOp<K>, input: (value: string) => ValueType): ValueType[] => {
    const x = floats(op, input, op.x).shape;
    if (x.length !== 3) fail(op, `x ${show(x)} is not [B, T, D]`);
    if (!(Number.isInteger(op.hidden) && op.hidden >= 1))
      fail(op, `hidden ${op.hidden} is not a positive integer`);
    const dirs = op.bidirectional ? 2 : 1;
    if (op.weights.length !== 4 * dirs)
      fail(op, `${op.weights.length} weights, not 4 per direction for ${dirs} direction(s)`);
    const rows = GATES[name] * op.hidden;
    const expected: Dim[][] = [[rows, x[2] as Dim], [rows, op.hidden], [rows], [rows]];
    op.weights.forEach((w, i) => {
      const got = floats(op, input, w).shape;
      const want = expected[i % 4] as Dim[];
      if (got.length !== want.length) fail(op, `weight "${w}" ${show(got)} is not ${show(want)}`);
      got.forEach((d, k) => agree(op, d, want[k] as Dim, `weight "${w}" ${show(got)}`));
    });
    const [batch, steps] = x as [Dim, Dim];
    const state: ValueType = { dtype: 'float32', shape: [batch, dirs, op.hidden] };
    const y: ValueType = { dtype: 'float32', shape: [batch, steps, dirs * op.hidden] };
    return name === 'LSTM' ? [y, state, { ...state, shape: [...state.shape] }] : [y, state];
  };
  return defineOp<RecurrentOp<K>>({
    operands: ['x', 'weights'],
    results,
    types,
    type: (op, input) => types(op, input)[0] as ValueType,
  });
}

export const RNN = recurrent('RNN');
export const GRU = recurrent('GRU');
export const LSTM = recurrent('LSTM');

import * as tf from '@tensorflow/tfjs-core';
import type { GRUOp, LSTMOp, RecurrentOpName, RNNOp } from '../../graph/ir/ops/recurrent.ts';
import type { Kernel } from './kernel.ts';
import { matMul } from './primitives.ts';

/**
 * Recurrent cells as a loop over the time steps of differentiable tfjs ops (matMul, split,
 * sigmoid, tanh, unstack/stack, all with gradients in gradients.ts and primitives.ts), so the
 * gradient tfjs derives is backpropagation through time. PyTorch's equations and gate order.
 */

interface State {
  h: tf.Tensor;
  c?: tf.Tensor;
}

/**
 * One step from the input projection gx = x_t·w_ihᵀ (+ biases, see `direction`) [B, G·H] and
 * the previous state, with w_hhᵀ [H, G·H].
 */
type Step = (gx: tf.Tensor, prev: State, whhT: tf.Tensor, bhh: tf.Tensor) => State;

const steps: Record<RecurrentOpName, Step> = {
  // h' = tanh(x·w_ihᵀ + b_ih + h·w_hhᵀ + b_hh); both biases are already in gx.
  RNN: (gx, { h }, whhT) => ({ h: tf.tanh(tf.add(gx, matMul(h, whhT))) }),
  // [i, f, g, o] gates; c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c').
  LSTM: (gx, { h, c }, whhT) => {
    const [i, f, g, o] = tf.split(tf.add(gx, matMul(h, whhT)), 4, 1) as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
    ];
    const cNext = tf.add(tf.mul(tf.sigmoid(f), c as tf.Tensor), tf.mul(tf.sigmoid(i), tf.tanh(g)));
    return { h: tf.mul(tf.sigmoid(o), tf.tanh(cNext)), c: cNext };
  },
  // r, z from both projections; n = tanh(x_n + r·(h·w_hnᵀ + b_hn)); h' = (1 − z)·n + z·h.
  GRU: (gx, { h }, whhT, bhh) => {
    const [xr, xz, xn] = tf.split(gx, 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const gh = tf.add(matMul(h, whhT), bhh);
    const [hr, hz, hn] = tf.split(gh, 3, 1) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const r = tf.sigmoid(tf.add(xr, hr));
    const z = tf.sigmoid(tf.add(xz, hz));
    const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
    return { h: tf.add(n, tf.mul(z, tf.sub(h, n))) };
  },
};

/** One direction over x [B, T, D]: the outputs [B, T, H] in input order and the final state. */
function direction(
  cell: RecurrentOpName,
  x: tf.Tensor,
  [wih, whh, bih, bhh]: tf.Tensor[],
  hidden: number,
  reverse: boolean,
): { y: tf.Tensor; last: State } {
  const [batch, length, width] = x.shape as [number, number, number];
  const rows = (wih as tf.Tensor).shape[0] as number;
  // [B, T, D] -> [B·T, D] · [D, G·H] -> [B, T, G·H]: every step's input projection at once
  // (2-D: tfjs's 3-D × 2-D matMul gradient has the wrong shape).
  const projected = tf.reshape(
    matMul(tf.reshape(x, [batch * length, width]), tf.transpose(wih as tf.Tensor)),
    [batch, length, rows],
  );
  // A GRU keeps b_hh inside r·(h·w_hnᵀ + b_hn); the other cells add both biases once.
  const bias = cell === 'GRU' ? (bih as tf.Tensor) : tf.add(bih as tf.Tensor, bhh as tf.Tensor);
  const gx = tf.unstack(tf.add(projected, bias), 1); // T × [B, G·H]
  const whhT = tf.transpose(whh as tf.Tensor); // [H, G·H]
  const zeros = tf.zeros([batch, hidden]);
  let state: State = cell === 'LSTM' ? { h: zeros, c: zeros } : { h: zeros };
  const ys: tf.Tensor[] = new Array<tf.Tensor>(length);
  for (let k = 0; k < length; k++) {
    const t = reverse ? length - 1 - k : k;
    state = steps[cell](gx[t] as tf.Tensor, state, whhT, bhh as tf.Tensor);
    ys[t] = state.h;
  }
  return { y: tf.stack(ys, 1), last: state };
}

/** The cell's results (kernel.ts): Y, the final hidden state and, for an LSTM, the final cell state. */
function run(
  cell: RecurrentOpName,
  op: RNNOp | GRUOp | LSTMOp,
  get: (name: string) => tf.Tensor,
): tf.Tensor[] {
  const x = get(op.x);
  const weights = op.weights.map(get);
  const dirs = op.bidirectional ? [false, true] : [false];
  const runs = dirs.map((reverse, d) =>
    direction(cell, x, weights.slice(4 * d, 4 * d + 4), op.hidden, reverse),
  );
  // Directions side by side: Y [B, T, dirs·H]; final states [B, dirs, H].
  const y =
    runs.length === 1
      ? (runs[0]?.y as tf.Tensor)
      : tf.concat(
          runs.map((r) => r.y),
          2,
        );
  const h = tf.stack(
    runs.map((r) => r.last.h),
    1,
  );
  if (cell !== 'LSTM') return [y, h];
  return [
    y,
    h,
    tf.stack(
      runs.map((r) => r.last.c as tf.Tensor),
      1,
    ),
  ];
}

export const RNN: Kernel<'RNN'> = (op, get) => run('RNN', op, get);
export const GRU: Kernel<'GRU'> = (op, get) => run('GRU', op, get);
export const LSTM: Kernel<'LSTM'> = (op, get) => run('LSTM', op, get);

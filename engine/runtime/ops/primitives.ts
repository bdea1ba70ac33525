import * as tf from '@tensorflow/tfjs-core';
import { fusedAvailable } from '../native/index.ts';

/**
 * Differentiable building blocks where tfjs 4.22 falls short (DESIGN §8):
 * - its 3-D × 2-D matMul gradient has the wrong shape, and its matMul gradient multiplies
 *   with transposeA/transposeB, which wasm runs 10× slower than transposing first;
 * - wasm has no UnsortedSegmentSum, the kernel behind gather's gradient;
 * - there is no stopGradient.
 * Custom gradients keep what they need through `save`, never by closure, so they survive a
 * tf.tidy around the forward pass.
 */

/** Swaps the last two axes: [..., M, K] → [..., K, M]. */
function transposeLast(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  perm.splice(-2, 2, t.rank - 1, t.rank - 2);
  return tf.transpose(t, perm);
}

/**
 * [M, K] · [K, N] → [M, N], or batched [N, M, K] · [N, K, P] → [N, M, P]; the gradient
 * transposes explicitly.
 */
const matMulExplicitGrad = tf.customGrad((a, b, save) => {
  const x = a as tf.Tensor;
  const y = b as tf.Tensor;
  (save as tf.GradSaveFunc)([x, y]);
  return {
    value: tf.matMul(x, y),
    gradFunc: (dy, saved) => {
      const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
      const g = dy as tf.Tensor;
      // Native BLAS transposes for free; everywhere else an explicit transpose is faster.
      if (fusedAvailable()) return [tf.matMul(g, sb, false, true), tf.matMul(sa, g, true, false)];
      return [tf.matMul(g, transposeLast(sb)), tf.matMul(transposeLast(sa), g)];
    },
  };
});

function product(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}

/** Batched product of two tensors with identical leading (batch) dims, rank ≥ 2. */
export function batchMatMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank === 2 && b.rank === 2) return matMulExplicitGrad(a, b);
  const batch = a.shape.slice(0, -2);
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.rank - 1] as number;
  const n3 = product(batch);
  // [..., M, K] -> [N, M, K]
  const out = matMulExplicitGrad(tf.reshape(a, [n3, m, k]), tf.reshape(b, [n3, k, n]));
  return tf.reshape(out, [...batch, m, n]);
}

/** ONNX / numpy MatMul: 1-D operands are promoted, batch dims broadcast. */
export function matMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank === 0 || b.rank === 0) throw new Error('MatMul needs operands of rank ≥ 1.');
  // [K] -> [1, K] and [K] -> [K, 1] by reshape: tfjs registers no ExpandDims gradient here.
  const a2 = a.rank === 1 ? tf.reshape(a, [1, -1]) : a;
  const b2 = b.rank === 1 ? tf.reshape(b, [-1, 1]) : b;
  const k = a2.shape[a2.rank - 1] as number;
  if (b2.shape[b2.rank - 2] !== k) {
    throw new Error(
      `MatMul operands do not align: [${a.shape.join(', ')}] · [${b.shape.join(', ')}].`,
    );
  }
  let out: tf.Tensor;
  if (b2.rank === 2) {
    // [..., M, K] -> [(...)·M, K]: a plain 2-D product (tfjs's 3-D × 2-D gradient is wrong).
    const n = b2.shape[1] as number;
    const lead = a2.shape.slice(0, -1);
    out = tf.reshape(matMulExplicitGrad(tf.reshape(a2, [-1, k]), b2), [...lead, n]);
  } else {
    const batch = tf.broadcast_util.assertAndGetBroadcastShape(
      a2.shape.slice(0, -2),
      b2.shape.slice(0, -2),
    );
    const ea = tf.broadcastTo(a2, [...batch, ...a2.shape.slice(-2)]);
    const eb = tf.broadcastTo(b2, [...batch, ...b2.shape.slice(-2)]);
    out = batchMatMul(ea, eb);
  }
  if (a.rank === 1) out = tf.squeeze(out, [out.rank - 2]);
  if (b.rank === 1) out = tf.squeeze(out, [out.rank - 1]);
  return out;
}

const gatherGrad = tf.customGrad((data, indices, save) => {
  const d = data as tf.Tensor;
  const ids = indices as tf.Tensor;
  (save as tf.GradSaveFunc)([ids]);
  const rows = d.shape[0] as number;
  const rowShape = d.shape.slice(1);
  return {
    value: tf.gather(d, ids),
    gradFunc: (dy, saved) => {
      const [sid] = saved as [tf.Tensor];
      // [...ids, ...row] -> [N, ...row], scattered back into [V, ...row].
      const flat = tf.reshape(sid, [-1, 1]);
      const upd = tf.reshape(dy as tf.Tensor, [flat.shape[0] as number, ...rowShape]);
      // The native backend sums rows in one native pass (its UnsortedSegmentSum).
      const dData = fusedAvailable()
        ? tf.unsortedSegmentSum(upd, tf.reshape(sid, [-1]), rows)
        : tf.scatterND(flat, upd, [rows, ...rowShape]);
      return [dData, tf.zerosLike(sid)];
    },
  };
});

/**
 * Rows of `data` [V, ...] picked by integer `indices` (any shape). The gradient scatters
 * with ScatterNd (which sums repeated ids) because wasm has no UnsortedSegmentSum; the native
 * backend uses its UnsortedSegmentSum.
 */
export function gather(data: tf.Tensor, indices: tf.Tensor): tf.Tensor {
  return gatherGrad(data, indices);
}

/**
 * The same values as `x` on a new tensor that is not on the gradient tape, so nothing
 * upstream receives a gradient through it (not even zeros).
 */
export function stopGradient(x: tf.Tensor): tf.Tensor {
  const engine = tf.engine();
  const y = engine.makeTensorFromDataId(x.dataId, x.shape, x.dtype);
  // makeTensorFromDataId does not count the new reference: without this, disposing x would
  // free y's data, and disposing y afterwards would be skipped (numTensors drifts up).
  engine.backend.incRef(x.dataId);
  return y;
}

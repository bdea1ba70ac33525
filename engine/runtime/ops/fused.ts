import * as tf from '@tensorflow/tfjs-core';
import {
  fusedAttention,
  fusedAvailable,
  fusedGelu,
  fusedLayerNorm,
  fusedRmsNorm,
} from '../native/index.ts';
import { batchMatMul } from './primitives.ts';

/**
 * The ONNX opset-23 fused ops (Attention, RotaryEmbedding, RMSNormalization,
 * LayerNormalization) and Gelu, written with differentiable tfjs ops.
 */

/** Large negative logit for masked positions: exp() underflows to exactly 0. */
const MASKED = -1e9;

function dims3(x: tf.Tensor, what: string): [number, number, number] {
  if (x.rank !== 3) throw new Error(`${what} must be [B, T, heads·headDim], got [${x.shape}].`);
  return x.shape as [number, number, number];
}

/** Additive causal mask for rows `r = j·T + t` (j = query head within its group), upper-left aligned. */
function causalMask(group: number, t: number, s: number, shift = 0): tf.Tensor2D {
  const m = new Float32Array(group * t * s);
  for (let j = 0; j < group; j++) {
    for (let i = 0; i < t; i++) {
      const row = (j * t + i) * s;
      for (let c = i + 1 + shift; c < s; c++) m[row + c] = MASKED;
    }
  }
  return tf.tensor2d(m, [group * t, s]);
}

/**
 * ONNX Attention on packed heads: q [B, T, Hq·Dh], k/v [B, S, Hkv·Dh] → [B, T, Hq·Dh].
 * Query head h uses key/value head ⌊h / (Hq/Hkv)⌋; scores are scaled by 1/√Dh.
 */
export function attention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  qHeads: number,
  kvHeads: number,
  causal: boolean,
  bottomRight = false,
  /** Key padding: [B, S] ids of the keys' tokens, and the id that marks padding. */
  keyPadding?: { ids: tf.Tensor; padId: number },
): tf.Tensor {
  const [b, t, qw] = dims3(q, 'Attention queries');
  const [kb, s, kw] = dims3(k, 'Attention keys');
  const [vb, vs, vw] = dims3(v, 'Attention values');
  const dh = qw / qHeads;
  const group = qHeads / kvHeads;
  if (!Number.isInteger(dh) || !Number.isInteger(group) || kw !== kvHeads * dh) {
    throw new Error(
      `Attention with ${qHeads} query and ${kvHeads} key/value heads cannot split widths ${qw} and ${kw}.`,
    );
  }
  if (kb !== b || vb !== b || vs !== s || vw !== kw) {
    throw new Error(`Attention inputs disagree: q [${q.shape}], k [${k.shape}], v [${v.shape}].`);
  }
  if (keyPadding && (keyPadding.ids.shape[0] !== b || keyPadding.ids.shape[1] !== s)) {
    throw new Error(
      `Attention key ids [${keyPadding.ids.shape}] do not match the keys [${k.shape}]: one id per key.`,
    );
  }
  if (fusedAvailable() && group === 1 && s === t && !keyPadding) {
    return fusedAttention(q, k, v, qHeads, causal); // one native pass each way
  }
  // Grouped heads without copying K/V: [B, Hq, T, Dh] viewed as [B·Hkv, g·T, Dh].
  const qh = tf.reshape(tf.transpose(tf.reshape(q, [b, t, qHeads, dh]), [0, 2, 1, 3]), [
    b * kvHeads,
    group * t,
    dh,
  ]);
  // [B, S, Hkv, Dh] -> [B, Hkv, Dh, S] -> [B·Hkv, Dh, S]
  const kt = tf.reshape(tf.transpose(tf.reshape(k, [b, s, kvHeads, dh]), [0, 2, 3, 1]), [
    b * kvHeads,
    dh,
    s,
  ]);
  // [B, S, Hkv, Dh] -> [B·Hkv, S, Dh]
  const vh = tf.reshape(tf.transpose(tf.reshape(v, [b, s, kvHeads, dh]), [0, 2, 1, 3]), [
    b * kvHeads,
    s,
    dh,
  ]);
  let scores = batchMatMul(tf.mul(qh, tf.scalar(1 / Math.sqrt(dh))), kt); // [B·Hkv, g·T, S]
  if (causal)
    scores = tf.add(scores, causalMask(group, t, s, bottomRight ? Math.max(s - t, 0) : 0));
  if (keyPadding) scores = tf.add(scores, paddingMask(keyPadding.ids, keyPadding.padId, kvHeads));
  const probs = tf.softmax(scores);
  const out = batchMatMul(probs, vh); // [B·Hkv, g·T, Dh]
  // [B, Hq, T, Dh] -> [B, T, Hq, Dh] -> [B, T, Hq·Dh]
  return tf.reshape(tf.transpose(tf.reshape(out, [b, qHeads, t, dh]), [0, 2, 1, 3]), [b, t, qw]);
}

/** MASKED at padding keys, 0 elsewhere: ids [B, S] -> [B·Hkv, 1, S], added to every query's scores. */
function paddingMask(ids: tf.Tensor, padId: number, kvHeads: number): tf.Tensor {
  const [b, s] = ids.shape as [number, number];
  const pad = tf.equal(ids, tf.scalar(padId, 'int32'));
  const bias = tf.where(pad, tf.fill([b, s], MASKED), tf.zeros([b, s])); // [B, S]
  // [B, S] -> [B, 1, 1, S] -> [B, Hkv, 1, S] -> [B·Hkv, 1, S]
  return tf.reshape(tf.tile(tf.reshape(bias, [b, 1, 1, s]), [1, kvHeads, 1, 1]), [
    b * kvHeads,
    1,
    s,
  ]);
}

/** cos and sin tables [T, 1, Dh], each half repeated (non-interleaved RoPE). */
function ropeTables(t: number, dh: number, theta: number, offset = 0): [tf.Tensor, tf.Tensor] {
  const half = dh / 2;
  const cos = new Float32Array(t * dh);
  const sin = new Float32Array(t * dh);
  for (let pos = 0; pos < t; pos++) {
    for (let i = 0; i < half; i++) {
      const angle = (pos + offset) * Math.pow(theta, (-2 * i) / dh);
      cos[pos * dh + i] = cos[pos * dh + i + half] = Math.cos(angle);
      sin[pos * dh + i] = sin[pos * dh + i + half] = Math.sin(angle);
    }
  }
  return [tf.tensor3d(cos, [t, 1, dh]), tf.tensor3d(sin, [t, 1, dh])];
}

/**
 * ONNX RotaryEmbedding (non-interleaved, positions 0..T-1) on packed heads [B, T, H·Dh]:
 * x·cos + rotate_half(x)·sin with rotate_half([x1, x2]) = [-x2, x1].
 */
export function rotaryEmbedding(
  x: tf.Tensor,
  heads: number,
  theta: number,
  /** First position (the KV cache's length). */
  offset = 0,
): tf.Tensor {
  const [b, t, w] = dims3(x, 'RotaryEmbedding input');
  const dh = w / heads;
  if (!Number.isInteger(dh) || dh % 2 !== 0) {
    throw new Error(`RotaryEmbedding cannot split width ${w} into ${heads} heads of even width.`);
  }
  const half = dh / 2;
  const xh = tf.reshape(x, [b, t, heads, dh]);
  const [x1, x2] = tf.split(xh, [half, half], 3);
  const rotated = tf.concat([tf.neg(x2 as tf.Tensor), x1 as tf.Tensor], 3);
  const [cos, sin] = ropeTables(t, dh, theta, offset);
  return tf.reshape(tf.add(tf.mul(xh, cos), tf.mul(rotated, sin)), [b, t, w]);
}

/** x / √(mean(x²) + ε) · scale, over the last axis. */
export function rmsNormalization(x: tf.Tensor, scale: tf.Tensor | undefined, eps: number) {
  if (fusedAvailable()) return fusedRmsNorm(x, scale, eps); // one native pass each way
  const ms = tf.mean(tf.square(x), -1, true);
  const y = tf.mul(x, tf.rsqrt(tf.add(ms, tf.scalar(eps))));
  return scale ? tf.mul(y, scale) : y;
}

/** (x − mean) / √(var + ε) · scale + bias, over the last axis. */
export function layerNormalization(
  x: tf.Tensor,
  scale: tf.Tensor | undefined,
  bias: tf.Tensor | undefined,
  eps: number,
): tf.Tensor {
  if (fusedAvailable()) return fusedLayerNorm(x, scale, bias, eps); // one native pass each way
  const centered = tf.sub(x, tf.mean(x, -1, true));
  const variance = tf.mean(tf.square(centered), -1, true);
  let y = tf.mul(centered, tf.rsqrt(tf.add(variance, tf.scalar(eps))));
  if (scale) y = tf.mul(y, scale);
  return bias ? tf.add(y, bias) : y;
}

/** GELU: exact x·Φ(x) with erf, or the tanh approximation. */
export function gelu(x: tf.Tensor, approximate: 'none' | 'tanh'): tf.Tensor {
  if (fusedAvailable()) return fusedGelu(x, approximate); // one native pass each way
  const half = tf.mul(x, tf.scalar(0.5));
  if (approximate === 'none') {
    return tf.mul(half, tf.add(tf.scalar(1), tf.erf(tf.mul(x, tf.scalar(Math.SQRT1_2)))));
  }
  const cube = tf.mul(tf.scalar(0.044715), tf.mul(x, tf.square(x)));
  const inner = tf.mul(tf.scalar(Math.sqrt(2 / Math.PI)), tf.add(x, cube));
  return tf.mul(half, tf.add(tf.scalar(1), tf.tanh(inner)));
}

/** x·σ(x). */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/** Inverted dropout: zero a `rate` fraction, scale the rest by 1/(1 − rate). */
export function dropout(x: tf.Tensor, rate: number, seed: number | undefined): tf.Tensor {
  if (rate <= 0) return x;
  const keep = tf.cast(
    tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', seed), rate),
    'float32',
  );
  return tf.mul(x, tf.mul(keep, tf.scalar(1 / (1 - rate))));
}

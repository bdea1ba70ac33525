import * as tf from '@tensorflow/tfjs-core';

/** Inputs per AddN on WebGPU, where an AddN of more than 7 inputs breaks (DESIGN §8). */
const WEBGPU_ADDN = 7;

/** Σ of same-shaped tensors: one AddN, or on WebGPU a tree of AddNs of at most 7 inputs. */
function addAll(ts: tf.Tensor[]): tf.Tensor {
  if (tf.getBackend() !== 'webgpu' || ts.length <= WEBGPU_ADDN) return tf.addN(ts);
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < ts.length; i += WEBGPU_ADDN) parts.push(addAll(ts.slice(i, i + WEBGPU_ADDN)));
  return addAll(parts);
}

/** Global L2 norm over all gradients, √(Σ‖g‖²), as a scalar tensor. */
export function globalNorm(grads: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (grads.length === 0) return tf.scalar(0);
    return tf.sqrt(addAll(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
  });
}

/**
 * Scale every gradient by min(1, maxNorm / norm), given the norm already read back. Returns
 * new tensors (the caller disposes the inputs). maxNorm 0 leaves gradients unscaled.
 */
export function scaleToNorm(
  grads: Readonly<Record<string, tf.Tensor>>,
  norm: number,
  maxNorm: number,
): Record<string, tf.Tensor> {
  const scale = maxNorm > 0 && norm > maxNorm ? maxNorm / norm : 1;
  const out: Record<string, tf.Tensor> = {};
  for (const [n, g] of Object.entries(grads))
    out[n] = tf.tidy(() => (scale === 1 ? tf.clone(g) : tf.mul(g, scale)));
  return out;
}

/**
 * Scale every gradient by min(1, maxNorm / norm) — tfjs has no clipByGlobalNorm. Returns new
 * tensors (the caller disposes the inputs) and the norm before clipping, read back once (it
 * also serves as the NaN/Inf check). maxNorm 0 leaves gradients unscaled.
 */
export function clipByGlobalNorm(
  grads: Readonly<Record<string, tf.Tensor>>,
  maxNorm: number,
): { grads: Record<string, tf.Tensor>; norm: number } {
  const normT = globalNorm(Object.values(grads));
  const norm = normT.dataSync()[0]!;
  normT.dispose();
  return { grads: scaleToNorm(grads, norm, maxNorm), norm };
}

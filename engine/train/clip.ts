import * as tf from '@tensorflow/tfjs-core';

/** Global L2 norm over all gradients, √(Σ‖g‖²), as a scalar tensor. */
export function globalNorm(grads: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (grads.length === 0) return tf.scalar(0);
    return tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
  });
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
  const names = Object.keys(grads);
  const normT = globalNorm(names.map((n) => grads[n]!));
  const norm = normT.dataSync()[0]!;
  normT.dispose();
  const scale = maxNorm > 0 && norm > maxNorm ? maxNorm / norm : 1;
  const out: Record<string, tf.Tensor> = {};
  for (const n of names)
    out[n] = tf.tidy(() => (scale === 1 ? tf.clone(grads[n]!) : tf.mul(grads[n]!, scale)));
  return { grads: out, norm };
}

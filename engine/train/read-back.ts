import * as tf from '@tensorflow/tfjs-core';

/**
 * Read several tensors back in one transfer: flattened, cast to float32 (ids below 2²⁴ stay
 * exact) and concatenated on the device, then one asynchronous read. On a GPU backend every
 * read is a round trip that drains the queue, so a training step makes exactly one; the
 * asynchronous read is also the only kind WebGPU offers outside a browser.
 */
export async function readTogether(tensors: readonly tf.Tensor[]): Promise<Float32Array[]> {
  const packed = tf.tidy(() =>
    tf.concat(tensors.map((t) => tf.reshape(tf.cast(t, 'float32'), [-1]))),
  );
  const all = (await packed.data()) as Float32Array;
  packed.dispose();
  const out: Float32Array[] = [];
  let at = 0;
  for (const t of tensors) {
    out.push(all.subarray(at, at + t.size));
    at += t.size;
  }
  return out;
}

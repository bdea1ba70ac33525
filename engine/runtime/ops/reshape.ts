import * as tf from '@tensorflow/tfjs-core';
import type { Kernel } from './kernel.ts';

export const Reshape: Kernel<'Reshape'> = (op, get) => {
  const x = get(op.x);
  // ONNX: 0 copies the input's dim, -1 is inferred.
  return tf.reshape(
    x,
    op.shape.map((d, i) => (d === 0 ? (x.shape[i] as number) : d)),
  );
};

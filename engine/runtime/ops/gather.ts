import * as tf from '@tensorflow/tfjs-core';
import type { Kernel } from './kernel.ts';
import { gather } from './primitives.ts';

/** Out-of-range ids would read garbage on wasm and throw a bare error on cpu: name them. */
function checkIds(ids: tf.Tensor, rows: number, name: string): void {
  if (ids.dtype !== 'int32') {
    throw new Error(`Gather needs int32 ids, but "${name}" is ${ids.dtype}.`);
  }
  // On WebGPU the ids may live on the device (deep-supervision slots gather them there):
  // reading them back would be a synchronous round trip inside the step, which Node cannot do.
  if (tf.getBackend() === 'webgpu') return;
  const values = ids.dataSync();
  for (let i = 0; i < values.length; i++) {
    const id = values[i] as number;
    if (id < 0 || id >= rows) {
      throw new Error(
        `Token id ${id} in "${name}" is outside the vocabulary [0, ${rows}): encode the input with this model's tokenizer, or raise vocab.`,
      );
    }
  }
}

export const Gather: Kernel<'Gather'> = (op, get) => {
  const data = get(op.data);
  const ids = get(op.indices);
  checkIds(ids, data.shape[0] as number, op.indices);
  return gather(data, ids);
};

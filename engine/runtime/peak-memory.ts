import * as tf from '@tensorflow/tfjs-core';

/** The most tfjs memory a piece of work held at once, above what was live when it began. */
export interface PeakMemory {
  /** tf.memory().numBytes at its highest, after any kernel, less the bytes live before. */
  bytes: number;
  /** tf.memory().numTensors at its highest, less the tensors live before. */
  tensors: number;
}

/**
 * Runs `f` under tf.profile and reports its peak: what a training step or a verification run
 * needs on top of the weights. Profiling reads every kernel's output, so time it elsewhere.
 */
export async function peakMemory(f: () => void): Promise<PeakMemory> {
  const before = tf.memory();
  const info = await tf.profile(() => {
    f();
    return [];
  });
  // A loop, not Math.max(...): an unrolled run has more kernels than a call takes arguments.
  let tensors = before.numTensors;
  for (const k of info.kernels) tensors = Math.max(tensors, k.totalTensorsSnapshot);
  return { bytes: info.peakBytes - before.numBytes, tensors: tensors - before.numTensors };
}

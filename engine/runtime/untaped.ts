import * as tf from '@tensorflow/tfjs-core';

/** Whether ops run now are recorded on a gradient tape (inside tf.grads / tf.variableGrads). */
export function tapeIsOn(): boolean {
  return tf.engine().isTapeOn();
}

/**
 * Runs `f` with the gradient tape paused, so nothing it computes is recorded or saved for a
 * backward pass: its intermediates are freed as it goes, and what it returns is a constant to
 * the enclosing gradient. tfjs has no public switch for this, but it pauses the tape while a
 * kernel runs, and a custom gradient's forward function is run as a kernel: `f` runs there,
 * as the forward of an op with no inputs (which no gradient path can reach). The tensors `f`
 * returns are kept (a kernel's scope would free them); the caller disposes them.
 */
export function untaped(f: () => tf.Tensor[]): tf.Tensor[] {
  let result: tf.Tensor[] = [];
  const run = tf.customGrad(() => {
    result = f().map((t) => tf.keep(t));
    return { value: tf.scalar(0), gradFunc: () => [] };
  });
  (run as () => tf.Tensor)().dispose();
  return result;
}

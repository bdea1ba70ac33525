/**
 * Where a training step's time goes, per tfjs kernel: `node --import tsx bench/profile.ts
 * [backend]` (default native). Prints total ms and calls per kernel for one step of the tiny
 * GPT preset, and the time outside kernels (tfjs bookkeeping, tape, JS).
 */
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../engine/runtime/backend.ts';
import { runProgram } from '../engine/runtime/executor.ts';
import { createWeights } from '../engine/runtime/weights.ts';
import { gptPreset } from './models.ts';
import { compileStep, tokens } from './train.ts';

const backend = process.argv[2] ?? 'native';
await selectBackend(backend);
const program = compileStep(gptPreset());
const [B, T, V] = [32, 64, 96];
const weights = createWeights(program, 1);
const inputs = tf.tensor2d(tokens(B * T, V, 7), [B, T], 'int32');
const onehot = tf.cast(tf.oneHot(tf.tensor1d(tokens(B * T, V, 8), 'int32'), V), 'float32');
const opt = tf.train.adam(1e-3);
const step = () =>
  tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      const out = runProgram(program, weights, { tokens: inputs }, ['head']).head!;
      const logp = tf.logSoftmax(tf.reshape(out, [B * T, V]));
      return tf.div(tf.neg(tf.sum(tf.mul(onehot, logp))), B * T) as tf.Scalar;
    });
    opt.applyGradients(grads as tf.NamedTensorMap as Record<string, tf.Variable>);
    return value.dataSync()[0];
  });
for (let i = 0; i < 3; i++) step();
const t0 = performance.now();
const info = await tf.profile(() => {
  step();
});
const wall = performance.now() - t0;
const agg = new Map<string, { ms: number; n: number }>();
for (const k of info.kernels) {
  const a = agg.get(k.name) ?? { ms: 0, n: 0 };
  a.ms += k.kernelTimeMs as number;
  a.n++;
  agg.set(k.name, a);
}
const total = [...agg.values()].reduce((s, a) => s + a.ms, 0);
console.log(
  `${backend}: step ${wall.toFixed(1)} ms under the profiler, kernels ${total.toFixed(1)} ms, ${info.kernels.length} kernel calls`,
);
for (const [name, a] of [...agg].sort((p, q) => q[1].ms - p[1].ms).slice(0, 25)) {
  console.log(
    `${name.padEnd(22)} ${a.ms.toFixed(2).padStart(8)} ms ${String(a.n).padStart(5)} calls`,
  );
}
let n = 5;
const t1 = performance.now();
while (n--) step();
console.log(`unprofiled step: ${((performance.now() - t1) / 5).toFixed(1)} ms`);

// Parity of the native training kernels (fused AdamW, fused softmax cross-entropy) with the
// same math composed from tfjs's stock CPU kernels: the code paths engine/train takes on the
// `cpu` backend. Skipped (with the reason) when the addon is not built.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { NATIVE_BACKEND, registerNativeBackend } from './index.ts';
import { registerGradients } from './tfjs-gradients.ts';
import { AdamW } from '../../train/adamw.ts';
import { maskedCrossEntropy } from '../../train/loss.ts';
import { IGNORE } from '../../data/types.ts';

await registerGradients();

const reason = registerNativeBackend();
const skip = reason ? `skipped: ${reason}` : false;
tf.env().set('PROD', true);

/** Deterministic uniform values in [lo, hi). */
function rand(n: number, seed: number, lo = -2, hi = 2): Float32Array {
  const out = new Float32Array(n);
  let s = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  }
  return out;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= 1e-5 * (1 + Math.abs(e)))) {
      assert.fail(`${what}: element ${i} is ${a}, the stock cpu kernels give ${e}`);
    }
  }
}

const shapes: Record<string, number[]> = { w: [7, 5], b: [5], s: [3], unused: [2, 2] };

/** Parameters and moments after `steps` AdamW updates on `backend`, read back by name. */
async function adamWRun(backend: string, steps: number): Promise<Record<string, Float32Array>> {
  await tf.setBackend(backend);
  const params = new Map(
    Object.entries(shapes).map(([name, shape], i) => [
      name,
      tf.tidy(() =>
        tf.variable(
          tf.tensor(
            rand(
              shape.reduce((a, b) => a * b, 1),
              i + 1,
            ),
            shape,
          ),
        ),
      ),
    ]),
  );
  const opt = new AdamW(params, new Set(['w', 's']), {
    betas: [0.9, 0.95],
    eps: 1e-8,
    weightDecay: 0.1,
  });
  for (let t = 0; t < steps; t++) {
    // No gradient for `unused`: it must stay as it was.
    const grads = Object.fromEntries(
      ['w', 'b', 's'].map((name, i) => {
        const shape = shapes[name]!;
        const n = shape.reduce((a, b) => a * b, 1);
        return [name, tf.tensor(rand(n, 10 * t + i + 7, -3, 3), shape)];
      }),
    );
    opt.apply(grads, 0.01 * (t + 1));
    tf.dispose(Object.values(grads));
  }
  const out: Record<string, Float32Array> = {};
  for (const [name, p] of params) out[name] = Float32Array.from(p.dataSync());
  for (const [name, t] of Object.entries(opt.state())) out[name] = Float32Array.from(t.dataSync());
  opt.dispose();
  for (const p of params.values()) p.dispose();
  return out;
}

/** Loss and its gradient w.r.t. the logits (scaled by 3, so the upstream gradient matters). */
async function crossEntropyRun(backend: string, targets: Int32Array, rows: number, cols: number) {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const logits = tf.tensor2d(rand(rows * cols, 3, -8, 8), [rows, cols]);
    const loss = maskedCrossEntropy(logits, targets, 'ce').dataSync()[0]!;
    const grad = tf.grad((x: tf.Tensor) => tf.mul(maskedCrossEntropy(x, targets, 'ce'), 3))(logits);
    return { loss, grad: Float32Array.from(grad.dataSync()) };
  });
}

describe('native training kernels match the stock cpu composition', { skip }, () => {
  it('AdamW over several parameters and steps, with and without weight decay', async () => {
    const before = tf.memory().numTensors;
    const ref = await adamWRun('cpu', 3);
    const nat = await adamWRun(NATIVE_BACKEND, 3);
    assert.deepEqual(Object.keys(nat).sort(), Object.keys(ref).sort());
    for (const name of Object.keys(ref)) close(nat[name]!, ref[name]!, `AdamW ${name}`);
    // The untouched parameter is its initial value on both paths.
    close(nat.unused!, rand(4, 4), 'parameter without a gradient');
    assert.equal(tf.memory().numTensors, before, 'the fused update leaks no tensors');
  });

  it('softmax cross-entropy: loss and gradient, with ignored rows', async () => {
    const [rows, cols] = [37, 11];
    const targets = new Int32Array(rows).map((_, i) => (i % 5 === 2 ? IGNORE : (i * 7) % cols));
    const ref = await crossEntropyRun('cpu', targets, rows, cols);
    const nat = await crossEntropyRun(NATIVE_BACKEND, targets, rows, cols);
    close([nat.loss], [ref.loss], 'loss');
    close(nat.grad, ref.grad, 'gradient');
    // Every row ignored: loss 0 and no gradient, as the composed version gives.
    const none = new Int32Array(rows).fill(IGNORE);
    const r0 = await crossEntropyRun('cpu', none, rows, cols);
    const n0 = await crossEntropyRun(NATIVE_BACKEND, none, rows, cols);
    close([n0.loss], [r0.loss], 'loss with every row ignored');
    close(n0.grad, r0.grad, 'gradient with every row ignored');
  });
});

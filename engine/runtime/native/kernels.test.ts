// Parity of every native kernel with tfjs's stock CPU kernel: values and gradients on random
// inputs, within float tolerance. Skipped (with the reason) when the addon is not built.
import { describe, it, before } from 'node:test';
import { Worker } from 'node:worker_threads';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  fusedGelu,
  fusedLayerNorm,
  fusedRmsNorm,
  NATIVE_BACKEND,
  registerNativeBackend,
} from './index.ts';
import { registerGradients } from './tfjs-gradients.ts';
import { attention } from '../ops/fused.ts';
import { gather } from '../ops/primitives.ts';

await registerGradients();

const reason = registerNativeBackend();
const skip = reason ? `skipped: ${reason}` : false;
tf.env().set('PROD', true);

/** Deterministic uniform values in [lo, hi). */
function rand(shape: number[], seed: number, lo = -2, hi = 2): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  let s = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  }
  return out;
}

function close(
  actual: Float32Array | Int32Array,
  expected: Float32Array | Int32Array,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const tol = 1e-5 * (1 + Math.abs(e));
    if (!(Math.abs(a - e) <= tol) && !(Number.isNaN(a) && Number.isNaN(e))) {
      assert.fail(`${what}: element ${i} is ${a}, the stock cpu kernel gives ${e}`);
    }
  }
}

type Inputs = { shape: number[]; lo?: number; hi?: number; dtype?: 'int32'; values?: number[] }[];

/**
 * Run `f` on both backends with the same inputs; compare outputs and (when `grad`) the
 * gradients of sum(f(x) * w) for a random w, with respect to every float input.
 */
async function parity(what: string, inputs: Inputs, f: (...xs: Tensor[]) => Tensor, grad = true) {
  const results: { out: Float32Array; grads: Float32Array[]; shape: number[] }[] = [];
  for (const backend of ['cpu', NATIVE_BACKEND]) {
    await tf.setBackend(backend);
    const r = tf.tidy(() => {
      const xs = inputs.map((s, i) =>
        s.dtype === 'int32'
          ? tf.tensor(s.values!, s.shape, 'int32')
          : tf.tensor(rand(s.shape, i + 1, s.lo, s.hi), s.shape),
      );
      const y = f(...xs);
      const out = y.dataSync() as Float32Array;
      const floats = xs.filter((x) => x.dtype === 'float32');
      const w = tf.tensor(rand(y.shape, 99), y.shape);
      const grads = grad
        ? tf
            .grads((...fx: Tensor[]) => {
              let k = 0;
              const all = xs.map((x) => (x.dtype === 'float32' ? fx[k++]! : x));
              return tf.sum(tf.mul(f(...all), w));
            })(floats)
            .map((g) => g.dataSync() as Float32Array)
        : [];
      return {
        out: Float32Array.from(out),
        grads: grads.map((g) => Float32Array.from(g)),
        shape: y.shape,
      };
    });
    results.push(r);
  }
  const [ref, nat] = results;
  assert.deepEqual(nat!.shape, ref!.shape, `${what}: shape`);
  close(nat!.out, ref!.out, `${what} forward`);
  ref!.grads.forEach((g, i) => close(nat!.grads[i]!, g, `${what} gradient ${i}`));
}

describe('native kernels match the stock cpu kernels', { skip }, () => {
  before(async () => {
    await tf.setBackend(NATIVE_BACKEND);
  });

  it('matMul: plain, transposed, batched and broadcast batches', async () => {
    const mm = (ta: boolean, tb: boolean) => (a: Tensor, b: Tensor) => tf.matMul(a, b, ta, tb);
    await parity('2-D', [{ shape: [7, 5] }, { shape: [5, 3] }], mm(false, false));
    await parity('transposeA', [{ shape: [5, 7] }, { shape: [5, 3] }], mm(true, false));
    await parity('transposeB', [{ shape: [7, 5] }, { shape: [3, 5] }], mm(false, true));
    await parity('both', [{ shape: [5, 7] }, { shape: [3, 5] }], mm(true, true));
    await parity('batched', [{ shape: [2, 3, 4, 5] }, { shape: [2, 3, 5, 6] }], mm(false, false));
    await parity('batched tB', [{ shape: [6, 4, 5] }, { shape: [6, 3, 5] }], mm(false, true));
    // tfjs's own BatchMatMul gradient breaks on broadcast batches (values only).
    await parity(
      'shared right',
      [{ shape: [3, 4, 5] }, { shape: [1, 5, 6] }],
      mm(false, false),
      false,
    );
    await parity(
      'shared left',
      [{ shape: [1, 4, 5] }, { shape: [3, 5, 6] }],
      mm(false, false),
      false,
    );
  });

  it('fused matMul with bias', async () => {
    await parity('fused', [{ shape: [6, 5] }, { shape: [5, 4] }, { shape: [4] }], (a, b, c) =>
      tf.fused.matMul({ a, b, bias: c }),
    );
  });

  it('binary ops with every broadcast pattern', async () => {
    const ops: [string, (a: Tensor, b: Tensor) => Tensor, number?][] = [
      ['add', tf.add],
      ['sub', tf.sub],
      ['mul', tf.mul],
      ['div', tf.div, 0.5],
      ['maximum', tf.maximum],
      ['minimum', tf.minimum],
      ['squaredDifference', tf.squaredDifference],
      ['pow', tf.pow, 0.5],
    ];
    const shapes: [number[], number[]][] = [
      [
        [4, 5],
        [4, 5],
      ],
      [[4, 5], [5]],
      [
        [4, 5],
        [4, 1],
      ],
      [[4, 5], []],
      [[], [3, 2]],
      [
        [2, 1, 3],
        [4, 1],
      ],
      [
        [2, 3, 4, 5],
        [3, 1, 5],
      ],
    ];
    for (const [name, op, lo] of ops) {
      for (const [sa, sb] of shapes) {
        // tfjs's maximum, minimum and squaredDifference gradients ignore broadcasting.
        const grad = !/imum|squared/.test(name) || JSON.stringify(sa) === JSON.stringify(sb);
        await parity(
          `${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`,
          [
            { shape: sa, lo: lo ?? -2 },
            { shape: sb, lo: lo ?? -2 },
          ],
          op,
          grad,
        );
      }
    }
  });

  it('unary ops', async () => {
    const ops: [string, (x: Tensor) => Tensor, number?, number?][] = [
      ['neg', tf.neg],
      ['exp', tf.exp, -30, 30],
      ['log', tf.log, 0.01, 5],
      ['tanh', tf.tanh, -12, 12],
      ['sqrt', tf.sqrt, 0.01, 5],
      ['rsqrt', tf.rsqrt, 0.01, 5],
      ['square', tf.square],
      ['relu', tf.relu],
      ['sigmoid', tf.sigmoid, -30, 30],
      ['abs', tf.abs],
      ['reciprocal', tf.reciprocal, 0.1, 3],
      ['erf', tf.erf, -5, 5],
      ['step', (x) => tf.step(x, 0.25)],
    ];
    for (const [name, op, lo, hi] of ops) {
      await parity(name, [{ shape: [3, 257], lo: lo ?? -2, hi: hi ?? 2 }], op);
    }
  });

  it('reductions over leading, trailing, middle and split axes', async () => {
    const axes: (number | number[])[] = [0, 1, -1, [1, 2], [0, 1], [0, 2]];
    for (const axis of axes) {
      for (const keep of [false, true]) {
        const s = [{ shape: [4, 5, 6] }];
        await parity(`sum ${axis} ${keep}`, s, (x) => tf.sum(x, axis, keep));
        await parity(`mean ${axis} ${keep}`, s, (x) => tf.mean(x, axis, keep));
        await parity(`max ${axis} ${keep}`, s, (x) => tf.max(x, axis, keep), false);
        await parity(`min ${axis} ${keep}`, s, (x) => tf.min(x, axis, keep), false);
      }
    }
    await parity('sum all', [{ shape: [3, 1000] }], (x) => tf.sum(x));
  });

  it('softmax, logSoftmax and the causal-mask select', async () => {
    await parity('softmax', [{ shape: [2, 3, 17], lo: -10, hi: 10 }], (x) => tf.softmax(x));
    await parity('logSoftmax', [{ shape: [5, 9] }], (x) => tf.logSoftmax(x));
    const mask = tf.tidy(() => tf.linalg.bandPart(tf.ones([6, 6]), -1, 0));
    const m = Array.from(mask.dataSync());
    mask.dispose();
    await parity(
      'masked softmax',
      [{ shape: [2, 6, 6] }, { shape: [6, 6], dtype: 'int32', values: m }],
      (x, k) =>
        tf.softmax(
          tf.where(tf.broadcastTo(tf.cast(k!, 'bool'), x.shape), x, tf.fill(x.shape, -1e9)),
        ),
    );
  });

  it('transpose, slice, split, concat, reshape', async () => {
    for (const perm of [
      [1, 0, 2],
      [0, 2, 1],
      [2, 1, 0],
      [1, 2, 0],
    ]) {
      await parity(`transpose ${perm}`, [{ shape: [3, 4, 5] }], (x) => tf.transpose(x, perm));
    }
    await parity('slice', [{ shape: [4, 6, 5] }], (x) => tf.slice(x, [1, 2, 0], [2, 3, -1]));
    await parity('split', [{ shape: [4, 6] }], (x) => {
      const [a, b] = tf.split(x, 2, 1);
      return tf.sub(a!, tf.mul(b!, 2));
    });
    await parity('concat', [{ shape: [4, 3] }, { shape: [4, 2] }], (a, b) => tf.concat([a, b], 1));
    await parity('split inner axis', [{ shape: [2, 3, 4, 6] }], (x) => {
      const [a, b] = tf.split(x, [2, 4], 3);
      return tf.concat([tf.neg(b!), a!], 3); // the rotate-half of RoPE
    });
    await parity(
      'concat 3 on axis 1',
      [{ shape: [2, 3, 4] }, { shape: [2, 1, 4] }, { shape: [2, 2, 4] }],
      (a, b, c) => tf.concat([a, b, c], 1),
    );
    await parity('concat axis 0', [{ shape: [2, 3] }, { shape: [1, 3] }], (a, b) =>
      tf.concat([a, b], 0),
    );
  });

  it('gather and its gradient (unsortedSegmentSum)', async () => {
    const idx = [3, 1, 1, 0, 7, 3, 3, 2];
    await parity(
      'gather rows',
      [{ shape: [8, 5] }, { shape: [8], dtype: 'int32', values: idx }],
      (x, i) => tf.gather(x, i!),
    );
    await parity(
      'gather 2-D indices',
      [{ shape: [8, 5] }, { shape: [2, 4], dtype: 'int32', values: idx }],
      (x, i) => tf.gather(x, i!),
    );
    await parity(
      'gather axis 1',
      [{ shape: [3, 8, 2] }, { shape: [8], dtype: 'int32', values: idx }],
      (x, i) => tf.gather(x, i!, 1),
    );
  });

  it("the executor's gather: ScatterNd gradient on cpu, UnsortedSegmentSum on native", async () => {
    await parity(
      'gather with repeated ids',
      [
        { shape: [8, 5] },
        { shape: [2, 5], dtype: 'int32', values: [3, 1, 1, 0, 7, 3, 3, 2, 3, 0] },
      ],
      (x, i) => gather(x, i!),
    );
  });

  it('addN', async () => {
    await parity('addN', [{ shape: [3, 4] }, { shape: [3, 4] }, { shape: [3, 4] }], (a, b, c) =>
      tf.addN([a, b, c]),
    );
  });

  it('fused GELU and RMSNorm equal their composition from stock ops', async () => {
    const gelu = (x: Tensor, approx: boolean) =>
      approx
        ? tf.mul(
            tf.mul(x, 0.5),
            tf.add(
              1,
              tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))))),
            ),
          )
        : tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
    const rms = (x: Tensor, s: Tensor) =>
      tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-5))), s);
    for (const approx of [false, true]) {
      const onNative = (x: Tensor) =>
        tf.getBackend() === NATIVE_BACKEND
          ? fusedGelu(x, approx ? 'tanh' : 'none')
          : gelu(x, approx);
      await parity(`gelu ${approx}`, [{ shape: [4, 300], lo: -6, hi: 6 }], onNative);
    }
    await parity('rmsNorm', [{ shape: [2, 5, 16] }, { shape: [16] }], (x, s) =>
      tf.getBackend() === NATIVE_BACKEND ? fusedRmsNorm(x, s, 1e-5) : rms(x, s!),
    );
    await parity('rmsNorm no scale', [{ shape: [6, 16] }], (x) =>
      tf.getBackend() === NATIVE_BACKEND ? fusedRmsNorm(x, undefined, 1e-5) : rms(x, tf.scalar(1)),
    );
  });

  it('fused LayerNorm equals its composition from stock ops (with and without scale, bias)', async () => {
    const ln = (x: Tensor, s?: Tensor, b?: Tensor) => {
      const c = tf.sub(x, tf.mean(x, -1, true));
      const y = tf.mul(c, tf.rsqrt(tf.add(tf.mean(tf.square(c), -1, true), 1e-5)));
      const ys = s ? tf.mul(y, s) : y;
      return b ? tf.add(ys, b) : ys;
    };
    const pick = (x: Tensor, s?: Tensor, b?: Tensor) =>
      tf.getBackend() === NATIVE_BACKEND ? fusedLayerNorm(x, s, b, 1e-5) : ln(x, s, b);
    const x = { shape: [2, 5, 16], lo: -3, hi: 5 };
    await parity('layerNorm', [x, { shape: [16] }, { shape: [16] }], (a, s, b) => pick(a, s, b));
    await parity('layerNorm scale only', [x, { shape: [16] }], (a, s) => pick(a, s));
    await parity('layerNorm bias only', [x, { shape: [16] }], (a, b) => pick(a, undefined, b));
    await parity('layerNorm bare', [x], (a) => pick(a));
  });

  it('fused attention equals the composed attention (causal and not)', async () => {
    for (const causal of [true, false]) {
      await parity(
        `attention causal=${causal}`,
        [{ shape: [2, 5, 12] }, { shape: [2, 5, 12] }, { shape: [2, 5, 12] }],
        (q, k, v) => attention(q, k!, v!, 3, 3, causal),
      );
    }
  });

  it('recycled buffers never change a value read out earlier or a live view', async () => {
    await tf.setBackend(NATIVE_BACKEND);
    const a = tf.exp(tf.tensor(rand([1000], 5)));
    const read = a.dataSync();
    const copy = Float32Array.from(read);
    const [h] = tf.split(tf.add(a, 1), 2);
    const hCopy = Float32Array.from(h!.dataSync());
    a.dispose();
    tf.tidy(() => {
      for (let i = 0; i < 5; i++) tf.mul(tf.tensor(rand([1000], i)), 3).dataSync();
    });
    close(read as Float32Array, copy, 'read-out array');
    close(h!.dataSync() as Float32Array, hCopy, 'split view');
    h!.dispose();
  });

  it('a slice over the whole of a tensor pins its buffer (an unstack of one step)', async () => {
    await tf.setBackend(NATIVE_BACKEND);
    const want = tf.tidy(() => Float32Array.from(tf.exp(tf.tensor(rand([500], 6))).dataSync()));
    const a = tf.exp(tf.tensor(rand([1, 1, 500], 6), [1, 1, 500]));
    // [1, 1, 500] -> one [1, 500]: a second array over a's whole buffer.
    const [step] = tf.unstack(a, 1);
    a.dispose();
    tf.tidy(() => {
      for (let i = 0; i < 5; i++) tf.mul(tf.tensor(rand([1, 500], i), [1, 500]), 3).dataSync();
    });
    close(step!.dataSync() as Float32Array, want, 'whole-tensor view');
    step!.dispose();
  });

  it('runs in a worker thread while the main thread uses it too', async () => {
    // Training runs in a worker (engine/train/session.ts): the addon must load there next to
    // the main thread's copy (each thread has its own shape block), with correct results.
    const entry = new URL('./worker-check.ts', import.meta.url).href;
    const api = import.meta.resolve('tsx/esm/api');
    const w = new Worker(
      `import(${JSON.stringify(api)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`,
      { eval: true },
    );
    const fromWorker = new Promise<number>((resolve, reject) => {
      w.on('message', resolve);
      w.on('error', reject);
    });
    await tf.setBackend(NATIVE_BACKEND);
    let s = 0;
    for (let i = 0; i < 300; i++) {
      s += tf.tidy(() => tf.sum(tf.matMul(tf.ones([16, 8]), tf.ones([8, 4]))).dataSync()[0]!);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(s, 300 * 16 * 4 * 8);
    assert.equal(await fromWorker, 300 * 64 * 16 * 32);
    await w.terminate();
  });
});

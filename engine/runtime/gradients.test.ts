import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { gradCheck, tensor, useBackend } from '../../test/unit/nodes-numeric/helpers.ts';
import './ops/gradients.ts';

/** Every gradient ops/gradients.ts registers, against centered differences. */

const pos = (shape: number[], seed: number) => tf.add(tf.abs(tensor(shape, seed)), tf.scalar(0.5));

const cases: [string, (...xs: tf.Tensor[]) => tf.Tensor, () => tf.Tensor[]][] = [
  ['Add (broadcast)', (a, b) => tf.add(a!, b!), () => [tensor([2, 3], 1), tensor([3], 2)]],
  ['Sub (broadcast)', (a, b) => tf.sub(a!, b!), () => [tensor([2, 1], 3), tensor([2, 3], 4)]],
  ['Multiply', (a, b) => tf.mul(a!, b!), () => [tensor([2, 3], 5), tensor([1, 3], 6)]],
  ['RealDiv', (a, b) => tf.div(a!, b!), () => [tensor([2, 3], 7), pos([3], 8)]],
  ['Maximum', (a, b) => tf.maximum(a!, b!), () => [tensor([2, 3], 9), tensor([2, 3], 10)]],
  ['Minimum', (a, b) => tf.minimum(a!, b!), () => [tensor([2, 3], 11), tensor([2, 3], 12)]],
  [
    'Select',
    (a, b) => tf.where(tf.greater(a!, tf.scalar(0)), tf.mul(a!, b!), b!),
    () => [tensor([2, 3], 13), tensor([2, 3], 14)],
  ],
  [
    'BatchMatMul',
    (a, b) => tf.matMul(a!, b!),
    () => [tensor([2, 2, 3], 15), tensor([2, 3, 2], 16)],
  ],
  [
    'BatchMatMul Aᵀ',
    (a, b) => tf.matMul(a!, b!, true, false),
    () => [tensor([3, 2], 17), tensor([3, 4], 18)],
  ],
  [
    'BatchMatMul Bᵀ',
    (a, b) => tf.matMul(a!, b!, false, true),
    () => [tensor([2, 3], 19), tensor([4, 3], 20)],
  ],
  [
    'BatchMatMul AᵀBᵀ',
    (a, b) => tf.matMul(a!, b!, true, true),
    () => [tensor([3, 2], 21), tensor([4, 3], 22)],
  ],
  ['Neg, Abs, Square', (x) => tf.neg(tf.abs(tf.square(x!))), () => [tensor([5], 23)]],
  [
    'Log, Sqrt, Rsqrt',
    (x) => tf.add(tf.log(x!), tf.mul(tf.sqrt(x!), tf.rsqrt(x!))),
    () => [pos([5], 24)],
  ],
  ['Exp, Erf', (x) => tf.add(tf.exp(x!), tf.erf(x!)), () => [tensor([5], 25)]],
  [
    'Sigmoid, Tanh, Relu',
    (x) => tf.add(tf.sigmoid(x!), tf.relu(tf.tanh(x!))),
    () => [tf.tensor1d([-1.5, -0.7, -0.2, 0.3, 0.9, 1.6])],
  ],
  ['Softmax', (x) => tf.softmax(x!), () => [tensor([2, 4], 27)]],
  ['LogSoftmax', (x) => tf.logSoftmax(x!), () => [tensor([2, 4], 28)]],
  [
    'Reshape, Transpose',
    (x) => tf.transpose(tf.reshape(x!, [3, 2, 2]), [2, 0, 1]),
    () => [tensor([2, 6], 29)],
  ],
  ['Sum, Mean', (x) => tf.add(tf.sum(x!, 1), tf.mean(x!, [0, 1])), () => [tensor([2, 3], 30)]],
  ['Max', (x) => tf.max(x!, 1, true), () => [tensor([2, 5], 31)]],
  ['Tile (broadcastTo)', (x) => tf.broadcastTo(x!, [2, 3, 4]), () => [tensor([3, 1], 32)]],
  [
    'Slice, Pad',
    (x) =>
      tf.pad(tf.slice(x!, [1, 0], [2, -1]), [
        [1, 0],
        [0, 2],
      ]),
    () => [tensor([4, 3], 33)],
  ],
  [
    'Concat, Split',
    (a, b) => tf.split(tf.concat([a!, b!], 1), [1, 4], 1)[1]!,
    () => [tensor([2, 2], 34), tensor([2, 3], 35)],
  ],
  [
    'Stack, Unstack',
    (a, b) => tf.unstack(tf.stack([a!, b!], 1), 2)[1]!,
    () => [tensor([2, 3], 36), tensor([2, 3], 37)],
  ],
  [
    'AddN, Cast, Identity',
    (a, b) => tf.addN([a!, tf.clone(b!), tf.cast(a!, 'float32')]),
    () => [tensor([3], 38), tensor([3], 39)],
  ],
];

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`registered gradients on ${backend}`, () => {
    before(() => useBackend(backend));
    for (const [name, f, inputs] of cases) {
      it(name, () => gradCheck(f, inputs(), { what: name }));
    }
    it('tf.gather differentiates along axis 0 (sums repeated ids)', () => {
      const ids = tf.tensor1d([2, 0, 2], 'int32');
      gradCheck((x) => tf.gather(x!, ids), [tensor([3, 2], 40)], { what: 'GatherV2' });
      const g = tf.grad((x: tf.Tensor) => tf.sum(tf.gather(x, ids)))(tf.ones([3, 2]));
      assert.deepEqual(Array.from(g.dataSync()), [1, 1, 0, 0, 2, 2]);
    });
  });
}

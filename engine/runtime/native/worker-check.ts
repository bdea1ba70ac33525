// Worker side of the "main thread and a worker both run native kernels" test.
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { NATIVE_BACKEND, registerNativeBackend } from './index.ts';

registerNativeBackend();
await tf.setBackend(NATIVE_BACKEND);
let s = 0;
for (let i = 0; i < 300; i++) {
  s += tf.tidy(() => tf.sum(tf.matMul(tf.ones([64, 32]), tf.ones([32, 16]))).dataSync()[0]!);
}
parentPort!.postMessage(s);

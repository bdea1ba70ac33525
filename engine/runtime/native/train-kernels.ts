import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { P, type Addon } from './addon.ts';
import type { PoolBackend } from './pool-backend.ts';

/**
 * Training kernels of the native backend: the whole AdamW update of every parameter in one
 * call, and softmax cross-entropy with its gradient in one pass. On tfjs's stock kernels the
 * AdamW update is ~12 kernel calls per parameter and the loss ~20 per step, each paying tfjs's
 * per-call bookkeeping; here each is one call. Callers check `fusedAvailable()` first and
 * otherwise compose the same math from tfjs ops (engine/train/adamw.ts, loss.ts).
 */

const BACKEND = 'native';

interface Ctx {
  inputs: TensorInfo[] | Record<string, TensorInfo>;
  backend: PoolBackend;
  attrs?: NamedAttrMap;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function trainKernels(addon: Addon): KernelConfig[] {
  const vals = (b: PoolBackend, t: TensorInfo) => {
    const v = b.data.get(t.dataId).values;
    return v instanceof Float32Array ? v : Float32Array.from(v as Int32Array);
  };

  // Inputs [p₀..pₙ₋₁, g₀.., m₀.., v₀..] → outputs [p'₀.., m'₀.., v'₀..].
  const adamW = ({ inputs, backend: b, attrs }: Ctx): TensorInfo[] => {
    const xs = inputs as TensorInfo[];
    const n = xs.length / 4;
    const group = (k: number) => xs.slice(k * n, (k + 1) * n).map((t) => vals(b, t));
    const outs = [0, 1, 2].map(() => xs.slice(0, n).map((t) => b.alloc(size(t.shape))));
    addon.adamw(
      group(0),
      group(1),
      group(2),
      group(3),
      outs[0]!,
      outs[1]!,
      outs[2]!,
      Float32Array.from(attrs!.decay as number[]),
      Float32Array.from(attrs!.hyper as number[]),
    );
    return outs.flatMap((o) => o.map((v, i) => b.makeTensorInfo(xs[i]!.shape, 'float32', v)));
  };

  // logits [N, V] float32, targets [N] int32 → [loss [], dLogits [N, V]].
  const crossEntropy = ({ inputs, backend: b }: Ctx): TensorInfo[] => {
    const { logits, targets } = inputs as Record<string, TensorInfo>;
    const [rows, cols] = logits!.shape as [number, number];
    P.set([rows, cols]);
    const loss = b.alloc(1);
    const d = b.alloc(rows * cols);
    const ids = b.data.get(targets!.dataId).values as Int32Array;
    addon.softmaxCrossEntropy(vals(b, logits!), ids, loss, d);
    return [b.makeTensorInfo([], 'float32', loss), b.makeTensorInfo(logits!.shape, 'float32', d)];
  };

  return [
    { kernelName: 'TrmAdamW', backendName: BACKEND, kernelFunc: adamW as unknown as KernelFunc },
    {
      kernelName: 'TrmSoftmaxCrossEntropy',
      backendName: BACKEND,
      kernelFunc: crossEntropy as unknown as KernelFunc,
    },
  ];
}

export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** 1 − β₁ᵗ and 1 − β₂ᵗ. */
  bc1: number;
  bc2: number;
}

/**
 * One AdamW update of `params` (with `grads`, moments `m` and `v`, all the same length and
 * shapes) in one native call. Returns the new parameters and moments; the caller assigns them.
 * `decay[i]` is the factor 1 − lr·λ applied to parameter i (1 for none).
 */
export function fusedAdamW(
  params: tf.Tensor[],
  grads: tf.Tensor[],
  m: tf.Tensor[],
  v: tf.Tensor[],
  decay: number[],
  h: AdamWHyper,
): { params: tf.Tensor[]; m: tf.Tensor[]; v: tf.Tensor[] } {
  const n = params.length;
  const hyper = [h.lr, h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, h.eps, h.bc1, h.bc2];
  const out = tf
    .engine()
    .runKernel('TrmAdamW', [...params, ...grads, ...m, ...v] as unknown as tf.NamedTensorMap, {
      decay,
      hyper,
    }) as tf.Tensor[];
  return { params: out.slice(0, n), m: out.slice(n, 2 * n), v: out.slice(2 * n) };
}

// tfjs types customGrad's function as variadic over (Tensor | save); ours name their inputs.
const customGrad = (fn: (...args: never[]) => unknown) =>
  tf.customGrad(fn as unknown as Parameters<typeof tf.customGrad>[0]);

/**
 * Mean softmax cross-entropy of `logits` [N, V] against int32 `targets` [N]; rows whose target
 * is negative are not scored. Forward and gradient in one native pass.
 */
export function fusedSoftmaxCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  const f = customGrad((x: tf.Tensor, t: tf.Tensor, save: tf.GradSaveFunc) => {
    const [loss, d] = tf
      .engine()
      .runKernel('TrmSoftmaxCrossEntropy', { logits: x, targets: t }) as tf.Tensor[];
    save([d!, t]);
    return {
      value: loss!,
      gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) => [tf.mul(s[0]!, dy), tf.zerosLike(s[1]!)],
    };
  });
  return (f as (a: tf.Tensor, b: tf.Tensor) => tf.Scalar)(logits, targets);
}

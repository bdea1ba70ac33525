import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadAddon } from './addon.ts';
import { NATIVE_BACKEND, nativeKernels } from './kernels.ts';
import { PoolBackend } from './pool-backend.ts';
import { trainKernels } from './train-kernels.ts';

export { NATIVE_BACKEND } from './kernels.ts';
export { fusedAdamW, fusedSoftmaxCrossEntropy, type AdamWHyper } from './train-kernels.ts';

let registered: string | undefined | null = null;

/**
 * Register the `native` tfjs backend: tfjs's CPU backend (with a buffer pool) whose hot kernels
 * are replaced by the C++ addon. Returns why it is unavailable, or undefined when registered.
 * Idempotent; the stock `cpu` backend stays untouched.
 */
export function registerNativeBackend(): string | undefined {
  if (registered !== null) return registered;
  const { addon, reason } = loadAddon();
  if (!addon) return (registered = reason);
  tf.registerBackend(NATIVE_BACKEND, () => new PoolBackend(), 0);
  for (const k of tf.getKernelsForBackend('cpu')) {
    tf.registerKernel({ ...k, backendName: NATIVE_BACKEND });
  }
  const stock = (name: string) => {
    const k = tf.getKernel(name, 'cpu');
    if (!k) throw new Error(`tfjs's cpu backend has no ${name} kernel to fall back to.`);
    return k.kernelFunc;
  };
  for (const k of [...nativeKernels(addon, stock), ...trainKernels(addon)]) {
    if (tf.getKernel(k.kernelName, NATIVE_BACKEND))
      tf.unregisterKernel(k.kernelName, NATIVE_BACKEND);
    tf.registerKernel(k);
  }
  return (registered = undefined);
}

// tfjs types customGrad's function as variadic over (Tensor | save); ours name their inputs.
const customGrad = (fn: (...args: never[]) => unknown) =>
  tf.customGrad(fn as unknown as Parameters<typeof tf.customGrad>[0]);

const onNative = () => tf.getBackend() === NATIVE_BACKEND;

/**
 * Fused GELU (forward and backward in one native pass each). Only on the native backend:
 * callers check `fusedAvailable()` and otherwise compose GELU from tfjs ops.
 */
export function fusedGelu(x: Tensor, approximate: 'none' | 'tanh'): Tensor {
  const f = customGrad((xi: Tensor, save: tf.GradSaveFunc) => {
    save([xi]);
    return {
      value: tf.engine().runKernel('TrmGelu', { x: xi }, { approximate }) as Tensor,
      gradFunc: (dy: Tensor, saved: Tensor[]) =>
        tf.engine().runKernel('TrmGeluGrad', { x: saved[0]!, dy }, { approximate }) as Tensor,
    };
  });
  return (f as (a: Tensor) => Tensor)(x);
}

/** Fused RMS normalisation over the last axis: x / sqrt(mean(x²) + eps) · scale. */
export function fusedRmsNorm(x: Tensor, scale: Tensor | undefined, epsilon: number): Tensor {
  if (!scale) {
    const f = customGrad((xi: Tensor, save: tf.GradSaveFunc) => {
      const [y, inv] = tf.engine().runKernel('TrmRmsNorm', { x: xi }, { epsilon }) as Tensor[];
      save([xi, inv!]);
      return {
        value: y!,
        gradFunc: (dy: Tensor, s: Tensor[]) =>
          (
            tf.engine().runKernel('TrmRmsNormGrad', { x: s[0]!, invRms: s[1]!, dy }) as Tensor[]
          )[0]!,
      };
    });
    return (f as (a: Tensor) => Tensor)(x);
  }
  const f = customGrad((xi: Tensor, si: Tensor, save: tf.GradSaveFunc) => {
    const [y, inv] = tf
      .engine()
      .runKernel('TrmRmsNorm', { x: xi, scale: si }, { epsilon }) as Tensor[];
    save([xi, si, inv!]);
    return {
      value: y!,
      gradFunc: (dy: Tensor, s: Tensor[]) =>
        tf.engine().runKernel('TrmRmsNormGrad', {
          x: s[0]!,
          scale: s[1]!,
          invRms: s[2]!,
          dy,
        }) as Tensor[],
    };
  });
  return (f as (a: Tensor, b: Tensor) => Tensor)(x, scale);
}

/**
 * Fused layer normalisation over the last axis: (x − mean) / √(var + eps) · scale + bias, with
 * `scale` and `bias` optional. One native pass each way.
 */
export function fusedLayerNorm(
  x: Tensor,
  scale: Tensor | undefined,
  bias: Tensor | undefined,
  epsilon: number,
): Tensor {
  const extra = [scale, bias].filter((t): t is Tensor => t !== undefined);
  const f = customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    // args: x, then scale and bias where given.
    const [xi, ...rest] = args as Tensor[];
    const si = scale ? rest[0] : undefined;
    const bi = bias ? rest[rest.length - 1] : undefined;
    const inputs = { x: xi!, ...(si ? { scale: si } : {}), ...(bi ? { bias: bi } : {}) };
    const [y, mean, inv] = tf.engine().runKernel('TrmLayerNorm', inputs, { epsilon }) as Tensor[];
    save([xi!, mean!, inv!, ...(si ? [si] : [])]);
    return {
      value: y!,
      gradFunc: (dy: Tensor, s: Tensor[]) =>
        tf
          .engine()
          .runKernel(
            'TrmLayerNormGrad',
            { x: s[0]!, mean: s[1]!, invStd: s[2]!, dy, ...(scale ? { scale: s[3]! } : {}) },
            { bias: !!bias },
          ) as Tensor[],
    };
  });
  return (f as (...a: Tensor[]) => Tensor)(x, ...extra);
}

/**
 * Fused multi-head attention on packed heads (q, k, v [B, T, H·Dh], the same number of query
 * and key/value heads, T = S), scaled by 1/√Dh, optionally causal. One native pass each way.
 */
export function fusedAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  heads: number,
  causal: boolean,
): Tensor {
  const attrs = { heads, causal };
  const f = customGrad((qi: Tensor, ki: Tensor, vi: Tensor, save: tf.GradSaveFunc) => {
    const [y, probs] = tf
      .engine()
      .runKernel('TrmAttention', { q: qi, k: ki, v: vi }, attrs) as Tensor[];
    save([qi, ki, vi, probs!]);
    return {
      value: y!,
      gradFunc: (dy: Tensor, s: Tensor[]) =>
        tf
          .engine()
          .runKernel(
            'TrmAttentionGrad',
            { q: s[0]!, k: s[1]!, v: s[2]!, probs: s[3]!, dy },
            attrs,
          ) as Tensor[],
    };
  });
  return (f as (a: Tensor, b: Tensor, c: Tensor) => Tensor)(q, k, v);
}

/** Whether the fused ops above can run now (the native backend is active). */
export function fusedAvailable(): boolean {
  return onNative();
}

import { numel } from './dims.ts';
import type { Init } from './ir.ts';

/** Mulberry32: a small seeded PRNG, so initial weights are reproducible everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Stable 31-bit seed from a name, so buffers are identical across runs and exports. */
export function hashSeed(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) % 2147483647;
}

/**
 * The standard deviation of a standard normal truncated to [−2, 2]:
 * √(1 − 4φ(2) / (Φ(2) − Φ(−2))) with φ(2) = e⁻²/√(2π).
 */
export const TRUNCATED_STD = 0.8796256610342398;

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Values of a weight or buffer; pure, so the executor and the ONNX emitter agree exactly. */
export function materialize(init: Init, shape: readonly number[], seed: number): Float32Array {
  const n = numel(shape);
  const out = new Float32Array(n);
  switch (init.kind) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'constant':
      return out.fill(init.value);
    case 'normal': {
      const rand = mulberry32(seed);
      for (let i = 0; i < n; i++) out[i] = gaussian(rand) * init.std;
      return out;
    }
    case 'uniform': {
      const rand = mulberry32(seed);
      for (let i = 0; i < n; i++) out[i] = (2 * rand() - 1) * init.bound;
      return out;
    }
    case 'truncated-normal': {
      const rand = mulberry32(seed);
      const std = init.corrected ? init.std / TRUNCATED_STD : init.std;
      for (let i = 0; i < n; i++) {
        let g = gaussian(rand);
        while (Math.abs(g) > 2) g = gaussian(rand);
        out[i] = g * std;
      }
      return out;
    }
    case 'sinusoidal': {
      const [positions = 0, width = 0] = shape;
      for (let pos = 0; pos < positions; pos++) {
        for (let i = 0; i < width; i++) {
          const freq = Math.pow(10000, -(2 * Math.floor(i / 2)) / width);
          out[pos * width + i] = i % 2 === 0 ? Math.sin(pos * freq) : Math.cos(pos * freq);
        }
      }
      return out;
    }
  }
}

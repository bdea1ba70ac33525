/**
 * Small seeded random numbers (sfc32) with seeds derived by hashing a list of integers, so that
 * any (seed, stream, index, row) tuple gets its own independent, reproducible generator.
 */

/** murmur3's finalizer: a bijective avalanche on uint32. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes a list of integers (any safe integers, negative allowed) into 4 uint32 words. */
function hashWords(parts: readonly number[]): [number, number, number, number] {
  const out: [number, number, number, number] = [0x9e3779b9, 0x243f6a88, 0xb7e15162, 0x6a09e667];
  for (const p of parts) {
    // Split into two 32-bit halves so seeds above 2^32 still matter.
    const words = [p >>> 0, Math.floor(p / 4294967296) >>> 0];
    for (const w of words) {
      for (let k = 0; k < 4; k++) out[k] = fmix((out[k] as number) ^ fmix(w + k * 0x61c88647));
      out[0] = (out[0] + out[3]) >>> 0;
    }
  }
  return out;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A generator for the tuple `parts` (e.g. `Rng.of(seed, stream, index, row)`). */
  static of(...parts: number[]): Rng {
    return new Rng(parts);
  }

  private constructor(parts: readonly number[]) {
    [this.a, this.b, this.c, this.d] = hashWords(parts);
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform uint32. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Shuffles in place (Fisher-Yates) and returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }
}

/** Stream ids keep training, validation and pools apart for one seed. */
export const Stream = {
  train: 1,
  validation: 2,
  pool: 3,
  split: 4,
  /** The trainer's halting exploration (engine/train/slots.ts). */
  haltExplore: 5,
} as const;

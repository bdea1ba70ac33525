import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ADDON_PATH } from './build.ts';

type F32 = Float32Array;
type I32 = Int32Array;

/** The C++ side (src/kernels.cc). Sizes and shapes are passed in the shared block `P`. */
export interface Addon {
  init(p: I32): void;
  /** BLAS threads (OpenBLAS); false where the BLAS has no such control. */
  setThreads(n: number): boolean;
  gemm(a: F32, b: F32, c: F32): void;
  binary(op: number, a: F32, b: F32, out: F32): void;
  unary(op: number, x: F32, out: F32, alpha?: number): void;
  reduce(op: number, x: F32, out: F32): void;
  softmax(x: F32, out: F32): void;
  transpose(x: F32, out: F32): void;
  gather(x: F32, indices: I32, out: F32): void;
  segmentSum(x: F32, ids: I32, out: F32): void;
  slice(x: F32, out: F32): void;
  concat(out: F32, ...xs: F32[]): void;
  attention(q: F32, k: F32, v: F32, out: F32, probs: F32): void;
  attentionGrad(q: F32, k: F32, v: F32, probs: F32, dOut: F32, dq: F32, dk: F32, dv: F32): void;
  select(cond: Uint8Array, a: F32, b: F32, out: F32): void;
  addN(out: F32, ...xs: F32[]): void;
  gelu(x: F32, out: F32, approximate: number): void;
  geluGrad(x: F32, dy: F32, dx: F32, approximate: number): void;
  rmsNorm(x: F32, scale: F32 | null, out: F32, invRms: F32, eps: number): void;
  rmsNormGrad(x: F32, scale: F32 | null, invRms: F32, dy: F32, dx: F32, dScale: F32 | null): void;
  layerNorm(
    x: F32,
    scale: F32 | null,
    bias: F32 | null,
    out: F32,
    mean: F32,
    invStd: F32,
    eps: number,
  ): void;
  layerNormGrad(
    x: F32,
    scale: F32 | null,
    mean: F32,
    invStd: F32,
    dy: F32,
    dx: F32,
    dScale: F32 | null,
    dBias: F32 | null,
  ): void;
  /** One AdamW update of every parameter (src/train.cc); hyper as in train-kernels.ts. */
  adamw(
    p: F32[],
    g: F32[],
    m: F32[],
    v: F32[],
    pOut: F32[],
    mOut: F32[],
    vOut: F32[],
    decay: F32,
    hyper: F32,
  ): void;
  softmaxCrossEntropy(logits: F32, targets: I32, loss: F32, dLogits: F32): void;
}

/** The shared parameter block: shapes and sizes for the next addon call. */
export const P = new Int32Array(64);

export const NOT_BUILT =
  'native kernels not built: run npm run build:native (needs g++ and libopenblas-dev)';

let cached: { addon?: Addon; reason?: string } | undefined;

/** The addon, or the sentence saying why it is unavailable. Never throws. */
export function loadAddon(): { addon?: Addon; reason?: string } {
  if (cached) return cached;
  if (!existsSync(ADDON_PATH)) return (cached = { reason: NOT_BUILT });
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
    addon.init(P);
    // One BLAS thread unless asked: this model's products are small, and on a busy 2-core
    // machine spinning BLAS threads made a training step 3× slower (bench/profile.ts).
    const threads = Number(process.env.TRM_NATIVE_THREADS);
    addon.setThreads(threads > 0 ? threads : 1);
    cached = { addon };
  } catch (e) {
    cached = {
      reason: `native kernels failed to load (${(e as Error).message.split('\n')[0]}); rebuild them with npm run build:native`,
    };
  }
  return cached;
}

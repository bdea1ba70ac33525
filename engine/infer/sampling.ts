import type { SamplingConfig } from '../contract/sampling.ts';
import { mulberry32 } from '../graph/init.ts';

/**
 * Logits must be finite, except -Infinity for ruled-out tokens (at least one must remain):
 * otherwise every choice would silently be token 0.
 */
function checkLogits(logits: ArrayLike<number>): void {
  let finite = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i] as number;
    if (Number.isNaN(v) || v === Infinity) finite = -Infinity;
    else if (v !== -Infinity) finite++;
  }
  if (!(finite > 0)) {
    throw new Error(
      'The model produced NaN or infinite logits, so no token can be chosen: its weights have diverged. Retrain with a lower learning rate, or load an earlier checkpoint.',
    );
  }
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++)
    if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/** log-softmax in float64 for numerical safety. */
export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  checkLogits(logits);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] as number);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] as number) - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = (logits[i] as number) - lse;
  return out;
}

/** Probabilities after temperature, top-k and top-p filtering (zeros where filtered out). */
export function filteredProbabilities(
  logits: ArrayLike<number>,
  cfg: Pick<SamplingConfig, 'temperature' | 'topK' | 'topP'>,
): Float64Array {
  const n = logits.length;
  const scaled = new Float64Array(n);
  for (let i = 0; i < n; i++) scaled[i] = (logits[i] as number) / cfg.temperature;
  const probs = logSoftmax(scaled).map(Math.exp);
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (probs[b] as number) - (probs[a] as number),
  );
  const keep = new Uint8Array(n);
  let mass = 0;
  for (let rank = 0; rank < n; rank++) {
    const i = order[rank] as number;
    if (cfg.topK > 0 && rank >= cfg.topK) break;
    keep[i] = 1;
    mass += probs[i] as number;
    if (mass >= cfg.topP) break;
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += keep[i] ? (probs[i] as number) : 0;
  for (let i = 0; i < n; i++) probs[i] = keep[i] ? (probs[i] as number) / total : 0;
  return probs;
}

export type Rng = () => number;

export function createRng(seed: number): Rng {
  return mulberry32(seed);
}

/** Pick the next token from one position's logits: greedy at temperature 0, else sample. */
export function pickToken(logits: ArrayLike<number>, cfg: SamplingConfig, rng: Rng): number {
  checkLogits(logits);
  if (cfg.temperature === 0) return argmax(logits);
  const probs = filteredProbabilities(logits, cfg);
  let r = rng();
  for (let i = 0; i < probs.length; i++) {
    r -= probs[i] as number;
    if (r <= 0 && (probs[i] as number) > 0) return i;
  }
  return argmax(probs);
}

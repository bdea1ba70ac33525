import * as tf from '@tensorflow/tfjs-core';
import type { IrProgram } from '../graph/ir.ts';
import type { WeightStore } from '../runtime/weights.ts';

/**
 * Magnitude pruning (Han et al. 2015): the smallest weights by |w| are set to zero and kept
 * there by a 0/1 mask while the run fine-tunes. Pruned are the matrices — the weights that take
 * weight decay (linear maps, attention and FFN projections, embedding tables); norm scales,
 * biases and learned positions are left whole. Per layer, each matrix loses round(S·n) of its
 * n entries; global, round(S·N) of all N prunable entries go wherever the smallest are, so
 * layers end up with different sparsities.
 */

/** The weights magnitude pruning may zero: decayed (matrix) parameters of rank ≥ 2. */
export function prunableWeights(program: IrProgram): string[] {
  return [...program.params.values()]
    .filter((p) => p.decay && p.shape.length >= 2 && p.counted !== false)
    .map((p) => p.name);
}

/** Per weight: 1 where the entry stays, 0 where it is pruned. */
export type Masks = Map<string, Uint8Array>;

/** The k smallest entries by magnitude (ties: the lower index first) of one flat array. */
function smallest(values: Float32Array, k: number): Uint32Array {
  const order = new Uint32Array(values.length).map((_, i) => i);
  order.sort((a, b) => Math.abs(values[a]!) - Math.abs(values[b]!) || a - b);
  return order.subarray(0, k);
}

/**
 * Masks that prune `sparsity` of the given weights by magnitude: of each one (per layer) or of
 * all of them together (`global`). The counts are exact: round(S·n) per weight, round(S·N) in all.
 */
export function magnitudeMasks(
  weights: ReadonlyMap<string, Float32Array>,
  sparsity: number,
  global: boolean,
): Masks {
  if (!(sparsity >= 0 && sparsity < 1)) {
    throw new Error(
      `The sparsity must be at least 0 and below 1 (the share of weights set to zero), not ${sparsity}.`,
    );
  }
  const masks: Masks = new Map();
  for (const [name, w] of weights) masks.set(name, new Uint8Array(w.length).fill(1));
  if (!global) {
    for (const [name, w] of weights) {
      const mask = masks.get(name)!;
      for (const i of smallest(w, Math.round(sparsity * w.length))) mask[i] = 0;
    }
    return masks;
  }
  // One ranking over every entry: [N] magnitudes, then back to (weight, index).
  const names = [...weights.keys()];
  const total = names.reduce((n, k) => n + weights.get(k)!.length, 0);
  const all = new Float32Array(total);
  const starts: number[] = [];
  let at = 0;
  for (const name of names) {
    starts.push(at);
    all.set(weights.get(name)!, at);
    at += weights.get(name)!.length;
  }
  for (const flat of smallest(all, Math.round(sparsity * total))) {
    let w = names.length - 1;
    while (starts[w]! > flat) w--;
    masks.get(names[w]!)![flat - starts[w]!] = 0;
  }
  return masks;
}

/** Zeroed entries over all entries, of every masked weight together and of each. */
export function maskSparsity(masks: Masks): { total: number; byWeight: Record<string, number> } {
  let zeros = 0;
  let size = 0;
  const byWeight: Record<string, number> = {};
  for (const [name, m] of masks) {
    let z = 0;
    for (const v of m) if (v === 0) z++;
    byWeight[name] = z / Math.max(1, m.length);
    zeros += z;
    size += m.length;
  }
  return { total: zeros / Math.max(1, size), byWeight };
}

/** The masks as float 0/1 tensors shaped like their weights (the trainer multiplies by them). */
export function maskTensors(masks: Masks, store: WeightStore): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, m] of masks) {
    const p = store.params.get(name);
    if (!p) throw new Error(`The mask names "${name}", which this graph has no weight of.`);
    out[name] = tf.tensor(Float32Array.from(m), p.shape);
  }
  return out;
}

/** Prune `store` in place by magnitude (its weights read asynchronously); returns the masks. */
export async function pruneByMagnitude(
  store: WeightStore,
  names: readonly string[],
  sparsity: number,
  global: boolean,
): Promise<Masks> {
  const read = (await Promise.all(names.map((n) => store.params.get(n)!.data()))) as Float32Array[];
  const values = new Map(names.map((n, i) => [n, read[i]!] as const));
  const masks = magnitudeMasks(values, sparsity, global);
  const tensors = maskTensors(masks, store);
  for (const [name, m] of Object.entries(tensors)) {
    const p = store.params.get(name)!;
    tf.tidy(() => p.assign(tf.mul(p, m)));
  }
  tf.dispose(Object.values(tensors));
  return masks;
}

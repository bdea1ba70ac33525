import type { KvEntry } from '../graph/decode.ts';
import type { NextLogits } from './generate.ts';
import { lastPositions, padBatch } from './batch.ts';

/**
 * One call of a KV-cache program: `tokens` [B, T] (the new tokens only), and for every cache
 * entry its past keys and values [B, P, W] (flat, key then value per entry). Returns the
 * logits [B, T, V] and the present keys and values [B, P+T, W] in the same order.
 */
export type KvRun = (
  tokens: Int32Array,
  batch: number,
  length: number,
  past: Float32Array[],
  pastLength: number,
) => Promise<{ logits: Float32Array; vocab: number; present: Float32Array[] }>;

function isPrefix(prefix: readonly number[], of: readonly number[]): boolean {
  if (prefix.length > of.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== of[i]) return false;
  return true;
}

/**
 * Next-token logits with a KV cache: when every sequence extends a sequence of the previous
 * call (greedy and sampling append one token; beam search reorders beams, so cached rows are
 * gathered), only the new tokens run. Anything else (the first call, a window that slid past
 * the context length, sequences of unequal length) recomputes from an empty cache, which
 * gives exactly the full model's logits.
 */
export function cachedNextLogits(
  run: KvRun,
  cache: readonly KvEntry[],
  /** false: every call starts from an empty cache (full recompute through the same program). */
  reuse = true,
): NextLogits {
  const widths = cache.flatMap((e) => [e.width, e.width]);
  let saved: { seqs: number[][]; past: Float32Array[]; length: number } | undefined;
  return async (sequences) => {
    const length = sequences[0]?.length ?? 0;
    const equal = sequences.every((s) => s.length === length);
    let rows: number[] | undefined;
    if (reuse && saved && equal && length > saved.length) {
      const from = saved;
      rows = sequences.map((s) => from.seqs.findIndex((c) => isPrefix(c, s)));
      if (rows.some((r) => r < 0)) rows = undefined;
    }
    const p = rows && saved ? saved.length : 0;
    const batch = sequences.length;
    const past = widths.map((w, i) => {
      const out = new Float32Array(batch * p * w);
      if (rows && saved) {
        const src = saved.past[i] as Float32Array;
        rows.forEach((r, b) => out.set(src.subarray(r * p * w, (r + 1) * p * w), b * p * w));
      }
      return out;
    });
    const fresh = sequences.map((s) => s.slice(p));
    const { data, length: t } = padBatch(fresh);
    const r = await run(data, batch, t, past, p);
    saved = equal ? { seqs: sequences.map((s) => [...s]), past: r.present, length } : undefined;
    return lastPositions(r.logits, fresh, t, r.vocab);
  };
}

/** Batching helpers shared by every runtime's adapter (no tensors). */

/**
 * Right-pads sequences of unequal length with token 0 into one [B, T] batch. Causal models
 * never look right, so the logits at each sequence's last real position are unaffected. A
 * model of fixed length (`fixed`) gets rows of that length: an encoder–decoder's row whose
 * target part is filled so far (the rest <pad>, id 0).
 */
export function padBatch(
  sequences: number[][],
  fixed?: number,
): { data: Int32Array; length: number } {
  const length = fixed ?? Math.max(...sequences.map((s) => s.length));
  const data = new Int32Array(sequences.length * length);
  sequences.forEach((s, b) => data.set(s, b * length));
  return { data, length };
}

/** The rows of [B, T, V] logits at each sequence's last position. */
export function lastPositions(
  all: Float32Array,
  sequences: number[][],
  length: number,
  vocab: number,
): Float32Array[] {
  return sequences.map((s, b) => {
    const at = (b * length + s.length - 1) * vocab;
    return all.slice(at, at + vocab);
  });
}

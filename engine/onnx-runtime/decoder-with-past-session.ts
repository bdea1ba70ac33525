import ort from 'onnxruntime-node';
import { ENCODER_STATES } from '../graph/ir/encoder-decoder.ts';
import { DECODER_INPUT_IDS, ENCODER_MASK } from '../graph/ir/decoder-with-past.ts';
import { lastPositions, padBatch } from '../infer/batch.ts';
import type { NextLogits } from '../infer/generate.ts';
import { runOnnx } from './verify.ts';

/*
 * Greedy, sampled and beam decoding through the with-past pair (HF signature: int64 ids and
 * mask, caches [B, heads, ·, Dh]): the first call runs the encoder and the init decoder on the
 * start token (and any target so far); every later call whose rows extend the previous call's
 * rows (beam search reorders them: the cached rows are gathered) runs only the new tokens
 * through the with-past decoder. Anything else starts again from the encoder.
 */

type Session = ort.InferenceSession;

/** What the with-past decoding needs to know of the files (config.json's trm.decoder_with_past). */
export interface WithPastShape {
  /** Row length L: the encoder reads the whole row. */
  length: number;
  /** Source positions S; the decoder's tokens start at row position `start`. */
  source: number;
  start: number;
  /** encoder_attention_mask is 1 where the source id is not this one. */
  padId: number;
  /** Cache names after `past_key_values.` / `present.`: decoder ones first, then encoder ones. */
  decoder: string[];
  encoder: string[];
}

interface Saved {
  seqs: number[][];
  length: number;
  /** Per cache label, [B, H, P or S, Dh] flat, batch-major. */
  caches: Map<string, { data: Float32Array; dims: number[] }>;
}

const int64 = (ids: ArrayLike<number>, dims: number[]) =>
  new ort.Tensor('int64', BigInt64Array.from(Array.from(ids, (x) => BigInt(x))), dims);

function isPrefix(prefix: readonly number[], of: readonly number[]): boolean {
  return prefix.length <= of.length && prefix.every((t, i) => of[i] === t);
}

/** The rows `rows` of a batch-major tensor, in that order (itself when they are all, in order). */
function gather(t: { data: Float32Array; dims: number[] }, rows: number[]) {
  if (rows.length === t.dims[0] && rows.every((r, i) => r === i)) return t;
  const per = t.data.length / (t.dims[0] as number);
  const data = new Float32Array(rows.length * per);
  rows.forEach((r, b) => data.set(t.data.subarray(r * per, (r + 1) * per), b * per));
  return { data, dims: [rows.length, ...t.dims.slice(1)] };
}

/** Calls of each decoder file so far (how many steps the cache served). */
export interface WithPastCalls {
  init: number;
  step: number;
}

export function withPastNextLogits(
  encoder: Session,
  init: Session,
  step: Session,
  shape: WithPastShape,
  calls: WithPastCalls = { init: 0, step: 0 },
): NextLogits {
  let saved: Saved | undefined;
  const labels = [...shape.decoder, ...shape.encoder];
  const mask = (sequences: number[][]) => {
    const m = sequences.flatMap((s) =>
      Array.from({ length: shape.source }, (_, i) => (s[i] === shape.padId ? 0 : 1)),
    );
    return int64(m, [sequences.length, shape.source]);
  };
  /** Saves the call's caches: its present outputs, else (cross-attention) the past it was fed. */
  const keep = (
    sequences: number[][],
    out: ort.InferenceSession.OnnxValueMapType,
    past?: Saved['caches'],
  ) => {
    const caches = new Map<string, { data: Float32Array; dims: number[] }>();
    for (const label of labels)
      for (const part of ['key', 'value']) {
        const t = out[`present.${label}.${part}`];
        const fed = past?.get(`${label}.${part}`);
        if (t) caches.set(`${label}.${part}`, { data: t.data as Float32Array, dims: [...t.dims] });
        else if (fed) caches.set(`${label}.${part}`, fed);
      }
    const length = sequences[0]!.length;
    saved = sequences.every((s) => s.length === length)
      ? { seqs: sequences.map((s) => [...s]), length, caches }
      : undefined;
  };
  return async (sequences) => {
    const batch = sequences.length;
    const length = sequences[0]?.length ?? 0;
    const from = saved;
    let rows: number[] | undefined;
    if (from && sequences.every((s) => s.length === length) && length > from.length) {
      rows = sequences.map((s) => from.seqs.findIndex((c) => isPrefix(c, s)));
      if (rows.some((r) => r < 0)) rows = undefined;
    }
    if (from && rows) {
      // Only the new tokens: [B, T] with T = length − P, the caches gathered by row.
      const fresh = sequences.map((s) => s.slice(from.length));
      const t = length - from.length;
      const feeds: Record<string, ort.Tensor> = {
        [DECODER_INPUT_IDS]: int64(fresh.flat(), [batch, t]),
        [ENCODER_MASK]: mask(sequences),
      };
      const past = new Map<string, { data: Float32Array; dims: number[] }>();
      for (const [name, c] of from.caches) {
        const g = gather(c, rows);
        past.set(name, g);
        feeds[`past_key_values.${name}`] = new ort.Tensor('float32', g.data, g.dims);
      }
      const out = await step.run(pick(step, feeds));
      calls.step++;
      keep(sequences, out, past);
      const logits = out.logits!;
      return lastPositions(logits.data as Float32Array, fresh, t, logits.dims[2] as number);
    }
    // From the start: the encoder over the rows, then the decoder over its tokens so far.
    const { data } = padBatch(sequences, shape.length);
    const states = (await runOnnx(encoder, { tokens: { data, dims: [batch, shape.length] } }))[
      ENCODER_STATES
    ]!;
    const width = states.length / batch / shape.source;
    const decoded = sequences.map((s) => s.slice(shape.start));
    const { data: ids, length: t } = padBatch(decoded);
    const out = await init.run(
      pick(init, {
        [DECODER_INPUT_IDS]: int64(ids, [batch, t]),
        [ENCODER_MASK]: mask(sequences),
        [ENCODER_STATES]: new ort.Tensor('float32', states, [batch, shape.source, width]),
      }),
    );
    calls.init++;
    keep(sequences, out);
    const logits = out.logits!;
    return lastPositions(logits.data as Float32Array, decoded, t, logits.dims[2] as number);
  };
}

/** Only the feeds a session takes (a decoder without a source mask has no mask input). */
function pick(session: Session, feeds: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
  return Object.fromEntries(session.inputNames.map((n) => [n, feeds[n]!]));
}

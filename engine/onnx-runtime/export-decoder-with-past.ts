import type { IrProgram } from '../graph/ir.ts';
import {
  DECODER_INPUT_IDS,
  ENCODER_MASK,
  toDecoderWithPast,
  type PastEntry,
} from '../graph/ir/decoder-with-past.ts';
import { withHfSignature, type HfCacheEntry } from '../onnx/hf-signature.ts';
import type { WithPastShape } from './decoder-with-past-session.ts';

/*
 * The decoder's cached pair, in Optimum's split layout and the Hugging Face signature (int64
 * input_ids and encoder_attention_mask, caches [batch, heads, positions, head_dim]):
 *   onnx/decoder_model.onnx            first step: input_ids, encoder_attention_mask,
 *                                      encoder_hidden_states → logits,
 *                                      present.{i}.decoder.key|value, present.{i}.encoder.key|value
 *   onnx/decoder_with_past_model.onnx  later steps: input_ids (new tokens), encoder_attention_mask,
 *                                      past_key_values.{i}.decoder|encoder.key|value
 *                                      → logits, present.{i}.decoder.key|value
 * Both are emitted from IR programs (engine/graph/ir/decoder-with-past.ts) by the same emitter
 * as every export; the HF signature is a wrapper at the edges.
 */

export interface DecoderWithPastFiles {
  init: Uint8Array;
  step: Uint8Array;
  programs: { init: IrProgram; step: IrProgram };
  /** What decoding (and config.json) needs, less the row length and source positions. */
  shape: Omit<WithPastShape, 'length' | 'source'>;
}

const label = (e: PastEntry) => `${e.layer}.${e.kind}`;

function plan(program: IrProgram, cache: PastEntry[], withPast: boolean) {
  const logits = program.outputs.find((o) => o.role === 'logits')!;
  const has = (name: string, list: { name: string }[]) => list.some((v) => v.name === name);
  const entries: HfCacheEntry[] = cache.map((e) => ({
    ...(withPast && has(e.pastKey, program.inputs)
      ? { pastKey: e.pastKey, pastValue: e.pastValue }
      : {}),
    ...(has(e.presentKey, program.outputs)
      ? { presentKey: e.presentKey, presentValue: e.presentValue }
      : {}),
    heads: e.heads,
    headDim: e.width / e.heads,
    label: label(e),
  }));
  return {
    tokens: DECODER_INPUT_IDS,
    logits: logits.name,
    attentionMask: false,
    ids: has(ENCODER_MASK, program.inputs)
      ? [{ name: ENCODER_MASK, dims: ['batch_size', 'encoder_sequence_length'] }]
      : [],
    cache: entries,
  };
}

/**
 * The decoder's init and with-past files, or the sentence saying why it has none (a node kind
 * whose positions cannot be cached).
 */
export function emitDecoderWithPast(
  decoder: IrProgram,
  emit: (p: IrProgram, part: string) => Uint8Array,
): DecoderWithPastFiles | { skipped: string } {
  let d;
  try {
    d = toDecoderWithPast(decoder);
  } catch (e) {
    return { skipped: (e as Error).message };
  }
  const init = withHfSignature(emit(d.init, 'decoder_model'), plan(d.init, d.cache, false));
  const step = withHfSignature(
    emit(d.withPast, 'decoder_with_past_model'),
    plan(d.withPast, d.cache, true),
  );
  return {
    init,
    step,
    programs: { init: d.init, step: d.withPast },
    shape: {
      start: d.start,
      padId: d.padId ?? -1,
      decoder: d.cache.filter((e) => e.kind === 'decoder').map(label),
      encoder: d.cache.filter((e) => e.kind === 'encoder').map(label),
    },
  };
}

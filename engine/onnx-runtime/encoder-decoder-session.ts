import type { IrProgram } from '../graph/ir.ts';
import { ENCODER_STATES } from '../graph/ir/encoder-decoder.ts';
import { lastPositions, padBatch } from '../infer/batch.ts';
import type { NextLogits } from '../infer/generate.ts';
import { runOnnx, type createSession } from './verify.ts';

type Session = Awaited<ReturnType<typeof createSession>>;

/**
 * Next-token logits from an exported encoder–decoder pair: each call runs the encoder on the
 * rows (padded to the fixed row length), then the decoder on the rows and the memory, and
 * keeps each row's logits at its last filled position. The encoder reruns on every call (the
 * source part of the rows does not change while decoding; caching it is the caller's choice).
 */
export function onnxPairNextLogits(
  encoder: Session,
  decoder: Session,
  pair: { encoder: IrProgram; decoder: IrProgram },
  length: number,
): NextLogits {
  // The memory: [B, S, D].
  const [, source, width] = pair.encoder.outputs[0]!.shape as [string, number, number];
  const head = pair.decoder.outputs[0]!.name;
  return async (sequences) => {
    const { data } = padBatch(sequences, length);
    const tokens = { data, dims: [sequences.length, length] };
    const states = (await runOnnx(encoder, { tokens }))[ENCODER_STATES]!;
    const memory = { data: states, dims: [sequences.length, source, width] };
    // [B, L, V] -> one [V] per row, at its last token.
    const logits = (await runOnnx(decoder, { tokens, [ENCODER_STATES]: memory }))[head]!;
    return lastPositions(logits, sequences, length, logits.length / sequences.length / length);
  };
}

import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import { defineKind } from '../node-kind.ts';
import { expectActivations, size, value } from './common.ts';

export const SequencePadParams = z.strictObject({
  /** @default 1 */
  before: size('Zero positions put in front of the sequence.').default(1),
});

/**
 * `before` zero positions in front of activations: [B, T, D] → [B, before+T, D]. A decoder that
 * reads only the target part of a "source = target" sequence pads its output back to the full
 * length, so the head's logits line up with the data's targets (the padded positions' targets
 * are ignored).
 */
export const sequencePad = defineKind({
  kind: 'sequence-pad',
  title: 'Sequence pad',
  category: 'structure',
  doc: 'Puts zero positions in front of activations: [B, T, D] → [B, before+T, D].',
  params: SequencePadParams,
  ports: () => ({
    inputs: [{ name: 'x', doc: 'activations [B, T, D]', type: 'float' }],
    outputs: [{ name: 'out', doc: 'zeros, then x [B, before+T, D]', type: 'float' }],
  }),
  infer: (p, inputs, ctx) => {
    const x = inputs.x;
    if (!expectActivations(ctx, 'x', x)) return undefined;
    const t = x.shape[1];
    if (typeof t !== 'number') {
      ctx.report({ ...messages.padNeedsLength(ctx.nodeId, t ?? '?'), port: 'x' });
      return undefined;
    }
    return { out: { shape: [x.shape[0] ?? 'B', p.before + t, x.shape[2] ?? 1], dtype: x.dtype } };
  },
  weights: () => [],
  flopsPerToken: () => 0,
  lower: (p, inputs, ctx) => {
    const x = inputs.x;
    if (!x) return undefined;
    const [batch, t, width] = x.shape;
    if (typeof t !== 'number' || typeof width !== 'number') return undefined;
    // [before, D] zeros against [B, 1, D] -> [B, before, D], then concatenated in front of x.
    const first = ctx.op({ op: 'SlicePrefix', x: x.value, axis: 1, length: 1 });
    const zeros = ctx.op({
      op: 'BroadcastLike',
      x: ctx.buffer('zeros', [p.before, width], { kind: 'zeros' }),
      like: first,
    });
    const out = ctx.op({ op: 'Concat', inputs: [zeros, x.value], axis: 1 });
    return { out: value(out, { shape: [batch ?? 'B', p.before + t, width], dtype: x.dtype }) };
  },
});

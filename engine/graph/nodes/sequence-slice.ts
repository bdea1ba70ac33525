import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import { defineKind } from '../node-kind.ts';
import { size, value } from './common.ts';

export const SequenceSliceParams = z.strictObject({
  /** @default 0 */
  start: z.number().int().min(0).default(0).describe('First position kept (0-based).'),
  length: size('Number of positions kept.'),
});

/**
 * Positions start..start+length−1 of a sequence, token ids [B, T] or activations [B, T, D]:
 * how one input sequence "source = target" is split into an encoder's source and a decoder's
 * target part.
 */
export const sequenceSlice = defineKind({
  kind: 'sequence-slice',
  title: 'Sequence slice',
  category: 'structure',
  doc: 'Keeps positions [start, start+length) of token ids [B, T] or activations [B, T, D].',
  params: SequenceSliceParams,
  ports: () => ({
    inputs: [{ name: 'x', doc: 'token ids [B, T] or activations [B, T, D]', type: 'any' }],
    outputs: [{ name: 'out', doc: 'the kept positions [B, length(, D)]', type: 'any' }],
  }),
  infer: (p, inputs, ctx) => {
    const x = inputs.x;
    if (!x) return undefined;
    if (x.shape.length < 2) {
      ctx.report({
        ...messages.rankMismatch(ctx.nodeId, 'x', 'a sequence [B, T] or [B, T, D]', x.shape),
        port: 'x',
      });
      return undefined;
    }
    const have = x.shape[1];
    const end = p.start + p.length;
    if (typeof have === 'number' && end > have) {
      ctx.report({ ...messages.sliceOutOfRange(ctx.nodeId, p.start, end, have), port: 'x' });
      return undefined;
    }
    const shape = [...x.shape];
    shape[1] = p.length;
    return { out: { shape, dtype: x.dtype } };
  },
  weights: () => [],
  flopsPerToken: () => 0,
  lower: (p, inputs, ctx) => {
    const x = inputs.x;
    if (!x) return undefined;
    const out = ctx.op({
      op: 'SlicePrefix',
      x: x.value,
      axis: 1,
      length: p.length,
      start: p.start,
    });
    const shape = [...x.shape];
    shape[1] = p.length;
    return { out: value(out, { shape, dtype: x.dtype }) };
  },
});

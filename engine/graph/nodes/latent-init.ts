import { z } from 'zod';
import { defineKind } from '../node-kind.ts';
import { expectActivations, size, value } from './common.ts';

export const LatentInitParams = z.strictObject({
  width: size('Width D of the state.'),
  /** @default 1 — TRM's initial y and z: truncated normal, std 1. */
  std: z.number().positive().max(100).default(1).describe('Std of the fixed random vector.'),
  /** @default 0 — change it to give two states different vectors. */
  seed: z.number().int().min(0).default(0).describe('Seed of the fixed random vector.'),
  /**
   * @default false — the normal is truncated at ±2σ, which leaves a std of 0.88·std; the TRM
   * code corrects for that so the vector's std is `std`.
   */
  corrected: z
    .boolean()
    .default(false)
    .describe(
      "Correct for the truncation at ±2σ so the vector's std is exactly std (the TRM code's).",
    ),
});

export const latentInit = defineKind({
  kind: 'latent-init',
  title: 'Initial state',
  category: 'structure',
  doc: "A fixed (not learned) random vector broadcast to every position: TRM's initial y and z.",
  params: LatentInitParams,
  ports: () => ({
    inputs: [
      { name: 'like', doc: 'any [B, T, D] tensor giving the batch and length', type: 'float' },
    ],
    outputs: [{ name: 'out', doc: 'initial state [B, T, D]', type: 'float' }],
  }),
  infer: (p, inputs, ctx) =>
    expectActivations(ctx, 'like', inputs.like, p.width) ? { out: inputs.like } : undefined,
  weights: () => [],
  flopsPerToken: () => 0,
  lower: (p, inputs, ctx) => {
    const like = inputs.like;
    if (!like) return undefined;
    const vec = ctx.buffer(`init${p.seed}${p.corrected ? 'c' : ''}`, [p.width], {
      kind: 'truncated-normal',
      std: p.std,
      ...(p.corrected ? { corrected: true } : {}),
    });
    return { out: value(ctx.op({ op: 'BroadcastLike', x: vec, like: like.value }), like) };
  },
});

import { z } from 'zod';
import { defineKind, type LowerContext, type WeightSpec } from '../node-kind.ts';
import {
  expectActivations,
  matrixInit,
  prob,
  roundUp,
  size,
  value,
  weightInit,
  type WeightInit,
} from './common.ts';

export const Activation = z.enum(['relu', 'gelu', 'swiglu']);

export const FfnParams = z.strictObject({
  width: size('Model width D (input and output).'),
  /** @default 4 */
  ratio: z.number().positive().max(64).default(4).describe('Hidden width as a multiple of D.'),
  /** @default derived: ratio·D, or ⅔·ratio·D for SwiGLU, rounded up to multipleOf */
  hidden: size('Explicit hidden width (overrides ratio).').optional(),
  /** @default 1 */
  multipleOf: size('Round the derived hidden width up to a multiple of this.').default(1),
  /** @default 'gelu' */
  activation: Activation.default('gelu').describe('ReLU, GELU, or SwiGLU (gated, three matrices).'),
  /** @default false */
  bias: z.boolean().default(false).describe('Biases on the projections.'),
  /** @default 0 */
  dropout: prob('Dropout on the output while training.').default(0),
  /** @default 'normal' */
  init: weightInit(),
});
type FfnParams = z.infer<typeof FfnParams>;

export function ffnHidden(
  p: { ratio: number; hidden?: number | undefined; multipleOf: number; activation: string },
  width: number,
): number {
  if (p.hidden !== undefined) return p.hidden;
  const raw = p.activation === 'swiglu' ? (2 / 3) * p.ratio * width : p.ratio * width;
  // At least one hidden unit: a tiny ratio must not produce a zero-width layer.
  return roundUp(Math.max(1, Math.round(raw)), p.multipleOf);
}

/** Weights of a (gated) MLP from `inWidth` to `hidden` and back; shared with sequence-mlp. */
export function mlpWeights(
  inWidth: number,
  hidden: number,
  gated: boolean,
  bias: boolean,
  init: WeightInit = 'normal',
): WeightSpec[] {
  const up = matrixInit(init, inWidth);
  const w: WeightSpec[] = [
    { local: 'w1', shape: [inWidth, hidden], init: up, decay: true },
    { local: 'w2', shape: [hidden, inWidth], init: matrixInit(init, hidden), decay: true },
  ];
  if (gated) w.push({ local: 'w3', shape: [inWidth, hidden], init: up, decay: true });
  if (bias) {
    w.push({ local: 'b1', shape: [hidden], init: { kind: 'zeros' }, decay: false });
    w.push({ local: 'b2', shape: [inWidth], init: { kind: 'zeros' }, decay: false });
    if (gated) w.push({ local: 'b3', shape: [hidden], init: { kind: 'zeros' }, decay: false });
  }
  return w;
}

/** x·W1 → activation (gated by x·W3 for SwiGLU) → ·W2, over the last axis. */
export function lowerMlp(
  ctx: LowerContext,
  x: string,
  activation: string,
  w: Record<string, string>,
): string {
  const lin = (m: string, b: string | undefined) => {
    const y = ctx.op({ op: 'MatMul', a: x, b: m });
    return b ? ctx.op({ op: 'Add', a: y, b }) : y;
  };
  const h1 = lin(w.w1 as string, w.b1);
  let h: string;
  if (activation === 'swiglu') {
    h = ctx.op({ op: 'Mul', a: ctx.op({ op: 'Silu', x: h1 }), b: lin(w.w3 as string, w.b3) });
  } else if (activation === 'gelu') {
    h = ctx.op({ op: 'Gelu', x: h1, approximate: 'none' });
  } else {
    h = ctx.op({ op: 'Relu', x: h1 });
  }
  const out = ctx.op({ op: 'MatMul', a: h, b: w.w2 as string });
  return w.b2 ? ctx.op({ op: 'Add', a: out, b: w.b2 }) : out;
}

export const ffn = defineKind({
  kind: 'ffn',
  title: 'Feed-forward',
  category: 'mixing',
  doc: 'Position-wise MLP: D → hidden → D with ReLU, GELU or SwiGLU.',
  params: FfnParams,
  ports: () => ({
    inputs: [{ name: 'x', doc: 'activations [B, T, D]', type: 'float' }],
    outputs: [{ name: 'out', doc: 'activations [B, T, D]', type: 'float' }],
  }),
  infer: (p, inputs, ctx) =>
    expectActivations(ctx, 'x', inputs.x, p.width) ? { out: inputs.x } : undefined,
  weights: (p: FfnParams) =>
    mlpWeights(p.width, ffnHidden(p, p.width), p.activation === 'swiglu', p.bias, p.init),
  flopsPerToken: (p) => 2 * p.width * ffnHidden(p, p.width) * (p.activation === 'swiglu' ? 3 : 2),
  lower: (p, inputs, ctx, w) => {
    const x = inputs.x;
    if (!x) return undefined;
    let out = lowerMlp(ctx, x.value, p.activation, w);
    if (p.dropout > 0) out = ctx.op({ op: 'Dropout', x: out, rate: p.dropout });
    return { out: value(out, x) };
  },
});

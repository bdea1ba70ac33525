import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import type { Dim } from '../dims.ts';
import type { Init } from '../ir.ts';
import type { KindContext, TensorType, TensorValue } from '../node-kind.ts';

/** A positive size; in documents it may also name one of the dims (`"D"`). */
export const size = (doc: string) =>
  z
    .number()
    .int()
    .positive()
    .max(1 << 24)
    .describe(doc);

/**
 * How a weight matrix starts: 'normal' is N(0, 0.02) (GPT-2's habit); 'lecun' is the TRM code's
 * truncated LeCun normal, std 1/√fan-in after correcting for the truncation at ±2σ. At D = 512 a
 * LeCun matrix starts 2.2× wider than 0.02; at D = 64, 6×.
 */
export const WeightInit = z.enum(['normal', 'lecun']);
export type WeightInit = z.infer<typeof WeightInit>;

export const weightInit = () =>
  WeightInit.default('normal').describe(
    "Initial weights: N(0, 0.02) (GPT-2's), or truncated LeCun normal with std 1/√fan-in (the TRM code's).",
  );

/** The Init of a matrix whose rows number `fanIn` (its input width). */
export function matrixInit(kind: WeightInit, fanIn: number): Init {
  return kind === 'lecun'
    ? { kind: 'truncated-normal', std: 1 / Math.sqrt(fanIn), corrected: true }
    : { kind: 'normal', std: 0.02 };
}

export const prob = (doc: string) => z.number().min(0).max(0.99).describe(doc);

/** Checks `[B, T, width]` activations; reports and returns false otherwise. */
export function expectActivations(
  ctx: KindContext,
  port: string,
  t: TensorType | undefined,
  width?: number,
): t is TensorType {
  if (!t) return false;
  if (t.shape.length !== 3) {
    ctx.report({
      ...messages.rankMismatch(ctx.nodeId, port, 'a [B, T, width] tensor', t.shape),
      port,
    });
    return false;
  }
  const got = t.shape[2] as Dim;
  if (width !== undefined && got !== width) {
    ctx.report({ ...messages.widthMismatch(ctx.nodeId, port, width, got), port });
    return false;
  }
  return true;
}

export function withLast(t: TensorType, last: Dim): TensorType {
  return { shape: [...t.shape.slice(0, -1), last], dtype: 'float32' };
}

export function value(v: string, t: TensorType): TensorValue {
  return { value: v, shape: t.shape, dtype: t.dtype };
}

export function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

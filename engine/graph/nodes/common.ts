import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import type { Dim } from '../dims.ts';
import type { KindContext, TensorType, TensorValue } from '../node-kind.ts';

/** A positive size; in documents it may also name one of the dims (`"D"`). */
export const size = (doc: string) =>
  z
    .number()
    .int()
    .positive()
    .max(1 << 24)
    .describe(doc);

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

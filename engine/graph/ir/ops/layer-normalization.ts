import type { Dim } from '../../dims.ts';
import { agree, defineOp, fail, floats, show, type OpBase } from '../op-def.ts';

/** Normalises the last axis to zero mean and unit variance, then scales and shifts. */
export interface LayerNormalizationOp extends OpBase {
  op: 'LayerNormalization';
  x: string;
  scale?: string;
  bias?: string;
  epsilon: number;
}

/** A norm's optional [D] scale or bias must match the normalised (last) axis. */
export function lastAxisVector(
  op: { op: string; source: string },
  input: Parameters<typeof floats>[1],
  x: readonly Dim[],
  value: string | undefined,
): void {
  if (value === undefined) return;
  const v = floats(op, input, value).shape;
  if (v.length !== 1) fail(op, `"${value}" ${show(v)} is not a vector`);
  agree(op, v[0] as Dim, x[x.length - 1] as Dim, `"${value}" against the last axis of ${show(x)}`);
}

export const LayerNormalization = defineOp<LayerNormalizationOp>({
  operands: ['x', 'scale', 'bias'],
  type(op, input) {
    const x = floats(op, input, op.x).shape;
    if (x.length === 0) fail(op, 'a scalar has no axis to normalise');
    lastAxisVector(op, input, x, op.scale);
    lastAxisVector(op, input, x, op.bias);
    return { dtype: 'float32', shape: [...x] };
  },
});

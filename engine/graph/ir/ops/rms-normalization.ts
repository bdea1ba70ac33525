import { defineOp, fail, floats, type OpBase } from '../op-def.ts';
import { lastAxisVector } from './layer-normalization.ts';

/** x / √(mean(x², last axis) + ε) · scale. */
export interface RMSNormalizationOp extends OpBase {
  op: 'RMSNormalization';
  x: string;
  scale?: string;
  epsilon: number;
}

export const RMSNormalization = defineOp<RMSNormalizationOp>({
  operands: ['x', 'scale'],
  type(op, input) {
    const x = floats(op, input, op.x).shape;
    if (x.length === 0) fail(op, 'a scalar has no axis to normalise');
    lastAxisVector(op, input, x, op.scale);
    return { dtype: 'float32', shape: [...x] };
  },
});

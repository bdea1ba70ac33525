import { defineOp, fail, floats, type OpBase } from '../op-def.ts';
import { lastAxisVector } from './layer-normalization.ts';

/**
 * BatchNorm over the channel (last) axis of x [B, ..., C], PyTorch's semantics. Outside
 * training runs: (x − mean) / √(var + ε) with the running statistics `mean` and `var` (ONNX
 * BatchNormalization, channels last). In training runs: with the batch's statistics over
 * every axis but the last (biased variance), and the running ones updated in place,
 * running ← (1 − momentum)·running + momentum·batch, with the unbiased variance.
 */
export interface BatchNormalizationOp extends OpBase {
  op: 'BatchNormalization';
  x: string;
  scale?: string;
  bias?: string;
  /** Running mean [C]: a running buffer where training runs update it. */
  mean: string;
  /** Running variance [C]: a running buffer where training runs update it. */
  var: string;
  epsilon: number;
  momentum: number;
}

export const BatchNormalization = defineOp<BatchNormalizationOp>({
  operands: ['x', 'scale', 'bias', 'mean', 'var'],
  type(op, input) {
    const x = floats(op, input, op.x).shape;
    if (x.length < 2) fail(op, 'BatchNorm needs a batch axis and a channel axis');
    if (!(op.momentum >= 0 && op.momentum <= 1))
      fail(op, `momentum ${op.momentum} is not in [0, 1]`);
    for (const v of [op.scale, op.bias, op.mean, op.var]) lastAxisVector(op, input, x, v);
    return { dtype: 'float32', shape: [...x] };
  },
});

import type { Dim } from '../../dims.ts';
import { defineOp, fail, floats, show, type OpBase } from '../op-def.ts';
import { lastAxisVector } from './layer-normalization.ts';

/**
 * Group normalization of channels-last activations x [B, ..., C] (the IR's [B, T, D]
 * convention; ONNX GroupNormalization-21 is the same with the channels at axis 1). The C
 * channels split into `groups` runs of C/groups; each example's group is normalised over its
 * channels and every position (all axes but the batch) together, then each channel is scaled
 * and shifted. On [B, T, C] the statistics span the whole sequence: not for causal models.
 */
export interface GroupNormalizationOp extends OpBase {
  op: 'GroupNormalization';
  x: string;
  /** [C] per-channel scale; none: 1. */
  scale?: string;
  /** [C] per-channel shift; none: 0. */
  bias?: string;
  /** Number of channel groups; divides C. */
  groups: number;
  epsilon: number;
}

export const GroupNormalization = defineOp<GroupNormalizationOp>({
  operands: ['x', 'scale', 'bias'],
  type(op, input) {
    const x = floats(op, input, op.x).shape;
    if (x.length < 2) fail(op, `${show(x)} is not [B, ..., C]`);
    if (!(Number.isInteger(op.groups) && op.groups >= 1))
      fail(op, `groups ${op.groups} is not a positive integer`);
    const channels = x[x.length - 1] as Dim;
    if (typeof channels === 'number' && channels % op.groups !== 0)
      fail(op, `${channels} channels do not split into ${op.groups} groups`);
    lastAxisVector(op, input, x, op.scale);
    lastAxisVector(op, input, x, op.bias);
    return { dtype: 'float32', shape: [...x] };
  },
});

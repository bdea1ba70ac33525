import { layerNormalization } from './fused.ts';
import type { Kernel } from './kernel.ts';

export const LayerNormalization: Kernel<'LayerNormalization'> = (op, get) =>
  layerNormalization(
    get(op.x),
    op.scale ? get(op.scale) : undefined,
    op.bias ? get(op.bias) : undefined,
    op.epsilon,
  );

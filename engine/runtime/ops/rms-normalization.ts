import { rmsNormalization } from './fused.ts';
import type { Kernel } from './kernel.ts';

export const RMSNormalization: Kernel<'RMSNormalization'> = (op, get) =>
  rmsNormalization(get(op.x), op.scale ? get(op.scale) : undefined, op.epsilon);

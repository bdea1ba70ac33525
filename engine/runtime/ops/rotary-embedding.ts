import { rotaryEmbedding } from './fused.ts';
import type { Kernel } from './kernel.ts';

export const RotaryEmbedding: Kernel<'RotaryEmbedding'> = (op, get) =>
  rotaryEmbedding(
    get(op.x),
    op.heads,
    op.theta,
    op.offsetLike ? (get(op.offsetLike).shape[1] as number) : 0,
  );

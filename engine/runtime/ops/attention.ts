import { attention } from './fused.ts';
import type { Kernel } from './kernel.ts';

export const Attention: Kernel<'Attention'> = (op, get) =>
  attention(
    get(op.q),
    get(op.k),
    get(op.v),
    op.qHeads,
    op.kvHeads,
    op.causal,
    op.bottomRight,
    op.keyIds === undefined ? undefined : { ids: get(op.keyIds), padId: op.padId ?? 0 },
  );

import { gelu } from './fused.ts';
import type { Kernel } from './kernel.ts';

export const Gelu: Kernel<'Gelu'> = (op, get) => gelu(get(op.x), op.approximate);

import { sliceAxis, type Kernel } from './kernel.ts';

export const SlicePrefix: Kernel<'SlicePrefix'> = (op, get) =>
  sliceAxis(get(op.x), op.axis, op.length, 'SlicePrefix', op.start ?? 0);

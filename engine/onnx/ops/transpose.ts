import { ints } from '../proto.ts';
import type { Emitter } from './emitter.ts';

export const Transpose: Emitter<'Transpose'> = ({ b }, op) =>
  void b.op('Transpose', [op.x], { perm: ints(...op.perm) }, op.out);

import type { Emitter } from './emitter.ts';

/** Inference graphs: dropout is the identity. */
export const Dropout: Emitter<'Dropout'> = ({ b }, op) => void b.op('Identity', [op.x], {}, op.out);

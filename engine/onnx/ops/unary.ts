import type { Emitter } from './emitter.ts';

export const Relu: Emitter<'Relu'> = ({ b }, op) => void b.op('Relu', [op.x], {}, op.out);
export const Sigmoid: Emitter<'Sigmoid'> = ({ b }, op) => void b.op('Sigmoid', [op.x], {}, op.out);
export const Tanh: Emitter<'Tanh'> = ({ b }, op) => void b.op('Tanh', [op.x], {}, op.out);
export const Identity: Emitter<'Identity'> = ({ b }, op) =>
  void b.op('Identity', [op.x], {}, op.out);
/** Inference graphs: a detach point is the identity. */
export const StopGradient: Emitter<'StopGradient'> = ({ b }, op) =>
  void b.op('Identity', [op.x], {}, op.out);
/** ONNX has no SiLU before opset 24's Swish: x·σ(x). */
export const Silu: Emitter<'Silu'> = ({ b }, op) =>
  void b.op('Mul', [op.x, b.op('Sigmoid', [op.x])], {}, op.out);

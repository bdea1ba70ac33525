import { hashSeed, materialize } from '../graph/init.ts';
import type { IrProgram } from '../graph/ir.ts';

/** Deterministic initial values: each parameter seeded by its name, each buffer by its seed. */
export function initialValues(program: IrProgram): {
  weights: Map<string, Float32Array>;
  buffers: Map<string, Float32Array>;
} {
  const weights = new Map<string, Float32Array>();
  for (const p of program.params.values())
    weights.set(p.name, materialize(p.init, p.shape, hashSeed(p.name)));
  const buffers = new Map<string, Float32Array>();
  for (const b of program.buffers.values())
    buffers.set(b.name, materialize(b.init, b.shape, b.seed));
  return { weights, buffers };
}

import type { Dim } from '../../engine/graph/dims.ts';
import { mulberry32 } from '../../engine/graph/init.ts';
import type { IrOp, IrProgram } from '../../engine/graph/ir.ts';
import type { OpSpec } from '../../engine/graph/node-kind.ts';
import { typed } from '../../engine/graph/ir/verify.ts';

/**
 * A one-op (or few-op) IR program over float inputs, for tests of the emitters and executors:
 * `tinyProgram({ x: ['B', 'T', 8] }, { w: [8, 4] }, [{ op: 'MatMul', a: 'x', b: 'w' }])`.
 * Op results are named `y0`, `y1`, …; the last one is the output `y`.
 */
export function tinyProgram(
  inputs: Record<string, Dim[]>,
  params: Record<string, number[]>,
  ops: OpSpec[],
  intInputs: string[] = [],
): IrProgram {
  const irOps = ops.map((o, i) => ({ ...o, out: `y${i}`, source: `main/n${i}` }) as IrOp);
  const last = irOps[irOps.length - 1] as IrOp;
  const program: IrProgram = typed({
    inputs: Object.entries(inputs).map(([name, shape]) => ({
      name,
      shape,
      dtype: intInputs.includes(name) ? ('int32' as const) : ('float32' as const),
      role: intInputs.includes(name) ? ('tokens' as const) : ('state' as const),
    })),
    outputs: [],
    params: new Map(
      Object.entries(params).map(([name, shape]) => [
        name,
        { name, shape, init: { kind: 'normal', std: 0.5 }, decay: true },
      ]),
    ),
    buffers: new Map(),
    ops: irOps,
  });
  const shape = program.values.get(last.out)?.shape as Dim[];
  program.outputs.push({ name: 'y', value: last.out, shape, role: 'hidden', node: last.source });
  return program;
}

/** Seeded uniform values in [-1, 1). */
export function randomFloats(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => rand() * 2 - 1);
}

/** Values for every parameter of a program, seeded by position. */
export function randomWeights(program: IrProgram, seed = 1): Map<string, Float32Array> {
  let s = seed;
  return new Map(
    [...program.params.values()].map((p) => [
      p.name,
      randomFloats(
        p.shape.reduce((a, d) => a * d, 1),
        (s += 7),
      ),
    ]),
  );
}

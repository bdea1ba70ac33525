import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Dim } from '../../engine/graph/dims.ts';
import type { IrOp, IrProgram } from '../../engine/graph/ir.ts';
import { opResults } from '../../engine/graph/ir/program.ts';
import { typed } from '../../engine/graph/ir/verify.ts';

/**
 * The data-driven op fixtures (onnxruntime-web's test/data/ops/*.jsonc is the model): one
 * file per IR op, test/ops/<Op>.json, written by test/ops/generate.py from a float64 numpy
 * reference (to add or change a case, edit generate.py and rerun it). This module reads them
 * and builds each case's one-op program; the runner is test/integration/op-fixtures.test.ts.
 */

const FIXTURE_DIR = import.meta.dirname;

const Size = z.number().int().nonnegative();
const Tolerance = z.strictObject({
  atol: z.number().nonnegative(),
  rtol: z.number().nonnegative(),
});
export type Tolerance = z.infer<typeof Tolerance>;

const FixtureTensor = z
  .strictObject({
    dtype: z.enum(['float32', 'int32']),
    /** Run-time shape of `values` (row-major). */
    shape: z.array(Size),
    /** The shape the IR input declares, with symbols for dynamic axes; @default `shape`. */
    declared: z.array(z.union([Size, z.string().min(1)])).optional(),
    values: z.array(z.number()),
  })
  .refine((t) => t.values.length === numel(t.shape), {
    message: 'the number of values does not match the shape',
  })
  .refine((t) => !t.declared || t.declared.length === t.shape.length, {
    message: 'the declared shape and the shape differ in rank',
  });
export type FixtureTensor = z.infer<typeof FixtureTensor>;

const FixtureOutput = z.strictObject({ shape: z.array(Size), values: z.array(z.number()) });

const FixtureCase = z.strictObject({
  name: z.string().min(1),
  /** Why the case is as it is, for a reader. */
  note: z.string().optional(),
  /** The op's fields other than its operands. */
  attributes: z.record(z.string(), z.unknown()),
  /** Operand fields and the inputs they name; @default each input names the field it is called. */
  operands: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  inputs: z.record(z.string(), FixtureTensor),
  output: FixtureOutput,
  /** A multi-result op's further results (a recurrent cell's final states), in order. */
  results: z.array(FixtureOutput).optional(),
  /**
   * Run as a training run (BatchNorm's batch statistics); ONNX exports evaluation only, so
   * onnxruntime skips the case.
   */
  training: z.literal(true).optional(),
  /**
   * The running statistics a training run updates: each named input becomes a running buffer
   * of the program (holding the input's values), and this is its value after the run.
   */
  updates: z.record(z.string(), FixtureOutput).optional(),
  tolerance: Tolerance,
  /** d sum(output · outputGrad) / d input, for the listed inputs (tfjs backends only). */
  gradients: z
    .strictObject({
      outputGrad: z.array(z.number()),
      inputs: z.record(z.string(), z.array(z.number())),
      tolerance: Tolerance,
    })
    .optional(),
});
export type FixtureCase = z.infer<typeof FixtureCase>;
export type FixtureOutput = z.infer<typeof FixtureOutput>;

const Fixture = z.strictObject({
  op: z.string(),
  generatedBy: z.string(),
  cases: z.array(FixtureCase).min(1),
});
export type Fixture = z.infer<typeof Fixture>;

function numel(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** The op names that have a fixture file. */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export function loadFixture(op: string): Fixture {
  const file = path.join(FIXTURE_DIR, `${op}.json`);
  const parsed = Fixture.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
  if (parsed.data.op !== op) throw new Error(`${file} describes ${parsed.data.op}, not ${op}.`);
  return parsed.data;
}

/**
 * The case's op alone in a program: each input a program input (int32 ones as tokens) or,
 * where the case lists its update, a running buffer; the
 * op's output `out` the program output `y` (further results `y1`, `y2`, …), every value typed
 * by the op rules (`typed`).
 */
export function caseProgram(op: string, c: FixtureCase): IrProgram {
  const operands = c.operands ?? Object.fromEntries(Object.keys(c.inputs).map((k) => [k, k]));
  const source = `fixture/${op}`;
  const running = new Set(Object.keys(c.updates ?? {}));
  const program = typed({
    inputs: Object.entries(c.inputs)
      .filter(([name]) => !running.has(name))
      .map(([name, t]) => ({
        name,
        dtype: t.dtype,
        shape: t.declared ?? [...t.shape],
        role: t.dtype === 'int32' ? ('tokens' as const) : ('state' as const),
      })),
    outputs: [],
    params: new Map(),
    buffers: new Map(
      [...running].map((name) => {
        const shape = [...(c.inputs[name]?.shape ?? [])];
        return [name, { name, shape, init: { kind: 'zeros' }, seed: 0, running: true }];
      }),
    ),
    ops: [{ op, ...c.attributes, ...operands, out: 'out', source } as unknown as IrOp],
  });
  // The output is named apart from the value: the ONNX emitter names its graph output `y`.
  opResults(program.ops[0] as IrOp).forEach((value, i) => {
    const shape = program.values.get(value)?.shape ?? [];
    const name = i === 0 ? 'y' : `y${i}`;
    program.outputs.push({ name, value, shape, role: 'hidden', node: source });
  });
  return program;
}

/** The case's expected outputs by program output name: `y`, then `y1`, `y2`, … */
export function expectedOutputs(c: FixtureCase): [string, FixtureOutput][] {
  return [c.output, ...(c.results ?? [])].map((o, i) => [i === 0 ? 'y' : `y${i}`, o]);
}

/** Symbols of the declared input shapes bound to the case's run-time sizes. */
function bindSymbols(c: FixtureCase): Map<string, number> {
  const bound = new Map<string, number>();
  for (const [name, t] of Object.entries(c.inputs))
    t.declared?.forEach((d, i) => {
      if (typeof d === 'number') return;
      const size = t.shape[i] as number;
      assert.equal(bound.get(d) ?? size, size, `symbol ${d} of "${name}" is bound twice`);
      bound.set(d, size);
    });
  return bound;
}

/** A type rule's size: a number, a symbol, or sums and products of them (`B*T`, `P+T`). */
function sizeOf(d: Dim, bound: Map<string, number>): number {
  if (typeof d === 'number') return d;
  const term = (t: string) =>
    t
      .split('*')
      .map((f) => (/^\d+$/.test(f) ? Number(f) : bound.get(f)))
      .reduce<number>((n, f) => {
        assert.ok(f !== undefined, `the type rule's size "${d}" names an unbound symbol`);
        return n * f;
      }, 1);
  return d
    .split('+')
    .map(term)
    .reduce((n, t) => n + t, 0);
}

/** The op rule's output shapes (`y`, `y1`, …), with the case's symbols bound to its run-time sizes. */
export function ruleShapes(program: IrProgram, c: FixtureCase): number[][] {
  const bound = bindSymbols(c);
  return program.outputs.map((o) =>
    (program.values.get(o.value)?.shape ?? []).map((d) => sizeOf(d, bound)),
  );
}

/** |got − want| ≤ atol + rtol·|want| everywhere; the message names the worst element. */
export function assertClose(
  got: ArrayLike<number>,
  want: readonly number[],
  tol: Tolerance,
  what: string,
): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  let worst = -1;
  let excess = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i] as number;
    const w = want[i] as number;
    const over = Math.abs(g - w) - (tol.atol + tol.rtol * Math.abs(w));
    if (!(over <= excess)) {
      worst = i;
      excess = Number.isNaN(over) ? Infinity : over;
    }
  }
  if (worst >= 0)
    assert.fail(
      `${what}: element ${worst} is ${got[worst]}, expected ${want[worst]} ` +
        `(tolerance ${tol.atol} + ${tol.rtol}·|expected|)`,
    );
}

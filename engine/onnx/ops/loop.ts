import type { IrOp, OpOf } from '../../graph/ir.ts';
import { mapOpInputs, opResults } from '../../graph/ir/program.ts';
import type { EmitContext } from '../context.ts';
import { emitOp } from '../ops.ts';
import { DataType } from '../proto.ts';
import type { Emitter } from './emitter.ts';

/**
 * An IR Loop as one ONNX Loop: the body graph reads the carried values as its inputs and
 * outer values (weights, fixed inputs) by name. When the body has finals (heads read after the
 * recursion), the last trip is emitted after the Loop, inline, so its heads are plain values;
 * the file does not grow with the number of trips either way. Inference only: gradients and
 * detach points do not exist here.
 */
export const Loop: Emitter<'Loop'> = (ctx, op) => {
  const { b } = ctx;
  const carriedOut = op.results.slice(0, op.init.length);
  const peel = op.body.finals.length > 0;
  const looped = peel ? op.trips - 1 : op.trips;
  let carried = op.init;
  if (looped >= 1) {
    const outs = peel ? carriedOut.map(() => b.fresh('carried')) : carriedOut;
    for (const [i, name] of outs.entries()) {
      const shape = ctx.shapes.get(op.body.carried[i] as string);
      if (shape) ctx.shapes.set(name, shape);
    }
    loopNode(ctx, op, looped, carried, outs);
    carried = outs;
  }
  if (!peel) return;
  // The last trip, inline: every value it defines renamed, its carried inputs bound.
  const suffix = `@${b.fresh('last')}`;
  const names = new Map(op.body.carried.map((c, i) => [c, carried[i] as string]));
  const trip = renamed(op.body.ops, names, suffix, ctx);
  for (const inner of trip) emitOp(ctx, inner);
  const at = (v: string) => names.get(v) ?? v;
  op.body.next.forEach((v, i) => b.op('Identity', [at(v)], {}, carriedOut[i]));
  op.body.finals.forEach((v, j) => b.op('Identity', [at(v)], {}, op.results[op.init.length + j]));
};

function loopNode(
  ctx: EmitContext,
  op: OpOf<'Loop'>,
  trips: number,
  init: readonly string[],
  outs: readonly string[],
): void {
  const { b } = ctx;
  const body = b.child();
  for (const inner of op.body.ops) emitOp({ ...ctx, b: body }, inner);
  const iter = b.fresh('iter');
  const condIn = b.fresh('cond_in');
  const condOut = body.op('Identity', [condIn]);
  const next = op.body.next.map((v) => body.op('Identity', [v]));
  body.prune([condOut, ...next], { keepInitializers: true });
  const scalar = (name: string, elemType: number) => ({
    name,
    type: { tensorType: { elemType, shape: { dim: [] } } },
  });
  const untyped = (name: string) => ({ name, type: { tensorType: { elemType: DataType.FLOAT } } });
  const graph = {
    name: b.fresh('recursion'),
    node: body.nodes,
    input: [
      scalar(iter, DataType.INT64),
      scalar(condIn, DataType.BOOL),
      ...op.body.carried.map(untyped),
    ],
    output: [scalar(condOut, DataType.BOOL), ...next.map(untyped)],
  };
  const count = b.table(
    `trips:${trips}`,
    [],
    () => BigInt64Array.from([BigInt(trips)]),
    DataType.INT64,
  );
  const always = b.table('true', [], () => Uint8Array.from([1]), DataType.BOOL);
  b.multi('Loop', [count, always, ...init], { body: { g: graph } }, { outputs: [...outs] });
}

/**
 * `ops` with every value they define (nested bodies included) renamed `<name><suffix>` and
 * their reads mapped through `names`, which also receives the renames. Shapes follow.
 */
function renamed(
  ops: readonly IrOp[],
  names: Map<string, string>,
  suffix: string,
  ctx: EmitContext,
): IrOp[] {
  const at = (v: string) => names.get(v) ?? v;
  const define = (v: string) => {
    const to = `${v}${suffix}`;
    names.set(v, to);
    const shape = ctx.shapes.get(v);
    if (shape) ctx.shapes.set(to, shape);
    return to;
  };
  return ops.map((op) => {
    const mapped = mapOpInputs(op, at);
    if (mapped.op !== 'Loop') {
      const copy = { ...mapped, out: `${op.out}${suffix}` };
      // A multi-result op (a recurrent cell) names its other results after `out`.
      const renamedResults = opResults(copy);
      opResults(op).forEach((r, i) => {
        const to = renamedResults[i] as string;
        names.set(r, to);
        const shape = ctx.shapes.get(r);
        if (shape) ctx.shapes.set(to, shape);
      });
      return copy;
    }
    for (const c of mapped.body.carried) define(c);
    const inner = renamed(mapped.body.ops, names, suffix, ctx);
    const results = opResults(mapped).map(define);
    return {
      ...mapped,
      out: results[0] as string,
      results,
      body: {
        carried: mapped.body.carried.map(at),
        ops: inner,
        next: mapped.body.next.map(at),
        finals: mapped.body.finals.map(at),
      },
    };
  });
}

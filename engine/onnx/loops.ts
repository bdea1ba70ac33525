import type { IrOp } from '../graph/ir.ts';
import type { EmitContext } from './context.ts';
import { emitOp } from './ops.ts';
import { DataType } from './proto.ts';
import { mapOpInputs, opAttributes, opInputs } from '../graph/ir/program.ts';

/**
 * Recursion as ONNX Loop. The IR unrolls a recursion into one block of ops per step; here a
 * run of identical consecutive blocks becomes one Loop whose body is the first block, so the
 * file does not grow with the number of steps (weights are shared initializers anyway).
 * Nested recursions become nested Loops. A run is folded only when its data flow is that of
 * a recursion: each block reads the previous block's values (the carried state), values from
 * before the run (invariants), or its own; and only the last block's carried values are read
 * after the run. Anything else stays unrolled.
 */

/** Op kind + attributes + source node: equal for the same op of two recursion steps. */
function signature(op: IrOp): string {
  return JSON.stringify([op.op, op.source, opAttributes(op)]);
}

interface Run {
  start: number;
  period: number;
  count: number;
  /** Offsets (within a block) of the carried values, in order. */
  carried: number[];
  /** Block-0 value standing for each carried offset before the first step. */
  initial: Map<number, string>;
  /** Per (op offset, input slot): the carried offset it reads, when it reads one. */
  slots: Map<string, number>;
}

/**
 * Checks that blocks [start + j·period, …) for j < count form a recursion. `readers` maps a
 * value to the indices (in `ops`) of the ops reading it; `readLater` the values read outside
 * `ops` (program outputs, or ops after this sequence).
 */
function analyse(
  ops: IrOp[],
  start: number,
  period: number,
  count: number,
  readers: Map<string, number[]>,
  readLater: Set<string>,
): Run | undefined {
  const end = start + period * count;
  const where = new Map<string, number>();
  for (let i = start; i < end; i++) where.set((ops[i] as IrOp).out, i);
  const slots = new Map<string, number>();
  const initial = new Map<number, string>();
  for (let o = 0; o < period; o++) {
    const inputs = count > 0 ? opInputs(ops[start + o] as IrOp) : [];
    for (let slot = 0; slot < inputs.length; slot++) {
      // What block 1 reads here decides the slot's kind; every later block must agree.
      const ref = (j: number) => opInputs(ops[start + j * period + o] as IrOp)[slot] as string;
      const at1 = where.get(ref(1));
      if (at1 === undefined) {
        for (let j = 0; j < count; j++) if (ref(j) !== ref(1)) return undefined; // invariant
        continue;
      }
      const block = Math.floor((at1 - start) / period);
      const offset = (at1 - start) % period;
      if (block === 1) {
        if (offset >= o) return undefined;
        for (let j = 0; j < count; j++)
          if (ref(j) !== (ops[start + j * period + offset] as IrOp).out) return undefined;
        continue;
      }
      if (block !== 0) return undefined;
      // Carried: block j reads block j − 1 at `offset`; block 0 reads a value from before.
      for (let j = 1; j < count; j++)
        if (ref(j) !== (ops[start + (j - 1) * period + offset] as IrOp).out) return undefined;
      const first = ref(0);
      if (where.has(first)) return undefined;
      if ((initial.get(offset) ?? first) !== first) return undefined;
      initial.set(offset, first);
      slots.set(`${o}:${slot}`, offset);
    }
  }
  const carried = [...initial.keys()].sort((a, b) => a - b);
  // Only the last block's carried values may be read after the run.
  for (let i = start; i < end; i++) {
    const v = (ops[i] as IrOp).out;
    const j = Math.floor((i - start) / period);
    const offset = (i - start) % period;
    const after = (readers.get(v) ?? []).some((r) => r >= end) || readLater.has(v);
    if (after && (j !== count - 1 || !initial.has(offset))) return undefined;
  }
  return { start, period, count, carried, initial, slots };
}

/** Exact check of a run found by hashing. */
function sameBlocks(sig: string[], start: number, period: number, count: number): boolean {
  for (let j = 1; j < count; j++)
    for (let o = 0; o < period; o++)
      if (sig[start + o] !== sig[start + j * period + o]) return false;
  return true;
}

/**
 * Polynomial hashes of every prefix of the signature sequence (two moduli below 2^26, so
 * products stay exact in doubles): any two blocks compare in O(1). Without this, finding the
 * runs of a recursion nested 64 deep took seconds.
 */
class BlockHash {
  private static readonly MODS = [67108859, 67108837];
  private static readonly BASE = 1000003 % 67108837;
  private readonly prefix: Float64Array[];
  private readonly powers: Float64Array[];

  constructor(sig: string[]) {
    const ids = new Map<string, number>();
    const codes = sig.map((s) => {
      let id = ids.get(s);
      if (id === undefined) ids.set(s, (id = ids.size + 1));
      return id;
    });
    this.prefix = BlockHash.MODS.map((m) => {
      const h = new Float64Array(codes.length + 1);
      for (let i = 0; i < codes.length; i++)
        h[i + 1] = ((h[i] as number) * BlockHash.BASE + (codes[i] as number)) % m;
      return h;
    });
    this.powers = BlockHash.MODS.map((m) => {
      const p = new Float64Array(codes.length + 1);
      p[0] = 1;
      for (let i = 0; i < codes.length; i++) p[i + 1] = ((p[i] as number) * BlockHash.BASE) % m;
      return p;
    });
  }

  private of(k: number, start: number, length: number): number {
    const m = BlockHash.MODS[k] as number;
    const h = this.prefix[k] as Float64Array;
    const pow = (this.powers[k] as Float64Array)[length] as number;
    return ((((h[start + length] as number) - (((h[start] as number) * pow) % m)) % m) + m) % m;
  }

  equal(a: number, b: number, length: number): boolean {
    return (
      this.of(0, a, length) === this.of(0, b, length) &&
      this.of(1, a, length) === this.of(1, b, length)
    );
  }
}

/** Later occurrences tried as the period of a run starting at an op. */
const MAX_CANDIDATES = 512;

/** The run covering the most ops (outermost on ties), if any folds. */
function findRun(
  ops: IrOp[],
  readers: Map<string, number[]>,
  readLater: Set<string>,
): Run | undefined {
  const sig = ops.map(signature);
  const positions = new Map<string, number[]>();
  sig.forEach((s, i) => {
    const list = positions.get(s);
    if (list) list.push(i);
    else positions.set(s, [i]);
  });
  const hash = new BlockHash(sig);
  let best: Run | undefined;
  // Per period, where the last scanned repeat ends: a run starting inside it is the same
  // repeat shifted, and covers no more.
  const scannedTo = new Map<number, number>();
  const rank = new Map<number, number>();
  for (const list of positions.values()) list.forEach((i, r) => rank.set(i, r));
  for (let start = 0; start < ops.length; start++) {
    const same = positions.get(sig[start] as string) as number[];
    const from = (rank.get(start) as number) + 1;
    for (let c = from; c < Math.min(same.length, from + MAX_CANDIDATES); c++) {
      const period = (same[c] as number) - start;
      if (start + 2 * period > ops.length) break;
      if (start < (scannedTo.get(period) ?? 0)) continue;
      // A multiple of a known repeat's period, inside that repeat, is the same repeat.
      let multiple = false;
      for (const [p, end] of scannedTo)
        if (period % p === 0 && start + 2 * period <= end) multiple = true;
      if (multiple) continue;
      let count = 1;
      while (
        start + (count + 1) * period <= ops.length &&
        hash.equal(start, start + count * period, period)
      )
        count++;
      if (count >= 2 && !sameBlocks(sig, start, period, count)) count = 1;
      if (count >= 2) scannedTo.set(period, start + count * period);
      if (count < 2 || (best && period * count <= best.period * best.count)) continue;
      // When a step's non-carried values (a deep-supervision step's heads) are read after the
      // run, the last step stays unrolled after a Loop over the others.
      const run =
        analyse(ops, start, period, count, readers, readLater) ??
        (count > 2 ? analyse(ops, start, period, count - 1, readers, readLater) : undefined);
      if (run) best = run;
    }
  }
  return best;
}

/** Emits `ops` in order, folding recursion runs into Loops. */
export function emitSequence(ctx: EmitContext, ops: IrOp[], readLater: Set<string>): void {
  const readers = new Map<string, number[]>();
  ops.forEach((op, i) => {
    for (const v of opInputs(op)) {
      const list = readers.get(v);
      if (list) list.push(i);
      else readers.set(v, [i]);
    }
  });
  const run = ops.length > 1 ? findRun(ops, readers, readLater) : undefined;
  if (!run) {
    for (const op of ops) emitOp(ctx, op);
    return;
  }
  const end = run.start + run.period * run.count;
  const after = new Set(readLater);
  for (const op of ops.slice(end)) for (const v of opInputs(op)) after.add(v);
  const inLoop = new Set(ops.slice(run.start).map((op) => op.out));
  for (const op of ops.slice(run.start, end))
    for (const v of opInputs(op)) if (!inLoop.has(v)) after.add(v);
  emitSequence(ctx, ops.slice(0, run.start), after);
  emitLoop(ctx, ops, run);
  emitSequence(ctx, ops.slice(end), readLater);
}

function emitLoop(ctx: EmitContext, ops: IrOp[], run: Run): void {
  const { b } = ctx;
  const body = b.child();
  const block = ops.slice(run.start, run.start + run.period);
  const stateIn = new Map(run.carried.map((o) => [o, b.fresh('state_in')]));
  for (const [o, name] of stateIn) {
    const shape = ctx.shapes.get((block[o] as IrOp).out);
    if (shape) ctx.shapes.set(name, shape);
  }
  const bodyOps = block.map((op, o) =>
    mapOpInputs(op, (v, slot) => {
      const carried = run.slots.get(`${o}:${slot}`);
      return carried === undefined ? v : (stateIn.get(carried) as string);
    }),
  );
  // Inside the body, the carried outputs are read by the next iteration (the Loop itself).
  emitSequence(
    { ...ctx, b: body },
    bodyOps,
    new Set(run.carried.map((o) => (block[o] as IrOp).out)),
  );
  const iter = b.fresh('iter');
  const condIn = b.fresh('cond_in');
  const condOut = body.op('Identity', [condIn]);
  const outs = run.carried.map((o) => body.op('Identity', [(block[o] as IrOp).out]));
  // Values no later step reads (earlier steps' heads) are dropped from the body.
  body.prune([condOut, ...outs], { keepInitializers: true });
  const lastBlock = run.start + (run.count - 1) * run.period;
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
      ...run.carried.map((o) => untyped(stateIn.get(o) as string)),
    ],
    output: [scalar(condOut, DataType.BOOL), ...outs.map(untyped)],
  };
  const trips = b.table(
    `trips:${run.count}`,
    [],
    () => BigInt64Array.from([BigInt(run.count)]),
    DataType.INT64,
  );
  const always = b.table('true', [], () => Uint8Array.from([1]), DataType.BOOL);
  b.multi(
    'Loop',
    [trips, always, ...run.carried.map((o) => run.initial.get(o) as string)],
    { body: { g: graph } },
    { outputs: run.carried.map((o) => (ops[lastBlock + o] as IrOp).out) },
  );
}

/**
 * Drops StopGradient, Dropout and Identity (all the identity at inference), so recursion
 * steps that differ only in where gradients stop become identical blocks. Returns the ops
 * and a resolver from an old value name to the one that now holds it.
 */
export function dropIdentities(ops: IrOp[]): { ops: IrOp[]; resolve: (v: string) => string } {
  const alias = new Map<string, string>();
  const resolve = (v: string) => alias.get(v) ?? v;
  const kept: IrOp[] = [];
  for (const op of ops) {
    if (op.op === 'StopGradient' || op.op === 'Dropout' || op.op === 'Identity') {
      alias.set(op.out, resolve(op.x));
      continue;
    }
    kept.push(mapOpInputs(op, resolve));
  }
  return { ops: kept, resolve };
}

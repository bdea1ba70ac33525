import type { IrOp, IrOpName } from './ops/index.ts';
import { irOps } from './ops/index.ts';
import { sameShape } from '../dims.ts';
import { IrTypeError, type Nested, type ValueType } from './op-def.ts';

/** Generic views of an op through its registry entry: operands, attributes, output type. */

function defOf(op: IrOp) {
  const def = (irOps as Record<string, (typeof irOps)[IrOpName] | undefined>)[op.op];
  if (!def)
    throw new IrTypeError(
      `${String(op.op)} from ${op.source} is not an IR op; recompile the graph.`,
    );
  return def as unknown as {
    operands: readonly string[];
    type(op: IrOp, input: (v: string) => ValueType): ValueType;
    results?(op: IrOp): string[];
    types?(op: IrOp, input: (v: string) => ValueType): ValueType[];
    nested?(op: IrOp): Nested;
  };
}

/** The values an op defines: its `out`, or each result of a multi-result op (a Loop, a cell). */
export function opResults(op: IrOp): string[] {
  return defOf(op).results?.(op) ?? [op.out];
}

/** The sub-program an op holds (a Loop's body), if any. */
export function nestedOf(op: IrOp): Nested | undefined {
  return defOf(op).nested?.(op);
}

/**
 * Types of an op's results, from its operands' types. An op holding a sub-program types the
 * sub-program first (its inner names take the types of the outer values bound to them) and
 * `record` hears every inner value's type.
 */
export function typeResults(
  op: IrOp,
  input: (value: string) => ValueType,
  record?: (name: string, t: ValueType) => void,
): ValueType[] {
  const def = defOf(op);
  const nested = def.nested?.(op);
  if (!nested) return def.types ? def.types(op, input) : [def.type(op, input)];
  const local = new Map<string, ValueType>();
  for (const b of nested.bind) {
    const t = input(b.outer);
    local.set(b.inner, t);
    record?.(b.inner, t);
  }
  const get = (v: string) => local.get(v) ?? input(v);
  for (const inner of nested.ops as IrOp[]) {
    const names = opResults(inner);
    typeResults(inner, get, record).forEach((t, i) => {
      const name = names[i] as string;
      local.set(name, t);
      record?.(name, t);
    });
  }
  for (const [a, b] of nested.same) {
    const ta = get(a);
    const tb = get(b);
    if (ta.dtype !== tb.dtype || !sameShape(ta.shape, tb.shape))
      throw new IrTypeError(
        `${op.op} from ${op.source}: "${b}" is ${tb.dtype}[${tb.shape.join(', ')}] but carries "${a}", ${ta.dtype}[${ta.shape.join(', ')}].`,
      );
  }
  return nested.outputs.map(get);
}

/** Names of the values an op reads, in operand order. */
export function opInputs(op: IrOp): string[] {
  const rec = op as unknown as Record<string, unknown>;
  const names: string[] = [];
  for (const field of defOf(op).operands) {
    const v = rec[field];
    if (typeof v === 'string') names.push(v);
    else if (Array.isArray(v)) names.push(...(v as string[]));
  }
  return names;
}

/**
 * The op with each operand name replaced by `f(name, slot)` (slots count operands in order).
 * An op holding a sub-program has the same names replaced where its sub-program reads them.
 */
export function mapOpInputs<O extends IrOp>(op: O, f: (value: string, slot: number) => string): O {
  const out = { ...op } as unknown as Record<string, unknown>;
  const renamed = new Map<string, string>();
  let slot = 0;
  const map = (name: string) => {
    const to = f(name, slot++);
    if (to !== name) renamed.set(name, to);
    return to;
  };
  for (const field of defOf(op).operands) {
    const v = out[field];
    if (typeof v === 'string') out[field] = map(v);
    else if (Array.isArray(v)) out[field] = (v as string[]).map(map);
  }
  if (renamed.size > 0 && op.op === 'Loop') {
    const body = op.body;
    const inner = (v: string) => renamed.get(v) ?? v;
    out.body = { ...body, ops: body.ops.map((o) => mapOpInputs(o, inner)) };
  }
  return out as unknown as O;
}

/** The op's attributes: every field but its operands, `op`, `out` and `source`. */
export function opAttributes(op: IrOp): Record<string, unknown> {
  const operands = new Set(defOf(op).operands);
  return Object.fromEntries(
    Object.entries(op).filter(
      ([k]) => k !== 'op' && k !== 'out' && k !== 'source' && !operands.has(k),
    ),
  );
}

import type { IrOp, IrOpName } from './ops/index.ts';
import { irOps } from './ops/index.ts';
import { IrTypeError, type ValueType } from './op-def.ts';

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
  };
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

/** The op with each operand name replaced by `f(name, slot)` (slots count operands in order). */
export function mapOpInputs<O extends IrOp>(op: O, f: (value: string, slot: number) => string): O {
  const out = { ...op } as unknown as Record<string, unknown>;
  let slot = 0;
  for (const field of defOf(op).operands) {
    const v = out[field];
    if (typeof v === 'string') out[field] = f(v, slot++);
    else if (Array.isArray(v)) out[field] = (v as string[]).map((name) => f(name, slot++));
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

/** The op's output type from its operands' types (IrTypeError where they do not fit). */
export function typeOp(op: IrOp, input: (value: string) => ValueType): ValueType {
  return defOf(op).type(op, input);
}

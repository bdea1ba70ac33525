import type { Dim } from '../dims.ts';

/**
 * What one IR op is: the fields that name its operands and the rule that types its output.
 * Each op's definition lives in its own file under `ops/`; the registry (`ops/index.ts`)
 * lists them, and every backend's registry is checked against that list by the compiler.
 */

export type DType = 'float32' | 'int32';

/** The type every IR value carries: element type and shape (symbols for dynamic axes). */
export interface ValueType {
  dtype: DType;
  shape: Dim[];
}

export interface OpBase {
  /** Output value name. */
  out: string;
  /** Path of the graph node that produced this op, for error messages. */
  source: string;
}

type Reserved = 'op' | 'out' | 'source';

/** The fields of an op that may name values: strings or lists of strings. */
export type OperandKey<O> = {
  [K in keyof O]-?: K extends Reserved
    ? never
    : NonNullable<O[K]> extends string | readonly string[]
      ? K
      : never;
}[keyof O];

export interface OpDef<O extends OpBase & { op: string }> {
  /**
   * The fields naming the op's operands, in operand order. An optional field that is absent
   * is skipped; a list field (Concat's `inputs`) contributes each of its names. Every other
   * field except `op`, `out` and `source` is an attribute.
   */
  readonly operands: readonly OperandKey<O>[];
  /** The output's type from the operands' types; throws IrTypeError where they do not fit. */
  type(op: O, input: (value: string) => ValueType): ValueType;
  /** Ops with several results (a Loop, a recurrent cell): their names, in order. Default: `[op.out]`. */
  results?(op: O): string[];
  /**
   * The type of every result, in `results` order, for a multi-result op without a sub-program
   * (a recurrent cell's sequence and final states). Default: `[type(op, input)]`.
   */
  types?(op: O, input: (value: string) => ValueType): ValueType[];
  /**
   * Ops holding a sub-program (a Loop's body): its ops, the inner names bound to outer values
   * (whose types they take), the inner values that become the results, and pairs of inner
   * values that must have one type (a carried value and its next value).
   */
  nested?(op: O): Nested;
}

export interface Nested {
  ops: readonly (OpBase & { op: string })[];
  bind: readonly { inner: string; outer: string }[];
  outputs: readonly string[];
  same: readonly [string, string][];
}

export function defineOp<O extends OpBase & { op: string }>(def: OpDef<O>): OpDef<O> {
  return def;
}

/** An op whose operands do not fit its rule: a lowering produced an ill-typed program. */
export class IrTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IrTypeError';
  }
}

export function fail(op: { op: string; source: string }, detail: string): never {
  throw new IrTypeError(`${op.op} from ${op.source}: ${detail}.`);
}

export function show(shape: readonly Dim[]): string {
  return `[${shape.join(', ')}]`;
}

/** `axis` normalised to [0, rank). */
export function axisIn(op: { op: string; source: string }, axis: number, rank: number): number {
  const ax = axis < 0 ? axis + rank : axis;
  if (ax < 0 || ax >= rank) fail(op, `axis ${axis} is outside a rank-${rank} operand`);
  return ax;
}

/** The operand's type, which must be float32 (activations and weights). */
export function floats(
  op: { op: string; source: string },
  input: (value: string) => ValueType,
  value: string,
): ValueType {
  const t = input(value);
  if (t.dtype !== 'float32') fail(op, `operand "${value}" is ${t.dtype}, not float32`);
  return t;
}

/**
 * Numpy broadcasting. Two fixed sizes must be equal or one of them 1; a symbol meets a fixed
 * size ≠ 1 as that size (the symbol is bound to it at run time), and two different symbols
 * are taken as the first.
 */
export function broadcast(
  op: { op: string; source: string },
  a: readonly Dim[],
  b: readonly Dim[],
): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (typeof x === 'number' && typeof y === 'number' && x !== y && x !== 1 && y !== 1)
      fail(op, `shapes ${show(a)} and ${show(b)} do not broadcast (${x} against ${y})`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Two sizes that must agree: equal when both are fixed. */
export function agree(op: { op: string; source: string }, a: Dim, b: Dim, what: string): void {
  if (typeof a === 'number' && typeof b === 'number' && a !== b)
    fail(op, `${what}: ${a} against ${b}`);
}

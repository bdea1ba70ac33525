import type { IrOp, IrProgram } from '../ir.ts';
import type { ValueType } from './op-def.ts';
import { irOps } from './ops/index.ts';
import { nestedOf, opInputs, opResults, typeResults } from './program.ts';
import { sameShape, type Dim } from '../dims.ts';

/**
 * Types of every value of a program, recomputed from its inputs, weights and each op's rule:
 * for programs built or rewritten outside the compiler (tests, IR → IR transforms).
 */
export function typeProgram(program: Omit<IrProgram, 'values'>): Map<string, ValueType> {
  const values = new Map<string, ValueType>();
  for (const i of program.inputs) values.set(i.name, { dtype: i.dtype, shape: [...i.shape] });
  for (const p of program.params.values())
    values.set(p.name, { dtype: 'float32', shape: [...p.shape] });
  for (const b of program.buffers.values())
    values.set(b.name, { dtype: 'float32', shape: [...b.shape] });
  const get = (v: string): ValueType => {
    const t = values.get(v);
    if (!t) throw new Error(`The IR uses value "${v}" before defining it; recompile the graph.`);
    return t;
  };
  for (const op of program.ops) {
    const names = opResults(op);
    typeResults(op, get, (name, t) => values.set(name, t)).forEach((t, i) =>
      values.set(names[i] as string, t),
    );
  }
  return values;
}

/** A program with its value types filled in. */
export function typed(program: Omit<IrProgram, 'values'>): IrProgram {
  return { ...program, values: typeProgram(program) };
}

function sameType(a: ValueType, b: ValueType): boolean {
  return a.dtype === b.dtype && sameShape(a.shape, b.shape);
}

function fmt(t: ValueType): string {
  return `${t.dtype}[${t.shape.join(', ')}]`;
}

/** Two declared shapes that must describe the same value: equal rank, fixed sizes equal. */
function compatible(a: readonly Dim[], b: readonly Dim[]): boolean {
  return (
    a.length === b.length &&
    a.every((d, i) => typeof d !== 'number' || typeof b[i] !== 'number' || d === b[i])
  );
}

/**
 * Well-formedness of a program, every problem named (tinygrad's spec check is the idea):
 * names defined once and before use, each op typed by its rule and equal to the recorded
 * type, inputs of the dtype their role needs, outputs and carried state naming defined values
 * of the declared shape, weights of positive integer sizes. Returns the problems; none means
 * the backends may run the program.
 */
export function verifyProgram(program: IrProgram): string[] {
  const problems: string[] = [];
  const defined = new Map<string, ValueType>();
  const define = (name: string, t: ValueType, what: string) => {
    if (defined.has(name)) problems.push(`${what} "${name}" is defined twice.`);
    defined.set(name, t);
  };
  for (const i of program.inputs) {
    define(i.name, { dtype: i.dtype, shape: [...i.shape] }, 'input');
    const want = i.role === 'tokens' || i.role === 'puzzle' ? 'int32' : 'float32';
    if (i.dtype !== want)
      problems.push(`input "${i.name}" (${i.role}) is ${i.dtype}, not ${want}.`);
  }
  for (const [key, w] of [...program.params, ...program.buffers]) {
    if (key !== w.name) problems.push(`weight filed as "${key}" is named "${w.name}".`);
    if (!w.shape.every((d) => Number.isInteger(d) && d > 0))
      problems.push(
        `weight "${w.name}" has shape [${w.shape.join(', ')}]; sizes must be positive integers.`,
      );
    define(w.name, { dtype: 'float32', shape: [...w.shape] }, 'weight');
  }
  const get = (v: string): ValueType => {
    const t = defined.get(v);
    if (!t) throw new Error(`reads "${v}", which is not defined before it`);
    return t;
  };
  /** Ops of one scope (the program, or a Loop body reading its enclosing scopes). */
  const checkOps = (ops: readonly IrOp[], scope: (v: string) => ValueType, at: string) => {
    const local = new Map<string, ValueType>();
    const read = (v: string) => local.get(v) ?? scope(v);
    for (const [index, op] of ops.entries()) {
      const where = `${at}op ${index} (${op.op} from ${op.source})`;
      let types: ValueType[];
      try {
        for (const v of opInputs(op)) read(v);
        types = typeResults(op, read);
      } catch (e) {
        problems.push(`${where}: ${(e as Error).message}`);
        continue;
      }
      const nested = nestedOf(op);
      if (nested) {
        // The body sees its bound names, its enclosing scopes; outer reads must be operands.
        const bound = new Map(nested.bind.map((b) => [b.inner, read(b.outer)]));
        const operands = new Set(opInputs(op));
        const inner = (v: string) => {
          const t = bound.get(v);
          if (t) return t;
          if (!operands.has(v) && !defined.has(v) && !local.has(v))
            throw new Error(`reads "${v}", which is not defined before it`);
          if (!operands.has(v)) throw new Error(`reads "${v}" from outside without listing it`);
          return read(v);
        };
        for (const [name, t] of bound) define(name, t, `${where} carried value`);
        checkOps(nested.ops as IrOp[], inner, `${where} body: `);
      }
      opResults(op).forEach((name, i) => {
        const t = types[i] as ValueType;
        define(name, t, `${where} output`);
        local.set(name, t);
        const recorded = program.values.get(name);
        if (!recorded) problems.push(`${where}: its output "${name}" has no recorded type.`);
        else if (!sameType(recorded, t))
          problems.push(
            `${where}: "${name}" is recorded as ${fmt(recorded)} but its rule gives ${fmt(t)}.`,
          );
      });
    }
  };
  checkOps(program.ops, get, '');
  for (const [name, t] of program.values) {
    const d = defined.get(name);
    if (!d) problems.push(`a type is recorded for "${name}", which nothing defines.`);
    else if (!sameType(d, t)) problems.push(`"${name}" is recorded as ${fmt(t)} but is ${fmt(d)}.`);
  }
  const names = new Set<string>();
  for (const o of program.outputs) {
    if (names.has(o.name)) problems.push(`two outputs are named "${o.name}".`);
    names.add(o.name);
    const t = defined.get(o.value);
    if (!t) problems.push(`output "${o.name}" names "${o.value}", which nothing defines.`);
    else if (!compatible(t.shape, o.shape))
      problems.push(
        `output "${o.name}" declares [${o.shape.join(', ')}] but "${o.value}" is ${fmt(t)}.`,
      );
  }
  // An unknown op is already named above; here it reads nothing.
  const inputsOf = (op: IrProgram['ops'][number]) => (op.op in irOps ? opInputs(op) : []);
  const read = new Set(program.ops.flatMap(inputsOf));
  for (const name of program.params.keys())
    if (!read.has(name)) problems.push(`weight "${name}" is never read.`);
  const producers = new Map(
    program.ops.flatMap((op) =>
      (op.op in irOps ? opResults(op) : [op.out]).map((r) => [r, op] as const),
    ),
  );
  const stateInputs = new Set(program.supervision?.state.map((s) => s.input));
  /** Whether `value` depends on a state input (iteratively: programs can be deep). */
  const dependsOnState = (value: string): boolean => {
    const seen = new Set<string>();
    const stack = [value];
    for (let v = stack.pop(); v !== undefined; v = stack.pop()) {
      if (stateInputs.has(v)) return true;
      if (seen.has(v)) continue;
      seen.add(v);
      const op = producers.get(v);
      if (op) stack.push(...inputsOf(op));
    }
    return false;
  };
  for (const s of program.supervision?.state ?? []) {
    if (defined.has(s.init) && dependsOnState(s.init))
      problems.push(`the initial value of carried state "${s.input}" needs the state itself.`);
    if (defined.has(s.output) && !dependsOnState(s.output))
      problems.push(`the next value of carried state "${s.input}" ignores the state.`);
    const input = program.inputs.find((i) => i.name === s.input);
    if (!input || input.role !== 'state')
      problems.push(`carried state "${s.input}" is not a state input of the program.`);
    for (const v of [s.output, s.init]) {
      const t = defined.get(v);
      if (!t) problems.push(`carried state "${s.input}" names "${v}", which nothing defines.`);
      else if (!compatible(t.shape, s.shape))
        problems.push(
          `carried state "${s.input}" declares [${s.shape.join(', ')}] but "${v}" is ${fmt(t)}.`,
        );
    }
  }
  return problems;
}

/**
 * Shape inference (each node kind's `infer`) against the IR types of what the node lowered
 * to: the two must describe the same values. Problems named by node and port.
 */
export function checkInference(result: {
  program?: IrProgram;
  nodes: Map<
    string,
    {
      outputs: Record<string, { shape: readonly Dim[]; dtype: string }>;
      values?: Record<string, string>;
    }
  >;
}): string[] {
  const problems: string[] = [];
  const program = result.program;
  if (!program) return problems;
  for (const [key, report] of result.nodes) {
    for (const [port, value] of Object.entries(report.values ?? {})) {
      const inferred = report.outputs[port];
      const t = program.values.get(value);
      if (!inferred || !t) continue;
      if (inferred.dtype !== t.dtype || !compatible(inferred.shape, t.shape))
        problems.push(
          `${key}.${port}: inferred ${inferred.dtype}[${inferred.shape.join(', ')}], lowered to ${fmt(t)}.`,
        );
    }
  }
  return problems;
}

import type { IrOp, IrProgram, OpOf } from '../ir.ts';
import { mapOpInputs, opInputs, opResults } from './program.ts';
import { typed } from './verify.ts';

/** The name the encoder's output takes in both programs (Hugging Face's). */
export const ENCODER_STATES = 'encoder_hidden_states';

export interface EncoderDecoder {
  /** Token ids [B, L] → the encoder's output (the memory) [B, S, D]. */
  encoder: IrProgram;
  /** Token ids [B, L] and the memory → logits [B, L, V]: run once per decoding step. */
  decoder: IrProgram;
}

/** The producer of each value, for walking back from a value to what it is computed from. */
function producers(ops: readonly IrOp[]): Map<string, IrOp> {
  const by = new Map<string, IrOp>();
  for (const op of ops) for (const r of opResults(op)) by.set(r, op);
  return by;
}

/** What a projection y = x·W (+ b) is projected from: x, as attention lowers q, k and v. */
function projectedFrom(value: string, by: Map<string, IrOp>): string | undefined {
  let p = by.get(value);
  if (p?.op === 'Add') p = by.get(p.a);
  return p?.op === 'MatMul' ? p.a : undefined;
}

/**
 * The memory a cross-attention's keys are projected from (k = m·Wk (+ bk), as cross-attention
 * lowers them): an Attention masking key padding whose keys come from another value than its
 * queries. An encoder's self-attention masking its source padding reads one value for both.
 */
function memoryOf(op: OpOf<'Attention'>, by: Map<string, IrOp>): string | undefined {
  const memory = projectedFrom(op.k, by);
  return memory !== undefined && memory !== projectedFrom(op.q, by) ? memory : undefined;
}

/** Ops needed for `wanted`, in program order, not looking past `leaves`. */
function needed(ops: readonly IrOp[], wanted: string[], leaves: Set<string>): IrOp[] {
  const by = producers(ops);
  const live = new Set<IrOp>();
  const stack = [...wanted];
  while (stack.length > 0) {
    const v = stack.pop() as string;
    if (leaves.has(v)) continue;
    const op = by.get(v);
    if (!op || live.has(op)) continue;
    live.add(op);
    stack.push(...opInputs(op));
  }
  return ops.filter((op) => live.has(op));
}

/** The program reduced to `ops`, with only the parameters and buffers they read. */
function reduced(
  p: IrProgram,
  ops: IrOp[],
  inputs: IrProgram['inputs'],
  outputs: IrProgram['outputs'],
): IrProgram {
  const read = new Set(ops.flatMap(opInputs));
  return typed({
    inputs: inputs.filter((i) => read.has(i.name)),
    outputs,
    params: new Map([...p.params].filter(([name]) => read.has(name))),
    buffers: new Map([...p.buffers].filter(([name]) => read.has(name))),
    ops,
  });
}

/**
 * Splits a compiled encoder–decoder (a `full` program whose cross-attention masks the source's
 * padding) at the memory its cross-attention reads: an encoder program that computes it once
 * per source, and a decoder program that takes it as the input `encoder_hidden_states` — the
 * pair an export writes as two files. The decoder recomputes the target part on every call (no
 * KV cache). Throws a sentence when the program has no such memory, or several.
 */
export function splitEncoderDecoder(program: IrProgram): EncoderDecoder {
  if (program.ops.some((op) => op.op === 'Loop'))
    throw new Error(
      'The encoder–decoder export takes a program without loops; unroll the recursion first.',
    );
  const by = producers(program.ops);
  const memories = new Set(
    program.ops
      .filter((op): op is OpOf<'Attention'> => op.op === 'Attention' && op.keyIds !== undefined)
      .map((op) => memoryOf(op, by))
      .filter((m) => m !== undefined),
  );
  if (memories.size === 0)
    throw new Error(
      "The model has no cross-attention reading the source ids, so it has no encoder to export apart; wire a cross-attention node's source port, or export it as one model.",
    );
  const memory = [...memories][0];
  if (memories.size > 1 || memory === undefined)
    throw new Error(
      "The model's cross-attention nodes read different memories; the encoder–decoder export needs one encoder output they all attend to.",
    );
  const logits = program.outputs.find((o) => o.role === 'logits');
  if (!logits) throw new Error('The model has no logits head to decode with.');
  const type = program.values.get(memory);
  if (!type) throw new Error(`The memory value ${memory} has no type; recompile the graph.`);

  const encoderOps = needed(program.ops, [memory], new Set());
  const encoder = reduced(program, encoderOps, program.inputs, [
    {
      name: ENCODER_STATES,
      value: memory,
      shape: [...type.shape],
      role: 'hidden',
      node: logits.node,
    },
  ]);
  const decoderOps = needed(program.ops, [logits.value], new Set([memory])).map((op) =>
    mapOpInputs(op, (v) => (v === memory ? ENCODER_STATES : v)),
  );
  const decoder = reduced(
    program,
    decoderOps,
    [
      ...program.inputs,
      { name: ENCODER_STATES, dtype: 'float32', shape: [...type.shape], role: 'state' },
    ],
    [logits],
  );
  return { encoder, decoder };
}

import type { IrInput, IrOp, IrOutput, IrProgram } from './ir.ts';
import { typed } from './ir/verify.ts';

/** One attention application's cache: program input and output names of its keys and values. */
export interface KvEntry {
  pastKey: string;
  pastValue: string;
  presentKey: string;
  presentValue: string;
  /** kvHeads · headDim. */
  width: number;
}

export interface DecodeProgram {
  program: IrProgram;
  /** In program order: every causal attention application (each unrolled recursion step too). */
  cache: KvEntry[];
}

/**
 * The KV-cache form of a `full` program, for fast decoding: every causal Attention gets its
 * past keys and values as program inputs ([B, P, kvHeads·Dh], role 'past'), attends over
 * past ++ new with the mask aligned bottom-right (query i sees keys ≤ P + i), and outputs the
 * concatenation (role 'present') for the next call; RoPE and position slices start at P.
 * With P = 0 it computes exactly what the original program does. Pure IR → IR.
 */
export function toDecodeProgram(program: IrProgram): DecodeProgram {
  if (program.supervision)
    throw new Error(
      'A KV cache is for language models; this program carries deep-supervision state. Use a full program.',
    );
  const widths = new Map<string, number>();
  for (const i of program.inputs) widths.set(i.name, 0);
  const ops: IrOp[] = [];
  const inputs: IrInput[] = [...program.inputs];
  const outputs: IrOutput[] = [...program.outputs];
  const cache: KvEntry[] = [];
  const attentions = program.ops.filter((o) => o.op === 'Attention' && o.causal);
  if (attentions.length === 0)
    throw new Error('This model has no causal attention, so a KV cache does not apply.');
  // Every past shares the cached length P: the first one tells RoPE and positions where to start.
  const first = 'past.0.key';
  let index = 0;
  for (const op of program.ops) {
    if (op.op === 'Attention' && op.causal) {
      const width = kvWidth(program, op.k);
      const entry: KvEntry = {
        pastKey: `past.${index}.key`,
        pastValue: `past.${index}.value`,
        presentKey: `present.${index}.key`,
        presentValue: `present.${index}.value`,
        width,
      };
      index++;
      inputs.push(
        { name: entry.pastKey, dtype: 'float32', shape: ['B', 'P', width], role: 'past' },
        { name: entry.pastValue, dtype: 'float32', shape: ['B', 'P', width], role: 'past' },
      );
      const k = `${op.out}.present_key`;
      const v = `${op.out}.present_value`;
      ops.push(
        { op: 'Concat', inputs: [entry.pastKey, op.k], axis: 1, out: k, source: op.source },
        { op: 'Concat', inputs: [entry.pastValue, op.v], axis: 1, out: v, source: op.source },
        { ...op, k, v, bottomRight: true },
      );
      outputs.push(
        {
          name: entry.presentKey,
          value: k,
          shape: ['B', 'P+T', width],
          role: 'present',
          node: op.source,
        },
        {
          name: entry.presentValue,
          value: v,
          shape: ['B', 'P+T', width],
          role: 'present',
          node: op.source,
        },
      );
      cache.push(entry);
    } else if (op.op === 'RotaryEmbedding' || op.op === 'SliceLike') {
      ops.push({ ...op, offsetLike: first });
    } else ops.push(op);
  }
  return { program: typed({ ...program, inputs, outputs, ops }), cache };
}

/** The width of an Attention's keys: the last axis of their type (kvHeads · Dh). */
function kvWidth(program: IrProgram, value: string): number {
  const width = program.values.get(value)?.shape.at(-1);
  if (typeof width !== 'number')
    throw new Error(
      `Cannot tell the key width of ${value}; a KV cache needs keys of a fixed width.`,
    );
  return width;
}

import type { IrProgram } from '../graph/ir.ts';
import { META } from './emit.ts';
import { DataType, int, int64Tensor, ints, onnx, attribute, type GraphProto } from './proto.ts';
import { everyOp } from '../graph/ir/unroll.ts';

/*
 * The Hugging Face signature (Optimum, transformers.js): int64 `input_ids` (and
 * `attention_mask` for a causal LM), `logits`, and for a KV-cache export
 * `past_key_values.N.key|value` in / `present.N.key|value` out as [batch, heads, seq, head_dim];
 * a model with a per-puzzle embedding table takes `puzzle_id` [batch] as int64 too.
 * The emitter's own signature (int32 `tokens`, caches as [B, P, heads·Dh]) stays inside: this
 * wraps a finished ModelProto with a Cast, Transposes and Reshapes at its edges, all exact,
 * so the verified graph is untouched.
 */

/** metadata_props key: `hf` when the file carries this signature (loaders pick dtypes by it). */
export const SIGNATURE_META = 'trm.signature';

/** One KV-cache entry of a decode program, by program (IR) name, with its head layout. */
export interface HfCacheEntry {
  /** Absent where the file has no such input (an encoder–decoder's first-step decoder). */
  pastKey?: string;
  pastValue?: string;
  /** Absent where the file has no such output (cross-attention caches past the first step). */
  presentKey?: string;
  presentValue?: string;
  heads: number;
  headDim: number;
  /** What follows `past_key_values.` and `present.`: an encoder–decoder's `0.decoder`; @default N */
  label?: string;
}

export interface HfSignaturePlan {
  /** Program name of the token-id input (int32 inside). */
  tokens: string;
  /** Program name of the puzzle-id input (int32 inside), when the model has a per-puzzle table. */
  puzzle?: string;
  /** Other int32 inputs taken as int64 under their own names (encoder_attention_mask [B, S]). */
  ids?: { name: string; dims: (number | string)[] }[];
  /** Program name of the logits output. */
  logits: string;
  /** A causal LM takes `attention_mask` (all ones: left padding is not supported). */
  attentionMask: boolean;
  cache: HfCacheEntry[];
}

/** The plan for a program: its token input, logits head and (decode) cache layout. */
export function hfPlan(
  program: IrProgram,
  cache: readonly {
    pastKey: string;
    pastValue: string;
    presentKey: string;
    presentValue: string;
    width: number;
  }[] = [],
): HfSignaturePlan | undefined {
  const tokens = program.inputs.find((i) => i.role === 'tokens');
  const logits = program.outputs.find((o) => o.role === 'logits');
  if (!tokens || !logits) return undefined;
  const causal = everyOp(program.ops).some((o) => o.op === 'Attention' && o.causal);
  const entries = cache.map((e) => {
    // The decode program's Attention reads the concatenated keys the present output returns.
    const present = program.outputs.find((o) => o.name === e.presentKey)?.value;
    const attention = program.ops.find((o) => o.op === 'Attention' && o.k === present);
    const heads = attention && attention.op === 'Attention' ? attention.kvHeads : 1;
    return { ...e, heads, headDim: e.width / heads };
  });
  const puzzle = program.inputs.find((i) => i.role === 'puzzle');
  return {
    tokens: tokens.name,
    ...(puzzle ? { puzzle: puzzle.name } : {}),
    logits: logits.name,
    attentionMask: causal,
    cache: entries,
  };
}

type ValueInfo = NonNullable<GraphProto['input']>[number];

function valueInfo(name: string, elemType: number, dims: (number | string)[]): ValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

/** Renames value `from` to `to` wherever a node of `graph` (or a Loop body in it) names it. */
function renameValue(graph: GraphProto, from: string, to: string): void {
  for (const node of graph.node ?? []) {
    node.input = (node.input ?? []).map((n) => (n === from ? to : n));
    node.output = (node.output ?? []).map((n) => (n === from ? to : n));
    for (const a of node.attribute ?? []) if (a.g) renameValue(a.g, from, to);
  }
}

function dimOf(v: ValueInfo, i: number): number | string {
  const d = v.type?.tensorType?.shape?.dim?.[i];
  return d?.dimParam || Number(d?.dimValue ?? 0);
}

/**
 * Wraps an emitted model (the emitter's signature) in the HF signature. Pure: bytes in,
 * bytes out. Names a host reads: `input_ids`, `attention_mask`, `logits`,
 * `past_key_values.N.key|value`, `present.N.key|value`; other inputs and outputs (a step
 * export's state) keep their names. `trm.io_names` is rewritten so Studio loaders still
 * find every program value.
 */
export function withHfSignature(bytes: Uint8Array, plan: HfSignaturePlan): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph as GraphProto;
  const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key ?? '', p.value ?? '']));
  const ioNames = JSON.parse(meta[META.ioNames] ?? '{}') as Record<string, string>;
  const onnxOf = new Map(Object.entries(ioNames).map(([o, ir]) => [ir, o]));
  const nameOf = (ir: string) => onnxOf.get(ir) ?? ir;
  const renamed: Record<string, string> = {};
  const pre: NonNullable<GraphProto['node']> = [];
  const post: NonNullable<GraphProto['node']> = [];
  // A new name an old value already uses (`present.0.key` is both): the old one moves aside.
  const claim = (name: string) => {
    const old = `${name}.trm`;
    renameValue(graph, name, old);
    for (const list of [graph.input ?? [], graph.output ?? []])
      for (const v of list) if (v.name === name) v.name = old;
    return old;
  };
  const node = (
    op: string,
    inputs: string[],
    output: string,
    attrs: Record<string, ReturnType<typeof int>> = {},
  ) => ({
    opType: op,
    input: inputs,
    output: [output],
    name: `hf.${output}`,
    attribute: Object.entries(attrs).map(([k, a]) => attribute(k, a)),
  });
  const shapes = new Map<string, number[]>();
  const shapeConst = (dims: number[]) => {
    const name = `hf.shape.${dims.join('_')}`;
    if (!shapes.has(name)) {
      shapes.set(name, dims);
      graph.initializer = [...(graph.initializer ?? []), int64Tensor(name, [dims.length], dims)];
    }
    return name;
  };

  const inputs = graph.input ?? [];
  const outputs = graph.output ?? [];
  const tokenIndex = inputs.findIndex((v) => v.name === nameOf(plan.tokens));
  if (tokenIndex < 0) throw new Error(`HF signature: the model has no input "${plan.tokens}".`);
  {
    const old = inputs[tokenIndex] as ValueInfo;
    const dims = [0, 1].map((i) => dimOf(old, i));
    const inner = old.name === 'input_ids' ? claim('input_ids') : (old.name as string);
    inputs[tokenIndex] = valueInfo('input_ids', DataType.INT64, [
      dims[0] === 'B' ? 'batch_size' : (dims[0] as number),
      typeof dims[1] === 'number' ? dims[1] : 'sequence_length',
    ]);
    // [B, T] int64 -> [B, T] int32: ids are vocabulary indices, far below 2^31.
    pre.push(node('Cast', ['input_ids'], inner, { to: int(DataType.INT32) }));
    renamed['input_ids'] = plan.tokens;
  }
  if (plan.puzzle !== undefined) {
    // Puzzle ids as int64 like input_ids, [B] int64 -> [B] int32; the name stays.
    const i = inputs.findIndex((v) => v.name === nameOf(plan.puzzle!));
    if (i < 0) throw new Error(`HF signature: the model has no input "${plan.puzzle}".`);
    const outer = inputs[i]!.name as string;
    const inner = claim(outer);
    inputs[i] = valueInfo(outer, DataType.INT64, ['batch_size']);
    pre.push(node('Cast', [outer], inner, { to: int(DataType.INT32) }));
    renamed[outer] = plan.puzzle;
  }
  for (const extra of plan.ids ?? []) {
    // [..] int64 -> [..] int32, as input_ids; the name stays.
    const i = inputs.findIndex((v) => v.name === nameOf(extra.name));
    if (i < 0) throw new Error(`HF signature: the model has no input "${extra.name}".`);
    const outer = inputs[i]!.name as string;
    const inner = claim(outer);
    inputs[i] = valueInfo(outer, DataType.INT64, extra.dims);
    pre.push(node('Cast', [outer], inner, { to: int(DataType.INT32) }));
    renamed[outer] = extra.name;
  }
  if (plan.attentionMask) {
    // Accepted so hosts that always send it can: every position is attended causally.
    inputs.splice(
      tokenIndex + 1,
      0,
      valueInfo('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length']),
    );
  }
  plan.cache.forEach((e, n) => {
    const width = e.heads * e.headDim;
    const label = e.label ?? String(n);
    // Cross-attention caches span the encoder's positions, not the decoded ones.
    const cross = label.endsWith('.encoder');
    for (const [ir, hf] of [
      [e.pastKey, `past_key_values.${label}.key`],
      [e.pastValue, `past_key_values.${label}.value`],
    ] as const) {
      if (ir === undefined) continue;
      const i = inputs.findIndex((v) => v.name === nameOf(ir));
      if (i < 0) throw new Error(`HF signature: the model has no cache input "${ir}".`);
      let inner = inputs[i]!.name as string;
      if (inner === hf) inner = claim(hf);
      inputs[i] = valueInfo(hf, DataType.FLOAT, [
        'batch_size',
        e.heads,
        cross ? 'encoder_sequence_length' : 'past_sequence_length',
        e.headDim,
      ]);
      // [B, H, P, Dh] -> [B, P, H, Dh] -> [B, P, H·Dh]
      pre.push(node('Transpose', [hf], `${hf}.bphd`, { perm: ints(0, 2, 1, 3) }));
      pre.push(node('Reshape', [`${hf}.bphd`, shapeConst([0, 0, width])], inner));
      renamed[hf] = ir;
    }
    for (const [ir, hf] of [
      [e.presentKey, `present.${label}.key`],
      [e.presentValue, `present.${label}.value`],
    ] as const) {
      if (ir === undefined) continue;
      const i = outputs.findIndex((v) => v.name === nameOf(ir));
      if (i < 0) throw new Error(`HF signature: the model has no cache output "${ir}".`);
      let inner = outputs[i]!.name as string;
      if (inner === hf) inner = claim(hf);
      outputs[i] = valueInfo(hf, DataType.FLOAT, [
        'batch_size',
        e.heads,
        cross ? 'encoder_sequence_length' : 'total_sequence_length',
        e.headDim,
      ]);
      // [B, S, H·Dh] -> [B, S, H, Dh] -> [B, H, S, Dh]
      post.push(node('Reshape', [inner, shapeConst([0, 0, e.heads, e.headDim])], `${hf}.bshd`));
      post.push(node('Transpose', [`${hf}.bshd`], hf, { perm: ints(0, 2, 1, 3) }));
      renamed[hf] = ir;
    }
  });
  const logitsIndex = outputs.findIndex((v) => v.name === nameOf(plan.logits));
  if (logitsIndex < 0) throw new Error(`HF signature: the model has no output "${plan.logits}".`);
  if (outputs[logitsIndex]!.name !== 'logits') {
    const old = outputs[logitsIndex]!;
    if ([...inputs, ...outputs].some((v) => v.name === 'logits')) claim('logits');
    const dims = (old.type?.tensorType?.shape?.dim ?? []).map((_, i) => dimOf(old, i));
    outputs[logitsIndex] = valueInfo(
      'logits',
      DataType.FLOAT,
      dims.map((d, i) => (i === 0 && d === 'B' ? 'batch_size' : d === 'T' ? 'sequence_length' : d)),
    );
    post.push(node('Identity', [old.name as string], 'logits'));
  }
  renamed['logits'] = plan.logits;

  graph.input = inputs;
  graph.output = outputs;
  graph.node = [...pre, ...(graph.node ?? []), ...post];
  // Program names of every input and output the file now has.
  const kept = Object.fromEntries(
    Object.entries(ioNames).filter(([o]) => [...inputs, ...outputs].some((v) => v.name === o)),
  );
  meta[META.ioNames] = JSON.stringify({ ...kept, ...renamed });
  meta[SIGNATURE_META] = 'hf';
  model.metadataProps = Object.entries(meta).map(([key, value]) =>
    onnx.StringStringEntryProto.create({ key, value }),
  );
  return onnx.ModelProto.encode(model).finish();
}

import type { IrInput, IrOp, IrOutput, IrProgram, OpOf } from '../ir.ts';
import { ENCODER_STATES } from './encoder-decoder.ts';
import { mapOpInputs, opInputs, opResults } from './program.ts';
import { typed } from './verify.ts';

/*
 * The KV-cache form of an encoder–decoder's decoder (the `decoder` of splitEncoderDecoder), in
 * Optimum's split layout (decoder_model.onnx + decoder_with_past_model.onnx):
 *   init      input_ids [B, T] (decoder tokens from the start token on),
 *             encoder_attention_mask [B, S] (1 a source token, 0 padding), encoder_hidden_states
 *             → logits [B, T, V], present.{i}.decoder.key|value [B, T, W],
 *               present.{i}.encoder.key|value [B, S, W]
 *   withPast  input_ids [B, T] (the new tokens), encoder_attention_mask,
 *             past_key_values.{i}.decoder.key|value [B, P, W], past_key_values.{i}.encoder.key|value
 *             → logits [B, T, V], present.{i}.decoder.key|value [B, P+T, W]
 * (W = heads·Dh; the HF wrapper turns caches into [B, heads, ·, Dh].) The cross-attention keys
 * and values over the encoder states are computed once, by init, and passed back as past; the
 * self-attention caches grow by T positions a call.
 *
 * The rewrite is general over the ops a decoder is built from: every value is placed — a
 * constant (weights), the memory (from the encoder states), or a window of positions of the
 * original value — and the program keeps only what the new positions need. The decoder's row
 * (the whole "source = target" sequence) is read from row position `start` on: a slice of the
 * row becomes the window itself, a position table is sliced from start + P, and padding put in
 * front (sequence-pad) is dropped. An op that mixes positions any other way (a recurrent cell,
 * a bidirectional self-attention, a reduction over positions) has no cached form: the rewrite
 * throws a sentence naming it, and the export goes without the with-past files.
 */

export const DECODER_INPUT_IDS = 'input_ids';
export const ENCODER_MASK = 'encoder_attention_mask';

/** One cached attention: program names of its past inputs and present outputs. */
export interface PastEntry {
  /** `decoder`: self-attention keys (grow per call); `encoder`: cross-attention keys (fixed). */
  kind: 'decoder' | 'encoder';
  /** i of past_key_values.{i}.{kind}: the i-th attention of its kind, in program order. */
  layer: number;
  pastKey: string;
  pastValue: string;
  presentKey: string;
  presentValue: string;
  heads: number;
  /** heads · Dh. */
  width: number;
}

export interface DecoderWithPast {
  init: IrProgram;
  withPast: IrProgram;
  /** Every cache, decoder entries then encoder entries, each in layer order. */
  cache: PastEntry[];
  /** Row position of the first decoder token (the start token). */
  start: number;
  /** The padding id the mask stands for (encoder_attention_mask = id ≠ padId); none unmasked. */
  padId?: number;
}

type Place =
  | { kind: 'const' }
  | { kind: 'memory' }
  /** Positions [offset + P, offset + P + T) of the original value, along its sequence axis. */
  | { kind: 'seq'; offset: number }
  /** A constant broadcast to the batch (sequence-pad's zeros): only a Concat may drop it. */
  | { kind: 'filler' };

const names = (kind: 'decoder' | 'encoder', layer: number) => ({
  pastKey: `past_key_values.${layer}.${kind}.key`,
  pastValue: `past_key_values.${layer}.${kind}.value`,
  presentKey: `present.${layer}.${kind}.key`,
  presentValue: `present.${layer}.${kind}.value`,
});

const POSITIONWISE = new Set<IrOp['op']>([
  'Relu',
  'Sigmoid',
  'Silu',
  'Tanh',
  'Identity',
  'StopGradient',
  'Gelu',
  'Dropout',
  'Scale',
  'LayerNormalization',
  'RMSNormalization',
]);

class Unsupported extends Error {}

interface Rewritten {
  program: IrProgram;
  cache: PastEntry[];
  selfOffsets: number[];
  padId?: number;
}

/** One pass over the decoder; `base` is the row position the new tokens start at (less P). */
function rewrite(decoder: IrProgram, withPast: boolean, base: number, probe = false): Rewritten {
  const tokens = decoder.inputs.find((i) => i.role === 'tokens');
  const memory = decoder.inputs.find((i) => i.name === ENCODER_STATES);
  const logits = decoder.outputs.find((o) => o.role === 'logits');
  if (!tokens || !memory || !logits)
    throw new Error('The decoder program lacks its token ids, encoder states or logits.');
  const place = new Map<string, Place>([
    [tokens.name, { kind: 'seq', offset: base }],
    [memory.name, { kind: 'memory' }],
  ]);
  const alias = new Map<string, string>([[tokens.name, DECODER_INPUT_IDS]]);
  const bad = new Map<string, string>();
  const ops: IrOp[] = [];
  const inputs: IrInput[] = [];
  const outputs: IrOutput[] = [];
  const cache: PastEntry[] = [];
  const selfOffsets: number[] = [];
  const counts = { decoder: 0, encoder: 0 };
  let mask: { ids: string; padId: number } | undefined;
  const width = (v: string) => {
    const w = decoder.values.get(v)?.shape.at(-1);
    if (typeof w !== 'number') throw new Unsupported(`the keys ${v} have no fixed width`);
    return w;
  };
  // Weights, buffers and what is computed from them alone are constants.
  const at = (v: string): Place => place.get(v) ?? { kind: 'const' };
  const map = (v: string) => alias.get(v) ?? v;
  const rank = (v: string) => decoder.values.get(v)?.shape.length ?? 0;
  const seqAxis = (axis: number, of: string) => (axis < 0 ? axis + rank(of) : axis) === 1;
  const firstPast = names('decoder', 0).pastKey;

  /** The next cache entry of its kind, for this attention's keys and values. */
  const cached = (kind: PastEntry['kind'], op: OpOf<'Attention'>): PastEntry => {
    const layer = counts[kind]++;
    const entry = { kind, layer, ...names(kind, layer), heads: op.kvHeads, width: width(op.k) };
    cache.push(entry);
    return entry;
  };

  const attention = (op: OpOf<'Attention'>): Place => {
    const [q, k, v] = [at(op.q), at(op.k), at(op.v)];
    if (q.kind === 'seq' && k.kind === 'memory' && v.kind === 'memory') {
      // Cross-attention: keys and values over the encoder states, computed once (init).
      const entry = cached('encoder', op);
      let keyIds: Partial<OpOf<'Attention'>> = {};
      if (op.keyIds !== undefined) {
        const padId = op.padId ?? 0;
        if (mask && (mask.ids !== op.keyIds || mask.padId !== padId))
          throw new Unsupported('its cross-attentions mask different source ids');
        mask = { ids: op.keyIds, padId };
        // encoder_attention_mask is 0 at padding: the mask with padId 0 masks the same keys.
        keyIds = { keyIds: ENCODER_MASK, padId: 0 };
      }
      const [kk, vv] = withPast ? [entry.pastKey, entry.pastValue] : [map(op.k), map(op.v)];
      ops.push({ ...op, q: map(op.q), k: kk, v: vv, ...keyIds });
      if (!withPast) {
        outputs.push(
          present(entry.presentKey, kk, memoryShape(entry.width), op.source),
          present(entry.presentValue, vv, memoryShape(entry.width), op.source),
        );
      }
      return q;
    }
    if (q.kind !== 'seq' || k.kind !== 'seq' || v.kind !== 'seq')
      throw new Unsupported(
        'its queries, keys and values are neither a self- nor a cross-attention',
      );
    if (!op.causal)
      throw new Unsupported('it is a bidirectional self-attention, which sees later positions');
    if (op.keyIds !== undefined || op.bottomRight)
      throw new Unsupported('it already masks keys or reads a cache');
    if (q.offset !== k.offset || k.offset !== v.offset)
      throw new Unsupported('its queries and keys are at different positions');
    selfOffsets.push(q.offset);
    const entry = cached('decoder', op);
    let [kk, vv] = [map(op.k), map(op.v)];
    if (withPast) {
      inputs.push(past(entry.pastKey, ['B', 'P', entry.width]));
      inputs.push(past(entry.pastValue, ['B', 'P', entry.width]));
      // [B, P, W] ++ [B, T, W] -> [B, P+T, W]; the causal mask aligned bottom-right.
      const [ck, cv] = [`${op.out}.present_key`, `${op.out}.present_value`];
      ops.push(
        { op: 'Concat', inputs: [entry.pastKey, kk], axis: 1, out: ck, source: op.source },
        { op: 'Concat', inputs: [entry.pastValue, vv], axis: 1, out: cv, source: op.source },
      );
      [kk, vv] = [ck, cv];
    }
    ops.push({ ...op, q: map(op.q), k: kk, v: vv, ...(withPast ? { bottomRight: true } : {}) });
    const length = withPast ? 'P+T' : 'T';
    outputs.push(
      present(entry.presentKey, kk, ['B', length, entry.width], op.source),
      present(entry.presentValue, vv, ['B', length, entry.width], op.source),
    );
    return q;
  };

  const memoryShape = (w: number) => ['B', memory.shape[1] ?? 'S', w];
  const present = (name: string, value: string, shape: IrOutput['shape'], node: string) =>
    ({ name, value, shape, role: 'present', node }) satisfies IrOutput;
  const past = (name: string, shape: IrInput['shape']) =>
    ({ name, dtype: 'float32', shape, role: 'past' }) satisfies IrInput;

  /** The op's place, pushing its rewritten form (or aliasing its result) as it goes. */
  const step = (op: IrOp): Place => {
    const operands = opInputs(op).map(at);
    const seqs = operands.filter((p) => p.kind === 'seq');
    if (op.op === 'Attention') return attention(op);
    if (seqs.length === 0 && !operands.some((p) => p.kind === 'filler')) {
      ops.push(mapOpInputs(op, map));
      return operands.some((p) => p.kind === 'memory') ? { kind: 'memory' } : { kind: 'const' };
    }
    if (operands.some((p) => p.kind === 'memory'))
      throw new Unsupported('it mixes the encoder states into decoder positions');
    const offsets = new Set(seqs.map((p) => p.offset));
    if (offsets.size > 1) throw new Unsupported('it combines different positions');
    const here: Place = seqs[0] ?? { kind: 'filler' };
    switch (op.op) {
      case 'SlicePrefix': {
        if (here.kind !== 'seq' || !seqAxis(op.axis, op.x))
          throw new Unsupported('it slices another axis than the sequence');
        const offset = here.offset - (op.start ?? 0);
        // The new tokens must lie inside the slice: one that starts past the decoder's first
        // token (a shifted input, with padding put in its place) reads positions no cache holds.
        if (!probe && offset < 0)
          throw new Unsupported(
            `it starts ${-offset} position(s) after the decoder's first token, so what takes their place is not in the cache; start the decoder's slice of the row at its start token`,
          );
        alias.set(op.out, map(op.x));
        return { kind: 'seq', offset };
      }
      case 'Concat': {
        if (!seqAxis(op.axis, op.out) || seqs.length !== 1)
          throw new Unsupported('it joins sequences');
        const i = op.inputs.findIndex((v) => at(v).kind === 'seq');
        let before = 0;
        for (const v of op.inputs.slice(0, i)) {
          const n = decoder.values.get(v)?.shape[1];
          if (typeof n !== 'number') throw new Unsupported('what it puts in front has no length');
          before += n;
        }
        const offset = (here as { offset: number }).offset;
        // What it puts in front is dropped: right only where no new position is one of them.
        if (!probe && offset < 0)
          throw new Unsupported('the positions it puts in front are read as decoder positions');
        alias.set(op.out, map(op.inputs[i]!));
        return { kind: 'seq', offset: offset + before };
      }
      case 'BroadcastLike':
        if (at(op.x).kind !== 'const') throw new Unsupported('it broadcasts positions');
        ops.push(mapOpInputs(op, map));
        return { kind: 'filler' };
      case 'SliceLike': {
        if (here.kind !== 'seq' || at(op.x).kind !== 'const' || !seqAxis(op.likeAxis, op.like))
          throw new Unsupported('it slices other than a table to the positions');
        if (op.offsetLike !== undefined || here.offset < 0)
          throw new Unsupported('its positions start before the row');
        ops.push({
          ...op,
          like: map(op.like),
          ...(here.offset > 0 ? { start: here.offset } : {}),
          ...(withPast ? { offsetLike: firstPast } : {}),
        });
        return here;
      }
      case 'RotaryEmbedding':
        // RoPE counts from the decoder's first position, where its cache starts (probe: unknown).
        if (here.kind !== 'seq' || (!probe && here.offset !== 0) || op.offsetLike !== undefined)
          throw new Unsupported('it rotates positions other than the decoder’s own');
        ops.push({ ...op, x: map(op.x), ...(withPast ? { offsetLike: firstPast } : {}) });
        return here;
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
      case 'MatMul':
      case 'Gather': {
        // A constant operand must not vary along the positions (a vector or a weight matrix).
        const constant = opInputs(op).filter((v) => at(v).kind === 'const');
        const positional = op.op === 'MatMul' ? at(op.b).kind === 'seq' : false;
        if (
          here.kind !== 'seq' ||
          positional ||
          constant.some((v) => op.op !== 'MatMul' && op.op !== 'Gather' && rank(v) > 1)
        )
          throw new Unsupported('it reads a constant that varies along the positions');
        if (op.op === 'Gather' && at(op.data).kind !== 'const')
          throw new Unsupported('it gathers from positions');
        ops.push(mapOpInputs(op, map));
        return here;
      }
      case 'Softmax':
        if ((op.axis < 0 ? op.axis + rank(op.x) : op.axis) !== rank(op.x) - 1)
          throw new Unsupported('it normalises across positions');
        ops.push(mapOpInputs(op, map));
        return here;
      default:
        if (!POSITIONWISE.has(op.op) || here.kind !== 'seq')
          throw new Unsupported('it mixes positions, so it has no cached form');
        ops.push(mapOpInputs(op, map));
        return here;
    }
  };

  for (const op of decoder.ops) {
    const blocked = opInputs(op).find((v) => bad.has(v));
    if (blocked !== undefined) {
      for (const r of opResults(op)) bad.set(r, bad.get(blocked)!);
      continue;
    }
    try {
      const p = step(op);
      for (const r of opResults(op)) place.set(r, p);
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      for (const r of opResults(op))
        bad.set(r, `the ${op.op} from ${op.source} has no cached form: ${e.message}`);
    }
  }

  const why = bad.get(logits.value);
  if (why !== undefined) throw new Error(`The decoder cannot be exported with past: ${why}.`);
  const out = at(logits.value);
  if (out.kind !== 'seq')
    throw new Error('The decoder cannot be exported with past: its logits are not per position.');
  // Decoding reads the logits at the last new token: they must sit at the tokens' positions.
  if (!probe && out.offset !== base)
    throw new Error(
      `The decoder cannot be exported with past: its logits stand ${Math.abs(out.offset - base)} position(s) from its tokens' row positions; pad its output to the row (a sequence-pad of the source length, as seq2seq-reverse does).`,
    );
  const vocab = logits.shape.at(-1) ?? 'V';
  outputs.unshift({ ...logits, value: map(logits.value), shape: ['B', 'T', vocab] });
  inputs.unshift({ name: DECODER_INPUT_IDS, dtype: 'int32', shape: ['B', 'T'], role: 'tokens' });
  if (mask)
    inputs.push({
      name: ENCODER_MASK,
      dtype: 'int32',
      shape: ['B', memory.shape[1] ?? 'S'],
      role: 'state',
    });
  if (!withPast) inputs.push(memory);
  else
    for (const e of cache.filter((c) => c.kind === 'encoder'))
      inputs.push(past(e.pastKey, memoryShape(e.width)), past(e.pastValue, memoryShape(e.width)));

  const live = liveOps(
    ops,
    outputs.map((o) => o.value),
  );
  const read = new Set(live.flatMap(opInputs));
  if (withPast && read.has(ENCODER_STATES))
    throw new Error(
      'The decoder cannot be exported with past: it reads the encoder states other than through cross-attention keys and values.',
    );
  const program = typed({
    inputs: inputs.filter((i) => read.has(i.name)),
    outputs,
    params: new Map([...decoder.params].filter(([n]) => read.has(n))),
    buffers: new Map([...decoder.buffers].filter(([n]) => read.has(n))),
    ops: live,
  });
  const sorted = [...cache].sort((a, b) =>
    a.kind === b.kind ? a.layer - b.layer : a.kind === 'decoder' ? -1 : 1,
  );
  return { program, cache: sorted, selfOffsets, ...(mask ? { padId: mask.padId } : {}) };
}

/** The ops the `wanted` values need, in program order. */
function liveOps(ops: readonly IrOp[], wanted: string[]): IrOp[] {
  const by = new Map<string, IrOp>();
  for (const op of ops) for (const r of opResults(op)) by.set(r, op);
  const live = new Set<IrOp>();
  const stack = [...wanted];
  while (stack.length > 0) {
    const op = by.get(stack.pop() as string);
    if (!op || live.has(op)) continue;
    live.add(op);
    stack.push(...opInputs(op));
  }
  return ops.filter((op) => live.has(op));
}

/**
 * The decoder's init and with-past programs. The first pass finds where the self-attentions
 * read the row (their positions relative to the token input); the decoder's tokens start there.
 * Throws a sentence naming the op when the decoder has no cached form.
 */
export function toDecoderWithPast(decoder: IrProgram): DecoderWithPast {
  const offsets = new Set(rewrite(decoder, false, 0, true).selfOffsets);
  if (offsets.size === 0)
    throw new Error(
      'The decoder cannot be exported with past: it has no causal self-attention to cache.',
    );
  if (offsets.size > 1)
    throw new Error(
      'The decoder cannot be exported with past: its self-attentions read different positions of the row.',
    );
  const start = -[...offsets][0]!;
  const init = rewrite(decoder, false, start);
  const withPast = rewrite(decoder, true, start);
  return {
    init: init.program,
    withPast: withPast.program,
    cache: init.cache,
    start,
    ...(init.padId !== undefined ? { padId: init.padId } : {}),
  };
}

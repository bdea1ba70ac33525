import ort from 'onnxruntime-node';
import { PUZZLE_INPUT } from '../graph/puzzle-input.ts';
import type { KvEntry } from '../graph/decode.ts';
import type { NextLogits } from './generate.ts';
import type { KvRun } from './kv-cache.ts';
import type { StepModel } from './solve.ts';
import { lastPositions, padBatch } from './batch.ts';

/** A loaded ONNX model with its program-name ↔ ONNX-name mapping and metadata. */
export interface OnnxModel {
  session: ort.InferenceSession;
  meta: Record<string, string>;
  /** ONNX name of a program (IR) input/output name. */
  onnxName(name: string): string;
}

export function onnxModelFrom(session: ort.InferenceSession, meta: Record<string, string>) {
  const ioNames = JSON.parse(meta['trm.io_names'] ?? '{}') as Record<string, string>;
  const byIr = new Map(Object.entries(ioNames).map(([onnx, ir]) => [ir, onnx]));
  return { session, meta, onnxName: (name: string) => byIr.get(name) ?? name };
}

/**
 * The token ids as the file takes them: int64 (`input_ids`, the HF signature) or int32 (the
 * Studio's own `tokens`, files exported before the HF layout).
 */
export function idsTensor(
  m: OnnxModel,
  name: string,
  data: Int32Array,
  dims: number[],
): ort.Tensor {
  const meta = m.session.inputMetadata.find((i) => i.name === name);
  return meta?.isTensor && meta.type === 'int64'
    ? new ort.Tensor(
        'int64',
        BigInt64Array.from(data, (x) => BigInt(x)),
        dims,
      )
    : new ort.Tensor('int32', data, dims);
}

/**
 * `puzzle_id` (every example `puzzleId`) where the file takes one: a model with a per-puzzle
 * embedding table, in the token ids' integer type.
 */
function withPuzzleIds(
  m: OnnxModel,
  feeds: Record<string, ort.Tensor>,
  batch: number,
  puzzleId = 0,
): Record<string, ort.Tensor> {
  const name = m.onnxName(PUZZLE_INPUT);
  if (m.session.inputNames.includes(name))
    feeds[name] = idsTensor(m, name, new Int32Array(batch).fill(puzzleId), [batch]);
  return feeds;
}

/** `attention_mask` (all ones over past and new tokens) where the file takes one. */
function withMask(
  m: OnnxModel,
  feeds: Record<string, ort.Tensor>,
  batch: number,
  total: number,
): Record<string, ort.Tensor> {
  if (m.session.inputNames.includes('attention_mask'))
    feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(batch * total).fill(1n), [
      batch,
      total,
    ]);
  return feeds;
}

/** Next-token logits from a full ONNX export (recompute over the window). */
export function onnxNextLogits(
  m: OnnxModel,
  tokens: string,
  logits: string,
  /** The token input's fixed length, when it has one (rows are padded to it). */
  fixed?: number,
): NextLogits {
  const input = m.onnxName(tokens);
  const output = m.onnxName(logits);
  return async (sequences) => {
    const { data, length } = padBatch(sequences, fixed);
    const dims = [sequences.length, length];
    const feeds = withMask(m, { [input]: idsTensor(m, input, data, dims) }, dims[0]!, length);
    withPuzzleIds(m, feeds, dims[0]!);
    const r = await m.session.run(feeds, [output]);
    const t = r[output]!;
    const vocab = t.dims[t.dims.length - 1] as number;
    return lastPositions(t.data as Float32Array, sequences, length, vocab);
  };
}

interface SupervisionMeta {
  steps: number;
  state: { input: string; next: string; init: string }[];
}

/**
 * One deep-supervision step of a `--mode step` export: the state inputs take the previous
 * `.next` outputs; the first call reads the `.init` outputs (fed zeros for the state).
 */
export function onnxStepModel(
  m: OnnxModel,
  tokens: string,
  logits: string,
  halt: string | undefined,
  classes: number,
): StepModel<ort.Tensor[]> {
  const raw = m.meta['trm.supervision'];
  if (!raw)
    throw new Error(
      'This ONNX model has no supervision steps, so it cannot solve step by step. Export it with --mode step.',
    );
  const sup = JSON.parse(raw) as SupervisionMeta;
  const input = m.onnxName(tokens);
  const out = m.onnxName(logits);
  const haltName = halt ? m.onnxName(halt) : undefined;
  const stateDims = (name: string, batch: number, length: number): number[] => {
    const meta = m.session.inputMetadata.find((i) => i.name === name);
    const shape = meta && meta.isTensor ? meta.shape : [];
    return shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? batch : length));
  };
  const run = async (
    puzzle: Int32Array,
    puzzleId: number | undefined,
    state: ort.Tensor[] | undefined,
    fetch: string[],
  ) => {
    const feeds: Record<string, ort.Tensor> = {
      [input]: idsTensor(m, input, puzzle, [1, puzzle.length]),
    };
    withPuzzleIds(m, feeds, 1, puzzleId);
    sup.state.forEach((s, i) => {
      if (state) feeds[s.input] = state[i]!;
      else {
        const dims = stateDims(s.input, 1, puzzle.length);
        const size = dims.reduce((a, d) => a * d, 1);
        feeds[s.input] = new ort.Tensor('float32', new Float32Array(size), dims);
      }
    });
    return m.session.run(feeds, fetch);
  };
  return {
    classes,
    supervisionSteps: sup.steps,
    init: async (puzzle, puzzleId) => {
      const r = await run(
        puzzle,
        puzzleId,
        undefined,
        sup.state.map((s) => s.init),
      );
      return sup.state.map((s) => r[s.init]!);
    },
    step: async (puzzle, state, puzzleId) => {
      const fetch = [out, ...(haltName ? [haltName] : []), ...sup.state.map((s) => s.next)];
      const r = await run(puzzle, puzzleId, state, fetch);
      return {
        logits: r[out]!.data as Float32Array,
        halt: haltName ? ((r[haltName]!.data as Float32Array)[0] as number) : 0,
        state: sup.state.map((s) => r[s.next]!),
      };
    },
  };
}

/** onnxruntime running a KV-cache export (`--kv`): past inputs in, present outputs out. */
export function onnxKvRun(
  m: OnnxModel,
  tokens: string,
  logits: string,
  cache: readonly KvEntry[],
): KvRun {
  const input = m.onnxName(tokens);
  const output = m.onnxName(logits);
  const pastNames = cache.flatMap((e) => [e.pastKey, e.pastValue]).map(m.onnxName);
  const present = cache.flatMap((e) => [e.presentKey, e.presentValue]).map(m.onnxName);
  // The HF signature takes caches as [B, heads, P, Dh], the Studio's own as [B, P, heads·Dh]:
  // the same bytes per batch row, so only the dims differ.
  const hf = m.meta['trm.signature'] === 'hf';
  const heads = pastNames.map((name, i) => {
    const meta = m.session.inputMetadata.find((x) => x.name === name);
    const shape = meta?.isTensor ? meta.shape : [];
    const h = typeof shape[1] === 'number' ? shape[1] : 1;
    return { h, dh: cache[i >> 1]!.width / h };
  });
  return async (data, batch, length, past, p) => {
    const feeds: Record<string, ort.Tensor> = {
      [input]: idsTensor(m, input, data, [batch, length]),
    };
    pastNames.forEach((name, i) => {
      const { h, dh } = heads[i]!;
      const dims = hf ? [batch, h, p, dh] : [batch, p, cache[i >> 1]!.width];
      feeds[name] = new ort.Tensor('float32', past[i]!, dims);
    });
    withMask(m, feeds, batch, p + length);
    withPuzzleIds(m, feeds, batch);
    const r = await m.session.run(feeds, [output, ...present]);
    const t = r[output]!;
    return {
      logits: t.data as Float32Array,
      vocab: t.dims[t.dims.length - 1] as number,
      present: present.map((n) => r[n]!.data as Float32Array),
    };
  };
}

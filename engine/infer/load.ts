import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { compile } from '../graph/compile.ts';
import { parseJsonText } from '../graph/json-text.ts';
import { toDecodeProgram } from '../graph/decode.ts';
import type { IrProgram } from '../graph/ir.ts';
import type { GraphDocument } from '../graph/schema.ts';
import type { TextTokenizer } from '../data/text-tokenizer.ts';
import type { DataSpec } from '../data/spec.ts';
import type { DataSource } from '../data/types.ts';
import type { NextLogits } from './generate.ts';
import type { StepModel } from './solve.ts';
import { everyOp } from '../graph/ir/unroll.ts';

/**
 * Opens a model for generation or solving from either an ONNX file (`.onnx`) or a trainer
 * checkpoint folder, with the tokenizer it was trained with when one is recorded.
 */
export interface LoadedModel {
  kind: 'onnx' | 'checkpoint';
  doc: GraphDocument;
  /** Longest window the model takes (the token input's maxLength). */
  contextLength: number;
  next(): NextLogits;
  /** Next-token logits with a KV cache, when the model offers one. */
  cachedNext?(): NextLogits;
  stepModel(): StepModel<unknown>;
  /** Undefined when neither the model nor its data spec records one. */
  tokenizer(): Promise<TextTokenizer | undefined>;
  /** The training data's spec as recorded (checkpoint or export metadata), if any. */
  dataSpec: unknown;
  /** The training data (its held-out puzzles, vocabulary), built from `dataSpec` on demand. */
  dataSource(): Promise<DataSource | undefined>;
  /** Puzzle length (fixed token length), when the model takes a fixed length. */
  fixedLength?: number;
  program: IrProgram;
  dispose(): void | Promise<void>;
}

function resolve(doc: GraphDocument, v: unknown): number {
  return typeof v === 'string' ? (doc.dims[v] as number) : (v as number);
}

export function contextLengthOf(doc: GraphDocument): number {
  const n = doc.main.nodes.find((x) => x.kind === 'token-input');
  return n ? resolve(doc, n.params.maxLength) : 1;
}

function roles(program: IrProgram) {
  const tokens = program.inputs.find((i) => i.role === 'tokens');
  const logits = program.outputs.find((o) => o.role === 'logits');
  if (!tokens || !logits)
    throw new Error('The model needs a token input and a logits head; this one lacks one.');
  const halt = program.outputs.find((o) => o.role === 'halt');
  const classes = logits.shape[logits.shape.length - 1];
  const length = tokens.shape[1];
  return {
    tokens: tokens.name,
    logits: logits.name,
    ...(halt ? { halt: halt.name } : {}),
    classes: typeof classes === 'number' ? classes : 0,
    ...(typeof length === 'number' ? { fixedLength: length } : {}),
  };
}

async function tokenizerFrom(description: { tokenizer?: unknown } | undefined) {
  if (!description?.tokenizer) return undefined;
  const { restoreTokenizer } = await import('../data/index.ts');
  return restoreTokenizer(description);
}

/**
 * Reads an ONNX file's metadata_props. Bytes that are not an ONNX model (a text file, a
 * checkpoint blob renamed .onnx) fail with a sentence naming `path`, not the decoder's.
 */
export async function onnxMetadata(
  bytes: Uint8Array,
  path: string,
): Promise<Record<string, string>> {
  const { onnx } = await import('../onnx/proto.ts');
  const notOnnx = (why: string) =>
    new Error(
      `${path} is not an ONNX model (${why}); export one with trm export GRAPH --out MODEL.onnx, or pick a checkpoint folder.`,
    );
  let model;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    throw notOnnx('its bytes do not decode as an ONNX ModelProto');
  }
  if (!model.graph) throw notOnnx('it holds no graph');
  return Object.fromEntries(model.metadataProps.map((p) => [p.key ?? '', p.value ?? '']));
}

/** How a host confines the files a recorded data spec names (see `LoadOptions.confineData`). */
export type ConfineData = (spec: unknown) => Promise<unknown>;

export async function loadModel(path: string, confineData?: ConfineData): Promise<LoadedModel> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new Error(`Cannot open ${path}: no such file or folder. Check the path.`);
  }
  if (!isDir) return loadOnnxModel(path, confineData);
  const exported = await exportFolderModel(path);
  return exported ? loadOnnxModel(exported, confineData) : loadCheckpointModel(path, confineData);
}

/**
 * The ONNX file of an export folder (config.json beside onnx/): the one config.json names,
 * else onnx/model.onnx, else the first onnx/model*.onnx; undefined for any other folder.
 */
async function exportFolderModel(dir: string): Promise<string | undefined> {
  let config: { trm?: { file?: unknown } };
  try {
    config = parseJsonText(await readFile(join(dir, 'config.json'), 'utf8')) as typeof config;
  } catch {
    return undefined;
  }
  const named = typeof config.trm?.file === 'string' ? [config.trm.file] : [];
  let listed: string[] = [];
  try {
    listed = (await readdir(join(dir, 'onnx')))
      .filter((f) => /^model.*\.onnx$/.test(f))
      .sort()
      .map((f) => `onnx/${f}`);
  } catch {
    return undefined;
  }
  for (const file of [...named, 'onnx/model.onnx', ...listed])
    if (listed.includes(file)) return join(dir, file);
  return undefined;
}

async function loadOnnxModel(path: string, confineData?: ConfineData): Promise<LoadedModel> {
  const bytes = new Uint8Array(await readFile(path));
  const meta = await onnxMetadata(bytes, path);
  if (!meta['trm.graph'])
    throw new Error(
      `${path} was not exported by TRM Studio (it has no trm.graph metadata); export it with trm export.`,
    );
  const { documentFrom } = await import('../runtime/trainable-program.ts');
  const doc = documentFrom(JSON.parse(meta['trm.graph']));
  const mode = meta['trm.mode'] === 'step' ? 'step' : 'full';
  const compiled = compile(doc, { mode }).program;
  if (!compiled) throw new Error(`The graph stored in ${path} no longer compiles.`);
  const decode = meta['trm.mode'] === 'decode' ? toDecodeProgram(compiled) : undefined;
  const recorded: unknown = meta['trm.data'] ? JSON.parse(meta['trm.data']) : undefined;
  const dataSpec = recorded !== undefined && confineData ? await confineData(recorded) : recorded;
  const program = decode?.program ?? compiled;
  const r = roles(program);
  const { createSession } = await import('../onnx-runtime/verify.ts');
  const { onnxModelFrom, onnxNextLogits, onnxStepModel, onnxKvRun } =
    await import('./onnx-model.ts');
  const m = onnxModelFrom(await createSession(bytes), meta);
  const { cachedNextLogits } = await import('./kv-cache.ts');
  const kv = (reuse: boolean) =>
    cachedNextLogits(onnxKvRun(m, r.tokens, r.logits, decode!.cache), decode!.cache, reuse);
  return {
    kind: 'onnx',
    doc,
    program,
    contextLength: contextLengthOf(doc),
    ...(r.fixedLength ? { fixedLength: r.fixedLength } : {}),
    // A decode export always takes past inputs: without the cache it runs them empty.
    next: () => (decode ? kv(false) : onnxNextLogits(m, r.tokens, r.logits, r.fixedLength)),
    ...(decode ? { cachedNext: () => kv(true) } : {}),
    stepModel: () => onnxStepModel(m, r.tokens, r.logits, r.halt, r.classes) as StepModel<unknown>,
    dataSpec,
    dataSource: async () => {
      if (dataSpec === undefined) return undefined;
      const { createDataSource } = await import('../data/index.ts');
      const training = meta['trm.training'] ? JSON.parse(meta['trm.training']) : {};
      return createDataSource(
        dataSpec as DataSpec,
        typeof training.seed === 'number' ? training.seed : 0,
      );
    },
    tokenizer: async () => {
      if (meta['trm.tokenizer'])
        return tokenizerFrom({ tokenizer: JSON.parse(meta['trm.tokenizer']) });
      if (dataSpec === undefined) return undefined;
      const { createDataSource } = await import('../data/index.ts');
      const source = await createDataSource(dataSpec as DataSpec, 0);
      return tokenizerFrom(source.describe());
    },
    dispose: () => m.session.release(),
  };
}

async function loadCheckpointModel(path: string, confineData?: ConfineData): Promise<LoadedModel> {
  const { loadTrainedModel } = await import('../train/load-model.ts');
  const model = await loadTrainedModel(path, confineData ? { confineData } : {});
  const { tfjsNextLogits, tfjsStepModel, tfjsKvRun } = await import('./tfjs-model.ts');
  const program = model.trainable.program;
  const r = roles(program);
  const { documentFrom } = await import('../runtime/trainable-program.ts');
  const { readCheckpoint, disposeCheckpoint } = await import('../train/checkpoint.ts');
  const saved = await readCheckpoint(path);
  disposeCheckpoint(saved);
  const doc = documentFrom(saved.meta.document);
  const pm = { program, weights: model.weights, tokens: r.tokens, logits: r.logits };
  const decode =
    program.supervision || !everyOp(program.ops).some((o) => o.op === 'Attention' && o.causal)
      ? undefined
      : toDecodeProgram(program);
  const { cachedNextLogits } = await import('./kv-cache.ts');
  return {
    kind: 'checkpoint',
    doc,
    program,
    contextLength: contextLengthOf(doc),
    ...(r.fixedLength ? { fixedLength: r.fixedLength } : {}),
    next: () => tfjsNextLogits(pm),
    ...(decode
      ? {
          cachedNext: () =>
            cachedNextLogits(
              tfjsKvRun({ ...pm, program: decode.program }, decode.cache),
              decode.cache,
            ),
        }
      : {}),
    stepModel: () =>
      tfjsStepModel({
        ...pm,
        ...(r.halt ? { halt: r.halt } : {}),
        supervisionSteps: model.trainable.supervisionSteps,
      }) as StepModel<unknown>,
    tokenizer: () => tokenizerFrom(model.source.describe()),
    dataSpec: saved.meta.dataSpec ?? undefined,
    dataSource: () => Promise.resolve(model.source),
    dispose: () => model.dispose(),
  };
}

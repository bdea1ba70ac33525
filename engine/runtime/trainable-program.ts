import * as tf from '@tensorflow/tfjs-core';
import type { Batch, DataSource } from '../data/types.ts';
import { compile } from '../graph/compile.ts';
import { formatDiagnostic, hasErrors } from '../graph/diagnostics.ts';
import type { IrInput, IrOutput, IrProgram, IrState } from '../graph/ir.ts';
import { parseDocument } from '../graph/parse.ts';
import { puzzleDataProblem, puzzleTable, type PuzzleTable } from '../graph/puzzle-input.ts';
import type { GraphDocument } from '../graph/schema.ts';
import { adapterA, adapterB, applyLora, type LoraConfig } from '../graph/lora.ts';
import { runProgram } from './executor.ts';
import type { WeightStore } from './weights.ts';

/**
 * What the trainer needs from a compiled graph, found by role — never by node kind: the
 * token input, the optional puzzle-id input, the 'logits' output, the optional 'halt' output
 * and the carried state of a deep-supervision recursion (compiled in `step` mode: one
 * supervision step per call).
 */
export interface TrainableProgram {
  program: IrProgram;
  tokens: IrInput;
  /** The puzzle-id input and its table, when the graph has a per-puzzle embedding table. */
  puzzle?: PuzzleTable;
  logits: IrOutput;
  halt?: IrOutput;
  /** Carried state (deep supervision); empty for a plain model. */
  state: IrState[];
  /** Deep-supervision steps per batch (1 for a plain model). */
  supervisionSteps: number;
  params: number;
  /** The main-graph node each weight belongs to (weight name → node id), for freezing by node. */
  owners: Map<string, string>;
  /** LoRA adapter params (`<W>@lora/A`, `<W>@lora/B`) when the run adapts weights; else empty. */
  adapters: string[];
}

export function documentFrom(input: unknown): GraphDocument {
  const parsed = parseDocument(input);
  if (!parsed.ok) {
    throw new Error(
      `The graph document is invalid: ${parsed.diagnostics.map(formatDiagnostic).join(' ')}`,
    );
  }
  return parsed.doc;
}

/** Compile for training and check it fits the data; errors are sentences naming the fix. */
export function prepareProgram(
  doc: GraphDocument,
  source: Pick<DataSource, 'vocabSize' | 'length' | 'name' | 'puzzleIds'>,
  supervisionOverride = 0,
  lora?: LoraConfig,
): TrainableProgram {
  const result = compile(doc, { mode: 'step' });
  if (!result.program || hasErrors(result.diagnostics)) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    throw new Error(
      `The graph does not compile, so it cannot train: ${errors.map(formatDiagnostic).join(' ')}`,
    );
  }
  const owners = new Map(result.owners);
  let program = result.program;
  let adapters: string[] = [];
  if (lora) {
    const adapted = applyLora(program, lora, owners);
    program = adapted.program;
    adapters = adapted.adapted.flatMap((w) => [adapterA(w), adapterB(w)]);
    for (const w of adapted.adapted) {
      const owner = owners.get(w);
      if (owner) for (const a of [adapterA(w), adapterB(w)]) owners.set(a, owner);
    }
  }
  const tokens = program.inputs.find((i) => i.role === 'tokens');
  const logits = program.outputs.find((o) => o.role === 'logits');
  if (!tokens || !logits) {
    throw new Error(
      `The graph needs a token input and an output head (LM or classification head) to train; add ${tokens ? 'a head' : 'a token-input node'}.`,
    );
  }
  const vocab = logits.shape[logits.shape.length - 1];
  if (typeof vocab === 'number' && vocab < source.vocabSize) {
    throw new Error(
      `The head ${logits.node} predicts ${vocab} classes but the data "${source.name}" has a vocabulary of ${source.vocabSize}; set the graph's V to ${source.vocabSize}.`,
    );
  }
  const length = tokens.shape[1];
  if (typeof length === 'number' && length !== source.length) {
    throw new Error(
      `The token input "${tokens.name}" takes sequences of ${length} but the data "${source.name}" has length ${source.length}; set the graph's sequence length to ${source.length}.`,
    );
  }
  const puzzle = puzzleTable(program);
  const ids = puzzleDataProblem(puzzle, source.puzzleIds, source.name);
  if (ids) throw new Error(ids);
  const steps = program.supervision ? supervisionOverride || program.supervision.steps : 1;
  return {
    program,
    tokens,
    ...(puzzle ? { puzzle } : {}),
    logits,
    halt: program.outputs.find((o) => o.role === 'halt'),
    state: program.supervision?.state ?? [],
    supervisionSteps: steps,
    params: result.totalParams,
    owners,
    adapters,
  };
}

/** The initial carried state of a batch (no gradient; the caller disposes). */
export function initialState(
  tp: TrainableProgram,
  weights: WeightStore,
  inputs: BatchFeeds,
): tf.Tensor[] {
  if (tp.state.length === 0) return [];
  const out = runProgram(
    tp.program,
    weights,
    inputs,
    tp.state.map((s) => s.init),
  );
  return tp.state.map((s) => out[s.init]!);
}

/**
 * A batch's program inputs, by input name: the token ids and, when the graph has a per-puzzle
 * table, the puzzle ids (0, the blank id, for data without ids). The caller disposes them.
 */
export type BatchFeeds = Record<string, tf.Tensor>;

export function batchFeeds(
  tp: Pick<TrainableProgram, 'tokens' | 'puzzle'>,
  batch: Batch,
): BatchFeeds {
  const feeds: BatchFeeds = {
    [tp.tokens.name]: tf.tensor2d(batch.inputs, [batch.batch, batch.length], 'int32'),
  };
  if (tp.puzzle) {
    const ids = batch.puzzle ?? new Int32Array(batch.batch);
    feeds[tp.puzzle.input.name] = tf.tensor1d(ids, 'int32');
  }
  return feeds;
}

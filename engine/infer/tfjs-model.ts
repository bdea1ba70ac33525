import * as tf from '@tensorflow/tfjs-core';
import type { IrProgram } from '../graph/ir.ts';
import { runProgram } from '../runtime/executor.ts';
import type { WeightStore } from '../runtime/weights.ts';
import type { KvEntry } from '../graph/decode.ts';
import type { NextLogits } from './generate.ts';
import type { KvRun } from './kv-cache.ts';
import { lastPositions, padBatch } from './batch.ts';
import type { StepModel } from './solve.ts';

export interface ProgramModel {
  program: IrProgram;
  weights: WeightStore;
  /** Program input of the tokens and output of the logits. */
  tokens: string;
  logits: string;
}

/**
 * The feeds of `tokens` [B, T]: with puzzle ids [B] (all `puzzleId`) when the program has a
 * per-puzzle embedding table. Call inside tf.tidy.
 */
function feedsOf(m: ProgramModel, tokens: tf.Tensor, puzzleId = 0): Record<string, tf.Tensor> {
  const feeds: Record<string, tf.Tensor> = { [m.tokens]: tokens };
  const puzzle = m.program.inputs.find((i) => i.role === 'puzzle');
  if (puzzle) feeds[puzzle.name] = tf.fill([tokens.shape[0]!], puzzleId, 'int32');
  return feeds;
}

/**
 * The values of float32 `tensors`, read asynchronously (a device backend in Node has no
 * synchronous read; on the CPU a read is no copy) and freed whether or not the read succeeds.
 */
async function readAndDispose(tensors: tf.Tensor[]): Promise<Float32Array[]> {
  try {
    return (await Promise.all(tensors.map((t) => t.data()))) as Float32Array[];
  } finally {
    tf.dispose(tensors);
  }
}

/** Next-token logits from the tfjs executor (full recompute over the window). */
export function tfjsNextLogits(m: ProgramModel): NextLogits {
  const fixed = m.program.inputs.find((i) => i.name === m.tokens)?.shape[1];
  return async (sequences) => {
    const { data, length } = padBatch(sequences, typeof fixed === 'number' ? fixed : undefined);
    const logits = tf.tidy(() => {
      const tokens = tf.tensor2d(data, [sequences.length, length], 'int32');
      return runProgram(m.program, m.weights, feedsOf(m, tokens), [m.logits])[m.logits]!;
    });
    const vocab = logits.shape[logits.shape.length - 1] as number;
    const all = (await readAndDispose([logits]))[0]!;
    return lastPositions(all, sequences, length, vocab);
  };
}

/**
 * One deep-supervision step of a `step`-mode program on the tfjs executor. The state is the
 * carried tensors (kept; `dispose` frees them).
 */
export function tfjsStepModel(
  m: ProgramModel & { halt?: string; supervisionSteps?: number },
): StepModel<tf.Tensor[]> {
  const sup = m.program.supervision;
  if (!sup)
    throw new Error(
      'This model has no recursion with deep supervision, so it cannot solve step by step. Use a TRM graph.',
    );
  const out = m.program.outputs.find((o) => o.name === m.logits);
  const classes = out?.shape[out.shape.length - 1];
  if (typeof classes !== 'number') throw new Error(`The output ${m.logits} has no fixed classes.`);
  const tokensOf = (puzzle: Int32Array) => tf.tensor2d(puzzle, [1, puzzle.length], 'int32');
  return {
    classes,
    supervisionSteps: m.supervisionSteps ?? sup.steps,
    init: (puzzle, puzzleId) => {
      const state = tf.tidy(() => {
        const r = runProgram(
          m.program,
          m.weights,
          feedsOf(m, tokensOf(puzzle), puzzleId),
          sup.state.map((s) => s.init),
        );
        return sup.state.map((s) => r[s.init]!);
      });
      return Promise.resolve(state.map((t) => tf.keep(t)));
    },
    step: async (puzzle, state, puzzleId) => {
      const fetch = [m.logits, ...(m.halt ? [m.halt] : []), ...sup.state.map((s) => s.output)];
      const r = tf.tidy(() => {
        const feeds = feedsOf(m, tokensOf(puzzle), puzzleId);
        sup.state.forEach((s, i) => (feeds[s.input] = state[i]!));
        return runProgram(m.program, m.weights, feeds, fetch);
      });
      const next = sup.state.map((s) => r[s.output]!);
      const [logits, halt] = await readAndDispose([r[m.logits]!, ...(m.halt ? [r[m.halt]!] : [])]);
      return { logits: logits!, halt: halt ? halt[0]! : 0, state: next };
    },
    dispose: (state) => tf.dispose(state),
  };
}

/** The tfjs executor running a KV-cache program (`toDecodeProgram`). */
export function tfjsKvRun(m: ProgramModel, cache: readonly KvEntry[]): KvRun {
  const present = cache.flatMap((e) => [e.presentKey, e.presentValue]);
  const pastNames = cache.flatMap((e) => [e.pastKey, e.pastValue]);
  return async (tokens, batch, length, past, p) => {
    const outs = tf.tidy(() => {
      const feeds = feedsOf(m, tf.tensor2d(tokens, [batch, length], 'int32'));
      pastNames.forEach((name, i) => {
        const w = cache[i >> 1]!.width;
        feeds[name] = tf.tensor3d(past[i]!, [batch, p, w]);
      });
      const r = runProgram(m.program, m.weights, feeds, [m.logits, ...present]);
      return [m.logits, ...present].map((n) => r[n]!);
    });
    const vocab = outs[0]!.shape[outs[0]!.shape.length - 1] as number;
    const [logits, ...presentValues] = await readAndDispose(outs);
    return { logits: logits!, vocab, present: presentValues };
  };
}

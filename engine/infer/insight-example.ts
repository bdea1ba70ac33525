import * as tf from '@tensorflow/tfjs-core';
import { IGNORE } from '../data/types.ts';
import { runProgram } from '../runtime/executor.ts';
import {
  atDepth,
  deepestDepth,
  heldOutCount,
  MAX_INSIGHT_DEPTH,
  type InsightModel,
} from './insight.ts';
import type { CellsStep, ExampleTrace, TextStep, TopToken } from '../contract/insight-report.ts';
import { tfjsStepModel } from './tfjs-model.ts';

/**
 * One example through the recursion: the answer after each depth. A puzzle shows its grid
 * filling in (argmax per cell, its confidence, the halting probability); a text shows the
 * next-token distribution sharpening. Batch 1, every tensor disposed.
 */

export interface ExampleOptions {
  /** Index in the run's held-out set (default 0). */
  index?: number;
  /** A puzzle typed by the user (cells tasks), or a context text (language models). */
  input?: string;
  maxDepth?: number;
  /** Next tokens listed per depth (text). */
  topK?: number;
}

const MAX_TOP_K = 20;

interface Example {
  inputs: Int32Array;
  targets: Int32Array | null;
  index: number | null;
  /** The example's puzzle id (a per-puzzle embedding's row; 0, the blank id, when typed). */
  puzzleId: number;
}

function heldOut(m: InsightModel, index: number): Example {
  // The default sweep's held-out set, so index i is the same example in both (puzzle
  // sources hold a fixed set and may return fewer: read `batch`).
  const all = m.source.validation(heldOutCount(m));
  if (!Number.isInteger(index) || index < 0 || index >= all.batch) {
    throw new Error(
      `There is no held-out example ${index}: the run's held-out set has ${all.batch} (0–${all.batch - 1}).`,
    );
  }
  const row = (a: Int32Array) => a.slice(index * all.length, (index + 1) * all.length);
  return {
    inputs: row(all.inputs),
    targets: row(all.targets),
    index,
    puzzleId: all.puzzle?.[index] ?? 0,
  };
}

/** Puzzle text → tokens through the task's vocabulary (`0` means blank where `.` is one). */
export function cellsFromText(text: string, vocab: readonly string[], length: number): Int32Array {
  const spaced = vocab.includes(' ');
  const cells = [...text.replace(spaced ? /[\r\n|,]/g : /[\s|,]/g, '')];
  if (cells.length !== length) {
    throw new Error(
      `The puzzle has ${cells.length} cells but this model takes ${length}. Give every cell row by row, with . for blanks.`,
    );
  }
  return Int32Array.from(cells, (ch, i) => {
    const id = vocab.indexOf(ch === '0' && vocab.includes('.') ? '.' : ch);
    if (id <= 0) {
      const allowed = vocab.filter((v, j) => j > 0 && v.length === 1).join(' ');
      throw new Error(`Cell ${i + 1} is "${ch}"; this task's cells are one of: ${allowed}.`);
    }
    return id;
  });
}

function softmax(logits: Float32Array): Float32Array {
  const max = logits.reduce((a, b) => Math.max(a, b), -Infinity);
  const e = logits.map((x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

function cellsStep(
  depth: number,
  logits: Float32Array,
  classes: number,
  halt: number | null,
  targets: Int32Array | null,
): CellsStep {
  const cells = logits.length / classes;
  const answer: number[] = [];
  const confidence: number[] = [];
  let correct = 0;
  for (let c = 0; c < cells; c++) {
    const p = softmax(logits.subarray(c * classes, (c + 1) * classes));
    let best = 0;
    for (let k = 1; k < classes; k++) if (p[k]! > p[best]!) best = k;
    answer.push(best);
    confidence.push(p[best]!);
    const t = targets?.[c];
    if (t !== undefined && t !== IGNORE && t === best) correct++;
  }
  return {
    depth,
    answer,
    confidence,
    haltProbability: halt === null ? null : 1 / (1 + Math.exp(-halt)),
    correct: targets ? correct : null,
  };
}

/** Logits [positions * classes] of one example at depths 1..n, and the halting logit. */
async function traceLogits(
  m: InsightModel,
  { inputs, puzzleId }: Pick<Example, 'inputs' | 'puzzleId'>,
  depths: number,
  visit: (depth: number, logits: Float32Array, classes: number, halt: number | null) => void,
): Promise<void> {
  if (m.depth.kind === 'supervision') {
    const tp = m.trainable;
    const model = tfjsStepModel({
      program: tp.program,
      weights: m.weights,
      tokens: tp.tokens.name,
      logits: tp.logits.name,
      ...(tp.halt ? { halt: tp.halt.name } : {}),
      supervisionSteps: depths,
    });
    let state = await model.init(inputs, puzzleId);
    try {
      for (let d = 1; d <= depths; d++) {
        const r = await model.step(inputs, state, puzzleId);
        model.dispose?.(state);
        state = r.state;
        visit(d, r.logits, model.classes, tp.halt ? r.halt : null);
      }
    } finally {
      model.dispose?.(state);
    }
    return;
  }
  for (let d = 1; d <= depths; d++) {
    const { trainable: tp, weights } = atDepth(m, d);
    const out = tf.tidy(() => {
      const feeds = {
        [tp.tokens.name]: tf.tensor2d(inputs, [1, inputs.length], 'int32'),
        ...(tp.puzzle ? { [tp.puzzle.input.name]: tf.tensor1d([puzzleId], 'int32') } : {}),
      };
      return runProgram(tp.program, weights, feeds, [tp.logits.name])[tp.logits.name]!;
    });
    const classes = out.shape[out.shape.length - 1]!;
    const logits = (await out.data()) as Float32Array;
    out.dispose();
    visit(d, logits, classes, null);
  }
}

function topTokens(m: InsightModel, logits: Float32Array, k: number): TopToken[] {
  const p = softmax(logits);
  return [...p.keys()]
    .sort((a, b) => p[b]! - p[a]!)
    .slice(0, k)
    .map((id) => ({ id, text: m.source.decode([id]), probability: p[id]! }));
}

async function textExample(m: InsightModel, opts: ExampleOptions): Promise<Example> {
  if (opts.input === undefined) return heldOut(m, opts.index ?? 0);
  if (m.source.kind !== 'lm') {
    throw new Error(
      'A typed context works for next-token models only; pick a held-out example of this masked model instead.',
    );
  }
  const { restoreTokenizer } = await import('../data/index.ts');
  const tokenizer = await restoreTokenizer(m.source.describe());
  const ids = await tokenizer.encode(opts.input);
  if (ids.length === 0) throw new Error('The context is empty; type some text.');
  // The model reads at most its window: keep the last `length` tokens.
  return { inputs: ids.slice(-m.source.length), targets: null, index: null, puzzleId: 0 };
}

/** Where a text example's prediction is read: the last position (LM) or the first masked one. */
function readPosition(ex: Example, kind: 'lm' | 'mlm'): number {
  if (kind === 'mlm' && ex.targets) {
    const i = ex.targets.findIndex((t) => t !== IGNORE);
    if (i >= 0) return i;
  }
  return ex.inputs.length - 1;
}

export async function exampleTrace(
  m: InsightModel,
  opts: ExampleOptions = {},
): Promise<ExampleTrace> {
  const depths = Math.min(
    Math.max(1, Math.min(opts.maxDepth ?? m.depth.trainedDepth, MAX_INSIGHT_DEPTH)),
    deepestDepth(m),
  );
  const base = { kind: m.depth.kind, trainedDepth: m.depth.trainedDepth };
  if (m.source.kind === 'cells') {
    const vocab = m.source.describe().vocab ?? [];
    const ex: Example =
      opts.input === undefined
        ? heldOut(m, opts.index ?? 0)
        : {
            inputs: cellsFromText(opts.input, vocab, m.source.length),
            targets: null,
            index: null,
            puzzleId: 0,
          };
    const steps: CellsStep[] = [];
    await traceLogits(m, ex, depths, (d, logits, classes, halt) =>
      steps.push(cellsStep(d, logits, classes, halt, ex.targets)),
    );
    const blank = vocab.indexOf('.');
    return {
      type: 'cells',
      ...base,
      index: ex.index,
      vocab: [...vocab],
      input: [...ex.inputs],
      target: ex.targets ? [...ex.targets] : null,
      given: [...ex.inputs].map((t, i) =>
        ex.targets ? ex.targets[i] === t : t !== blank && t !== 0,
      ),
      steps,
    };
  }
  const ex = await textExample(m, opts);
  const at = readPosition(ex, m.source.kind);
  const k = Math.max(1, Math.min(opts.topK ?? 5, MAX_TOP_K));
  const truth = ex.targets?.[at];
  const target = truth !== undefined && truth !== IGNORE ? truth : null;
  const steps: TextStep[] = [];
  await traceLogits(m, ex, depths, (d, logits, classes) => {
    const row = logits.subarray(at * classes, (at + 1) * classes);
    steps.push({
      depth: d,
      top: topTokens(m, row, k),
      targetProbability: target === null ? null : softmax(row)[target]!,
    });
  });
  return {
    type: 'text',
    ...base,
    index: ex.index,
    context: m.source.decode(ex.inputs.subarray(0, at + 1)),
    target: target === null ? null : m.source.decode([target]),
    steps,
  };
}

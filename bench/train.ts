import * as tf from '@tensorflow/tfjs-core';
import { writeFileSync } from 'node:fs';
import { compile } from '../engine/graph/compile.ts';
import type { IrProgram } from '../engine/graph/ir.ts';
import { runProgram } from '../engine/runtime/executor.ts';
import { createWeights, type WeightStore } from '../engine/runtime/weights.ts';

export interface TrainResult {
  steps: number;
  /** Median step time: robust to other jobs' bursts on a shared machine. */
  stepMs: number;
  tokensPerSec: number;
  firstLoss: number;
  lastLoss: number;
  /** The loss the 11th step computes (after 10 updates): comparable across implementations. */
  loss10?: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Deterministic token ids in [0, vocab). */
export function tokens(n: number, vocab: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s >>> 8) % vocab;
  }
  return out;
}

export function compileStep(doc: unknown): IrProgram {
  const r = compile(doc as never, { mode: 'full' });
  if (!r.program)
    throw new Error(`the benchmark graph does not compile: ${JSON.stringify(r.diagnostics)}`);
  return r.program;
}

/**
 * Next-token training with Adam (lr 1e-3, tfjs defaults) on one fixed random batch: the
 * speed of a step does not depend on the data. `dump` writes the initial weights and the batch
 * for the PyTorch reference, so both start from the same loss.
 */
export function trainSteps(
  program: IrProgram,
  opts: {
    batch: number;
    seq: number;
    vocab: number;
    minSteps: number;
    seconds: number;
    dump?: string;
  },
): TrainResult {
  const { batch, seq, vocab } = opts;
  const weights: WeightStore = createWeights(program, 1);
  const x = tokens(batch * seq, vocab, 7);
  const y = tokens(batch * seq, vocab, 8);
  if (opts.dump) dumpForTorch(opts.dump, weights, x, y, opts);
  const inputs = tf.tensor2d(x, [batch, seq], 'int32');
  const onehot = tf.cast(tf.oneHot(tf.tensor1d(y, 'int32'), vocab), 'float32');
  const logitsName = program.outputs.find((o) => o.role === 'logits')!.name;
  const opt = tf.train.adam(1e-3);
  const step = (): number => {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const out = runProgram(program, weights, { tokens: inputs }, [logitsName])[logitsName]!;
        const logp = tf.logSoftmax(tf.reshape(out, [batch * seq, vocab]));
        return tf.div(tf.neg(tf.sum(tf.mul(onehot, logp))), batch * seq) as tf.Scalar;
      });
      opt.applyGradients(grads as tf.NamedTensorMap as Record<string, tf.Variable>);
      return value;
    });
    const v = loss.dataSync()[0]!;
    loss.dispose();
    return v;
  };
  const firstLoss = step(); // also the warm-up
  step();
  let steps = 0;
  let lastLoss = firstLoss;
  let loss10: number | undefined;
  const times: number[] = [];
  const t0 = performance.now();
  while (steps < Math.max(opts.minSteps, 9) || performance.now() - t0 < opts.seconds * 1000) {
    const ts = performance.now();
    lastLoss = step();
    times.push(performance.now() - ts);
    if (steps === 8) loss10 = lastLoss;
    steps++;
  }
  const ms = median(times);
  opt.dispose();
  weights.dispose();
  inputs.dispose();
  onehot.dispose();
  const tokensPerSec = (batch * seq * 1000) / ms;
  return { steps, stepMs: ms, tokensPerSec, firstLoss, lastLoss, ...(loss10 ? { loss10 } : {}) };
}

/** Weights (name, shape, float32 values) and the batch as JSON for bench/torch_ref.py. */
function dumpForTorch(
  path: string,
  weights: WeightStore,
  x: Int32Array,
  y: Int32Array,
  opts: { batch: number; seq: number; vocab: number },
): void {
  const params: Record<string, { shape: number[]; values: number[] }> = {};
  for (const [name, v] of weights.params) {
    params[name] = { shape: v.shape, values: Array.from(v.dataSync()) };
  }
  writeFileSync(path, JSON.stringify({ ...opts, params, x: Array.from(x), y: Array.from(y) }));
}

/**
 * TRM-style training on a `step`-mode program: each batch runs `supervision.steps` deep
 * supervision steps; each step is one forward/backward/Adam update, and its carried state
 * (detached) feeds the next. Loss: cross-entropy of the logits head plus the halting head's
 * binary cross-entropy against "not done". Throughput counts positions × supervision steps.
 */
export function trainSupervised(
  program: IrProgram,
  opts: { batch: number; minSteps: number; seconds: number },
): TrainResult {
  const sup = program.supervision;
  if (!sup) throw new Error('the benchmark graph has no deep-supervision recursion');
  const tok = program.inputs.find((i) => i.role === 'tokens')!;
  const seq = tok.shape[1] as number;
  const logits = program.outputs.find((o) => o.role === 'logits')!;
  const halt = program.outputs.find((o) => o.role === 'halt');
  const vocab = logits.shape[logits.shape.length - 1] as number;
  const { batch } = opts;
  const weights = createWeights(program, 1);
  const x = tf.tensor2d(tokens(batch * seq, vocab, 7), [batch, seq], 'int32');
  const onehot = tf.cast(
    tf.oneHot(tf.tensor1d(tokens(batch * seq, vocab, 8), 'int32'), vocab),
    'float32',
  );
  const opt = tf.train.adam(1e-3);
  const feeds = { [tok.name]: x };
  const runBatch = (): number => {
    let state = runProgram(
      program,
      weights,
      feeds,
      sup.state.map((s) => s.init),
    );
    let last = 0;
    for (let s = 0; s < sup.steps; s++) {
      const next: Record<string, tf.Tensor> = {};
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          const stateFeeds = Object.fromEntries(sup.state.map((st) => [st.input, state[st.init]!]));
          const fetch = [
            logits.name,
            ...(halt ? [halt.name] : []),
            ...sup.state.map((st) => st.output),
          ];
          const out = runProgram(program, weights, { ...feeds, ...stateFeeds }, fetch);
          for (const st of sup.state) next[st.init] = tf.keep(out[st.output]!);
          const logp = tf.logSoftmax(tf.reshape(out[logits.name]!, [batch * seq, vocab]));
          let l = tf.div(tf.neg(tf.sum(tf.mul(onehot, logp))), batch * seq);
          if (halt) l = tf.add(l, tf.mean(tf.log(tf.add(1, tf.exp(out[halt.name]!))))); // BCE vs 0
          return l as tf.Scalar;
        });
        opt.applyGradients(grads as tf.NamedTensorMap as Record<string, tf.Variable>);
        return value;
      });
      last = loss.dataSync()[0]!;
      loss.dispose();
      for (const t of Object.values(state)) t.dispose();
      state = next;
    }
    for (const t of Object.values(state)) t.dispose();
    return last;
  };
  const firstLoss = runBatch();
  let steps = 0;
  let lastLoss = firstLoss;
  const times: number[] = [];
  const t0 = performance.now();
  while (steps < opts.minSteps || performance.now() - t0 < opts.seconds * 1000) {
    const ts = performance.now();
    lastLoss = runBatch();
    times.push(performance.now() - ts);
    steps++;
  }
  const ms = median(times);
  opt.dispose();
  weights.dispose();
  x.dispose();
  onehot.dispose();
  const positions = batch * seq * sup.steps;
  return { steps, stepMs: ms, tokensPerSec: (positions * 1000) / ms, firstLoss, lastLoss };
}

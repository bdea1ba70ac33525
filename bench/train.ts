import * as tf from '@tensorflow/tfjs-core';
import { writeFileSync } from 'node:fs';
import { compile } from '../engine/graph/compile.ts';
import type { IrProgram } from '../engine/graph/ir.ts';
import { runProgram } from '../engine/runtime/executor.ts';
import { createWeights, type WeightStore } from '../engine/runtime/weights.ts';
import { AdamW } from '../engine/train/adamw.ts';
import { parseTrainConfig } from '../engine/train/config.ts';
import { maskedCrossEntropy } from '../engine/train/loss.ts';
import { unrollLoops } from '../engine/graph/ir/unroll.ts';

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

/** The middle value (the upper middle of an even count); NaN for none. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}

/** The trainer's AdamW with its default settings (betas, ε, weight decay), at lr 1e-3. */
const defaults = parseTrainConfig({});
export const OPTIMIZER = {
  lr: 1e-3,
  betas: defaults.betas,
  eps: defaults.eps,
  weightDecay: defaults.weightDecay,
};

function optimizerFor(program: IrProgram, weights: WeightStore): AdamW {
  const decayed = new Set([...program.params.values()].filter((p) => p.decay).map((p) => p.name));
  return new AdamW(weights.params, decayed, OPTIMIZER);
}

/** One forward/backward/AdamW update; returns the loss. Gradients by IR name. */
async function update(weights: WeightStore, opt: AdamW, loss: () => tf.Scalar): Promise<number> {
  const irName = new Map([...weights.params].map(([n, v]) => [v.name, n]));
  const { value, grads } = tf.variableGrads(loss, [...weights.params.values()]);
  const named: Record<string, tf.Tensor> = {};
  for (const [tfName, g] of Object.entries(grads)) named[irName.get(tfName)!] = g;
  opt.apply(named, OPTIMIZER.lr);
  tf.dispose(Object.values(grads));
  // One read per step, asynchronous: WebGPU in Node has no synchronous read.
  const v = (await value.data())[0]!;
  value.dispose();
  return v;
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

/** Median step time and throughput of timed steps after two warm-up steps. */
async function timeSteps(
  step: () => Promise<number>,
  positions: number,
  opts: { minSteps: number; seconds: number },
): Promise<TrainResult> {
  const firstLoss = await step(); // also the warm-up
  await step();
  let steps = 0;
  let lastLoss = firstLoss;
  let loss10: number | undefined;
  const times: number[] = [];
  const t0 = performance.now();
  // At least `minSteps` steps unless they take 3× the time budget (a machine so loaded that a
  // spinning thread pool crawls), and at least one.
  const elapsed = () => (performance.now() - t0) / 1000;
  while (
    steps === 0 ||
    elapsed() < opts.seconds ||
    (steps < opts.minSteps && elapsed() < 3 * opts.seconds)
  ) {
    const ts = performance.now();
    lastLoss = await step();
    times.push(performance.now() - ts);
    if (steps === 8) loss10 = lastLoss;
    steps++;
  }
  const ms = median(times);
  const tokensPerSec = (positions * 1000) / ms;
  return { steps, stepMs: ms, tokensPerSec, firstLoss, lastLoss, ...(loss10 ? { loss10 } : {}) };
}

export interface GptOptions {
  batch: number;
  seq: number;
  vocab: number;
  dump?: string;
}

/**
 * One next-token training step with the trainer's AdamW and masked cross-entropy (lr 1e-3) on
 * one fixed random batch: the speed of a step does not depend on the data. `dump` writes the
 * initial weights and the batch for the PyTorch reference, so both start from the same loss.
 */
export async function gptTrainer(
  program: IrProgram,
  opts: GptOptions,
): Promise<{ step: () => Promise<number>; dispose: () => void }> {
  const { batch, seq, vocab } = opts;
  const weights: WeightStore = createWeights(program, 1);
  const x = tokens(batch * seq, vocab, 7);
  const y = tokens(batch * seq, vocab, 8);
  if (opts.dump)
    await dumpForTorch(opts.dump, program, weights, x, y, { batch, seq, vocab, kind: 'gpt' });
  const inputs = tf.tensor2d(x, [batch, seq], 'int32');
  const logitsName = program.outputs.find((o) => o.role === 'logits')!.name;
  const opt = optimizerFor(program, weights);
  return {
    step: () =>
      update(weights, opt, () => {
        const out = runProgram(program, weights, { tokens: inputs }, [logitsName])[logitsName]!;
        return maskedCrossEntropy(out, y, 'ce');
      }),
    dispose: () => {
      opt.dispose();
      weights.dispose();
      inputs.dispose();
    },
  };
}

/** Timed training steps of `gptTrainer`. */
export async function trainSteps(
  program: IrProgram,
  opts: GptOptions & { minSteps: number; seconds: number },
): Promise<TrainResult> {
  const t = await gptTrainer(program, opts);
  const r = await timeSteps(t.step, opts.batch * opts.seq, opts);
  t.dispose();
  return r;
}

/** Weights (name, shape, values, decay), the batch, the optimizer and the IR for torch_ref.py. */
async function dumpForTorch(
  path: string,
  program: IrProgram,
  weights: WeightStore,
  x: Int32Array,
  y: Int32Array,
  opts: { batch: number; seq: number; vocab: number; kind: 'gpt' | 'ir' },
): Promise<void> {
  const values = async (t: tf.Tensor) => Array.from(await t.data());
  const params: Record<string, { shape: number[]; values: number[]; decay: boolean }> = {};
  for (const [name, v] of weights.params) {
    const decay = program.params.get(name)!.decay;
    params[name] = { shape: v.shape, values: await values(v), decay };
  }
  const buffers: Record<string, { shape: number[]; values: number[] }> = {};
  for (const [name, t] of weights.buffers)
    buffers[name] = { shape: t.shape, values: await values(t) };
  const flat = unrollLoops(program);
  const role = (r: string) => program.outputs.find((o) => o.role === r)?.name;
  const ir = {
    // The PyTorch side interprets flat ops: Loops expanded into their trips.
    ops: flat.ops,
    outputs: flat.outputs,
    supervision: flat.supervision,
    tokens: program.inputs.find((i) => i.role === 'tokens')!.name,
    logits: role('logits'),
    halt: role('halt'),
  };
  const optimizer = {
    lr: OPTIMIZER.lr,
    betas: OPTIMIZER.betas,
    eps: OPTIMIZER.eps,
    weight_decay: OPTIMIZER.weightDecay,
  };
  writeFileSync(
    path,
    JSON.stringify({
      ...opts,
      params,
      buffers,
      optimizer,
      program: ir,
      x: Array.from(x),
      y: Array.from(y),
    }),
  );
}

/**
 * TRM-style training on a `step`-mode program: each batch runs `supervision.steps` deep
 * supervision steps; each step is one forward/backward/AdamW update, and its carried state
 * (detached) feeds the next. Loss: cross-entropy of the logits head plus the halting head's
 * binary cross-entropy against "not done". Throughput counts positions × supervision steps.
 */
export async function trainSupervised(
  program: IrProgram,
  opts: { batch: number; minSteps: number; seconds: number; dump?: string },
): Promise<TrainResult> {
  const sup = program.supervision;
  if (!sup) throw new Error('the benchmark graph has no deep-supervision recursion');
  const tok = program.inputs.find((i) => i.role === 'tokens')!;
  const seq = tok.shape[1] as number;
  const logits = program.outputs.find((o) => o.role === 'logits')!;
  const halt = program.outputs.find((o) => o.role === 'halt');
  const vocab = logits.shape[logits.shape.length - 1] as number;
  const { batch } = opts;
  const weights = createWeights(program, 1);
  const xs = tokens(batch * seq, vocab, 7);
  const y = tokens(batch * seq, vocab, 8);
  if (opts.dump)
    await dumpForTorch(opts.dump, program, weights, xs, y, { batch, seq, vocab, kind: 'ir' });
  const x = tf.tensor2d(xs, [batch, seq], 'int32');
  const opt = optimizerFor(program, weights);
  const feeds = { [tok.name]: x };
  const fetch = [logits.name, ...(halt ? [halt.name] : []), ...sup.state.map((st) => st.output)];
  const runBatch = async (): Promise<number> => {
    let state = runProgram(
      program,
      weights,
      feeds,
      sup.state.map((s) => s.init),
    );
    let last = 0;
    for (let s = 0; s < sup.steps; s++) {
      const next: Record<string, tf.Tensor> = {};
      last = await update(weights, opt, () => {
        const stateFeeds = Object.fromEntries(sup.state.map((st) => [st.input, state[st.init]!]));
        const out = runProgram(program, weights, { ...feeds, ...stateFeeds }, fetch);
        for (const st of sup.state) next[st.init] = tf.keep(out[st.output]!);
        const ce = maskedCrossEntropy(out[logits.name]!, y, 'ce');
        // BCE of the halting logit against 0 ("not done"): log(1 + e^h).
        return halt ? tf.add(ce, tf.mean(tf.log(tf.add(1, tf.exp(out[halt.name]!))))) : ce;
      });
      for (const t of Object.values(state)) t.dispose();
      state = next;
    }
    for (const t of Object.values(state)) t.dispose();
    return last;
  };
  const r = await timeSteps(runBatch, batch * seq * sup.steps, opts);
  opt.dispose();
  weights.dispose();
  x.dispose();
  return r;
}

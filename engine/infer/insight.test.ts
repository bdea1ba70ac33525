import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { IGNORE } from '../data/types.ts';
import { evaluate } from '../train/evaluate.ts';
import type { EvalReport } from '../contract/events.ts';
import { prepareProgram } from '../runtime/trainable-program.ts';
import { train } from '../train/trainer.ts';
import { loadTrainedModel } from '../train/load-model.ts';
import { cellsFromText, exampleTrace } from './insight-example.ts';
import {
  atDepth,
  depthSweep,
  InsightCancelled,
  openInsight,
  type InsightModel,
} from './insight.ts';
import { solve } from './solve.ts';
import { tfjsStepModel } from './tfjs-model.ts';

function template(name: string, dims: Record<string, number>) {
  const doc = JSON.parse(readFileSync(`templates/${name}.json`, 'utf8')) as {
    dims: Record<string, number>;
  };
  doc.dims = { ...doc.dims, ...dims };
  return doc;
}

const HELD_OUT = 24;
const config = {
  backend: 'wasm' as const,
  batch: 16,
  lr: 3e-3,
  warmup: 4,
  evalEvery: 0,
  evalExamples: HELD_OUT,
  checkpointEvery: 0,
};

describe('recursion insight', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-insight-'));
  let trm: InsightModel;
  let lm: InsightModel;
  /** The trainer's own closing evaluation of the TRM (all N_sup steps, same held-out set). */
  let trainerEval: EvalReport;

  before(async () => {
    const a = await train({
      document: template('trm-mlp-sudoku', { D: 32, F_seq: 32 }),
      data: { type: 'sudoku', size: 4, validationSize: HELD_OUT },
      config: { ...config, steps: 40, ema: 0.9 },
      outDir: join(dir, 'trm'),
    });
    a.model.dispose();
    assert.equal(a.status, 'completed', a.error);
    trainerEval = a.evals.at(-1)!;
    const text = join(dir, 'text.txt');
    const words = ['the cat sat on the mat. ', 'a dog ran to the log. ', 'the sun is hot. '];
    writeFileSync(text, Array.from({ length: 200 }, (_, i) => words[(i * 7) % 3]).join(''));
    const b = await train({
      document: template('recursive-lm', { V: 32, D: 16, H: 2, F: 32, T: 12, R: 3 }),
      data: { type: 'text', path: text, length: 12 },
      config: { ...config, steps: 12 },
      outDir: join(dir, 'lm'),
    });
    b.model.dispose();
    assert.equal(b.status, 'completed', b.error);
    trm = await openInsight(join(dir, 'trm'));
    lm = await openInsight(join(dir, 'lm'));
  });
  after(() => {
    trm?.dispose();
    lm?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scores the TRM after each supervision step as the trainer’s evaluation does', async () => {
    const before = tf.memory().numTensors;
    const sweep = await depthSweep(trm, { examples: HELD_OUT, batch: 7 });
    assert.equal(tf.memory().numTensors, before, 'every tensor of the sweep was disposed');
    assert.equal(sweep.kind, 'supervision');
    assert.equal(sweep.trainedDepth, 4);
    assert.deepEqual(sweep.nodes, ['main/supervise']);
    assert.equal(sweep.examples, HELD_OUT);
    assert.deepEqual(
      sweep.points.map((p) => p.depth),
      [1, 2, 3, 4],
    );
    // Chunks of 7 against the trainer's batch of 16: the same numbers, pooled differently.
    const byDepth = trainerEval.byDepth!;
    assert.equal(byDepth.length, 4);
    sweep.points.forEach((p, i) => {
      const e = byDepth[i]!;
      assert.equal(p.accuracy, e.accuracy, `accuracy at step ${p.depth}`);
      assert.equal(p.exactMatch, e.exactMatch, `exact match at step ${p.depth}`);
      assert.equal(p.haltRate, e.haltRate, `halt rate at step ${p.depth}`);
      assert.ok(
        Math.abs(p.loss - e.loss) < 1e-5,
        `loss at step ${p.depth}: ${p.loss} vs ${e.loss}`,
      );
      for (const v of [p.haltProbability!, p.haltRate!, p.stoppedBy!, p.accuracy, p.exactMatch!])
        assert.ok(v >= 0 && v <= 1, `${v} is a share`);
    });
    // Once stopped, an example stays stopped: the share only grows.
    for (let i = 1; i < 4; i++)
      assert.ok(sweep.points[i]!.stoppedBy! >= sweep.points[i - 1]!.stoppedBy!);
    // Briefly trained, extra recursion already changes the answer.
    assert.notEqual(sweep.points[0]!.loss, sweep.points[3]!.loss);
  });

  it('goes beyond the trained depth, repeating the first steps exactly', async () => {
    const short = await depthSweep(trm, { examples: 10 });
    const long = await depthSweep(trm, { examples: 10, maxDepth: 7 });
    assert.equal(long.points.length, 7);
    assert.deepEqual(long.points.slice(0, 4), short.points);
    assert.equal(long.note, null);
  });

  it('traces one puzzle step by step, agreeing with the solver and the batched sweep', async () => {
    const sweep = await depthSweep(trm, { examples: HELD_OUT, maxDepth: 5 });
    const exact = [0, 0, 0, 0, 0];
    for (let index = 0; index < HELD_OUT; index++) {
      const trace = await exampleTrace(trm, { index, maxDepth: 5 });
      assert.equal(trace.type, 'cells');
      if (trace.type !== 'cells') return;
      assert.equal(trace.steps.length, 5);
      const scored = trace.target!.filter((t) => t !== IGNORE).length;
      trace.steps.forEach((s, i) => {
        if (s.correct === scored) exact[i]!++;
        assert.ok(s.confidence.every((c) => c > 0 && c <= 1));
        assert.ok(s.haltProbability! > 0 && s.haltProbability! < 1);
      });
      if (index === 0) {
        // The same weights through the playground's solver (early halting off).
        const stepModel = tfjsStepModel({
          program: trm.trainable.program,
          weights: trm.weights,
          tokens: trm.trainable.tokens.name,
          logits: trm.trainable.logits.name,
          halt: trm.trainable.halt!.name,
          supervisionSteps: 5,
        });
        const solved = await solve(stepModel, Int32Array.from(trace.input), { earlyHalt: false });
        assert.deepEqual(
          trace.steps.map((s) => s.answer),
          solved.answers.map((a) => [...a]),
        );
        // Givens are the cells the puzzle already fills.
        trace.input.forEach((t, i) => assert.equal(trace.given[i], t !== 1));
      }
    }
    assert.deepEqual(
      exact,
      sweep.points.map((p) => Math.round(p.exactMatch! * HELD_OUT)),
    );
  });

  it('traces a typed puzzle and refuses a malformed one with a sentence', async () => {
    const trace = await exampleTrace(trm, { input: '1.3..2....4.3..1' });
    assert.equal(trace.type, 'cells');
    if (trace.type !== 'cells') return;
    assert.equal(trace.index, null);
    assert.equal(trace.target, null);
    assert.equal(trace.steps.length, 4);
    assert.equal(trace.steps[0]!.correct, null);
    assert.deepEqual(trace.input.slice(0, 4), [2, 1, 4, 1]);
    const vocab = ['<pad>', '.', '1', '2', '3', '4'];
    assert.throws(() => cellsFromText('1.3..2....4.3..', vocab, 16), /has 15 cells .* takes 16/);
    assert.throws(() => cellsFromText('1.3..2....4.3..9', vocab, 16), /Cell 16 is "9"/);
    await assert.rejects(exampleTrace(trm, { index: HELD_OUT }), /no held-out example 24/);
  });

  it('sweeps a recursive LM over the recursion count of its shared block', async () => {
    const sweep = await depthSweep(lm, { examples: 32, maxDepth: 5 });
    assert.equal(sweep.kind, 'recursion');
    assert.equal(sweep.trainedDepth, 3);
    assert.deepEqual(sweep.nodes, ['main/repeat']);
    assert.equal(sweep.points.length, 5);
    for (const p of sweep.points) {
      assert.ok(Number.isFinite(p.loss) && p.loss > 0);
      assert.equal(p.haltProbability, undefined);
    }
    // Each depth is really that depth: the loss of the graph compiled with R = d.
    const trained = await loadTrainedModel(join(dir, 'lm'));
    try {
      for (const d of [1, 3, 5]) {
        const doc = { ...trained.document, dims: { ...trained.document.dims, R: d } };
        const tp = prepareProgram(doc, trained.source);
        const report = await evaluate(tp, trained.weights, trained.source, {
          examples: 32,
          batch: 16,
          loss: 'ce',
          step: 0,
          ema: false,
        });
        const p = sweep.points[d - 1]!;
        assert.ok(Math.abs(p.loss - report.loss) < 1e-5, `depth ${d}: ${p.loss} vs ${report.loss}`);
        assert.equal(p.accuracy, report.accuracy);
      }
    } finally {
      trained.dispose();
    }
    assert.equal(new Set(sweep.points.map((p) => p.loss)).size, 5, 'depth changes the loss');
  });

  it('lists the top next tokens of one text example at each depth', async () => {
    const trace = await exampleTrace(lm, { index: 2, maxDepth: 4, topK: 3 });
    assert.equal(trace.type, 'text');
    if (trace.type !== 'text') return;
    assert.equal(trace.steps.length, 4);
    for (const s of trace.steps) {
      assert.equal(s.top.length, 3);
      assert.ok(s.top[0]!.probability >= s.top[1]!.probability);
      assert.ok(s.top.every((t) => t.probability > 0 && t.probability <= 1));
      assert.ok(s.targetProbability !== null && s.targetProbability <= 1);
    }
    assert.equal(trace.context.length, 12);
    assert.equal(trace.target!.length, 1);
    const typed = await exampleTrace(lm, { input: 'the sun is h', maxDepth: 2 });
    assert.equal(typed.type === 'text' && typed.context, 'the sun is h');
    assert.equal(typed.steps.length, 2);
    // Indices address the default sweep's held-out windows (the run's evalExamples).
    await assert.rejects(exampleTrace(lm, { index: HELD_OUT }), /held-out set has 24 \(0–23\)/);
    // The trained depth's distribution is the trained model's own.
    const { trainable, weights } = atDepth(lm, 3);
    assert.equal(trainable, lm.trainable);
    assert.equal(weights, lm.weights);
    assert.notDeepEqual(trace.steps[0]!.top, trace.steps[2]!.top);
  });

  it('stops when cancelled, leaving no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const ctrl = new AbortController();
    let seen = 0;
    await assert.rejects(
      depthSweep(trm, {
        examples: HELD_OUT,
        batch: 4,
        signal: ctrl.signal,
        onProgress: (done, total) => {
          seen = done;
          assert.equal(total, 6 * 4);
          if (done === 5) ctrl.abort();
        },
      }),
      InsightCancelled,
    );
    assert.equal(seen, 5);
    assert.equal(tf.memory().numTensors, before);
  });

  it('refuses a model that does not recurse', async () => {
    const c = await train({
      document: template('tiny-gpt', { V: 14, D: 16, H: 2, T: 9 }),
      data: { type: 'copy', length: 4 },
      config: { ...config, steps: 1 },
      outDir: join(dir, 'gpt'),
    });
    c.model.dispose();
    await assert.rejects(openInsight(join(dir, 'gpt')), /does not recurse/);
  });
});

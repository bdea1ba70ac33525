import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { readFile, writeFile } from 'node:fs/promises';
import { readCheckpoint, disposeCheckpoint } from './checkpoint.ts';
import { TrainControl } from './control.ts';
import type { TrainEvent } from '../contract/events.ts';
import { train } from './trainer.ts';
import { withoutPuzzlePrefix } from '../../test/support/init.ts';

type DocNode = { id: string; kind: string; params: Record<string, unknown> };
type DocEdge = { from: { node: string; port: string }; to: { node: string; port: string } };
type Doc = {
  dims: Record<string, number>;
  main?: { nodes: DocNode[]; edges: DocEdge[] };
  components: Record<string, { nodes: DocNode[] }>;
};

function template(name: string, dims: Record<string, number>): Doc {
  const doc = JSON.parse(readFileSync(`templates/${name}.json`, 'utf8')) as Doc;
  doc.dims = { ...doc.dims, ...dims };
  return doc;
}

/** Tiny causal GPT for the copy task (length 4 → sequences of 9, vocab 14), with dropout. */
function tinyGpt(): Doc {
  const doc = template('tiny-gpt', { V: 14, D: 16, H: 2, T: 9 });
  for (const c of Object.values(doc.components)) {
    for (const n of c.nodes) if (n.kind === 'attention') n.params.dropout = 0.1;
  }
  return doc;
}

/**
 * Tiny TRM on 4×4 Sudoku: D 16, n 1, T_rec 2, N_sup 3. `haltBias` sets the halting logit's
 * initial bias: −5 (the template's) never halts early, 0 halts some examples, 10 all.
 */
function tinyTrm(haltBias?: number): Doc {
  const plain = template('trm-sudoku', { D: 16, H: 2, n: 1, T_rec: 2, N_sup: 3 });
  if (haltBias === undefined) return plain;
  const doc = withoutPuzzlePrefix(plain);
  // For slot tests the examples' halting logits must straddle the bias, so some halt early and
  // others do not: the halting head reads a cell (no puzzle prefix, whose position 0 starts
  // alike in every example) with GPT-2's small initialisation and a random halting weight.
  for (const g of [doc.main!, ...Object.values(doc.components)]) {
    for (const n of g.nodes) {
      if (n.kind === 'halting-head')
        Object.assign(n.params, { initBias: haltBias, initWeight: 'normal' });
      if (n.params.init === 'lecun') n.params.init = 'normal';
      if (n.kind === 'token-embedding') n.params.truncated = false;
      if (n.kind === 'latent-init') n.params.corrected = false;
    }
  }
  return doc;
}

const sudoku = { type: 'sudoku', size: 4, pool: 50, validationSize: 16 } as const;

const base = {
  backend: 'cpu' as const,
  batch: 8,
  lr: 3e-3,
  warmup: 2,
  evalEvery: 0,
  evalExamples: 16,
  checkpointEvery: 0,
};

const tmp = () => mkdtempSync(join(tmpdir(), 'trm-train-'));

const trmCase = 'a TRM with deep supervision, halting and EMA (stopping inside a batch)';

for (const [name, doc, data, extra] of [
  ['a causal LM with dropout', tinyGpt(), { type: 'copy', length: 4 }, {}],
  [`${trmCase}, 'batch' halting`, tinyTrm(), sudoku, { ema: 0.9, halting: 'batch' }],
  [`${trmCase}, 'replace' halting`, tinyTrm(), sudoku, { ema: 0.9, halting: 'replace' }],
  [
    `${trmCase}, 'replace' halting with examples replaced at different steps`,
    tinyTrm(0),
    sudoku,
    { ema: 0.9, halting: 'replace' },
  ],
] as const) {
  test(`resume continues exactly: ${name}`, async () => {
    const config = { ...base, ...extra, steps: 8 };
    const replaced: number[] = [];
    const straight = await train({
      document: doc,
      data,
      config,
      onEvent: (e) => e.type === 'step' && replaced.push(e.metrics.replaced ?? 0),
    });
    assert.equal(straight.status, 'completed');
    straight.model.dispose();

    const dir = tmp();
    const control = new TrainControl();
    const first = await train({
      document: doc,
      data,
      config,
      outDir: dir,
      control,
      onEvent: (e) => {
        if (e.type === 'step' && e.metrics.step === 5) control.stop();
      },
    });
    assert.equal(first.status, 'stopped');
    assert.equal(first.step, 5);
    first.model.dispose();
    if (name.endsWith('different steps')) {
      // The case this test is for: some slots were replaced while others carried on.
      assert.ok(
        replaced.some((r) => r > 0 && r < 1),
        `no partial replacement: ${replaced}`,
      );
      const saved = await readCheckpoint(dir);
      const data = saved.meta.data;
      assert.ok('counts' in data && new Set(data.counts).size > 1, JSON.stringify(data));
      disposeCheckpoint(saved);
    }
    const second = await train({ resume: dir, outDir: dir });
    assert.equal(second.status, 'completed');
    assert.equal(second.step, 8);
    second.model.dispose();

    const a = straight.history.map((h) => h.loss);
    const b = second.history.map((h) => h.loss);
    assert.equal(b.length, 8);
    for (let i = 0; i < 8; i++) {
      assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-6, `step ${i + 1}: ${a[i]} vs ${b[i]}`);
    }
    // Later steps actually differ from earlier ones (the test would pass on a frozen model).
    assert.notEqual(a[0], a[7]);
  });
}

test('a checkpoint from before slots ({nextBatch, supervisionStep}) resumes exactly, by batch', async () => {
  // Halting bias 0 halts some examples, so continuing with 'replace' would differ.
  const config = { ...base, ema: 0.9, halting: 'batch' as const, steps: 8 };
  const straight = await train({ document: tinyTrm(0), data: sudoku, config });
  straight.model.dispose();
  const dir = tmp();
  const control = new TrainControl();
  const stopped = await train({
    document: tinyTrm(0),
    data: sudoku,
    config,
    outDir: dir,
    control,
    onEvent: (e) => e.type === 'step' && e.metrics.step === 5 && control.stop(),
  });
  stopped.model.dispose();
  assert.equal(stopped.step, 5);
  // Rewrite it as the old trainer wrote it: a batch index and one supervision step, and no
  // `halting` setting (the old trainer's config had none).
  const file = join(dir, 'step-000005', 'checkpoint.json');
  const meta = JSON.parse(await readFile(file, 'utf8')) as {
    data: { examples: number[]; counts: number[] };
    config: Record<string, unknown>;
  };
  const { examples, counts } = meta.data;
  assert.deepEqual(counts, Array(8).fill(2), 'step 5 is the 3rd supervision step of batch 1');
  assert.deepEqual(examples, [8, 9, 10, 11, 12, 13, 14, 15]);
  (meta as { data: unknown }).data = { nextBatch: 1, supervisionStep: 2 };
  delete meta.config.halting;
  await writeFile(file, JSON.stringify(meta));
  const resumed = await train({ resume: dir, outDir: dir, config: { steps: 8 } });
  resumed.model.dispose();
  assert.equal(resumed.status, 'completed');
  // It went on as it was trained: whole-batch halting.
  const last = await readCheckpoint(dir);
  assert.equal(last.meta.step, 8);
  assert.equal(last.meta.config.halting, 'batch');
  disposeCheckpoint(last);
  const a = straight.history.map((h) => h.loss);
  const b = resumed.history.map((h) => h.loss);
  for (let i = 0; i < 8; i++) {
    assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-6, `step ${i + 1}: ${a[i]} vs ${b[i]}`);
  }
});

test('resuming inside deep supervision with another batch size names the batch to use', async () => {
  const dir = tmp();
  const r = await train({
    document: tinyTrm(),
    data: sudoku,
    config: { ...base, steps: 2 },
    outDir: dir,
  });
  r.model.dispose();
  await assert.rejects(
    train({ resume: dir, config: { steps: 4, batch: 4 } }),
    /stopped with 8 examples inside their deep supervision; resume with batch 8 \(it is 4\)/,
  );
});

/** The step metrics of a run. */
async function stepMetrics(doc: Doc, config: Record<string, unknown>) {
  const events: TrainEvent[] = [];
  const r = await train({
    document: doc,
    data: sudoku,
    config: { ...base, ...config },
    onEvent: (e) => events.push(e),
  });
  r.model.dispose();
  assert.equal(r.status, 'completed');
  const steps = events.flatMap((e) => (e.type === 'step' ? [e.metrics] : []));
  return { steps, evals: r.evals };
}

test("'replace' with haltEarly: a halted example is replaced after its step; evaluation still runs N_sup", async () => {
  const { steps, evals } = await stepMetrics(tinyTrm(10), { steps: 4, halting: 'replace' });
  for (const m of steps) {
    assert.equal(m.supervisionStep, 0);
    assert.equal(m.halted, 1);
    assert.equal(m.replaced, 1);
  }
  // Evaluation runs every supervision step, halting logits or not.
  const depths = evals.at(-1)!.byDepth!;
  assert.deepEqual(
    depths.map((d) => [d.depth, d.haltRate]),
    [
      [1, 1],
      [2, 1],
      [3, 1],
    ],
  );
});

test('with haltEarly off every example gets exactly N_sup steps, halting logits or not', async () => {
  for (const halting of ['replace', 'batch']) {
    const { steps } = await stepMetrics(tinyTrm(10), { steps: 7, halting, haltEarly: false });
    assert.deepEqual(
      steps.map((m) => [m.supervisionStep, m.halted, m.replaced]),
      [0, 1, 2, 0, 1, 2, 0].map((s) => [s, 0, s === 2 ? 1 : 0]),
      halting,
    );
  }
});

test("'replace' holds a flat tensor count while examples are replaced at different steps", async () => {
  const { steps } = await stepMetrics(tinyTrm(0), { steps: 24, halting: 'replace' });
  assert.ok(steps.filter((m) => m.replaced! > 0 && m.replaced! < 1).length >= 3);
  assert.ok(steps.some((m) => !Number.isInteger(m.supervisionStep)));
  assert.deepEqual([...new Set(steps.map((m) => m.tensors))].length, 1);
});

test('NaN at step k stops the run naming k; the checkpoint of step k−1 stays intact', async () => {
  const dir = tmp();
  const events: TrainEvent[] = [];
  const k = 4;
  const r = await train({
    document: tinyGpt(),
    data: { type: 'copy', length: 4 },
    config: { ...base, steps: 10, checkpointEvery: 1 },
    outDir: dir,
    onEvent: (e) => events.push(e),
    beforeStep: (step, weights) => {
      if (step !== k) return;
      const [, first] = [...weights.params][0]!;
      first.assign(tf.fill(first.shape, NaN));
    },
  });
  r.model.dispose();
  assert.equal(r.status, 'failed');
  assert.equal(r.step, k - 1);
  const err = events.find((e) => e.type === 'error');
  assert.ok(err && err.type === 'error');
  assert.equal(err.step, k);
  assert.match(err.message, new RegExp(`diverged at step ${k}: the loss is NaN`));
  assert.match(err.message, /step-000003 \(step 3\)/);
  assert.equal(err.lastCheckpoint, join(dir, 'step-000003'));
  assert.ok(!events.some((e) => e.type === 'checkpoint' && e.step >= k));
  const saved = await readCheckpoint(dir);
  assert.equal(saved.meta.step, k - 1);
  for (const t of Object.values(saved.groups.weights!)) {
    assert.ok((t.dataSync() as Float32Array).every(Number.isFinite));
  }
  disposeCheckpoint(saved);
  // And it resumes.
  const again = await train({ resume: dir, config: { steps: k + 1 } });
  assert.equal(again.status, 'completed');
  again.model.dispose();
});

test('tensor count stays flat across steps; pause and resume are reported', async () => {
  const control = new TrainControl();
  const events: TrainEvent[] = [];
  const before = tf.memory().numTensors;
  const r = await train({
    document: tinyTrm(),
    data: sudoku,
    config: { ...base, steps: 12, evalEvery: 6, ema: 0.5 },
    control,
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'step' && e.metrics.step === 3) {
        control.pause();
        setTimeout(() => control.resume(), 20);
      }
    },
  });
  assert.equal(r.status, 'completed');
  const counts = events.flatMap((e) => (e.type === 'step' ? [e.metrics.tensors] : []));
  // Every step at the same supervision position holds the same tensors.
  const bySup = new Map<number, Set<number>>();
  events.forEach((e) => {
    if (e.type !== 'step') return;
    const s = e.metrics.supervisionStep!;
    bySup.set(s, (bySup.get(s) ?? new Set()).add(e.metrics.tensors!));
  });
  for (const [s, set] of bySup) assert.equal(set.size, 1, `supervision step ${s}: ${[...set]}`);
  assert.equal(counts.length, 12);
  const kinds = events.map((e) => e.type);
  assert.ok(kinds.indexOf('paused') > 0 && kinds.indexOf('resumed') > kinds.indexOf('paused'));
  assert.equal(kinds.filter((k) => k === 'eval').length, 2);
  const evalEvent = events.find((e) => e.type === 'eval');
  assert.ok(evalEvent?.type === 'eval' && evalEvent.report.byDepth?.length === 3);
  r.model.dispose();
  assert.equal(tf.memory().numTensors - before, 0, 'tensors left behind after dispose');
});

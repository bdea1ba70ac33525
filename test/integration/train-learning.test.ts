import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createDataSource } from '../../engine/data/index.ts';
import { train } from '../../engine/train/trainer.ts';
import { withSmallInit } from '../support/init.ts';

// Learning actually happens, on tiny configs and the wasm backend (each test well under 60 s).

type Doc = { dims: Record<string, number> };
function template(name: string, dims: Record<string, number>): Doc {
  const doc = JSON.parse(readFileSync(`templates/${name}.json`, 'utf8')) as Doc;
  doc.dims = { ...doc.dims, ...dims };
  return doc;
}

test('a tiny causal LM on the Brown corpus goes well below the unigram entropy', async () => {
  const data = { type: 'corpus' as const, name: 'brown' as const, length: 32 };
  const source = await createDataSource(data, 0);
  // Unigram entropy of the training targets (nats): what a model ignoring context reaches.
  const counts = new Map<number, number>();
  let n = 0;
  for (let i = 0; i < 50; i++) {
    for (const t of source.trainBatch(i, 32).targets) {
      if (t < 0) continue;
      counts.set(t, (counts.get(t) ?? 0) + 1);
      n++;
    }
  }
  let unigram = 0;
  for (const c of counts.values()) unigram -= (c / n) * Math.log(c / n);
  const r = await train({
    document: template('tiny-gpt', { D: 64, H: 4, T: 32 }),
    data,
    source,
    config: {
      backend: 'wasm',
      steps: 200,
      batch: 16,
      lr: 3e-3,
      warmup: 10,
      evalEvery: 0,
      evalExamples: 64,
      checkpointEvery: 0,
    },
  });
  r.model.dispose();
  const final = r.evals.at(-1)!;
  assert.ok(unigram > 2.5, `unigram entropy ${unigram}`);
  assert.ok(
    final.loss < unigram - 0.4,
    `validation loss ${final.loss} is not well below the unigram entropy ${unigram}`,
  );
  assert.ok(Math.abs(final.perplexity! - Math.exp(final.loss)) < 1e-9);
});

test('a tiny causal transformer learns to copy 6 digits (≥ 95% exact match held out)', async () => {
  const r = await train({
    document: template('tiny-gpt', { V: 14, D: 32, H: 2, T: 13 }),
    data: { type: 'copy', length: 6 },
    config: {
      backend: 'wasm',
      steps: 150,
      batch: 32,
      lr: 3e-3,
      warmup: 10,
      weightDecay: 0,
      evalEvery: 0,
      evalExamples: 256,
      checkpointEvery: 0,
    },
  });
  r.model.dispose();
  const final = r.evals.at(-1)!;
  assert.equal(final.examples, 256);
  assert.ok(final.exactMatch! >= 0.95, `exact match ${final.exactMatch}`);
});

test('a small TRM on 4×4 Sudoku trains with deep supervision and reports accuracy by depth', async () => {
  // 60 steps: GPT-2's small start, on which attention learns this fast; from the template's
  // LeCun start TRM-Att needs hundreds of steps (its card), TRM-MLP is checked there.
  const r = await train({
    document: withSmallInit(
      template('trm-sudoku', { D: 32, H: 2, n: 1, T_rec: 2, N_sup: 3 }) as never,
    ),
    data: { type: 'sudoku', size: 4, validationSize: 200 },
    config: {
      backend: 'wasm',
      steps: 60,
      batch: 32,
      lr: 2e-3,
      warmup: 5,
      evalEvery: 0,
      evalExamples: 200,
      checkpointEvery: 0,
      haltEarly: false,
    },
  });
  r.model.dispose();
  assert.equal(r.status, 'completed');
  const losses = r.history.map((h) => h.loss);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(losses.slice(-9)) < mean(losses.slice(0, 9)) - 0.2, `losses ${losses}`);
  // Each batch ran all 3 supervision steps (no early halting here): 60 steps = 20 batches.
  const final = r.evals.at(-1)!;
  assert.equal(final.byDepth?.length, 3);
  // Cells better than copying the givens and guessing (the givens alone are ~40% of cells).
  assert.ok(final.accuracy > 0.5, `cell accuracy ${final.accuracy}`);
  // The blank cells themselves: above chance (1 in 4 digits).
  assert.ok(final.openAccuracy! > 0.3, `open-cell accuracy ${final.openAccuracy}`);
});

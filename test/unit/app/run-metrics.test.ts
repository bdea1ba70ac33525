import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Downsampler, RunFold } from '../../../engine/service/run-metrics.ts';
import type { TrainEvent } from '../../../engine/contract/events.ts';

const step = (n: number, loss: number, accuracy = 0.5, tokensPerSec = 100): TrainEvent => ({
  type: 'step',
  metrics: {
    step: n,
    loss,
    accuracy,
    lr: 1e-3,
    gradNorm: 1,
    tokensPerSec,
    etaSec: 0,
    tensors: 10,
  },
});

const evalAt = (n: number, loss: number, accuracy: number): TrainEvent => ({
  type: 'eval',
  report: { step: n, examples: 8, loss, accuracy, ema: false },
});

describe('run curves and figures', () => {
  it('keeps a long curve under the cap, in step order, each point the mean of the steps it stands for', () => {
    const d = new Downsampler(['v'] as const, 5000);
    const n = 123_457;
    for (let s = 1; s <= n; s++) d.add(s, { v: s });
    const { step, v } = d.columns();
    assert.ok(step.length <= 5000 && step.length > 2500, `${step.length} points`);
    assert.equal(step.at(-1), n);
    assert.equal(d.count, n);
    let previous = 0;
    for (let i = 0; i < step.length; i++) {
      // v = step, so a bucket (previous, step[i]] has mean (previous + 1 + step[i]) / 2.
      assert.ok(step[i]! > previous);
      assert.equal(v[i], (previous + 1 + step[i]!) / 2, `point ${i}`);
      previous = step[i]!;
    }
  });

  it('leaves a short curve untouched', () => {
    const d = new Downsampler(['v'] as const, 5000);
    for (let s = 1; s <= 300; s++) d.add(s, { v: s * s });
    const { step, v } = d.columns();
    assert.equal(step.length, 300);
    assert.equal(v[299], 300 * 300);
  });

  it('lets a resumed run replace the steps it repeats', () => {
    const d = new Downsampler(['v'] as const, 100);
    for (let s = 1; s <= 10; s++) d.add(s, { v: 1 });
    for (let s = 6; s <= 8; s++) d.add(s, { v: 2 });
    assert.deepEqual(d.columns(), { step: [1, 2, 3, 4, 5, 6, 7, 8], v: [1, 1, 1, 1, 1, 2, 2, 2] });
    assert.equal(d.count, 8);
  });

  it('folds the headline figures: last training step, last and best validation', () => {
    const fold = new RunFold();
    for (const e of [
      step(1, 3.0, 0.1, 50),
      evalAt(1, 2.9, 0.12),
      step(2, 2.5, 0.2, 70),
      evalAt(2, 2.4, 0.3),
      step(3, 2.6, 0.25, 90),
      evalAt(3, 2.7, 0.28),
    ])
      fold.add(e);
    assert.deepEqual(fold.metrics, {
      loss: 2.6,
      accuracy: 0.25,
      valLoss: 2.7,
      bestValLoss: 2.4,
      valAccuracy: 0.28,
      bestValAccuracy: 0.3,
      tokensPerSec: 90,
    });
    const s = fold.series();
    assert.deepEqual(s.train.loss, [3.0, 2.5, 2.6]);
    assert.deepEqual(s.validation.step, [1, 2, 3]);
    assert.equal(s.recordedSteps, 3);
  });
});

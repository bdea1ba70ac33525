import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PRECISIONS, type Precision } from '../onnx/emit.ts';
import type { TaskMetric } from './task-metric.ts';
import { DEFAULT_THRESHOLDS, judgeExport, type VerdictInput } from './verdict.ts';

const metric = (name: TaskMetric['metric'], reference: number, onnx: number): TaskMetric => ({
  metric: name,
  reference,
  onnx,
  delta: onnx - reference,
});

const lm = (pplRise: number, accDrop: number) => ({
  data: 'brown validation split',
  metrics: [metric('perplexity', 10, 10 * (1 + pplRise)), metric('accuracy', 0.5, 0.5 - accDrop)],
});

const puzzles = (exactDrop: number, cellDrop: number) => ({
  data: 'sudoku held-out set',
  metrics: [metric('exact-match', 0.8, 0.8 - exactDrop), metric('accuracy', 0.9, 0.9 - cellDrop)],
});

function report(precision: Precision, over: Partial<VerdictInput> = {}): VerdictInput {
  return {
    precision,
    trained: true,
    maxAbsError: 1e-6,
    relativeError: 1e-6,
    top1Agreement: 1,
    task: null,
    ...over,
  };
}

describe('the export verdict', () => {
  for (const precision of PRECISIONS) {
    const t = DEFAULT_THRESHOLDS[precision];
    describe(precision, () => {
      it('a task metric decides; top-1 and error do not', () => {
        // The case: top-1 on random inputs far below 100%, the task barely moved.
        const v = judgeExport(
          report(precision, {
            top1Agreement: 0.5,
            relativeError: 10,
            task: lm(t.perplexityRise / 2, t.accuracyDrop / 2),
          }),
        );
        assert.deepEqual([v.ok, v.judgedBy, v.failure], [true, 'task', null]);
        const ppl = judgeExport(report(precision, { task: lm(t.perplexityRise * 1.5, 0) }));
        assert.equal(ppl.ok, false);
        assert.match(
          ppl.failure!,
          /^task perplexity rose .*allowed \(.*--max-perplexity-rise\)\.$/,
        );
        assert.ok(ppl.failure!.includes(`(${precision};`));
        const cells = judgeExport(report(precision, { task: puzzles(0, t.accuracyDrop * 2) }));
        assert.match(cells.failure!, /^task accuracy fell .* --max-accuracy-drop\)\.$/);
        const exact = judgeExport(report(precision, { task: puzzles(t.accuracyDrop * 2, 0) }));
        assert.match(exact.failure!, /^task exact-match fell /);
      });

      it('names only the first criterion that fails', () => {
        const v = judgeExport(report(precision, { task: lm(1, 1) }));
        assert.equal(v.ok, false);
        assert.match(v.failure!, /^task perplexity rose/);
        assert.doesNotMatch(v.failure!, /accuracy/);
      });

      it('without a task metric, relative error and top-1 decide', () => {
        const fine = judgeExport(report(precision, { top1Agreement: 1 - t.top1Drop / 2 }));
        assert.deepEqual([fine.ok, fine.judgedBy], [true, 'outputs']);
        const flips = judgeExport(report(precision, { top1Agreement: 1 - t.top1Drop * 2 }));
        assert.match(
          flips.failure!,
          /^top-1 agreement on random inputs is .* --max-top1-drop\)\.$/,
        );
        const far = judgeExport(report(precision, { relativeError: t.maxRelativeError * 2 }));
        assert.match(far.failure!, /^the outputs differ from the reference by up to /);
        assert.equal(judgeExport(report(precision, { relativeError: NaN })).ok, false);
      });

      it('untrained weights pass when numerically close, and say the task is not meaningful', () => {
        const v = judgeExport(
          report(precision, {
            trained: false,
            top1Agreement: 0.5,
            relativeError: t.maxRelativeError / 2,
            task: lm(1, 1),
          }),
        );
        assert.deepEqual([v.ok, v.judgedBy], [true, 'closeness']);
        assert.match(v.note!, /task check is not meaningful yet \(reported only\)/);
        const far = judgeExport(
          report(precision, { trained: false, relativeError: t.maxRelativeError * 2 }),
        );
        assert.equal(far.ok, false);
        assert.match(far.note!, /not meaningful yet:/);
      });
    });
  }

  it('lets every threshold be overridden, the same way at every precision', () => {
    const task = lm(0.04, 0);
    assert.equal(judgeExport(report('int8', { task })).ok, false);
    assert.equal(judgeExport(report('int8', { task }), { perplexityRise: 0.05 }).ok, true);
    assert.equal(judgeExport(report('int4', { task })).ok, true);
    const flips = report('fp16', { top1Agreement: 0.95 });
    assert.equal(judgeExport(flips).ok, false);
    assert.equal(judgeExport(flips, { top1Drop: 0.05 }).ok, true);
  });

  it('a better export never fails', () => {
    for (const precision of PRECISIONS)
      assert.equal(judgeExport(report(precision, { task: lm(-0.5, -0.2) })).ok, true);
  });

  it('outputs that are not finite fail whatever else decides, even with a perfect task metric', () => {
    for (const trained of [true, false]) {
      const v = judgeExport(
        report('fp16', { trained, maxAbsError: Infinity, relativeError: NaN, task: lm(0, 0) }),
      );
      assert.equal(v.ok, false);
      assert.match(v.failure ?? '', /outputs are not finite/);
    }
  });
});

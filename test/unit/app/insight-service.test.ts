import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { DepthSweep, ExampleTrace, ServerEvent } from '../../../engine/contract/api.ts';
import { errorOf, template, testService } from '../../support/service-harness.ts';

/** `insight.*` through the service's dispatch, over a run the service itself trained. */
const { service, call, ok } = testService('insight-service');

const config = { backend: 'wasm', batch: 8, lr: 3e-3, evalEvery: 0, evalExamples: 16 };

async function trained(document: unknown, data: string, steps: number): Promise<string> {
  const run = { id: '' };
  const done = new Promise<void>((resolve) => {
    const off = service.onEvent((e: ServerEvent) => {
      if (e.type === 'train.event' && e.runId === run.id && e.event.type === 'stopped') {
        off();
        resolve();
      }
    });
  });
  run.id = (
    await ok<{ runId: string }>('train.start', { document, data, config: { ...config, steps } })
  ).runId;
  await done;
  // run.json and the checkpoint are final once the worker has exited.
  await new Promise((r) => setTimeout(r, 200));
  return run.id;
}

describe('recursion insight through the service', { timeout: 180_000 }, () => {
  let trm: string;
  let gpt: string;
  before(async () => {
    trm = await trained(
      template('trm-mlp-sudoku', { D: 16, F_seq: 16 }),
      'sudoku4:validationSize=16',
      6,
    );
    gpt = await trained(template('tiny-gpt', { V: 14, D: 16, H: 2, T: 9 }), 'copy:length=4', 1);
  });

  it('sweeps the supervision steps with progress events under the job id', async () => {
    const progress: [number, number][] = [];
    const off = service.onEvent((e) => {
      if (e.type === 'insight.progress' && e.jobId === 'sweep-1') progress.push([e.done, e.total]);
    });
    const sweep = await ok<DepthSweep>('insight.depth', {
      runId: trm,
      examples: 16,
      maxDepth: 6,
      jobId: 'sweep-1',
    });
    off();
    assert.equal(sweep.kind, 'supervision');
    assert.equal(sweep.trainedDepth, 4);
    assert.equal(sweep.examples, 16);
    assert.deepEqual(
      sweep.points.map((p) => p.depth),
      [1, 2, 3, 4, 5, 6],
    );
    // 16 examples in chunks of the run's batch (8): 2 chunks × 6 depths.
    assert.equal(progress.length, 12);
    assert.deepEqual(progress.at(-1), [12, 12]);
  });

  it('traces one held-out puzzle, and a typed one', async () => {
    const trace = await ok<ExampleTrace>('insight.example', { runId: trm, index: 3 });
    assert.ok(trace.type === 'cells');
    assert.equal(trace.index, 3);
    assert.equal(trace.steps.length, 4);
    assert.equal(trace.steps[0]!.answer.length, 16);
    const typed = await ok<ExampleTrace>('insight.example', {
      runId: trm,
      input: '1.3. ..2. ...4 .3..',
      maxDepth: 2,
    });
    assert.ok(typed.type === 'cells' && typed.steps.length === 2 && typed.target === null);
    const bad = errorOf(await call('insight.example', { runId: trm, input: '12' }));
    assert.equal(bad.code, 'insight-failed');
    assert.match(bad.message, /The puzzle has 2 cells but this model takes 16/);
    const both = errorOf(await call('insight.example', { runId: trm, index: 1, input: '1' }));
    assert.match(both.message, /either a held-out example index or an input, not both/);
  });

  it('cancels a sweep part-way', async () => {
    const off = service.onEvent((e) => {
      if (e.type === 'insight.progress' && e.jobId === 'sweep-2' && e.done === 2)
        void call('insight.cancel', { jobId: 'sweep-2' });
    });
    const r = await call('insight.depth', { runId: trm, maxDepth: 64, jobId: 'sweep-2' });
    off();
    assert.equal(errorOf(r).code, 'cancelled');
    assert.deepEqual(await ok('insight.cancel', { jobId: 'sweep-2' }), { cancelled: false });
  });

  it('answers a model without recursion, and a missing run, with sentences', async () => {
    const flat = errorOf(await call('insight.depth', { runId: gpt }));
    assert.equal(flat.code, 'insight-failed');
    assert.match(flat.message, /does not recurse/);
    const none = errorOf(await call('insight.depth', { runId: 'no-such-run' }));
    assert.equal(none.code, 'no-such-run');
    const step = errorOf(await call('insight.example', { runId: trm, checkpoint: 'step-999999' }));
    assert.equal(step.code, 'no-checkpoint');
    assert.match(step.message, /has no checkpoint step-999999/);
  });
});

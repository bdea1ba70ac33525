import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RunDetail, RunSummary } from '../../../engine/contract/api.ts';
import { errorOf, template, testService } from '../../support/service-harness.ts';

// Runs comparison through the service: runs.list figures, runs.get, runs.delete.

const { root, workspace, call, ok } = testService('runs');

// tiny-gpt shrunk so a step takes milliseconds.
const doc = template('tiny-gpt', { V: 14, D: 16, H: 2, T: 9 });
const config = { backend: 'cpu', batch: 4, steps: 12, evalEvery: 4, evalExamples: 4 };

/** Waits until run.json says the run ended (it is rewritten once the worker has exited). */
async function settled(runId: string): Promise<RunSummary> {
  const end = Date.now() + 60_000;
  for (;;) {
    const saved = JSON.parse(
      readFileSync(join(workspace, 'runs', runId, 'run.json'), 'utf8'),
    ) as RunSummary;
    if (['completed', 'stopped', 'failed'].includes(saved.status)) return saved;
    assert.ok(Date.now() < end, `run ${runId} still ${saved.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function finished(runId: string): Promise<RunSummary> {
  assert.equal((await settled(runId)).status, 'completed');
  const run = (await ok<RunSummary[]>('runs.list', {})).find((r) => r.runId === runId);
  assert.ok(run);
  return run;
}

/** A finished run folder written by hand: run.json without figures, and a long metrics file. */
function legacyRun(runId: string, steps: number): string {
  const dir = join(workspace, 'runs', runId);
  mkdirSync(dir, { recursive: true });
  const summary = {
    runId,
    name: 'old run',
    status: 'completed',
    startedAt: '2026-01-01T00:00:00.000Z',
    step: steps,
    steps,
    backend: 'cpu',
    data: 'copy',
    params: 10,
    lastCheckpoint: null,
    message: null,
    dir,
  };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(summary));
  const lines: string[] = [];
  for (let s = 1; s <= steps; s++) {
    const metrics = { step: s, loss: 10 / s, accuracy: 0.5, lr: 1e-3, gradNorm: 1 };
    lines.push(
      JSON.stringify({
        type: 'step',
        metrics: { ...metrics, tokensPerSec: 1000, etaSec: 0, tensors: 5 },
      }),
    );
    if (s % 1000 === 0) {
      const report = { step: s, examples: 8, loss: 20 / s, accuracy: 0.4, ema: false };
      lines.push(JSON.stringify({ type: 'eval', report }));
    }
  }
  // A crash mid-write leaves half a line: it is skipped, not fatal.
  writeFileSync(join(dir, 'metrics.jsonl'), `${lines.join('\n')}\n{"type":"st`);
  return dir;
}

describe('runs comparison through the service', () => {
  let first: string;
  let second: string;

  it('records each run with its figures, graph snapshot, settings and curves', async () => {
    first = (
      await ok<{ runId: string }>('train.start', { document: doc, data: 'copy:length=4', config })
    ).runId;
    const wider = { ...doc, dims: { ...doc.dims, D: 24 } };
    second = (
      await ok<{ runId: string }>('train.start', { document: wider, data: 'copy:length=4', config })
    ).runId;
    const [a, b] = [await finished(first), await finished(second)];
    for (const run of [a, b]) {
      assert.equal(run.step, 12);
      assert.ok(run.metrics, 'the list carries the figures');
      assert.ok(Number.isFinite(run.metrics.loss) && Number.isFinite(run.metrics.bestValLoss));
      assert.ok(run.metrics.bestValLoss! <= run.metrics.valLoss!);
      assert.ok(run.metrics.tokensPerSec! > 0);
    }
    assert.ok(b.params! > a.params!, 'the wider model has more weights');

    const detail = await ok<RunDetail>('runs.get', { runId: first });
    assert.deepEqual(detail.graph, doc);
    assert.equal(detail.graphProblem, null);
    assert.equal(detail.config?.batch, 4);
    assert.deepEqual(detail.data, { type: 'copy', length: 4 });
    assert.deepEqual(detail.series.train.step, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.equal(detail.series.train.loss.at(-1), a.metrics?.loss);
    assert.deepEqual(detail.series.validation.step, [4, 8, 12]);
    assert.equal(Math.min(...detail.series.validation.loss), a.metrics?.bestValLoss);
    assert.ok(detail.checkpoints.length > 0, 'the final checkpoint is listed');
    assert.deepEqual(detail.exports, []);
  });

  it('reads an old run folder: figures from its metrics, curves capped at 5,000 points', async () => {
    legacyRun('old-run', 20_000);
    const listed = (await ok<RunSummary[]>('runs.list', {})).find((r) => r.runId === 'old-run');
    assert.deepEqual(listed?.metrics, {
      loss: 10 / 20_000,
      accuracy: 0.5,
      valLoss: 20 / 20_000,
      bestValLoss: 20 / 20_000,
      valAccuracy: 0.4,
      bestValAccuracy: 0.4,
      tokensPerSec: 1000,
    });
    const detail = await ok<RunDetail>('runs.get', { runId: 'old-run' });
    assert.equal(detail.series.recordedSteps, 20_000);
    assert.ok(detail.series.train.step.length <= 5000, `${detail.series.train.step.length}`);
    assert.equal(detail.series.train.step.at(-1), 20_000);
    assert.equal(detail.series.validation.step.length, 20);
    assert.equal(detail.graph, null);
    assert.match(detail.graphProblem ?? '', /no graph snapshot/);
  });

  it('deletes a finished run folder and nothing else', async () => {
    assert.deepEqual(await ok('runs.delete', { runId: first }), { deleted: first });
    assert.ok(!existsSync(join(workspace, 'runs', first)));
    assert.ok(existsSync(join(workspace, 'runs', second)));
    const ids = (await ok<RunSummary[]>('runs.list', {})).map((r) => r.runId);
    assert.ok(!ids.includes(first) && ids.includes(second));
    const gone = errorOf(await call('runs.get', { runId: first }));
    assert.equal(gone.code, 'no-such-run');
    assert.match(gone.message, /refresh the runs list/);
    assert.equal(errorOf(await call('runs.delete', { runId: first })).code, 'no-such-run');
  });

  it('refuses paths, links out of the runs folder and runs still training', async () => {
    for (const runId of ['../work', '..', 'a/b', '']) {
      assert.equal(errorOf(await call('runs.delete', { runId })).code, 'bad-params', runId);
      assert.equal(errorOf(await call('runs.get', { runId })).code, 'bad-params', runId);
    }
    // A link inside runs/ that points at a folder holding a run.json elsewhere.
    const outside = join(root, 'precious');
    mkdirSync(outside);
    writeFileSync(join(outside, 'run.json'), '{}');
    symlinkSync(outside, join(workspace, 'runs', 'linked'));
    const linked = errorOf(await call('runs.delete', { runId: 'linked' }));
    assert.equal(linked.code, 'not-a-run');
    assert.deepEqual(readdirSync(outside), ['run.json']);
    // A folder that is not a run is left alone too.
    mkdirSync(join(workspace, 'runs', 'notes'));
    writeFileSync(join(workspace, 'runs', 'notes', 'keep.txt'), 'x');
    assert.equal(errorOf(await call('runs.delete', { runId: 'notes' })).code, 'no-such-run');
    assert.ok(existsSync(join(workspace, 'runs', 'notes', 'keep.txt')));

    const long = await ok<{ runId: string }>('train.start', {
      document: doc,
      data: 'copy:length=4',
      config: { ...config, steps: 100_000, evalEvery: 0 },
    });
    const active = errorOf(await call('runs.delete', { runId: long.runId }));
    assert.equal(active.code, 'run-active');
    assert.match(active.message, /stop it in the Train panel first/);
    await ok('train.stop', { runId: long.runId });
    await settled(long.runId);
  });
});

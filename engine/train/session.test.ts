import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TrainEvent } from '../contract/events.ts';
import { TrainingSession } from './session.ts';

const doc = JSON.parse(readFileSync('templates/tiny-gpt.json', 'utf8')) as {
  dims: Record<string, number>;
};
doc.dims = { ...doc.dims, V: 14, D: 16, H: 2, T: 9 };

test('a session trains in a worker thread, pauses, resumes and stops with a checkpoint', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-session-'));
  const events: TrainEvent[] = [];
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const session = new TrainingSession(
    {
      document: doc,
      data: { type: 'copy', length: 4 },
      config: { backend: 'cpu', batch: 8, steps: 10_000, evalEvery: 0, checkpointEvery: 0 },
      outDir: dir,
    },
    (e) => {
      events.push(e);
      if (e.type === 'step' && e.metrics.step === 3) session.pause();
      if (e.type === 'paused') setTimeout(() => session.resume(), 50);
      if (e.type === 'step' && e.metrics.step === 6) session.stop();
    },
  );
  const outcome = await session.done;
  clearInterval(timer);
  assert.equal(outcome.status, 'stopped');
  assert.ok(outcome.step >= 6 && outcome.step < 20, `stopped at ${outcome.step}`);
  assert.equal(outcome.lastCheckpoint, join(dir, `step-${String(outcome.step).padStart(6, '0')}`));
  const kinds = events.map((e) => e.type);
  assert.equal(kinds[0], 'started');
  assert.ok(kinds.includes('paused') && kinds.includes('resumed') && kinds.includes('checkpoint'));
  assert.equal(kinds.at(-1), 'stopped');
  // This thread's event loop kept running while the worker trained.
  assert.ok(ticks > 5, `only ${ticks} timer ticks`);
});

test('a session reports a graph that cannot train as an error event', async () => {
  const events: TrainEvent[] = [];
  const session = new TrainingSession(
    { document: { version: 1, name: 'x' }, data: { type: 'copy' }, config: { backend: 'cpu' } },
    (e) => events.push(e),
  );
  const outcome = await session.done;
  assert.equal(outcome.status, 'failed');
  assert.match(outcome.status === 'failed' ? outcome.message : '', /graph document is invalid/);
  assert.deepEqual(
    events.map((e) => e.type),
    ['error'],
  );
});

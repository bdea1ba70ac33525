import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import type { ExportReport, RunSummary, ServerEvent } from '../../../engine/contract/api.ts';
import type { TrainEvent } from '../../../engine/contract/events.ts';
import { errorOf, template, testService } from '../../support/service-harness.ts';

const { root, workspace, service, call, ok } = testService('train-service');

// tiny-gpt shrunk so a step takes milliseconds.
const doc = template('tiny-gpt', { V: 14, D: 16, H: 2, T: 9 });
const config = { backend: 'cpu', batch: 4, steps: 100_000, evalEvery: 0, checkpointEvery: 0 };

/** Resolves with the run's events once `until` accepts one. */
function collect(runId: () => string | undefined, until: (e: TrainEvent) => boolean) {
  const events: TrainEvent[] = [];
  let off: () => void = () => undefined;
  const done = new Promise<TrainEvent[]>((resolve) => {
    off = service.onEvent((e: ServerEvent) => {
      if (e.type !== 'train.event' || e.runId !== runId()) return;
      events.push(e.event);
      if (until(e.event)) resolve(events);
    });
  });
  return { events, done: done.finally(() => off()) };
}

describe('training and export through the service', () => {
  let runId: string | undefined;

  it('starts a run, forwards its events, pauses, resumes and stops it with a checkpoint', async () => {
    const started = collect(
      () => runId,
      (e) => e.type === 'step' && e.metrics.step >= 3,
    );
    const r = await ok<{ runId: string; dir: string }>('train.start', {
      document: doc,
      data: 'copy:length=4',
      config,
    });
    runId = r.runId;
    assert.equal(r.dir, join(workspace, 'runs', runId));
    const first = await started.done;
    assert.equal(first[0]?.type, 'started');

    // A window that reloads asks for the run still training and gets its history.
    const status = await ok<{ run: RunSummary; events: TrainEvent[] }>('train.status', {});
    assert.equal(status.run.runId, runId);
    assert.equal(status.run.backend, 'cpu');
    assert.ok(status.events.length >= first.length);

    const paused = collect(
      () => runId,
      (e) => e.type === 'paused',
    );
    await ok('train.pause', { runId });
    await paused.done;
    assert.equal((await ok<{ run: RunSummary }>('train.status', { runId })).run.status, 'paused');
    const resumed = collect(
      () => runId,
      (e) => e.type === 'resumed',
    );
    await ok('train.resume', { runId });
    await resumed.done;
    const stopped = collect(
      () => runId,
      (e) => e.type === 'stopped',
    );
    await ok('train.stop', { runId });
    const end = (await stopped.done).at(-1);
    assert.ok(end?.type === 'stopped' && end.reason === 'stopped' && end.lastCheckpoint);

    const dir = join(workspace, 'runs', runId);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'graph.json'), 'utf8')), doc);
    const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as {
      config: { batch: number };
      data: { type: string; length: number };
    };
    assert.equal(saved.config.batch, 4);
    assert.deepEqual(saved.data, { type: 'copy', length: 4 });
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.filter((l) => l.includes('"type":"step"')).length, end.step);
    assert.ok(existsSync(join(end.lastCheckpoint, 'checkpoint.json')));

    const runs = await ok<RunSummary[]>('runs.list', {});
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.status, 'stopped');
    assert.equal(runs[0]?.step, end.step);
    // Nothing is training now, so a fresh window has nothing to re-attach to.
    assert.equal((await ok<{ run: null }>('train.status', {})).run, null);
    assert.equal(errorOf(await call('train.pause', { runId })).code, 'no-such-run');
  });

  it("exports the run's trained weights at int8 and verifies them", async () => {
    const report = await ok<ExportReport>('export.run', { runId, precision: 'int8' });
    assert.equal(report.trained, true);
    assert.equal(
      report.path,
      join(
        workspace,
        'runs',
        runId!,
        'exports',
        `${doc.name.replace(/[^\w-]+/g, '-')}-full`,
        'onnx',
        'model_int8.onnx',
      ),
    );
    // The Hugging Face folder around it, as `trm export` writes it.
    // The run trained on copy (a per-position task): its encoding is in config.json.
    assert.ok(existsSync(join(report.path, '..', '..', 'README.md')));
    const config = JSON.parse(readFileSync(join(report.path, '..', '..', 'config.json'), 'utf8'));
    assert.ok(Array.isArray(config.trm.puzzle.vocab), JSON.stringify(config.trm));
    assert.equal(report.signature.inputs[0]!.name, 'input_ids');
    assert.ok(existsSync(report.path));
    assert.equal(report.fileBytes, readFileSync(report.path).length);
    assert.ok(
      report.maxAbsError !== null && report.maxAbsError > 0 && report.maxAbsError < 1,
      `max error ${report.maxAbsError}`,
    );
    assert.ok(report.top1Agreement !== null && report.top1Agreement > 0.5);
    assert.ok(report.latencyMs && report.latencyMs.batch1 > 0);
    // The task check scored the run's own held-out copy examples, tfjs against the export.
    assert.ok(report.task, report.taskSkipped ?? '');
    assert.equal(report.taskSkipped, null);
    assert.deepEqual(
      report.task.metrics.map((m) => m.metric),
      ['exact-match', 'accuracy'],
    );
    assert.match(report.task.data, /^copy 4 held-out set, 256 examples$/);
    assert.equal(report.judgedBy, 'task', 'trained weights with a task metric: the task decides');
    assert.equal(report.note, null);
    for (const m of report.task.metrics) {
      assert.ok(m.reference >= 0 && m.reference <= 1 && m.onnx !== null);
      assert.ok(Math.abs(m.delta! - (m.onnx! - m.reference)) < 1e-12);
    }
  });

  it('refuses malformed data, bad settings and data files outside the workspace in sentences', async () => {
    const bad = errorOf(await call('train.start', { document: doc, data: 'nonsense', config }));
    assert.equal(bad.code, 'bad-data');
    assert.match(bad.message, /neither a file nor a known dataset; use one of/);
    const cfg = errorOf(
      await call('train.start', { document: doc, data: 'copy', config: { lr: -1 } }),
    );
    assert.equal(cfg.code, 'bad-config');
    assert.match(cfg.message, /"lr" is invalid/);
    const outside = join(root, 'secret.txt');
    writeFileSync(outside, 'secret text');
    const far = errorOf(await call('train.start', { document: doc, data: outside, config }));
    assert.equal(far.code, 'outside-workspace');
    const spec = errorOf(
      await call('train.start', {
        document: doc,
        data: { type: 'text', path: '../secret.txt' },
        config,
      }),
    );
    assert.equal(spec.code, 'outside-workspace');
    const missing = errorOf(
      await call('train.start', { document: doc, data: 'missing.txt', config }),
    );
    assert.equal(missing.code, 'no-data-file');
    assert.match(missing.message, /"missing.txt" does not exist in the workspace/);
    assert.equal(errorOf(await call('train.stop', { runId: '../etc' })).code, 'bad-params');
    const initial = await ok<ExportReport>('export.run', { document: doc, precision: 'int8' });
    assert.equal(initial.judgedBy, 'closeness');
    assert.match(
      initial.note ?? '',
      /untrained initial weights, so the task check is not meaningful yet/,
    );
    assert.equal(
      errorOf(await call('export.run', { precision: 'int8' })).code,
      'bad-params',
      'an export needs a run or a document',
    );
  });
});

describe('train.options', () => {
  it("offers the trainer's settings and the tasks' options as JSON Schema", async () => {
    const o = await ok<{
      config: { properties: Record<string, { default?: unknown; description?: string }> };
      tasks: Record<string, { properties: Record<string, { default?: unknown }> }>;
    }>('train.options', {});
    assert.equal(o.config.properties.batch?.default, 32);
    assert.equal(o.config.properties.lr?.description, 'Peak learning rate.');
    assert.deepEqual(Object.keys(o.tasks.copy?.properties ?? {}).sort(), ['length', 'symbols']);
    assert.equal(o.tasks.addition?.properties.digits?.default, 3);
  });
});

describe('a bundled host (Electron main.mjs)', () => {
  it('starts the training worker from the source file it names', async () => {
    const { build } = await import('esbuild');
    const { execFileSync } = await import('node:child_process');
    // Inside the repository, like out/electron, so node_modules resolve the same way.
    mkdirSync('out', { recursive: true });
    const dir = mkdtempSync(join('out', 'bundle-'));
    try {
      writeFileSync(
        join(dir, 'entry.ts'),
        `import { TrainingSession } from '../../engine/train/session.ts';
const s = new TrainingSession({ document: { version: 1, name: 'x' }, data: { type: 'copy' }, config: { backend: 'cpu' } }, () => undefined);
console.log(JSON.stringify(await s.done));`,
      );
      await build({
        entryPoints: [join(dir, 'entry.ts')],
        outfile: join(dir, 'main.mjs'),
        bundle: true,
        platform: 'node',
        format: 'esm',
        external: ['onnxruntime-node', '@tensorflow/*', 'tokenizers'],
        logLevel: 'error',
      });
      const worker = pathToFileURL(join(process.cwd(), 'engine/train/worker.ts')).href;
      const out = execFileSync(process.execPath, [join(dir, 'main.mjs')], {
        env: { ...process.env, TRM_TRAIN_WORKER: worker },
        encoding: 'utf8',
      });
      // The worker ran: it is the trainer that refuses the empty document, not a missing file.
      assert.match(out, /"status":"failed".*The graph document is invalid/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

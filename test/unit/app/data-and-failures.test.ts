import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { BackendReport } from '../../../engine/runtime/backend.ts';
import { backendNotice } from '../../../engine/runtime/backend.ts';
import { classifyFailure, explainFailure } from '../../../engine/runtime/failures.ts';
import type { DataFile } from '../../../engine/contract/api.ts';
import { errorOf, template, testService } from '../../support/service-harness.ts';
import { importPickedFile } from '../../../engine/service/data-files.ts';
import { checkTrainingFits, estimateTrainingMemory } from '../../../engine/train/preflight.ts';
import { analyzeDocument } from '../../../engine/graph/analyze.ts';

const { root, workspace, call, ok } = testService('data');
const tinyGpt = template('tiny-gpt');

describe('failures a person can act on', () => {
  // Real texts of these failures, as V8, Node's workers, the wasm runtime and tfjs-node print them.
  const oom = [
    'RangeError: Array buffer allocation failed',
    'RangeError: Invalid typed array length: 8589934592',
    'RangeError: WebAssembly.Memory.grow(): Maximum memory size exceeded',
    'Out of memory: Cannot allocate Wasm memory for new instance',
    'ERR_WORKER_OUT_OF_MEMORY Worker terminated due to reaching memory limit: JS heap out of memory',
    'OOM when allocating tensor with shape[32,4,2048,2048]',
  ];
  const gpu = [
    'Error: libcudart.so.11.0: cannot open shared object file: No such file or directory',
    'Could not load dynamic library libcudnn.so.8',
    'CUDA driver version is insufficient for CUDA runtime version',
  ];

  it('classifies out-of-memory and GPU-driver failures, and leaves others alone', () => {
    for (const m of oom) assert.equal(classifyFailure(m), 'out-of-memory', m);
    for (const m of gpu) assert.equal(classifyFailure(m), 'gpu-driver', m);
    for (const m of ['The loss became NaN at step 12.', 'A target token (40) is outside…'])
      assert.equal(classifyFailure(m), 'other', m);
    assert.equal(
      explainFailure('The loss became NaN at step 12.'),
      'The loss became NaN at step 12.',
    );
  });

  it('says what happened and the next step, keeping the original text', () => {
    const text = explainFailure(oom[0]!, { batch: 64, step: 120 });
    assert.match(text, /ran out of memory at step 120/);
    assert.match(text, /batch 64 → 32/);
    assert.match(text, /Details: RangeError: Array buffer allocation failed/);
    const g = explainFailure(gpu[0]!);
    assert.match(g, /CUDA 11\.2 and cuDNN 8\.1/);
    assert.match(g, /"native"/);
    assert.match(g, /libcudart\.so\.11\.0/);
  });

  it('notices a GPU package that is installed but whose driver is missing', () => {
    const report = (reason: string): BackendReport => ({
      active: 'native',
      tfBackend: 'native',
      device: 'cpu',
      attempts: [
        { backend: 'tensorflow-gpu', ok: false, reason },
        { backend: 'tensorflow', ok: false, reason: '@tensorflow/tfjs-node is not installed' },
        { backend: 'native', ok: true },
      ],
    });
    const n = backendNotice(
      report(
        '@tensorflow/tfjs-node-gpu is installed but failed to load: libcudart.so.11.0: cannot open shared object file',
      ),
    );
    assert.ok(n, 'a notice for a GPU package without its libraries');
    assert.match(n, /GPU could not be used/);
    assert.match(n, /runs on native/);
    assert.equal(
      backendNotice(report('@tensorflow/tfjs-node-gpu is not installed (optional; …)')),
      undefined,
    );
  });
});

describe('memory preflight', () => {
  it('adds weights, optimizer state and activations from the analysis', () => {
    const totals = analyzeDocument(tinyGpt).totals;
    const e = estimateTrainingMemory(tinyGpt, 8, { ema: false });
    assert.equal(e.paramBytes, totals.params * 16);
    assert.equal(
      e.activationBytes,
      totals.trainingActivationBytesPerToken * totals.context! * 8 * 7,
    );
    // No recursion: a training step holds what the forward pass computes.
    assert.equal(totals.trainingActivationBytesPerToken, totals.activationBytesPerToken);
    assert.equal(e.total, e.paramBytes + e.activationBytes);
    const withEma = estimateTrainingMemory(tinyGpt, 8, { ema: true });
    assert.equal(withEma.paramBytes, totals.params * 20);
    // Activations grow linearly with the batch.
    const e16 = estimateTrainingMemory(tinyGpt, 16, { ema: false });
    assert.equal(e16.activationBytes, 2 * e.activationBytes);
  });

  it('a TRM holds one supervision step and one repetition without gradients, at any depth', () => {
    const trm = template('trm-mlp-sudoku');
    const at = (dims: Record<string, number>) =>
      analyzeDocument({ ...trm, dims: { ...trm.dims, ...dims } }).totals;
    const base = at({ T_rec: 2, N_sup: 4 });
    const deep = at({ T_rec: 6, N_sup: 16 });
    // The forward pass computes every step; training holds the same at any T_rec and N_sup.
    assert.ok(deep.activationBytesPerToken > 5 * base.activationBytesPerToken);
    assert.equal(deep.trainingActivationBytesPerToken, base.trainingActivationBytesPerToken);
    assert.ok(base.trainingActivationBytesPerToken < base.activationBytesPerToken / 3);
    // More latent steps inside the gradient step do add to what is held.
    assert.ok(at({ n: 6 }).trainingActivationBytesPerToken > base.trainingActivationBytesPerToken);
  });

  it('counts a per-puzzle table (left out of the parameter total) in memory and file sizes', () => {
    const trm = template('trm-sudoku');
    const prefix = trm.main.nodes.find((n) => n.kind === 'puzzle-prefix')!;
    const one = analyzeDocument(trm).totals;
    const rows = 100_000;
    const many = structuredClone(trm);
    many.main.nodes.find((n) => n.id === prefix.id)!.params.puzzles = rows;
    const t = analyzeDocument(many).totals;
    const D = trm.dims.D as number;
    assert.equal(t.params, one.params);
    assert.equal(t.uncountedParams - one.uncountedParams, (rows - 1) * D);
    assert.equal(t.bytes.fp32 - one.bytes.fp32, (rows - 1) * D * 4);
    const e = (doc: typeof trm) => estimateTrainingMemory(doc, 8, { ema: true }).paramBytes;
    assert.equal(e(many) - e(trm), (rows - 1) * D * 4 * 5);
  });

  it('refuses a run that cannot fit and names a batch that does', () => {
    const batch = 4096;
    const e = estimateTrainingMemory(tinyGpt, batch, { ema: false });
    const machine = e.total / 4; // a machine with a quarter of what the run needs
    assert.throws(
      () => checkTrainingFits(e, batch, { available: machine }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'out-of-memory');
        const fits = Number(/set batch to (\d+) or less/.exec(err.message)?.[1]);
        assert.ok(fits >= 1 && fits < batch, err.message);
        // The batch it names does fit.
        checkTrainingFits(estimateTrainingMemory(tinyGpt, fits, { ema: false }), fits, {
          available: machine,
        });
        return true;
      },
    );
    checkTrainingFits(e, batch, { available: e.total * 2 });
  });

  it('train.start refuses an impossible batch before starting anything', async () => {
    const err = errorOf(
      await call('train.start', {
        document: tinyGpt,
        data: 'brown',
        config: { batch: 65_536, steps: 1, backend: 'cpu' },
      }),
    );
    assert.equal(err.code, 'out-of-memory');
    assert.match(err.message, /set batch to \d+ or less/);
    const runs = await ok<unknown[]>('runs.list', {});
    assert.equal(runs.length, 0, 'no run folder is left behind');
  });
});

describe('training data files (drop and dialog)', () => {
  it('copies a dropped file into data/, describing it', async () => {
    const text = 'to be or not to be\nthat is the question\n';
    const f = await ok<DataFile>('data.import', { name: 'hamlet.txt', text });
    assert.equal(f.path, 'data/hamlet.txt');
    assert.equal(readFileSync(join(workspace, f.path), 'utf8'), text);
    assert.equal(f.characters, text.length);
    assert.equal(f.charVocab, new Set(text).size + 1); // + the unknown-character id
    assert.equal(f.lines, 3);
    // The same content again is the same file; other content gets a new name.
    assert.equal((await ok<DataFile>('data.import', { name: 'hamlet.txt', text })).path, f.path);
    const g = await ok<DataFile>('data.import', { name: 'hamlet.txt', text: 'other' });
    assert.equal(g.path, 'data/hamlet-2.txt');
  });

  it('keeps unicode names, strips folders and odd characters', async () => {
    const a = await ok<DataFile>('data.import', { name: '../../etc/モデル ä.txt', text: 'x' });
    assert.equal(a.path, 'data/モデル ä.txt');
    const b = await ok<DataFile>('data.import', { name: 'a<b>:c|d', text: 'y' });
    assert.equal(b.path, 'data/a_b_c_d.txt');
    const c = await ok<DataFile>('data.import', { name: '..', text: 'z' });
    assert.equal(c.path, 'data/data.txt');
  });

  it('refuses empty and binary files with a sentence naming the file', async () => {
    const empty = errorOf(await call('data.import', { name: 'e.txt', text: '' }));
    assert.match(empty.message, /"e\.txt" is empty/);
    const bin = errorOf(await call('data.import', { name: 'pic.png', text: 'PNG\0\0\x01' }));
    assert.match(bin.message, /"pic\.png" is not a text file/);
    const latin = errorOf(
      await call('data.import', { name: 'l.txt', text: 'caf\ufffd '.repeat(100) }),
    );
    assert.match(latin.message, /not UTF-8 text/);
  });

  it('a file picked in a dialog is copied the same way; the web host has no dialog', async () => {
    const outside = join(root, 'picked corpus.txt');
    writeFileSync(outside, 'abc abc abc');
    const f = await importPickedFile(workspace, outside);
    assert.equal(f.path, 'data/picked corpus.txt');
    assert.equal(errorOf(await call('data.pick', {})).code, 'no-dialog');
  });

  it('a run trains on the imported file', async () => {
    const text = 'the quick brown fox jumps over the lazy dog. '.repeat(40);
    const f = await ok<DataFile>('data.import', { name: 'fox.txt', text });
    const doc = { ...tinyGpt, dims: { ...tinyGpt.dims, V: f.charVocab, D: 16, H: 2, T: 9 } };
    const { runId } = await ok<{ runId: string }>('train.start', {
      document: doc,
      data: f.path,
      config: { backend: 'cpu', batch: 2, steps: 2, evalEvery: 0, checkpointEvery: 0 },
    });
    for (let i = 0; i < 200; i++) {
      const { run } = await ok<{ run: { status: string; message: string | null } }>(
        'train.status',
        { runId },
      );
      if (run.status === 'completed') return;
      assert.notEqual(run.status, 'failed', run.message ?? '');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail('the run did not complete');
  });
});

describe('a run whose metrics cannot be written', () => {
  it('stops, fails naming the metrics file, and tells the window', async () => {
    const doc = { ...tinyGpt, dims: { ...tinyGpt.dims, V: 96, D: 16, H: 2, T: 9 } };
    const { runId, dir } = await ok<{ runId: string; dir: string }>('train.start', {
      document: doc,
      data: 'brown',
      config: { backend: 'cpu', batch: 2, steps: 100_000, evalEvery: 0, checkpointEvery: 0 },
    });
    // The worker takes a moment to start; a folder in the file's place makes every append fail.
    mkdirSync(join(dir, 'metrics.jsonl'));
    for (let i = 0; i < 300; i++) {
      const { run, events } = await ok<{
        run: { status: string; message: string | null };
        events: { type: string; message?: string }[];
      }>('train.status', { runId });
      if (run.status === 'failed') {
        assert.match(run.message ?? '', /Could not write the run's metrics to .*metrics\.jsonl/);
        assert.match(run.message ?? '', /The run was stopped/);
        assert.ok(events.some((e) => e.type === 'error' && /metrics/.test(e.message ?? '')));
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail('the run kept going without its metrics');
  });
});

describe('a run left "running" by an app that ended', () => {
  it('is listed as failed, with the way to continue it', async () => {
    const dir = join(workspace, 'runs', 'crashed-run');
    mkdirSync(join(dir, 'checkpoints', 'step-000040'), { recursive: true });
    writeFileSync(
      join(dir, 'checkpoints', 'step-000040', 'checkpoint.json'),
      JSON.stringify({ format: 'trm-checkpoint', step: 40, blobs: {} }),
    );
    const summary = {
      runId: 'crashed-run',
      name: 'tiny-gpt',
      status: 'running',
      startedAt: '2026-11-01T00:00:00.000Z',
      step: 42,
      steps: 400,
      backend: 'native',
      data: 'brown',
      params: 1000,
      lastCheckpoint: join(dir, 'checkpoints', 'step-000040'),
      message: null,
      dir,
    };
    writeFileSync(join(dir, 'run.json'), JSON.stringify(summary));
    const runs = await ok<{ runId: string; status: string; message: string | null }[]>(
      'runs.list',
      {},
    );
    const run = runs.find((r) => r.runId === 'crashed-run');
    assert.equal(run?.status, 'failed');
    assert.match(
      run?.message ?? '',
      /The app ended while this run was training \(step 42 of 400\)/,
    );
    assert.match(run?.message ?? '', /trm train --resume .*crashed-run\/checkpoints/);
  });
});

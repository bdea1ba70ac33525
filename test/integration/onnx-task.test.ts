import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DataSpec } from '../../engine/data/spec.ts';
import { parseDocument } from '../../engine/graph/parse.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import { DataType, onnx } from '../../engine/onnx/proto.ts';
import { exportModel } from '../../engine/onnx-runtime/export-model.ts';
import {
  compareTask,
  type TaskCheck,
  type TaskProbe,
} from '../../engine/onnx-runtime/task-metric.ts';
import { verifyExport } from '../../engine/onnx-runtime/verify.ts';
import { selectBackend } from '../../engine/runtime/backend.ts';
import type { EvalReport } from '../../engine/contract/events.ts';
import type { TrainConfigInput } from '../../engine/train/config.ts';
import { train } from '../../engine/train/trainer.ts';
import { withSmallInit } from '../support/init.ts';

// The export's task check: held-out data with targets, scored by the tfjs reference and by
// onnxruntime. A briefly trained model must score the same through an fp32 export (and the
// same as the trainer's own evaluator says), and a corrupted weight must fail the check.

function template(name: string, dims: Record<string, number>): GraphDocument {
  const raw = JSON.parse(readFileSync(`templates/${name}.json`, 'utf8'));
  raw.dims = { ...raw.dims, ...dims };
  const parsed = parseDocument(raw);
  assert.ok(parsed.ok, name);
  return parsed.doc;
}

async function trained(
  doc: GraphDocument,
  data: DataSpec,
  config: TrainConfigInput,
): Promise<{ weights: Map<string, Float32Array>; final: EvalReport }> {
  const r = await train({
    document: doc,
    data,
    config: { backend: 'wasm', evalEvery: 0, checkpointEvery: 0, warmup: 5, ...config },
  });
  try {
    assert.equal(r.status, 'completed', r.error);
    const weights = new Map(
      [...r.model.weights.params].map(([name, v]) => [name, v.dataSync() as Float32Array]),
    );
    return { weights, final: r.evals.at(-1)! };
  } finally {
    r.model.dispose();
  }
}

/** The export with one weight reversed: the same values, in the wrong places. */
function corrupt(bytes: Uint8Array, name: string): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const weight = model.graph!.initializer!.find((t) => t.name === name);
  assert.ok(weight?.dataType === DataType.FLOAT && weight.rawData, `no float weight ${name}`);
  const values = new Float32Array(new Uint8Array(weight.rawData).buffer).reverse();
  weight.rawData = new Uint8Array(values.buffer);
  return onnx.ModelProto.encode(model).finish();
}

const metric = (task: TaskCheck, name: string) => task.metrics.find((m) => m.metric === name)!;

describe('export task check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-task-'));
  before(async () => {
    await selectBackend('wasm');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a trained tiny GPT has the trainer’s held-out perplexity through onnxruntime; a corrupted weight fails', async () => {
    const doc = template('tiny-gpt', { D: 32, H: 2, T: 32 });
    const data = { type: 'corpus', name: 'brown', length: 32 } as const;
    const { weights, final } = await trained(doc, data, {
      steps: 30,
      batch: 16,
      lr: 3e-3,
      evalExamples: 16,
    });
    const out = join(dir, 'gpt.onnx');
    const { report, bytes, verify } = await exportModel({
      doc,
      precision: 'fp32',
      weights,
      out,
      latencyRuns: 0,
      task: { data, examples: 16 },
    });
    const task = report.task;
    assert.ok(task, report.taskSkipped ?? '');
    assert.equal(task.task, 'causal-lm');
    assert.deepEqual(
      task.metrics.map((m) => m.metric),
      ['perplexity', 'accuracy'],
    );
    assert.equal(task.scored, 16 * 32);
    assert.equal(task.depth, null);
    // The reference is the number the trainer's evaluator (a separate tfjs path) reported on
    // the same validation windows, and the model has learned something (uniform guessing: 96).
    assert.ok(
      Math.abs(task.reference / final.perplexity! - 1) < 1e-4,
      `${task.reference} vs the trainer's ${final.perplexity}`,
    );
    assert.ok(task.reference < 40, `perplexity ${task.reference}`);
    assert.ok(Math.abs(task.delta / task.reference) < 1e-5, `fp32 delta ${task.delta}`);
    assert.ok(Math.abs(metric(task, 'accuracy').delta) <= 1 / task.scored);
    assert.ok(report.ok, report.failures.join(' '));
    // The task decides; top-1 agreement on the held-out positions is reported beside it (fp32
    // agrees, ties aside).
    assert.equal(report.judgedBy, 'task');
    assert.ok(task.top1Agreement >= 1 - 2 / task.scored, `fp32 top-1 ${task.top1Agreement}`);
    const saved = JSON.parse(readFileSync(join(dir, 'gpt.verify.json'), 'utf8'));
    assert.deepEqual(saved.task, JSON.parse(JSON.stringify(task)));

    const broken = await verifyExport(corrupt(bytes, 'embed/table'), {
      ...verify!,
      latencyRuns: 0,
    });
    assert.equal(broken.ok, false);
    assert.ok(
      broken.task && broken.task.onnx > 1.5 * broken.task.reference,
      `${broken.task?.onnx}`,
    );
    assert.equal(broken.task.reference, task.reference);
    assert.match(
      broken.failures.join(' '),
      /task perplexity rose [\d.]+% \([\d.]+ → [\d.]+ on brown validation split, 16 windows of 32 tokens\), more than the 0\.10% allowed \(fp32; --max-perplexity-rise\)\.$/,
    );
  });

  it('a trained TRM: its step export, run to the model’s depth, scores as the full export and the trainer; a corrupted weight fails', async () => {
    // 40 steps leave a LeCun-initialised TRM chaotic (test/support/init.ts): the small start.
    const doc = withSmallInit(template('trm-mlp-sudoku', { D: 32, F_seq: 32 }));
    const data = { type: 'sudoku', size: 4, validationSize: 64 } as const;
    const { weights, final } = await trained(doc, data, {
      steps: 40,
      batch: 32,
      lr: 3e-3,
      evalExamples: 64,
      haltEarly: false,
    });
    const task = { data, examples: 64 };
    const full = await exportModel({ doc, precision: 'fp32', weights, latencyRuns: 0, task });
    const step = await exportModel({
      doc,
      precision: 'fp32',
      mode: 'step',
      weights,
      latencyRuns: 0,
      task,
    });
    const [f, s] = [full.report.task, step.report.task];
    assert.ok(f && s, `${full.report.taskSkipped} ${step.report.taskSkipped}`);
    assert.deepEqual(
      s.metrics.map((m) => m.metric),
      ['exact-match', 'accuracy'],
    );
    assert.equal(s.task, 'sudoku-4x4');
    assert.equal(f.depth, null);
    assert.equal(s.depth, 4);
    // The full model is the four supervision steps: the step loop must land on its answer.
    for (const name of ['exact-match', 'accuracy']) {
      assert.ok(Math.abs(metric(s, name).reference - metric(f, name).reference) <= 1 / s.scored);
      for (const check of [f, s]) assert.ok(Math.abs(metric(check, name).delta) <= 1 / s.scored);
    }
    assert.ok(
      Math.abs(metric(f, 'accuracy').reference - final.accuracy) <= 1 / f.scored,
      `${metric(f, 'accuracy').reference} vs the trainer's ${final.accuracy}`,
    );
    assert.ok(metric(f, 'accuracy').reference > 0.3, `cells ${metric(f, 'accuracy').reference}`);
    assert.ok(
      full.report.ok && step.report.ok,
      [...full.report.failures, ...step.report.failures].join(' '),
    );

    const broken = await verifyExport(corrupt(step.bytes, 'embed/table'), {
      ...step.verify!,
      latencyRuns: 0,
    });
    assert.equal(broken.ok, false);
    const drop = -metric(broken.task!, 'accuracy').delta;
    assert.ok(drop > 0.1, `cell accuracy fell only ${drop}`);
    assert.match(
      broken.failures.join(' '),
      /^task accuracy fell [\d.]+ points .* \(fp32; --max-accuracy-drop\)\.$/,
    );
  });

  it('reports no task metric, with the reason, where none is meaningful', async () => {
    const base = template('tiny-gpt', { D: 16, H: 2 });
    const untasked = { ...base, meta: { ...base.meta, task: undefined } };
    const none = await exportModel({ doc: untasked, precision: 'fp32', latencyRuns: 0 });
    assert.equal(none.report.task, null);
    assert.match(none.report.taskSkipped!, /names no task \(meta\.task\)/);
    assert.ok(none.report.ok);
    // Brown's characters do not fit a vocabulary of 20: a sentence, not a number.
    const small = template('tiny-gpt', { V: 20, D: 16, H: 2, T: 16 });
    const misfit = await exportModel({ doc: small, precision: 'fp32', latencyRuns: 0 });
    assert.equal(misfit.report.task, null);
    assert.match(misfit.report.taskSkipped!, /predicts 20 classes .* vocabulary of \d+/);
    const decode = await exportModel({
      doc: base,
      precision: 'fp32',
      mode: 'decode',
      latencyRuns: 0,
    });
    assert.equal(decode.report.task, null);
    assert.match(decode.report.taskSkipped!, /KV-cache/);
    // A context under 64: past and new tokens together fit the position table (16 here).
    const shortDecode = await exportModel({
      doc: small,
      precision: 'fp32',
      mode: 'decode',
      latencyRuns: 0,
    });
    assert.ok(shortDecode.report.ok, shortDecode.report.failures.join(' '));
  });

  it('top-1 agreement counts held-out positions where the argmaxes are equal', () => {
    const probe: TaskProbe = {
      info: { task: 'cells', data: 'held-out set', examples: 1, scored: 5, depth: 4 },
      metrics: ['accuracy'],
      reference: { metrics: { accuracy: 0.8 }, predictions: Int32Array.from([1, 2, 3, 4, 5]) },
      score: async () => assert.fail('not scored here'),
    };
    const check = compareTask(probe, {
      metrics: { accuracy: 0.6 },
      predictions: Int32Array.from([1, 2, 0, 4, -1]),
    });
    assert.equal(check.top1Agreement, 3 / 5);
    assert.equal(check.delta, 0.6 - 0.8);
  });
});

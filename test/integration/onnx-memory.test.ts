import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { compile } from '../../engine/graph/compile.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import { emitOnnx } from '../../engine/onnx/emit.ts';
import { initialValues } from '../../engine/onnx/initial-weights.ts';
import { exportModel, heldOutFeeds } from '../../engine/onnx-runtime/export-model.ts';
import { tfjsRunner } from '../../engine/onnx-runtime/reference.ts';
import { selectBackend } from '../../engine/runtime/backend.ts';
import { peakMemory } from '../../engine/runtime/peak-memory.ts';
import { withSmallInit } from '../support/init.ts';
import { unrollLoops } from '../../engine/graph/ir/unroll.ts';

/**
 * A full-mode export runs the whole unrolled recursion in tfjs for its reference: that run
 * frees each value after its last reader, so its memory is a few activations, not one per op.
 */

before(async () => {
  await selectBackend('cpu');
});

/** The 4×4 TRM-MLP template (V 6, L 16, D 64) at the paper's depth: N_sup 16, n 6, T_rec 3. */
function deepTrm(dims: Record<string, number> = {}): GraphDocument {
  const doc = JSON.parse(readFileSync('templates/trm-mlp-sudoku.json', 'utf8')) as GraphDocument;
  doc.dims = { ...doc.dims, N_sup: 16, n: 6, T_rec: 3, ...dims };
  return withSmallInit(doc);
}

test('the reference run of a full-mode export at N_sup 16, n 6, T_rec 3 holds a few activations', async () => {
  const doc = deepTrm();
  const program = compile(doc, { mode: 'full' }).program!;
  const unrolled = unrollLoops(program).ops.length;
  assert.ok(unrolled > 10_000, `${unrolled} ops unrolled`);
  const init = initialValues(program);
  const feeds = heldOutFeeds(program, doc, { batch: 8 });
  const runner = tfjsRunner(program, new Map([...init.weights, ...init.buffers]));
  try {
    let ran: Promise<unknown> | undefined;
    const peak = await peakMemory(() => {
      ran = runner.run(feeds);
    });
    await ran;
    // One [B, L, D] activation is 8·16·64·4 = 32 KiB; keeping every op's output was > 300 MB.
    const activation = 8 * 16 * 64 * 4;
    assert.ok(peak.bytes < 100 * activation, `peak ${peak.bytes} bytes, ${peak.tensors} tensors`);
  } finally {
    runner.dispose();
  }
});

test('a full-mode export at N_sup 16, n 6, T_rec 3 verifies', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-deep-'));
  const out = join(dir, 'deep.onnx');
  const { report } = await exportModel({
    doc: deepTrm(),
    precision: 'fp32',
    out,
    latencyRuns: 0,
    task: false,
  });
  assert.ok(report.ok, report.failures.join(' '));
  assert.ok(existsSync(out));
});

test('an export whose check cannot run is written, and its report says what was not checked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-unverified-'));
  const out = join(dir, 'model.onnx');
  // Held-out sequences longer than the model's positions: the tfjs reference refuses them.
  const doc = JSON.parse(readFileSync('templates/tiny-gpt.json', 'utf8')) as GraphDocument;
  doc.dims = { ...doc.dims, D: 16, H: 2, T: 8 };
  const result = await exportModel({
    doc,
    precision: 'fp32',
    out,
    latencyRuns: 0,
    task: false,
    heldOut: { length: 9 },
  });
  assert.ok(existsSync(out), 'the model is written');
  assert.equal(result.report.ok, false);
  assert.equal(result.report.judgedBy, 'unverified');
  assert.equal(result.verify, undefined);
  assert.match(
    result.report.failures[0] ?? '',
    /could not be verified: the tfjs reference run on the held-out inputs failed \(.+\), so neither its outputs nor its task accuracy were checked/,
  );
  const saved = JSON.parse(readFileSync(join(dir, 'model.verify.json'), 'utf8'));
  assert.equal(saved.judgedBy, 'unverified');
});

test('a 37k-op unrolled recursion compiles, emits without Loops and runs without overflowing the stack', async () => {
  const doc = deepTrm({ N_sup: 52 });
  const program = compile(doc, { mode: 'full' }).program!;
  const unrolled = unrollLoops(program).ops.length;
  assert.ok(unrolled > 37_000, `${unrolled} ops unrolled`);
  const init = initialValues(program);
  const bytes = emitOnnx(program, init.weights, init.buffers, {
    opset: 17,
    precision: 'fp32',
    loops: false,
  });
  assert.ok(bytes.length > 0);
  const runner = tfjsRunner(program, new Map([...init.weights, ...init.buffers]));
  try {
    const got = await runner.run(heldOutFeeds(program, doc, { batch: 1 }));
    assert.ok(Object.values(got).every((v) => v.every(Number.isFinite)));
  } finally {
    runner.dispose();
  }
});

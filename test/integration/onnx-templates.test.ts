import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { compile } from '../../engine/graph/compile.ts';
import type { IrProgram } from '../../engine/graph/ir.ts';
import { parseDocument } from '../../engine/graph/parse.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import { emitOnnx, PRECISIONS } from '../../engine/onnx/emit.ts';
import { initialValues } from '../../engine/onnx/initial-weights.ts';
import { exportModel, heldOutFeeds } from '../../engine/onnx-runtime/export-model.ts';
import { selectBackend } from '../../engine/runtime/backend.ts';
import { runProgram } from '../../engine/runtime/executor.ts';
import { createWeights } from '../../engine/runtime/weights.ts';
import { withSmallInit } from '../support/init.ts';
import { unrollLoops } from '../../engine/graph/ir/unroll.ts';

// Every template exports at every precision and passes its own verification (tfjs vs
// onnxruntime on held-out inputs), full and step; the file does not grow with recursion steps.

function load(file: string): GraphDocument {
  const parsed = parseDocument(readFileSync(`templates/${file}`, 'utf8'));
  assert.ok(parsed.ok, file);
  return parsed.doc;
}

/** A language-model head: [B, T, V] logits over a dynamic sequence. */
function lmHead(program: IrProgram) {
  return program.outputs.find(
    (o) => o.role === 'logits' && o.shape.length === 3 && o.shape[1] === 'T',
  );
}

/**
 * An untrained LM's logits are near ties, so any quantization flips its argmax at random and
 * top-1 agreement measures nothing. Train it for a few steps on copying its input (its logits
 * then have a clear winner, like a trained model's) and export those weights.
 */
function trainCopy(
  program: IrProgram,
  doc: GraphDocument,
  steps: number,
): Map<string, Float32Array> {
  const head = lmHead(program)!;
  const store = createWeights(program, 0);
  const optimizer = tf.train.adam(1e-2);
  const vocab = head.shape[2] as number;
  for (let s = 0; s < steps; s++) {
    const feeds = heldOutFeeds(program, doc, { batch: 8, length: 16, seed: 1000 + s });
    const [input] = Object.entries(feeds)[0]!;
    const tokens = tf.tensor(feeds[input]!.data, feeds[input]!.dims, 'int32');
    optimizer.minimize(
      () => {
        const logits = runProgram(program, store, { [input]: tokens }, [head.name])[head.name]!;
        return tf.losses.softmaxCrossEntropy(tf.oneHot(tokens, vocab), logits) as tf.Scalar;
      },
      false,
      [...store.params.values()],
    );
    tokens.dispose();
  }
  const values = new Map(
    [...store.params].map(([name, v]) => [name, v.dataSync() as Float32Array]),
  );
  store.dispose();
  optimizer.dispose();
  return values;
}

describe('templates export at every precision and pass verification', () => {
  before(async () => {
    await selectBackend('wasm');
  });
  const files = readdirSync('templates').filter((f) => f.endsWith('.json'));
  for (const file of files) {
    // Untrained weights: the contractive start (see test/support/init.ts).
    const doc = withSmallInit(load(file));
    const modes = (['full', 'step'] as const).filter((mode) => {
      const p = compile(doc, { mode }).program;
      return p && (mode === 'full' || p.supervision);
    });
    const full = compile(doc, { mode: 'full' }).program;
    it(`${file}`, { skip: full ? false : 'the template does not compile on its own' }, async () => {
      const weights = full && lmHead(full) ? trainCopy(full, doc, 25) : undefined;
      for (const mode of modes) {
        for (const precision of PRECISIONS) {
          const { report } = await exportModel({
            doc,
            precision,
            mode,
            latencyRuns: 0,
            // The task check at every precision, on fewer held-out rows than the default.
            task: { examples: 32 },
            ...(weights ? { weights } : {}),
          });
          assert.ok(report.ok, `${mode} ${precision}: ${report.failures.join(' ')}`);
          assert.ok(report.task, `${mode} ${precision}: ${report.taskSkipped}`);
          if (precision === 'fp32') assert.ok(report.maxAbsError <= 1e-4);
        }
      }
    });
  }

  it('the file for 2 and 16 recursion steps has the same size within 5%', () => {
    const doc = load('recursive-lm.json');
    const sizes = [2, 16].map((steps) => {
      const program = compile(
        { ...doc, dims: { ...doc.dims, R: steps } },
        { mode: 'full' },
      ).program!;
      const { weights, buffers } = initialValues(program);
      return {
        ops: program.ops.length,
        unrolled: unrollLoops(program).ops.length,
        bytes: emitOnnx(program, weights, buffers, { opset: 17, precision: 'fp32' }).length,
      };
    });
    // The recursion is one Loop: the IR is the same size; written out it grows with the steps.
    assert.equal(sizes[1]!.ops, sizes[0]!.ops, 'the IR holds the recursion once');
    assert.ok(sizes[1]!.unrolled > 4 * sizes[0]!.unrolled, 'unrolled, it grows with the steps');
    const ratio = sizes[1]!.bytes / sizes[0]!.bytes;
    assert.ok(Math.abs(ratio - 1) <= 0.05, `16 steps / 2 steps = ${ratio}`);
  });

  it('a TRM with 2 and 16 supervision steps has the same size within 5%', () => {
    const doc = load('trm-sudoku.json');
    const [a, b] = [2, 16].map((steps) => {
      const program = compile(
        { ...doc, dims: { ...doc.dims, N_sup: steps } },
        { mode: 'full' },
      ).program!;
      const { weights, buffers } = initialValues(program);
      return emitOnnx(program, weights, buffers, { opset: 17, precision: 'int8' }).length;
    });
    assert.ok(Math.abs(b! / a! - 1) <= 0.05, `${b} / ${a}`);
  });
});

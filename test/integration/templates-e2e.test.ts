import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { parseDocument } from '../../engine/graph/parse.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import { exportModel } from '../../engine/onnx-runtime/export-model.ts';
import { selectBackend } from '../../engine/runtime/backend.ts';
import { parseDataArg } from '../../engine/data/data-arg.ts';
import { train } from '../../engine/train/trainer.ts';
import { withSmallInit } from '../support/init.ts';

/**
 * Every template is proven end to end, as a person would use it: train a few steps on the
 * data its card names (the loss goes down), export the trained weights, and pass the
 * export's own verification. A new template is covered by being added to templates/.
 */

const STEPS = 24;

function load(file: string): GraphDocument {
  const r = parseDocument(readFileSync(`templates/${file}`, 'utf8'));
  assert.ok(r.ok, `${file}: ${JSON.stringify(r.diagnostics)}`);
  return r.doc;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('templates train, export and verify end to end', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  for (const file of readdirSync('templates').filter((f) => f.endsWith('.json'))) {
    it(file, async () => {
      // 24 steps leave a LeCun-initialised TRM chaotic (test/support/init.ts); the trained
      // template's export is checked in template-card.test.ts.
      const doc = withSmallInit(load(file));
      const result = await train({
        document: doc,
        data: parseDataArg(undefined, doc),
        config: { steps: STEPS, batch: 8, lr: 3e-3, warmup: 0, evalEvery: 0, ema: 0, seed: 1 },
      });
      try {
        assert.equal(result.status, 'completed', result.error);
        const losses = result.history.map((h) => h.loss);
        assert.equal(losses.length, STEPS);
        assert.ok(losses.every(Number.isFinite), `non-finite loss: ${losses.join(', ')}`);
        const first = mean(losses.slice(0, 4));
        const last = mean(losses.slice(-4));
        assert.ok(last < first, `loss did not go down: ${first.toFixed(4)} → ${last.toFixed(4)}`);

        const weights = new Map(
          [...result.model.weights.params].map(([name, v]) => [name, v.dataSync() as Float32Array]),
        );
        const mode = result.model.trainable.program.supervision ? 'step' : 'full';
        for (const precision of ['fp32', 'int8'] as const) {
          const { report } = await exportModel({ doc, precision, mode, weights, latencyRuns: 0 });
          assert.ok(report.ok, `${precision}: ${report.failures.join(' ')}`);
        }
      } finally {
        result.model.dispose();
      }
    });
  }
});

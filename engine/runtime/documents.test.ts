import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../test/unit/nodes-numeric/helpers.ts';
import { compile } from '../graph/compile.ts';
import type { IrProgram } from '../graph/ir.ts';
import { parseDocument } from '../graph/parse.ts';
import { opInputs, runProgram } from './executor.ts';
import { createWeights } from './weights.ts';
import { unrollLoops } from '../graph/ir/unroll.ts';

/** Every template and valid fixture runs forward and backward on wasm, in full and step mode. */

const files = [
  ...readdirSync('templates').map((f) => `templates/${f}`),
  ...readdirSync('test/fixtures/valid')
    .filter((f) => f !== 'expectations.json')
    .map((f) => `test/fixtures/valid/${f}`),
].filter((f) => f.endsWith('.json'));

/** Params the outputs reach without crossing a StopGradient: exactly those with gradients. */
function trainable(program: IrProgram): string[] {
  const p = unrollLoops(program);
  const byOut = new Map(p.ops.map((o) => [o.out, o]));
  const seen = new Set<string>();
  const stack = p.outputs.map((o) => o.value);
  while (stack.length > 0) {
    const v = stack.pop() as string;
    if (seen.has(v)) continue;
    seen.add(v);
    const op = byOut.get(v);
    if (op && op.op !== 'StopGradient') stack.push(...opInputs(op));
  }
  return [...p.params.keys()].filter((k) => seen.has(k)).sort();
}

/** Feeds for B = 2 and a short T; state inputs come from the program's own init values. */
function feedsFor(p: IrProgram, w: ReturnType<typeof createWeights>): Record<string, tf.Tensor> {
  const feeds: Record<string, tf.Tensor> = {};
  for (const input of p.inputs.filter((i) => i.role === 'tokens')) {
    const shape = input.shape.map((d) => (d === 'B' ? 2 : typeof d === 'number' ? d : 3));
    const n = shape.reduce((a, b) => a * b, 1);
    feeds[input.name] = tf.tensor(
      Array.from({ length: n }, (_, i) => (i * 7) % 3),
      shape,
      'int32',
    );
  }
  const states = p.supervision?.state ?? [];
  const init = runProgram(
    p,
    w,
    feeds,
    states.map((s) => s.init),
  );
  for (const s of states) feeds[s.input] = init[s.init] as tf.Tensor;
  return feeds;
}

describe('documents run on wasm', () => {
  before(() => useBackend('wasm'));

  for (const file of files) {
    const parsed = parseDocument(readFileSync(file, 'utf8'));
    if (!parsed.ok) continue;
    for (const mode of ['full', 'step'] as const) {
      const program = compile(parsed.doc, { mode }).program;
      if (!program || (mode === 'step' && !program.supervision)) continue;
      it(`${file} (${mode}): outputs have their declared shapes; every gradient is finite`, () => {
        const w = createWeights(program, 1);
        const feeds = feedsFor(program, w);
        const before = tf.memory().numTensors;
        tf.tidy(() => {
          const names = program.outputs.map((o) => o.name);
          const { grads } = tf.variableGrads(() => {
            const out = runProgram(program, w, feeds, names);
            for (const o of program.outputs) {
              const shape = o.shape.map((d) => (d === 'B' ? 2 : typeof d === 'number' ? d : 3));
              assert.deepEqual(out[o.name]?.shape, shape, o.name);
            }
            return tf.addN(Object.values(out).map((t) => tf.sum(t))) as tf.Scalar;
          });
          const byVar = new Map([...w.params].map(([k, v]) => [v.name, k]));
          assert.deepEqual(
            Object.keys(grads)
              .map((k) => byVar.get(k))
              .sort(),
            trainable(program),
          );
          for (const [name, g] of Object.entries(grads)) {
            assert.ok(
              tf.all(tf.isFinite(g)).dataSync()[0] === 1,
              `${name} has a non-finite gradient`,
            );
          }
        });
        assert.equal(tf.memory().numTensors, before);
        tf.dispose(feeds);
        w.dispose();
      });
    }
  }
});

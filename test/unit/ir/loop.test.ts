import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { compile } from '../../../engine/graph/compile.ts';
import type { IrProgram } from '../../../engine/graph/ir.ts';
import { countRuns, everyOp, unrollLoops, withTrips } from '../../../engine/graph/ir/unroll.ts';
import { verifyProgram } from '../../../engine/graph/ir/verify.ts';
import { parseDocument } from '../../../engine/graph/parse.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import { useBackend } from '../nodes-numeric/helpers.ts';
import { runProgram } from '../../../engine/runtime/executor.ts';
import { createWeights } from '../../../engine/runtime/weights.ts';

function load(name: string): GraphDocument {
  const r = parseDocument(readFileSync(`templates/${name}.json`, 'utf8'));
  assert.ok(r.ok);
  return r.doc;
}

function full(doc: GraphDocument): IrProgram {
  const r = compile(doc, { mode: 'full' });
  assert.ok(r.program, JSON.stringify(r.diagnostics));
  return r.program;
}

describe('recursion as a Loop op', () => {
  it('TRM: nested Loops (N_sup over T_rec over n), each body once; unrolled it verifies', () => {
    const p = full(load('trm-mlp-sudoku'));
    const loops = everyOp(p.ops).filter((o) => o.op === 'Loop');
    const dims = load('trm-mlp-sudoku').dims;
    assert.deepEqual(
      loops.map((l) => (l.op === 'Loop' ? l.trips : 0)).sort((a, b) => a - b),
      [dims.n, dims.T_rec, dims.N_sup].map(Number).sort((a, b) => a - b),
    );
    const flat = unrollLoops(p);
    assert.deepEqual(verifyProgram(flat), []);
    assert.ok(!flat.ops.some((o) => o.op === 'Loop'));
    assert.ok(flat.ops.length > 4 * p.ops.length, `${flat.ops.length} vs ${p.ops.length}`);
  });

  it('countRuns counts what the expanded program runs, without expanding it', () => {
    for (const name of ['trm-sudoku', 'recursive-lm']) {
      const p = full(load(name));
      for (const kind of ['Attention', 'MatMul', 'Loop'] as const) {
        const expanded = unrollLoops(p).ops.filter((o) => o.op === kind).length;
        const counted = countRuns(p.ops, (o) => o.op === kind);
        if (kind === 'Loop') assert.ok(counted > 0 && expanded === 0, name);
        else assert.equal(counted, expanded, `${name} ${kind}`);
      }
    }
  });

  it('deep supervision detaches the state between all steps but the last (N_sup − 1 cuts)', () => {
    const doc = load('trm-mlp-sudoku');
    const flat = unrollLoops(full({ ...doc, dims: { ...doc.dims, N_sup: 5, T_rec: 1 } }));
    const cuts = flat.ops.filter((o) => o.op === 'StopGradient' && o.source === 'main/supervise');
    // Two carried values (y, z) cut after each of the first four steps.
    assert.equal(cuts.length, 2 * 4);
  });

  it('withTrips runs a shared recursion deeper with the same weights: equal to recompiling', () => {
    useBackend('cpu');
    const doc = load('recursive-lm');
    const base = full(doc);
    const swept = withTrips(base, new Set(['main/repeat']), 7);
    assert.ok(swept);
    assert.equal(withTrips(base, new Set(['main/nothing']), 7), undefined);
    const recompiled = full({ ...doc, dims: { ...doc.dims, R: 7 } });
    const weights = createWeights(base, 3);
    const tokens = tf.tensor2d([[1, 2, 3, 4, 5, 6]], [1, 6], 'int32');
    const name = base.inputs.find((i) => i.role === 'tokens')!.name;
    const logits = base.outputs.find((o) => o.role === 'logits')!.name;
    const run = (p: IrProgram) =>
      runProgram(p, weights, { [name]: tokens }, [logits])[logits]!.arraySync() as number[][][];
    const a = run(swept);
    const b = run(recompiled);
    const c = run(base);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    tokens.dispose();
    weights.dispose();
  });
});

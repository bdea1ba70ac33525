import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compile } from '../../engine/graph/compile.ts';
import { numel } from '../../engine/graph/dims.ts';
import type { OpSpec } from '../../engine/graph/node-kind.ts';
import { emitOnnx } from '../../engine/onnx/emit.ts';
import { onnx, type NodeProto } from '../../engine/onnx/proto.ts';
import { createSession, runOnnx } from '../../engine/onnx-runtime/verify.ts';
import { parsed } from '../unit/graph/helpers.ts';
import { randomFloats, randomWeights, tinyProgram } from './onnx-support.ts';

// Recursion folding on hand-made IR: what becomes a Loop, with how many trips, and that the
// Loop computes exactly what the unrolled graph computes.

const D = 4;

/** `steps` blocks h ← tanh(h·W_s + x) (+ a per-step head read only after the last step). */
function chain(steps: number, shared: boolean, head: boolean) {
  const ops: OpSpec[] = [];
  let h = 'x';
  const params: Record<string, number[]> = { hw: [D, 2] };
  for (let s = 0; s < steps; s++) {
    const w = shared ? 'w' : `w${s}`;
    params[w] = [D, D];
    const base = ops.length;
    ops.push(
      { op: 'MatMul', a: h, b: w },
      { op: 'Add', a: `y${base}`, b: 'x' },
      { op: 'Tanh', x: `y${base + 1}` },
    );
    h = `y${base + 2}`;
    if (head) ops.push({ op: 'MatMul', a: h, b: 'hw' });
  }
  if (!head) ops.push({ op: 'Scale', x: h, factor: 2 });
  const program = tinyProgram({ x: ['B', 'T', D] }, params, ops);
  // The same graph node lowers the same op in every step (what the compiler does).
  const per = head ? 4 : 3;
  program.ops.forEach(
    (op, i) => (op.source = i < steps * per ? `main/rec/op${i % per}` : 'main/out'),
  );
  return program;
}

function loops(bytes: Uint8Array): number[] {
  const m = onnx.ModelProto.decode(bytes);
  const inits = new Map(m.graph!.initializer!.map((t) => [t.name, t]));
  return m
    .graph!.node!.filter((n) => n.opType === 'Loop')
    .map((n) => {
      const raw = new Uint8Array(inits.get(n.input![0]!)!.rawData as Uint8Array);
      return Number(new BigInt64Array(raw.buffer)[0]);
    });
}

async function sameOutputs(program: ReturnType<typeof chain>) {
  const weights = randomWeights(program);
  const x = randomFloats(2 * 3 * D, 4);
  const results = [];
  for (const folded of [true, false]) {
    const s = await createSession(
      emitOnnx(program, weights, new Map(), { opset: 17, precision: 'fp32', loops: folded }),
    );
    results.push((await runOnnx(s, { x: { data: x, dims: [2, 3, D] } })).y!);
    await s.release();
  }
  assert.deepEqual(results[0], results[1]);
}

describe('recursion folding', () => {
  it('folds shared-weight steps into one Loop of that many trips', async () => {
    const p = chain(5, true, false);
    assert.deepEqual(
      loops(emitOnnx(p, randomWeights(p), new Map(), { opset: 17, precision: 'fp32' })),
      [5],
    );
    await sameOutputs(p);
  });

  it('leaves per-step weights unrolled (the steps differ)', () => {
    const p = chain(5, false, false);
    assert.deepEqual(
      loops(emitOnnx(p, randomWeights(p), new Map(), { opset: 17, precision: 'fp32' })),
      [],
    );
  });

  it('peels the last step when its non-carried value (a head) is read after the run', async () => {
    const p = chain(5, true, true);
    assert.deepEqual(
      loops(emitOnnx(p, randomWeights(p), new Map(), { opset: 17, precision: 'fp32' })),
      [4],
    );
    await sameOutputs(p);
  });
});

/** Nodes in the whole model, Loop bodies included. */
function nodeCount(bytes: Uint8Array): number {
  const count = (nodes: NodeProto[]): number =>
    nodes.reduce(
      (n, node) =>
        n + 1 + (node.attribute ?? []).reduce((m, a) => m + (a.g ? count(a.g.node ?? []) : 0), 0),
      0,
    );
  return count(onnx.ModelProto.decode(bytes).graph!.node!);
}

describe('TRM exports do not grow with recursion depth', () => {
  for (const template of ['trm-mlp-sudoku', 'trm-sudoku']) {
    it(`${template}: the same ONNX node count at any N_sup, n and T_rec (full and step)`, () => {
      const base = parsed(JSON.parse(readFileSync(`templates/${template}.json`, 'utf8')));
      for (const mode of ['full', 'step'] as const) {
        const counts = [
          // From 3 steps on (a 2-step loop is one Loop trip plus the peeled last step, so
          // it stays unrolled: no larger than the Loop form).
          { N_sup: 3, n: 3, T_rec: 3 },
          { N_sup: 16, n: 3, T_rec: 3 },
          { N_sup: 3, n: 6, T_rec: 3 },
          { N_sup: 3, n: 3, T_rec: 6 },
        ].map((dims) => {
          const r = compile({ ...base, dims: { ...base.dims, ...dims } }, { mode });
          assert.ok(r.program, JSON.stringify(r.diagnostics));
          const p = r.program;
          const buffers = new Map(
            [...p.buffers].map(([k, b]) => [k, new Float32Array(numel(b.shape))]),
          );
          const bytes = emitOnnx(p, randomWeights(p), buffers, { opset: 17, precision: 'fp32' });
          return nodeCount(bytes);
        });
        assert.ok(
          counts.every((c) => c === counts[0]),
          `${mode}: ${counts.join(', ')} nodes`,
        );
      }
    });
  }
});

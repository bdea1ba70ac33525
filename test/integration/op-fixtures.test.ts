import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { irOps } from '../../engine/graph/ir/ops/index.ts';
import { verifyProgram } from '../../engine/graph/ir/verify.ts';
import { emitOnnx } from '../../engine/onnx/emit.ts';
import { createSession, runOnnx, type HostTensor } from '../../engine/onnx-runtime/verify.ts';
import { runProgram } from '../../engine/runtime/executor.ts';
import { NATIVE_BACKEND, registerNativeBackend } from '../../engine/runtime/native/index.ts';
import type { WeightStore } from '../../engine/runtime/weights.ts';
import {
  assertClose,
  caseProgram,
  fixtureNames,
  loadFixture,
  expectedOutputs,
  ruleShapes,
  type Fixture,
  type FixtureCase,
} from '../ops/fixture.ts';

// Every IR op's fixture (test/ops/<Op>.json, expected values from a float64 numpy reference)
// run by one runner: the op rule's type, the tfjs executor on each backend (values and, where
// the case lists them, gradients), and onnxruntime at opsets 17 and 23 through the emitter.

tf.env().set('PROD', true);

const noWeights: WeightStore = { params: new Map(), buffers: new Map(), dispose: () => undefined };
/** tfjs backends, each with why it cannot run here (the native addon may not be built). */
const tfjsBackends: { name: string; missing?: string }[] = [
  { name: 'cpu' },
  { name: 'wasm' },
  { name: NATIVE_BACKEND, missing: registerNativeBackend() },
];

const fixtures: Fixture[] = fixtureNames().map(loadFixture);

function feeds(c: FixtureCase): Record<string, tf.Tensor> {
  return Object.fromEntries(
    Object.entries(c.inputs)
      .filter(([name]) => !c.updates?.[name])
      .map(([name, t]) => [name, tf.tensor(t.values, t.shape, t.dtype)]),
  );
}

/** The case's running buffers (the inputs it lists updates of), holding the inputs' values. */
function runningStore(c: FixtureCase): WeightStore {
  const buffers = new Map<string, tf.Tensor>();
  for (const name of Object.keys(c.updates ?? {})) {
    const t = c.inputs[name]!;
    buffers.set(name, tf.keep(tf.tensor(t.values, t.shape, t.dtype)));
  }
  return { ...noWeights, buffers, dispose: () => tf.dispose([...buffers.values()]) };
}

/** The case's output on the active tfjs backend, its running buffers' updates, its gradients. */
function checkTfjs(op: string, c: FixtureCase): void {
  const program = caseProgram(op, c);
  const before = tf.memory().numTensors;
  const store = runningStore(c);
  const opts = c.training ? { training: true } : {};
  tf.tidy(() => {
    const x = feeds(c);
    const expected = expectedOutputs(c);
    const got = runProgram(
      program,
      store,
      x,
      expected.map(([name]) => name),
      opts,
    );
    for (const [name, want] of expected) {
      const y = got[name] as tf.Tensor;
      assert.deepEqual(y.shape, want.shape, `output ${name}: shape`);
      assertClose(y.dataSync(), want.values, c.tolerance, `output ${name}`);
    }
    for (const [name, want] of Object.entries(c.updates ?? {})) {
      const t = store.buffers.get(name) as tf.Tensor;
      assert.deepEqual(t.shape, want.shape, `running ${name}: shape`);
      assertClose(t.dataSync(), want.values, c.tolerance, `running ${name} after the run`);
    }
    const gradients = c.gradients;
    if (!gradients) return;
    const wrt = Object.keys(gradients.inputs);
    const f = (...xs: tf.Tensor[]) =>
      runProgram(
        program,
        store,
        { ...x, ...Object.fromEntries(wrt.map((n, i) => [n, xs[i] as tf.Tensor])) },
        ['y'],
        opts,
      ).y as tf.Tensor;
    const dy = tf.tensor(gradients.outputGrad, c.output.shape);
    const grads = tf.grads(f)(
      wrt.map((n) => x[n] as tf.Tensor),
      dy,
    );
    wrt.forEach((n, i) => {
      const g = grads[i] as tf.Tensor;
      assert.deepEqual(g.shape, x[n]?.shape, `gradient of "${n}": shape`);
      assertClose(
        g.dataSync(),
        gradients.inputs[n] ?? [],
        gradients.tolerance,
        `gradient of "${n}"`,
      );
    });
  });
  store.dispose();
  assert.equal(tf.memory().numTensors, before, 'tensors left behind');
}

function hostFeeds(c: FixtureCase): Record<string, HostTensor> {
  return Object.fromEntries(
    Object.entries(c.inputs).map(([name, t]) => [
      name,
      {
        data: t.dtype === 'int32' ? Int32Array.from(t.values) : Float32Array.from(t.values),
        dims: t.shape,
      },
    ]),
  );
}

async function checkOnnx(op: string, c: FixtureCase, opset: 17 | 23): Promise<void> {
  const bytes = emitOnnx(caseProgram(op, c), new Map(), new Map(), { opset, precision: 'fp32' });
  const session = await createSession(bytes);
  try {
    const got = await runOnnx(session, hostFeeds(c));
    for (const [name, want] of expectedOutputs(c)) {
      const y = got[name];
      assert.ok(y, `the model has no output ${name}`);
      assertClose(y, want.values, c.tolerance, `output ${name}`);
    }
  } finally {
    await session.release();
  }
}

describe('op fixtures', () => {
  it('every IR op has a fixture file (test/ops/<Op>.json), and every fixture an IR op', () => {
    assert.deepEqual(fixtureNames(), Object.keys(irOps).sort());
  });

  describe('type rules', () => {
    for (const { op, cases } of fixtures)
      for (const c of cases)
        it(`${op}: ${c.name}`, () => {
          const program = caseProgram(op, c);
          assert.deepEqual(verifyProgram(program), []);
          assert.deepEqual(
            ruleShapes(program, c),
            expectedOutputs(c).map(([, o]) => o.shape),
          );
        });
  });

  for (const { name, missing } of tfjsBackends)
    describe(`tfjs executor on ${name}`, { skip: missing && `skipped: ${missing}` }, () => {
      before(async () => {
        assert.ok(await tf.setBackend(name), `backend ${name} failed to start`);
        await tf.ready();
      });
      for (const { op, cases } of fixtures)
        for (const c of cases) it(`${op}: ${c.name}`, () => checkTfjs(op, c));
    });

  for (const opset of [17, 23] as const)
    describe(`onnxruntime at opset ${opset}`, () => {
      for (const { op, cases } of fixtures)
        for (const c of cases)
          it(
            `${op}: ${c.name}`,
            { skip: c.training && 'a training run: ONNX exports evaluation only' },
            () => checkOnnx(op, c, opset),
          );
    });
});

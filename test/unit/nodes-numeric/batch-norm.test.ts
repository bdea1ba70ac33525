import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { compile } from '../../../engine/graph/compile.ts';
import type { IrProgram } from '../../../engine/graph/ir.ts';
import { runProgram } from '../../../engine/runtime/executor.ts';
import { createWeights, type WeightStore } from '../../../engine/runtime/weights.ts';
import { disposeCheckpoint, readCheckpoint } from '../../../engine/train/checkpoint.ts';
import { TrainControl } from '../../../engine/train/control.ts';
import { train } from '../../../engine/train/trainer.ts';
import { parsed, rawDoc } from '../graph/helpers.ts';
import { assertClose, randn, tokens, useBackend } from './helpers.ts';

// The batch-norm kind: training runs normalise with the batch's statistics and update the
// running ones (PyTorch's rule, checked against a float64 transcription and nn.BatchNorm1d
// where Debian's python3-torch is installed); evaluation uses the running ones; training
// updates them, checkpoints carry them, and a resumed run ends with the same ones.

const C = 8;
const EPS = 1e-5;
const MOMENTUM = 0.2;
const doc = () =>
  rawDoc({
    nodes: [
      ['tok', 'token-input', { vocab: 14, maxLength: 9 }],
      ['emb', 'token-embedding', { vocab: 14, width: C }],
      ['bn', 'batch-norm', { width: C, momentum: MOMENTUM, eps: EPS }],
      ['head', 'lm-head', { width: C, vocab: 14 }],
    ],
    edges: ['tok.tokens -> emb.tokens', 'emb.out -> bn.x', 'bn.out -> head.x'],
  });

function program(): IrProgram {
  const r = compile(parsed(doc()), { mode: 'full' });
  assert.ok(r.program);
  return r.program;
}

/** The IR values of the embedding's output (BatchNorm's input) and BatchNorm's output. */
function values(p: IrProgram) {
  const bn = p.ops.find((o) => o.op === 'BatchNormalization');
  assert.ok(bn && bn.op === 'BatchNormalization');
  return { x: bn.x, y: bn.out, mean: bn.mean, variance: bn.var };
}

/** A store with a random scale and bias, and running statistics away from their init. */
function store(p: IrProgram): WeightStore {
  const w = createWeights(p, 3);
  const v = values(p);
  const shifted = (seed: number, shift: number) =>
    tf.tensor(randn([C], seed, 0.3).map((u) => u + shift));
  w.params.get('bn/scale')!.assign(shifted(1, 1));
  w.params.get('bn/bias')!.assign(shifted(2, 0));
  for (const [name, seed, shift] of [
    [v.mean, 4, 0],
    [v.variance, 5, 1.5],
  ] as const) {
    w.buffers.get(name)!.dispose();
    w.buffers.set(name, tf.keep(shifted(seed, shift)));
  }
  return w;
}

const IDS = [
  [1, 5, 3, 9, 2, 7],
  [4, 4, 8, 0, 13, 6],
];

/** PyTorch's rule in float64 on x [B, T, C]: y, and the running statistics after. */
function reference(x: number[][][], mean: number[], variance: number[], g: number[], b: number[]) {
  const rows = x.flat();
  const n = rows.length;
  const mu = mean.map((_, c) => rows.reduce((s, r) => s + r[c]!, 0) / n);
  const biased = mu.map((m, c) => rows.reduce((s, r) => s + (r[c]! - m) ** 2, 0) / n);
  const y = x.map((seq) =>
    seq.map((r) => r.map((v, c) => ((v - mu[c]!) / Math.sqrt(biased[c]! + EPS)) * g[c]! + b[c]!)),
  );
  return {
    y,
    mean: mean.map((m, c) => (1 - MOMENTUM) * m + MOMENTUM * mu[c]!),
    variance: variance.map((v, c) => (1 - MOMENTUM) * v + (MOMENTUM * biased[c]! * n) / (n - 1)),
  };
}

const vec = (t: tf.Tensor) => Array.from(t.dataSync());

function torchAvailable(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

describe('batch-norm numerically', () => {
  before(() => useBackend('cpu'));

  it('training runs: batch statistics, running ones updated by PyTorch’s rule; evaluation: the running ones', () => {
    const p = program();
    const v = values(p);
    const w = store(p);
    const feed = tokens(IDS);
    const g = vec(w.params.get('bn/scale')!);
    const b = vec(w.params.get('bn/bias')!);
    const mean0 = vec(w.buffers.get(v.mean)!);
    const var0 = vec(w.buffers.get(v.variance)!);
    const out = runProgram(p, w, { tok: feed }, [v.x, v.y], { training: true });
    const x = out[v.x]!.arraySync() as number[][][];
    const want = reference(x, mean0, var0, g, b);
    assertClose(out[v.y]!, want.y, 1e-4, 'training output');
    assertClose(w.buffers.get(v.mean)!, want.mean, 1e-5, 'running mean');
    assertClose(w.buffers.get(v.variance)!, want.variance, 1e-5, 'running variance');
    // Evaluation: the running statistics, which it leaves as they are.
    const evalY = runProgram(p, w, { tok: feed }, [v.y])[v.y]!;
    const [m, s] = [want.mean, want.variance];
    const expected = x.map((seq) =>
      seq.map((r) => r.map((u, c) => ((u - m[c]!) / Math.sqrt(s[c]! + EPS)) * g[c]! + b[c]!)),
    );
    assertClose(evalY, expected, 1e-4, 'evaluation output');
    assertClose(w.buffers.get(v.mean)!, want.mean, 1e-6, 'evaluation leaves the running mean');
    tf.dispose([...Object.values(out), evalY, feed]);
    w.dispose();
  });

  it(
    'agrees with nn.BatchNorm1d: two training forwards, then evaluation',
    { skip: !torchAvailable() && 'no torch in /usr/bin/python3' },
    () => {
      const p = program();
      const v = values(p);
      const w = store(p);
      const feed = tokens(IDS);
      const state = {
        weight: vec(w.params.get('bn/scale')!),
        bias: vec(w.params.get('bn/bias')!),
        running_mean: vec(w.buffers.get(v.mean)!),
        running_var: vec(w.buffers.get(v.variance)!),
      };
      const ours: tf.Tensor[] = [];
      let x: number[][][] = [];
      for (const training of [true, true, false]) {
        const r = runProgram(p, w, { tok: feed }, [v.x, v.y], { training });
        x = r[v.x]!.arraySync() as number[][][];
        ours.push(r[v.y]!);
        r[v.x]!.dispose();
      }
      const script = `
import json, sys, torch
a = json.load(sys.stdin)
m = torch.nn.BatchNorm1d(${C}, eps=${EPS}, momentum=${MOMENTUM}).double()
with torch.no_grad():
    for k, v in a["state"].items():
        getattr(m, k).copy_(torch.tensor(v, dtype=torch.float64))
x = torch.tensor(a["x"], dtype=torch.float64).transpose(1, 2)  # [B, T, C] -> [B, C, T]
ys = []
for training in (True, True, False):
    m.train(training)
    ys.append(m(x).transpose(1, 2).tolist())
print(json.dumps({"ys": ys, "mean": m.running_mean.tolist(), "var": m.running_var.tolist()}))
`;
      const r = spawnSync('/usr/bin/python3', ['-c', script], {
        input: JSON.stringify({ state, x }),
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      const want = JSON.parse(r.stdout) as { ys: number[][][][]; mean: number[]; var: number[] };
      ours.forEach((y, i) => assertClose(y, want.ys[i], 1e-4, `forward ${i + 1}`));
      assertClose(w.buffers.get(v.mean)!, want.mean, 1e-5, 'running mean');
      assertClose(w.buffers.get(v.variance)!, want.var, 1e-5, 'running variance');
      tf.dispose([...ours, feed]);
      w.dispose();
    },
  );

  it('training updates the running statistics; checkpoints carry them; a resumed run ends with the same', async () => {
    const config = {
      backend: 'cpu' as const,
      batch: 8,
      lr: 3e-3,
      warmup: 1,
      evalEvery: 0,
      evalExamples: 8,
      checkpointEvery: 0,
      steps: 6,
    };
    const data = { type: 'copy', length: 4 } as const;
    const document = doc();
    const straight = await train({ document, data, config });
    assert.equal(straight.status, 'completed');
    const running = (m: typeof straight.model) =>
      ['bn/running_mean', 'bn/running_var'].map((n) => vec(m.weights.buffers.get(n)!));
    const [mean, variance] = running(straight.model);
    assert.ok(
      mean!.some((u) => Math.abs(u) > 1e-3),
      `running mean still zero: ${mean}`,
    );
    assert.ok(
      variance!.some((u) => Math.abs(u - 1) > 1e-3),
      `running var still one: ${variance}`,
    );

    const dir = mkdtempSync(join(tmpdir(), 'trm-bn-'));
    const control = new TrainControl();
    const first = await train({
      document,
      data,
      config,
      outDir: dir,
      control,
      onEvent: (e) => e.type === 'step' && e.metrics.step === 3 && control.stop(),
    });
    assert.equal(first.step, 3);
    const saved = await readCheckpoint(dir);
    const weights = saved.groups.weights!;
    assert.deepEqual(running(first.model), [
      vec(weights['bn/running_mean']!),
      vec(weights['bn/running_var']!),
    ]);
    disposeCheckpoint(saved);
    first.model.dispose();
    const resumed = await train({ resume: dir, outDir: dir });
    assert.equal(resumed.step, 6);
    running(resumed.model).forEach((got, i) =>
      assertClose(got, [mean, variance][i], 1e-6, i ? 'running var' : 'running mean'),
    );
    straight.model.dispose();
    resumed.model.dispose();
  });
});

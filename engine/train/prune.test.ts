import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { compile } from '../graph/compile.ts';
import { emitOnnx } from '../onnx/emit.ts';
import { onnx } from '../onnx/proto.ts';
import { runProgram } from '../runtime/executor.ts';
import { documentFrom } from '../runtime/trainable-program.ts';
import { createWeights } from '../runtime/weights.ts';
import { disposeCheckpoint, readCheckpoint } from './checkpoint.ts';
import { loadTrainedModel } from './load-model.ts';
import { magnitudeMasks, maskSparsity, prunableWeights } from './prune.ts';
import { pruneModel, writePrunedRun, evaluatePruned } from './prune-run.ts';
import { pruneStructured, type FlatWeight } from './prune-structured.ts';
import { train } from './trainer.ts';
import { COPY4, TINY_CONFIG, tinyTemplate } from '../../test/support/tiny-copy.ts';

function noise(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

const zeros = (m: Uint8Array) => m.filter((v) => v === 0).length;

test('magnitude pruning zeroes exactly round(S·n) of each weight, the smallest ones', () => {
  const weights = new Map([
    ['a', noise(10, 1)],
    ['b', noise(37, 2)],
  ]);
  const masks = magnitudeMasks(weights, 0.3, false);
  assert.equal(zeros(masks.get('a')!), 3);
  assert.equal(zeros(masks.get('b')!), 11);
  for (const [name, m] of masks) {
    const w = weights.get(name)!;
    const cut = Math.max(...[...w].filter((_, i) => m[i] === 0).map(Math.abs));
    const kept = Math.min(...[...w].filter((_, i) => m[i] === 1).map(Math.abs));
    assert.ok(cut <= kept, `${name}: a pruned |w| ${cut} exceeds a kept one ${kept}`);
  }
  assert.equal(maskSparsity(masks).byWeight.b, 11 / 37);
});

test('global magnitude pruning zeroes exactly round(S·N) over all weights, below one threshold', () => {
  const weights = new Map([
    ['a', Float32Array.from(noise(20, 3), (x) => x * 0.1)],
    ['b', noise(30, 4)],
  ]);
  const masks = magnitudeMasks(weights, 0.5, true);
  assert.equal(zeros(masks.get('a')!) + zeros(masks.get('b')!), 25);
  // The small-valued layer loses more than half, the other less: one threshold, not per layer.
  assert.ok(zeros(masks.get('a')!) > 10 && zeros(masks.get('b')!) < 15);
  const all = [...weights].flatMap(([n, w]) =>
    [...w].map((x, i) => [Math.abs(x), masks.get(n)![i]!]),
  );
  const cut = Math.max(...all.filter(([, m]) => m === 0).map(([x]) => x!));
  assert.ok(all.filter(([, m]) => m === 1).every(([x]) => x! >= cut));
  assert.throws(() => magnitudeMasks(weights, 1, true), /sparsity must be at least 0 and below 1/);
});

type Doc = { dims: Record<string, number> };
/** Tiny GPT (two blocks, D 16, 4 heads, FFN 64) for the copy task: sequences of 9, vocab 14. */
function tinyGpt(): Doc {
  return tinyTemplate<Doc>('tiny-gpt', { H: 4 });
}

/** Run the full model on fixed tokens: the logits, flat. */
function logits(doc: unknown, weights: ReadonlyMap<string, FlatWeight>): Float32Array {
  const program = compile(documentFrom(doc), { mode: 'step' }).program!;
  const store = createWeights(program);
  for (const [name, p] of store.params) {
    const w = weights.get(name)!;
    p.assign(tf.tensor(w.values, w.shape));
  }
  const tokens = program.inputs.find((i) => i.role === 'tokens')!;
  const logit = program.outputs.find((o) => o.role === 'logits')!;
  const x = tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8, 9]], [1, 9], 'int32');
  const out = runProgram(program, store, { [tokens.name]: x }, [logit.name], {
    training: false,
    seed: 0,
  });
  const values = out[logit.name]!.dataSync() as Float32Array;
  store.dispose();
  return values;
}

function initial(doc: unknown): Map<string, FlatWeight> {
  const program = compile(documentFrom(doc), { mode: 'step' }).program!;
  const store = createWeights(program, 5);
  const out = new Map(
    [...store.params].map(([n, p]) => [
      n,
      { shape: [...p.shape], values: (p.dataSync() as Float32Array).slice() },
    ]),
  );
  store.dispose();
  return out;
}

test('structured pruning removes the weakest heads and channels: same outputs when they were zero, parameters and ONNX initializers as the closed form', () => {
  const doc = tinyGpt();
  const weights = initial(doc);
  // Zero heads 1 and 3 of every attention, and channels 0..31 of every FFN: what pruning removes.
  for (const [name, w] of weights) {
    const [rows, cols] = [w.shape[0]!, w.shape[1] ?? 1];
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        const head = (/\/w[qkv]$/.test(name) ? c : r) >> 2;
        const zeroHead = /\/attn\/w[qkvo]$/.test(name) && (head === 1 || head === 3);
        const channel = name.endsWith('/w1') ? c : r;
        const zeroChannel = /\/ffn\/w[12]$/.test(name) && channel < 32;
        if (zeroHead || zeroChannel) w.values[r * cols + c] = 0;
      }
  }
  const heads = pruneStructured(documentFrom(doc), weights, 'heads', 0.5);
  const both = pruneStructured(heads.doc, heads.weights, 'ffn', 0.5);
  assert.deepEqual(
    both.nodes.map((n) => `${n.node} ${n.before}→${n.after}`),
    ['block/ffn 64→32'],
  );
  const want = logits(doc, weights);
  const got = logits(both.doc, both.weights);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(want[i]! - got[i]!) < 1e-4);
  // V·D + T·D + 2 × (4·D·(H'·Dh) + 2·D·F' + 4·D) + 2·D, with H' = 2, Dh = 4, F' = 32.
  const [V, D, T] = [14, 16, 9];
  const closed = V * D + T * D + 2 * (4 * D * (2 * 4) + 2 * D * 32 + 4 * D) + 2 * D;
  const compiled = compile(both.doc, { mode: 'full' });
  assert.equal(compiled.totalParams, closed);
  const program = compiled.program!;
  const store = createWeights(program);
  const bytes = emitOnnx(
    program,
    new Map([...store.params].map(([n, p]) => [n, p.dataSync() as Float32Array])),
    new Map(),
    { opset: 17, precision: 'fp32' },
  );
  store.dispose();
  const model = onnx.ModelProto.decode(bytes);
  const names = new Set(program.params.keys());
  const exported = model
    .graph!.initializer!.filter((t) => names.has(t.name!))
    .reduce((n, t) => n + t.dims!.reduce((a, b) => a * Number(b), 1), 0);
  assert.equal(exported, closed);
});

test('a pruned run fine-tunes with its pruned weights kept at zero, and says what it came from', async () => {
  const config = { ...TINY_CONFIG, ema: 0.9 };
  const source = mkdtempSync(join(tmpdir(), 'trm-prune-'));
  const r = await train({
    document: tinyGpt(),
    data: COPY4,
    config: { ...config, steps: 3 },
    outDir: source,
  });
  r.model.dispose();
  const model = await loadTrainedModel(source);
  const pruned = await pruneModel(model, { sparsity: 0.75, global: true });
  const n = prunableWeights(model.trainable.program).reduce(
    (sum, name) => sum + model.weights.params.get(name)!.size,
    0,
  );
  assert.equal(pruned.record.reached, Math.round(0.75 * n) / n);
  const out = join(source, 'pruned');
  await writePrunedRun(out, model, pruned, await evaluatePruned(model, pruned, 8), 4);
  pruned.weights.dispose();
  model.dispose();
  const c = await readCheckpoint(out);
  try {
    assert.equal(c.meta.step, 4);
    assert.equal(c.meta.pruned?.global, true);
    const mask = c.groups.mask!;
    let masked = 0;
    let moved = 0;
    for (const group of [c.groups.weights!, c.groups.ema!]) {
      for (const [name, m] of Object.entries(mask)) {
        const w = group[name]!.dataSync();
        m.dataSync().forEach((keep, i) => {
          if (keep === 0) {
            masked++;
            assert.ok(w[i] === 0, `${name}[${i}] was pruned but is ${w[i]}`);
          } else if (w[i] !== 0) moved++;
        });
      }
    }
    assert.equal(masked, 2 * Math.round(0.75 * n));
    assert.ok(moved > 0);
  } finally {
    disposeCheckpoint(c);
  }
});

test('trm prune refuses bad input in a sentence naming the flag', async () => {
  const { main } = await import('../cli/main.ts');
  const trm = async (...argv: string[]) => {
    const err: string[] = [];
    const code = await main(argv, { log: () => {}, error: (s) => err.push(s) });
    return { code, err: err.join('\n') };
  };
  let r = await trm('prune', 'runs/x', '--sparsity', '1', '--out', 'y');
  assert.equal(r.code, 2);
  assert.match(
    r.err,
    /--sparsity takes a share from 0 up to \(not including\) 1, such as 0\.5; not "1"\./,
  );
  r = await trm('prune', 'runs/x', '--sparsity', '0.5', '--structured', 'rows', '--out', 'y');
  assert.match(r.err, /--structured takes heads or ffn, not "rows"\./);
  r = await trm('prune', 'runs/x', '--sweep', '0,0.5', '--finetune-steps', '3');
  assert.match(r.err, /--sweep evaluates each sparsity without fine-tuning/);
  r = await trm('prune', 'runs/x', '--sparsity', '0.5');
  assert.match(r.err, /needs --out NEWRUN/);
});

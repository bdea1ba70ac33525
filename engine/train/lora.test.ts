import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compile } from '../graph/compile.ts';
import { verifyProgram } from '../graph/ir/verify.ts';
import {
  adapterA,
  adapterB,
  applyLora,
  globPattern,
  LoraConfig,
  loraTargets,
  mergeLora,
} from '../graph/lora.ts';
import type { GraphDocument } from '../graph/schema.ts';
import type { TrainEvent } from '../contract/events.ts';
import { readCheckpointWeights } from '../onnx-runtime/checkpoint.ts';
import { exportModel, heldOutFeeds } from '../onnx-runtime/export-model.ts';
import { decodeAdapterFile, encodeAdapterFile } from '../onnx-runtime/lora-adapters.ts';
import { tfjsRunner } from '../onnx-runtime/reference.ts';
import { createSession, runOnnx } from '../onnx-runtime/verify.ts';
import { writePytorchPackage } from '../pytorch/package.ts';
import { decodeSafetensors } from '../pytorch/safetensors.ts';
import { documentFrom } from '../runtime/trainable-program.ts';
import { createWeights } from '../runtime/weights.ts';
import { train } from './trainer.ts';
import { COPY4, TINY_CONFIG, tinyTemplate } from '../../test/support/tiny-copy.ts';

/** A template made tiny (D 16) for the copy task: sequences of 9, vocab 14. */
function template(name: string, dims: Record<string, number> = {}): GraphDocument {
  return documentFrom(tinyTemplate(name, dims));
}

const config = { ...TINY_CONFIG, lr: 3e-2 };
const copy = COPY4;

const program = (doc: GraphDocument, mode: 'full' | 'step' = 'full') => {
  const r = compile(doc, { mode });
  assert.ok(r.program);
  return r;
};

test('globs: * stays inside a segment, ** crosses them, {q,v} are alternatives', () => {
  const re = globPattern('*/attn/w{q,v}');
  assert.ok(re.test('block1/attn/wq') && re.test('block2/attn/wv'));
  assert.ok(!re.test('block1/attn/wk') && !re.test('net/layer1/attn/wq'));
  assert.ok(globPattern('**/attn/wq').test('net/layer1/attn/wq'));
  assert.ok(globPattern('block?/ffn/w1').test('block2/ffn/w1'));
});

test('targets: patterns, node ids and prefixes name matrix weights; a target naming none gets the sentence', () => {
  const r = program(template('tiny-gpt'));
  const p = r.program!;
  assert.deepEqual(loraTargets(p, { targets: ['*/attn/w{q,v}'] }), [
    'block1/attn/wq',
    'block1/attn/wv',
    'block2/attn/wq',
    'block2/attn/wv',
  ]);
  assert.deepEqual(loraTargets(p, { targets: ['block2'] }, r.owners), [
    'block2/attn/wq',
    'block2/attn/wk',
    'block2/attn/wv',
    'block2/attn/wo',
    'block2/ffn/w1',
    'block2/ffn/w2',
  ]);
  assert.throws(
    () => loraTargets(p, { targets: ['*/mlp/w1'] }),
    (e: Error) =>
      e.message.startsWith('The LoRA target "*/mlp/w1" matches no matrix weight of this graph.') &&
      e.message.includes('this graph has: block1/attn/wq, block1/attn/wk') &&
      e.message.includes('block2/ffn/w2. Name one of them'),
  );
  // The embedding table is looked up, not multiplied by: not a LoRA target.
  assert.throws(
    () => loraTargets(p, { targets: ['embed/table'] }),
    /"embed\/table" is not a matrix a MatMul multiplies by/,
  );
});

test('the adapted program is well formed and, with B = 0, computes the base model exactly', async () => {
  const doc = template('tiny-gpt');
  const base = program(doc).program!;
  const lora = LoraConfig.parse({ targets: ['*/attn/w{q,v}', 'block1/ffn/w2'], rank: 4 });
  const { program: adapted, adapted: weights } = applyLora(base, lora);
  assert.deepEqual(verifyProgram(adapted), []);
  assert.equal(weights.length, 5);
  assert.deepEqual(adapted.params.get(adapterA('block1/ffn/w2'))!.shape, [64, 4]);
  assert.deepEqual(adapted.params.get(adapterB('block1/ffn/w2'))!.shape, [4, 16]);
  const feeds = heldOutFeeds(base, doc, { batch: 2 });
  const plain = tfjsRunner(base, new Map());
  const withAdapters = tfjsRunner(adapted, new Map());
  try {
    const [a, b] = await Promise.all([plain.run(feeds), withAdapters.run(feeds)]);
    for (const k of Object.keys(a)) assert.deepEqual(b[k], a[k], k);
  } finally {
    plain.dispose();
    withAdapters.dispose();
  }
});

/** max |a − b| over every output. */
function maxDiff(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let m = 0;
  for (const [k, v] of Object.entries(a))
    for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]! - b[k]![i]!));
  return m;
}

/**
 * Train `doc` with LoRA, then check: base weights bit for bit as initialised, adapters moved,
 * the merged ONNX export verified and equal (1e-5) to the adapted tfjs model, and the adapters
 * alone round-tripping through safetensors. Returns the numbers for the report.
 */
async function loraRoundTrip(doc: GraphDocument, lora: LoraConfig, expected: string[]) {
  const out = mkdtempSync(join(tmpdir(), 'trm-lora-'));
  const events: TrainEvent[] = [];
  const result = await train({
    document: doc,
    data: copy,
    config: { ...config, steps: 4, lora },
    outDir: out,
    onEvent: (e) => events.push(e),
  });
  assert.equal(result.status, 'completed', result.error);
  const trained = result.model.weights.params;
  const adapters = expected.flatMap((w) => [adapterA(w), adapterB(w)]);
  assert.deepEqual([...trained.keys()].filter((n) => n.includes('@lora/')).sort(), adapters.sort());

  // The meter's figures: adapters train, everything else is frozen.
  const started = events.find((e) => e.type === 'started');
  assert.ok(started?.type === 'started');
  const size = (n: string) => trained.get(n)!.size;
  const adapterCount = adapters.reduce((s, n) => s + size(n), 0);
  assert.equal(started.trainableParams, adapterCount);
  assert.equal(started.frozenParams, started.params);

  // Base weights bit for bit as initialised (same seed, same names); B has moved off zero.
  const step = program(doc, 'step').program!;
  const initial = createWeights(step, 0); // the run's seed: 0
  for (const [name, v] of initial.params) {
    assert.deepEqual(
      Buffer.from((trained.get(name)!.dataSync() as Float32Array).buffer),
      Buffer.from((v.dataSync() as Float32Array).buffer),
      name,
    );
  }
  initial.dispose();
  for (const w of expected)
    assert.ok(
      (trained.get(adapterB(w))!.dataSync() as Float32Array).some((x) => x !== 0),
      w,
    );

  // The checkpoint reader merges: W' = W + (α/r)·A·B, no adapter left.
  const ckpt = await readCheckpointWeights(out);
  assert.ok(ckpt.lora);
  assert.ok(![...ckpt.values.keys()].some((n) => n.includes('@lora/')));
  const raw = new Map(
    [...trained].map(([n, v]) => [n, (v.dataSync() as Float32Array).slice()] as const),
  );
  result.model.dispose();
  let moved = 0;
  for (const w of expected) {
    const before = raw.get(w)!;
    ckpt.values.get(w)!.forEach((x, i) => (moved = Math.max(moved, Math.abs(x - before[i]!))));
  }
  assert.ok(moved > 1e-4, `the adapters changed the merged weights by only ${moved}`);

  // Merged export: verified by onnxruntime, and equal to the adapted (unmerged) tfjs model.
  const base = program(doc).program!;
  const exported = await exportModel({ doc, precision: 'fp32', weights: ckpt.values, task: false });
  assert.ok(exported.report.ok, JSON.stringify(exported.report));
  const feeds = heldOutFeeds(base, doc, { batch: 3 });
  const adapted = tfjsRunner(applyLora(base, lora).program, raw);
  const reference = await adapted.run(feeds);
  adapted.dispose();
  const session = await createSession(exported.bytes);
  const onnxOut = await runOnnx(session, feeds);
  await session.release();
  const diff = maxDiff(reference, onnxOut);
  assert.ok(diff < 1e-5, `merged export differs from the adapted model by ${diff}`);

  // The adapters alone: a safetensors file that reads back bit for bit and merges the same.
  const bytes = encodeAdapterFile({ lora, adapters: ckpt.lora.adapters });
  const back = decodeAdapterFile(bytes);
  assert.deepEqual(back.lora, { rank: lora.rank, alpha: lora.alpha, targets: lora.targets });
  assert.deepEqual([...back.adapters.keys()].sort(), adapters.sort());
  const header = decodeSafetensors(bytes);
  assert.deepEqual(header[adapterA(expected[0]!)]!.shape, [
    base.params.get(expected[0]!)!.shape[0],
    lora.rank,
  ]);
  for (const n of adapters) assert.deepEqual(back.adapters.get(n), raw.get(n), n);
  const base0 = new Map([...raw].filter(([n]) => !n.includes('@lora/')));
  const remerged = mergeLora(new Map([...base0, ...back.adapters]), back.lora);
  for (const [n, v] of ckpt.values) assert.deepEqual(remerged.get(n), v, n);
  return { diff, moved, adapterCount, frozen: started.frozenParams!, bytes: bytes.length };
}

test('LoRA on tiny GPT: only adapters train; the merged export equals the adapted model', async () => {
  const lora = LoraConfig.parse({ targets: ['*/attn/w{q,v}'], rank: 4, alpha: 8 });
  const r = await loraRoundTrip(template('tiny-gpt'), lora, [
    'block1/attn/wq',
    'block1/attn/wv',
    'block2/attn/wq',
    'block2/attn/wv',
  ]);
  console.log(`tiny-gpt LoRA: ${JSON.stringify(r)}`);
});

test('LoRA inside a shared recursion: one adapter per shared weight, used at every trip', async () => {
  const doc = template('recursive-lm', { F: 32, R: 3 });
  const lora = LoraConfig.parse({ targets: ['block/attn/w{q,v}', 'block/mlp/w2'], rank: 2 });
  const r = await loraRoundTrip(doc, lora, ['block/attn/wq', 'block/attn/wv', 'block/mlp/w2']);
  console.log(`recursive-lm LoRA: ${JSON.stringify(r)}`);
});

test('the PyTorch export refuses a LoRA run with a sentence', async () => {
  await assert.rejects(
    writePytorchPackage(mkdtempSync(join(tmpdir(), 'trm-lora-pt-')), {
      doc: template('tiny-gpt'),
      data: copy,
      config: { lora: { targets: ['*/attn/wq'] } },
    } as never),
    /The PyTorch engine does not train LoRA adapters yet/,
  );
});

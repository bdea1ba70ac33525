import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compile } from '../graph/compile.ts';
import { documentFrom } from '../runtime/trainable-program.ts';
import { createWeights } from '../runtime/weights.ts';
import { disposeCheckpoint, readCheckpoint } from './checkpoint.ts';
import type { TrainEvent } from '../contract/events.ts';
import { describeInit, resolveInitSource } from './init-from.ts';
import { resolveTargets } from './node-params.ts';
import { train } from './trainer.ts';
import { COPY4, TINY_CONFIG, tinyTemplate } from '../../test/support/tiny-copy.ts';

type DocNode = { id: string; kind: string; params: Record<string, unknown> };
type DocEdge = { from: { node: string; port: string }; to: { node: string; port: string } };
type Doc = {
  name: string;
  dims: Record<string, number>;
  main: { nodes: DocNode[]; edges: DocEdge[] };
  components: Record<string, { nodes: DocNode[] }>;
};

/** Tiny GPT (two blocks of D 16) for the copy task: sequences of 9, vocab 14. */
function tinyGpt(dims: Record<string, number> = {}): Doc {
  return tinyTemplate<Doc>('tiny-gpt', dims);
}

/** The same GPT changed: block2 removed and the FFN half as wide. */
function changedGpt(): Doc {
  const doc = tinyGpt();
  doc.main.nodes = doc.main.nodes.filter((n) => n.id !== 'block2');
  doc.main.edges = doc.main.edges
    .filter((e) => e.to.node !== 'block2')
    .map((e) => (e.from.node === 'block2' ? { ...e, from: { node: 'block1', port: 'out' } } : e));
  for (const n of doc.components.block!.nodes) if (n.kind === 'ffn') n.params.ratio = 2;
  return doc;
}

const config = TINY_CONFIG;
const copy = COPY4;
const tmp = () => mkdtempSync(join(tmpdir(), 'trm-init-'));

const bytes = (t: { dataSync(): unknown }) =>
  Buffer.from((t.dataSync() as Float32Array).buffer.slice(0));

/** A short run written to a fresh folder; returns the folder. */
async function trainedRun(doc: Doc, data: unknown = copy, steps = 3): Promise<string> {
  const out = tmp();
  const r = await train({
    document: doc,
    data: data as never,
    config: { ...config, steps },
    outDir: out,
  });
  r.model.dispose();
  assert.equal(r.status, 'completed', r.error);
  return out;
}

test('a changed graph starts from a run by weight name: same shapes mapped, the rest initialised, both listed', async () => {
  const source = await trainedRun(tinyGpt());
  const events: TrainEvent[] = [];
  const result = await train({
    document: changedGpt(),
    data: copy,
    config: { ...config, steps: 1, lr: 1e-9 },
    initFrom: { path: source },
    onEvent: (e) => events.push(e),
  });
  const started = events.find((e) => e.type === 'started');
  assert.ok(started?.type === 'started' && started.initFrom);
  const report = started.initFrom;
  assert.equal(report.step, 3);
  assert.deepEqual(report.initialised, [
    { name: 'block1/ffn/w1', reason: 'saved [16, 64], now [16, 32]' },
    { name: 'block1/ffn/w2', reason: 'saved [64, 16], now [32, 16]' },
  ]);
  assert.ok(report.mapped.includes('embed/table') && report.mapped.includes('block1/attn/wq'));
  assert.equal(report.mapped.length, 2 + 6 + 2 + 2); // embed, pos; ln1, attn ×4; ln2; ln_f
  assert.deepEqual(
    report.unused.sort(),
    [...compile(documentFrom(tinyGpt())).program!.params.keys()]
      .filter((n) => n.startsWith('block2/'))
      .sort(),
  );
  assert.match(
    describeInit(report),
    /12 weights mapped by name, 2 initialised afresh \(block1\/ffn\/w1: saved \[16, 64\], now \[16, 32\]/,
  );
  // Mapped weights hold the run's values (lr 1e-9 barely moves them); initialised ones do not.
  const saved = await readCheckpoint(source);
  const w = result.model.weights.params;
  const close = (a: Float32Array, b: Float32Array) => a.every((x, i) => Math.abs(x - b[i]!) < 1e-6);
  for (const name of report.mapped) {
    assert.ok(
      close(
        w.get(name)!.dataSync() as Float32Array,
        saved.groups.weights![name]!.dataSync() as Float32Array,
      ),
      name,
    );
  }
  const fresh = createWeights(compile(documentFrom(changedGpt()), { mode: 'step' }).program!, 0);
  assert.ok(
    close(
      w.get('block1/ffn/w1')!.dataSync() as Float32Array,
      fresh.params.get('block1/ffn/w1')!.dataSync() as Float32Array,
    ),
  );
  fresh.dispose();
  disposeCheckpoint(saved);
  result.model.dispose();
});

test('frozen nodes keep their weights bit for bit and get no optimizer state; the others train', async () => {
  const source = await trainedRun(tinyGpt());
  const out = tmp();
  const before = await readCheckpoint(source);
  const result = await train({
    document: tinyGpt(),
    data: copy,
    config: {
      ...config,
      steps: 5,
      ema: 0.9,
      freeze: ['embed', 'block1/attn'],
      lrScale: { ln_f: 0.5 },
    },
    initFrom: { path: source },
    outDir: out,
  });
  assert.equal(result.status, 'completed', result.error);
  const frozen = [
    'embed/table',
    'block1/attn/wq',
    'block1/attn/wk',
    'block1/attn/wv',
    'block1/attn/wo',
  ];
  for (const [name, p] of result.model.weights.params) {
    const same = bytes(p).equals(bytes(before.groups.weights![name]!));
    assert.equal(same, frozen.includes(name), `${name} ${same ? 'did not change' : 'changed'}`);
  }
  const after = await readCheckpoint(out);
  assert.deepEqual(
    Object.keys(after.groups.optimizer!).filter((k) => frozen.some((f) => k.endsWith(`/${f}`))),
    [],
  );
  // The EMA group still holds every weight (export reads it), frozen ones unchanged.
  assert.ok(
    bytes(after.groups.ema!['embed/table']!).equals(bytes(before.groups.weights!['embed/table']!)),
  );
  assert.equal(after.meta.initFrom?.step, 3);
  disposeCheckpoint(before);
  disposeCheckpoint(after);
  result.model.dispose();

  // Resuming keeps the lineage and the frozen weights.
  const resumed = await train({ resume: out, config: { steps: 7 }, outDir: out });
  assert.equal(resumed.status, 'completed', resumed.error);
  const last = await readCheckpoint(out);
  assert.equal(last.meta.step, 7);
  assert.equal(last.meta.initFrom?.run, source);
  const start = await readCheckpoint(source);
  assert.ok(
    bytes(last.groups.weights!['embed/table']!).equals(
      bytes(start.groups.weights!['embed/table']!),
    ),
  );
  disposeCheckpoint(last);
  disposeCheckpoint(start);
  resumed.model.dispose();
});

test('a different vocabulary is refused with both sizes and the fix; --resize-embedding keeps shared rows', async () => {
  const dir = tmp();
  const a = join(dir, 'a.txt');
  const b = join(dir, 'b.txt');
  writeFileSync(a, 'abcabc abc cab bca\n'.repeat(200));
  writeFileSync(b, 'abxyab xy bax yx\n'.repeat(200));
  const doc = tinyGpt({ V: 8, T: 8 });
  const source = await trainedRun(doc, { type: 'text', path: a, length: 8 });
  const dataB = { type: 'text', path: b, length: 8 } as const;
  await assert.rejects(
    train({
      document: doc,
      data: dataB,
      config: { ...config, steps: 1 },
      initFrom: { path: source },
    }),
    /vocabulary of 6 tokens; "b\.txt" has 7, 5 of them shared\. .*--resize-embedding/,
  );
  const events: TrainEvent[] = [];
  const result = await train({
    document: doc,
    data: dataB,
    config: { ...config, steps: 1, lr: 1e-9 },
    initFrom: { path: source, resizeEmbedding: true },
    onEvent: (e) => events.push(e),
  });
  const started = events.find((e) => e.type === 'started');
  assert.ok(started?.type === 'started');
  assert.deepEqual(started.initFrom?.resized, ['embed/table']);
  // Vocabularies (id 0 = unknown): a: [?, \n, ' ', a, b, c], b: [?, \n, ' ', a, b, x, y].
  const saved = await readCheckpoint(source);
  const old = saved.groups.weights!['embed/table']!.arraySync() as number[][];
  const now = result.model.weights.params.get('embed/table')!.arraySync() as number[][];
  const near = (x: number[], y: number[]) => x.every((v, i) => Math.abs(v - y[i]!) < 1e-6);
  for (const id of [0, 1, 2, 3, 4]) assert.ok(near(now[id]!, old[id]!), `shared token ${id}`);
  assert.ok(!near(now[5]!, old[5]!), 'x takes no row of c');
  disposeCheckpoint(saved);
  result.model.dispose();
});

test('RUN/step-N picks a checkpoint; an unknown step or node is refused naming the choices', async () => {
  const run = await trainedRun(tinyGpt(), copy, 2);
  assert.equal(await resolveInitSource(join(run, 'step-2')), join(run, 'step-000002'));
  await assert.rejects(
    resolveInitSource(join(run, 'step-9')),
    /no checkpoint step-000009; it holds step-000002/,
  );
  await assert.rejects(resolveInitSource(tmp()), /is not a training run/);
  const program = compile(
    documentFrom(JSON.parse(readFileSync('templates/trm-sudoku.json', 'utf8'))),
    { mode: 'step' },
  );
  const weights = { names: [...program.program!.params.keys()], owners: program.owners };
  // A recursion node owns its body's weights, wherever they are scoped.
  const supervise = resolveTargets(['supervise', 'net/layer1'], weights, 'freeze');
  assert.ok(supervise.get('supervise')!.includes('net/layer2/attn/wq'));
  assert.ok(supervise.get('supervise')!.includes('deep_step/halt/bias'));
  assert.equal(supervise.get('net/layer1')!.length, 7);
  assert.throws(
    () => resolveTargets(['net/layer9'], weights, 'freeze'),
    /freeze names "net\/layer9", which is neither a node with weights nor a weight-name prefix in this graph\. Choose from: nodes embed, prefix, supervise; weight scopes net, deep_step; or any weight-name prefix such as net\/layer1\./,
  );
});

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { createDataSource } from '../../engine/data/index.ts';
import type { DataSpec } from '../../engine/data/spec.ts';
import { PUZZLE_INPUT } from '../../engine/graph/puzzle-input.ts';
import { parseDocument } from '../../engine/graph/parse.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import { solve } from '../../engine/infer/solve.ts';
import { loadModel } from '../../engine/infer/load.ts';
import { exportFolder } from '../../engine/onnx-runtime/export-folder.ts';
import { exportModel, onnxSignature } from '../../engine/onnx-runtime/export-model.ts';
import { runOnnx } from '../../engine/onnx-runtime/verify.ts';
import { selectBackend } from '../../engine/runtime/backend.ts';
import { train } from '../../engine/train/trainer.ts';
import { withSmallInit } from '../support/init.ts';

// ARC's per-task puzzle embedding end to end: a tiny TRM with one table row per puzzle id trains
// a few steps on ARC-like task files, its rows move exactly for the ids it was fed, and its ONNX
// exports (step and full, fp32 and int8, the Studio's int32 signature and the HF int64 one) take
// the ids and match the trained model on them.

/** A task whose output is its input flipped left-right: `pairs` train pairs of 2×3, one test. */
function flipTask(seed: number, pairs: number) {
  const pair = (k: number) => {
    const input = Array.from({ length: 2 }, (_, r) =>
      Array.from({ length: 3 }, (_, c) => (r * 7 + c * 3 + seed + k) % 10),
    );
    return { input, output: input.map((row) => [...row].reverse()) };
  };
  return {
    train: Array.from({ length: pairs }, (_, k) => pair(k)),
    test: [pair(100)],
  };
}

/** The TRM-Att template on 30×30 ARC canvases, tiny, with a `puzzles`-row table. */
function arcTrm(puzzles: number): GraphDocument {
  const raw = JSON.parse(readFileSync('templates/trm-sudoku.json', 'utf8'));
  raw.dims = { ...raw.dims, V: 12, L: 900, D: 16, H: 2, n: 1, T_rec: 1, N_sup: 2, P: 2 };
  const prefix = raw.main.nodes.find((n: { kind: string }) => n.kind === 'puzzle-prefix');
  prefix.params.puzzles = puzzles;
  const parsed = parseDocument(raw);
  assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.diagnostics));
  return withSmallInit(parsed.doc);
}

const CONFIG = {
  backend: 'wasm',
  batch: 4,
  steps: 4,
  lr: 3e-3,
  warmup: 0,
  evalEvery: 0,
  checkpointEvery: 0,
  evalExamples: 3,
  // Every slot runs both supervision steps and is refilled with the others: steps 1–2 read
  // training batch 0, steps 3–4 batch 1.
  haltEarly: false,
} as const;

describe('ARC puzzle ids: train, export, verify', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trm-arc-ids-'));
  const tasks = join(dir, 'tasks');
  mkdirSync(tasks);
  for (let t = 0; t < 3; t++)
    writeFileSync(join(tasks, `task${t}.json`), JSON.stringify(flipTask(t, 2)));
  // 3 tasks × (1 as written + 2 variants) + the blank id 0.
  const data: DataSpec = { type: 'arc', path: tasks, augmentations: 2 };
  before(() => selectBackend('wasm'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a table with fewer rows than the data has ids, and says so of one shared row', async () => {
    await assert.rejects(
      train({ document: arcTrm(9), data, config: CONFIG }),
      /has 10 puzzle ids \(0–9\) but the per-puzzle table of node "main\/prefix" has 9 rows; set its puzzles to 10\./,
    );
    // One shared row (today's templates) trains, with a notice naming the number to set.
    const notices: string[] = [];
    const r = await train({
      document: arcTrm(1),
      data,
      config: { ...CONFIG, steps: 1 },
      onEvent: (e) => {
        if (e.type === 'started' && e.notice) notices.push(e.notice);
      },
    });
    assert.equal(r.status, 'completed', r.error);
    r.model.dispose();
    assert.match(
      notices.join(' '),
      /one of 10 puzzle ids, .*set the puzzle prefix's puzzles to 10\./,
    );
  });

  it('trains the rows of the ids it is fed, and exports a puzzle_id input that verifies', async () => {
    const doc = arcTrm(10);
    const out = join(dir, 'run');
    const r = await train({ document: doc, data, config: CONFIG, outDir: out });
    assert.equal(r.status, 'completed', r.error);
    const weights = new Map(
      [...r.model.weights.params].map(([name, v]) => [name, v.dataSync() as Float32Array]),
    );
    r.model.dispose();

    // Rows of ids in the two training batches moved; the others are still zero (the table has
    // no weight decay and a row nobody reads gets no gradient).
    const source = await createDataSource(data, 0);
    assert.equal(source.puzzleIds, 10);
    const fed = new Set([0, 1].flatMap((k) => [...source.trainBatch(k, 4).puzzle!]));
    const table = weights.get('prefix/puzzle')!;
    assert.equal(table.length, 10 * 16);
    const moved = new Set(
      Array.from({ length: 10 }, (_, id) => id).filter((id) =>
        table.subarray(id * 16, (id + 1) * 16).some((v) => v !== 0),
      ),
    );
    assert.ok(fed.size > 1, `only ids ${[...fed]}`);
    assert.deepEqual([...moved].sort(), [...fed].sort());

    // Exports of the trained weights, and of the same with the table's rows far apart and a
    // halting head that reads them (four steps move a row by ~1e-2 and the zero-initialised
    // halting weight little more: too little to show an export that ignored the ids).
    const pattern = (n: number, phase: number) =>
      Float32Array.from({ length: n }, (_, k) => Math.sin(1.7 * k + phase));
    const loud = new Map(weights).set('prefix/puzzle', pattern(table.length, 0));
    for (const [name, v] of weights)
      if (/halt\/weight$/.test(name)) loud.set(name, pattern(v.length, 1));
    const task = { data, examples: 3 };
    for (const [mode, precision, values] of [
      ['step', 'fp32', weights],
      ['step', 'fp32', loud],
      ['full', 'int8', loud],
    ] as const) {
      const name = `arc-${mode}-${precision}${values === loud ? '-loud' : ''}`;
      const e = await exportModel({
        doc,
        precision,
        mode,
        weights: values,
        out: join(dir, `${name}.onnx`),
        latencyRuns: 0,
        task,
      });
      const input = onnxSignature(e.bytes).inputs.find((i) => i.name === PUZZLE_INPUT);
      assert.deepEqual(input, { name: PUZZLE_INPUT, type: 'int32', shape: ['B'] });
      assert.ok(e.report.ok, `${name}: ${e.report.failures.join(' ')}`);
      assert.ok(e.report.task, e.report.taskSkipped ?? '');
      assert.equal(e.report.task.examples, 3);
      if (precision === 'fp32') assert.ok(e.report.maxAbsError < 1e-4, `${e.report.maxAbsError}`);
      if (values !== loud) continue;
      // The verification fed ids across the table, and the ids change the answer: feeding all
      // zeros instead gives other logits, so a file that ignored them would have failed.
      const feeds = e.verify!.feeds;
      assert.ok(new Set(feeds[PUZZLE_INPUT]!.data).size > 1);
      const session = await ort.InferenceSession.create(e.bytes);
      try {
        const zeros = { ...feeds, [PUZZLE_INPUT]: { data: new Int32Array(8), dims: [8] } };
        const a = await runOnnx(session, feeds, e.verify!.onnxNames);
        const b = await runOnnx(session, zeros, e.verify!.onnxNames);
        const diff = Math.max(
          ...Object.keys(a).map((out) =>
            a[out]!.reduce((m, v, i) => Math.max(m, Math.abs(v - b[out]![i]!)), 0),
          ),
        );
        assert.ok(diff > 1e-2, `${name}: puzzle ids change the outputs by only ${diff}`);
      } finally {
        await session.release();
      }
    }

    // Solving step by step with an id: the checkpoint (tfjs) and the step export (onnxruntime)
    // give the same answers, and an id outside the table is named with the table's size.
    const held = source.validation(3);
    const cells = held.inputs.slice(0, 900);
    const id = held.puzzle![0]!;
    assert.ok(id > 0);
    const answers: number[][] = [];
    for (const path of [out, join(dir, 'arc-step-fp32.onnx')]) {
      const model = await loadModel(path);
      try {
        const trace = await solve(model.stepModel(), cells, { puzzleId: id, earlyHalt: false });
        answers.push([...trace.answer]);
        if (model.kind === 'checkpoint')
          await assert.rejects(
            solve(model.stepModel(), cells, { puzzleId: 10 }),
            /Puzzle id 10 \(example 1\) is outside the per-puzzle table of node "main\/prefix", which has 10 rows \(ids 0–9\)/,
          );
      } finally {
        await model.dispose();
      }
    }
    assert.equal(answers[0]!.length, 900);
    assert.deepEqual(answers[1], answers[0]);

    // The export folder's HF signature takes puzzle_id as int64, like input_ids.
    const folder = await exportFolder({
      doc,
      precision: 'fp32',
      mode: 'step',
      weights,
      dir: join(dir, 'folder'),
      latencyRuns: 0,
      task: false,
      data: { spec: data, seed: 0 },
    });
    const signature = onnxSignature(readFileSync(folder.modelPath));
    assert.deepEqual(
      signature.inputs.find((i) => i.name === PUZZLE_INPUT),
      { name: PUZZLE_INPUT, type: 'int64', shape: ['batch_size'] },
    );
    const config = JSON.parse(readFileSync(join(folder.dir, 'config.json'), 'utf8'));
    assert.match(config.trm.puzzle.puzzleId, /^puzzle_id: int64 \[batch\], .*0–9/);
    const hf = await loadModel(folder.dir);
    try {
      const trace = await solve(hf.stepModel(), cells, { puzzleId: id, earlyHalt: false });
      assert.deepEqual([...trace.answer], answers[0]);
    } finally {
      await hf.dispose();
    }
  });
});

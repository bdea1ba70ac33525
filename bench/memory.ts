/**
 * Peak memory of one training step against batch and depth: the 4×4 TRM-MLP template (V 6,
 * L 16, D 64) at n 6, batch × T_rec × N_sup. Each case runs in its own process, so its peak
 * RSS is its own; all run side by side in one invocation. Prints a table and the JSON, and
 * writes bench/results/memory-<time>.json. `npm run bench` runs it; alone:
 * `node --import tsx bench/memory.ts [--quick]`.
 *
 * tf peak: tf.memory().numBytes at its highest during the step (forward, loss, gradients),
 * above the weights and batch (tf.profile). RSS: the process's peak resident size over three
 * unprofiled steps, and what it was before them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDataSource } from '../engine/data/index.ts';
import { selectBackend } from '../engine/runtime/backend.ts';
import { peakMemory } from '../engine/runtime/peak-memory.ts';
import { createWeights } from '../engine/runtime/weights.ts';
import { forwardTensors, lossOnly } from '../engine/train/model.ts';
import { batchFeeds, initialState, prepareProgram } from '../engine/runtime/trainable-program.ts';
import { unrollLoops } from '../engine/graph/ir/unroll.ts';

const here = dirname(fileURLToPath(import.meta.url));

interface Case {
  batch: number;
  tRec: number;
  nSup: number;
}

interface Measured extends Case {
  backend: string;
  ops: number;
  tfPeakMB: number;
  tfPeakTensors: number;
  rssBeforeMB: number;
  rssPeakMB: number;
  stepMs: number;
}

const MB = 1024 * 1024;

/** One case, in this process: what the parent prints. */
async function measure(c: Case): Promise<Measured> {
  const backend = await selectBackend(process.env.TRM_BACKEND);
  const doc = JSON.parse(
    readFileSync(join(here, '..', 'templates', 'trm-mlp-sudoku.json'), 'utf8'),
  );
  doc.dims = { ...doc.dims, n: 6, T_rec: c.tRec, N_sup: c.nSup };
  const source = await createDataSource({ type: 'sudoku', size: 4 }, 1);
  const tp = prepareProgram(doc, source);
  const weights = createWeights(tp.program, 1);
  const batch = source.trainBatch(0, c.batch);
  const feeds = batchFeeds(tp, batch);
  const state = initialState(tp, weights, feeds);
  const opts = { training: false, seed: 1, loss: 'stablemax', haltWeight: 0.5 } as const;
  const step = () => {
    const { value, grads } = tf.variableGrads(() => {
      return lossOnly(forwardTensors(tp, weights, feeds, state, batch, opts));
    });
    tf.dispose([value, ...Object.values(grads)]);
  };
  step(); // warm-up
  const rssBefore = process.memoryUsage().rss;
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  const rssPeak = process.resourceUsage().maxRSS * 1024;
  const peak = await peakMemory(step);
  return {
    ...c,
    backend: backend.active,
    ops: unrollLoops(tp.program).ops.length,
    tfPeakMB: peak.bytes / MB,
    tfPeakTensors: peak.tensors,
    rssBeforeMB: rssBefore / MB,
    rssPeakMB: rssPeak / MB,
    stepMs: times.sort((a, b) => a - b)[1]!,
  };
}

function cases(quick: boolean): Case[] {
  const out: Case[] = [];
  for (const batch of quick ? [16, 64] : [16, 64, 256]) {
    for (const tRec of quick ? [2, 6] : [2, 3, 6]) out.push({ batch, tRec, nSup: 16 });
  }
  out.push({ batch: 64, tRec: 3, nSup: 2 });
  return out;
}

function table(rows: Measured[]): string {
  const head = `${'batch'.padStart(5)} ${'T_rec'.padStart(5)} ${'N_sup'.padStart(5)} ${'ops'.padStart(6)} ${'tf peak MB'.padStart(10)} ${'tensors'.padStart(7)} ${'RSS before'.padStart(10)} ${'RSS peak'.padStart(9)} ${'ms/step'.padStart(8)}`;
  const lines = rows.map(
    (r) =>
      `${String(r.batch).padStart(5)} ${String(r.tRec).padStart(5)} ${String(r.nSup).padStart(5)} ${String(r.ops).padStart(6)} ${r.tfPeakMB.toFixed(1).padStart(10)} ${String(r.tfPeakTensors).padStart(7)} ${r.rssBeforeMB.toFixed(0).padStart(10)} ${r.rssPeakMB.toFixed(0).padStart(9)} ${r.stepMs.toFixed(0).padStart(8)}`,
  );
  return [head, ...lines].join('\n');
}

async function main(): Promise<void> {
  const one = process.argv.find((a) => a.startsWith('--case='));
  if (one) {
    const [batch, tRec, nSup] = one.slice(7).split(',').map(Number) as [number, number, number];
    console.log(JSON.stringify(await measure({ batch, tRec, nSup })));
    return;
  }
  const rows: Measured[] = [];
  console.log('Training-step memory, 4×4 TRM-MLP (D 64, n 6), one process per case:');
  for (const c of cases(process.argv.includes('--quick'))) {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), `--case=${c.batch},${c.tRec},${c.nSup}`],
      { encoding: 'utf8' },
    );
    const line = r.stdout.trim().split('\n').at(-1) ?? '';
    if (r.status !== 0 || !line.startsWith('{')) {
      console.log(`batch ${c.batch}, T_rec ${c.tRec}: failed (${r.stderr.trim().split('\n')[0]})`);
      continue;
    }
    rows.push(JSON.parse(line) as Measured);
  }
  console.log(table(rows));
  console.log(JSON.stringify(rows));
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  const file = join(out, `memory-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
  console.log(`→ ${file}`);
}

await main();

/**
 * `npm run bench`: training speed of the tiny GPT preset (and the tiny-gpt template) per
 * backend next to a PyTorch reference with the same weights, plus GEMM GFLOP/s per backend
 * against the machine's BLAS. Prints a table and writes bench/results/<time>.json.
 * Never part of `npm test`; budget under 15 minutes on 2 cores (`--quick` for a smoke run).
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../engine/runtime/backend.ts';
import { adapterName } from '../engine/runtime/webgpu.ts';
import { loadAddon, P } from '../engine/runtime/native/addon.ts';
import { gptPreset, template } from './models.ts';
import { compile } from '../engine/graph/compile.ts';
import type { IrProgram } from '../engine/graph/ir.ts';
import {
  interleave,
  medianRun,
  pairedRatios,
  TorchServer,
  torchAvailable,
  type Contender,
  type Outcome,
} from './side-by-side.ts';
import { compileStep, median, trainSteps, trainSupervised, type TrainResult } from './train.ts';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const only = process.argv
  .find((a) => a.startsWith('--backends='))
  ?.slice(11)
  .split(',');
const BATCH = 32;
const SEQ = 64;
const VOCAB = 96;
const TRM_BATCH = 128;
/** Interleaved rounds and seconds per contender and round. */
const ROUNDS = quick ? 1 : 4;
const SECONDS = quick ? 1.5 : 2.5;

interface Row {
  section: string;
  name: string;
  backend: string;
  value: number;
  unit: string;
  note?: string;
}
const rows: Row[] = [];
const log = (r: Row) => {
  rows.push(r);
  const v = Number.isNaN(r.value)
    ? '—'
    : r.value >= 100
      ? r.value.toFixed(0)
      : r.value.toPrecision(3);
  console.log(
    `${r.section.padEnd(8)} ${r.name.padEnd(28)} ${r.backend.padEnd(8)} ${v.padStart(9)} ${r.unit.padEnd(9)} ${r.note ?? ''}`,
  );
};

/** Why a backend of the table could not run here, shown in its column ("no adapter"). */
const missing = new Map<string, string>();

async function backends(): Promise<string[]> {
  const out: string[] = [];
  for (const b of only ?? ['webgpu', 'native', 'wasm', 'cpu']) {
    try {
      const report = await selectBackend(b);
      // A software adapter (SwiftShader, lavapipe) is the CPU drawing: no GPU figure to take.
      if (report.adapter?.software) {
        missing.set(b, 'no adapter (software only)');
        console.log(`(${b} unavailable: its only adapter is ${adapterName(report.adapter)})`);
        continue;
      }
      out.push(b);
    } catch (e) {
      const why = (e as Error).message;
      missing.set(b, /no WebGPU adapter/.test(why) ? 'no adapter' : 'not installed');
      console.log(`(${b} unavailable: ${why})`);
    }
  }
  return out;
}

async function gemmBackend(backend: string, m: number, k: number, n: number): Promise<number> {
  const a = tf.randomUniform([m, k]);
  const b = tf.randomUniform([k, n]);
  await tf.matMul(a, b).data();
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < (quick ? 300 : 1500) || reps < 2) {
    const c = tf.matMul(a, b);
    await c.data(); // WebGPU outside a browser reads asynchronously only
    c.dispose();
    reps++;
    if (backend === 'cpu' && reps >= 2) break;
  }
  const s = (performance.now() - t0) / 1000;
  a.dispose();
  b.dispose();
  return (2 * m * k * n * reps) / s / 1e9;
}

function blasPeak(n: number): number | undefined {
  const { addon } = loadAddon();
  if (!addon) return undefined;
  const a = new Float32Array(n * n).fill(1);
  const b = new Float32Array(n * n).fill(1);
  const c = new Float32Array(n * n);
  P.set([1, n, n, n, 0, 0, 0, 0]);
  addon.gemm(a, b, c);
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1000) {
    P.set([1, n, n, n, 0, 0, 0, 0]);
    addon.gemm(a, b, c);
    reps++;
  }
  return (2 * n ** 3 * reps) / ((performance.now() - t0) / 1000) / 1e9;
}

type Model = { name: string; unit: string; program: IrProgram; kind: 'gpt' | 'ir' };

/** One training run of ours on the active backend (`dump` also writes torch_ref.py's input). */
function ours(m: Model, seconds: number, dump?: string): Promise<TrainResult> {
  const opts = { seconds, ...(dump ? { dump } : {}) };
  return m.kind === 'gpt'
    ? trainSteps(m.program, { batch: BATCH, seq: SEQ, vocab: VOCAB, minSteps: 9, ...opts })
    : trainSupervised(m.program, { batch: TRM_BATCH, minSteps: 3, ...opts });
}

function note(r: TrainResult & { torch?: string }, unit: string): string {
  return `${r.stepMs.toFixed(1)} ms/${unit === 'cells/s' ? 'batch' : 'step'} (median), loss ${r.firstLoss.toFixed(6)} → ${r.lastLoss.toFixed(4)} in ${r.steps + 2} steps${r.torch ? `, torch ${r.torch}` : ''}`;
}

/**
 * Train `m` on the stock backends once, then native (1 and 2 BLAS threads) and PyTorch (1 and
 * 2 threads) interleaved for ROUNDS rounds; log each contender's median and the median of the
 * per-round ratios of the two sides' best settings.
 */
async function trainModel(m: Model, available: string[], torch: boolean): Promise<void> {
  const dump = join(tmpdir(), `trm-bench-${process.pid}.json`);
  rmSync(dump, { force: true });
  // The stock backends and WebGPU once each; the last of them writes PyTorch's start.
  const once = available.filter((b) => b !== 'native');
  for (const b of once) {
    if (b === 'cpu' && !process.argv.includes('--cpu')) continue; // cpu: minutes per step
    await selectBackend(b);
    const r = await ours(m, SECONDS, b === once[once.length - 1] ? dump : undefined);
    log({
      section: 'train',
      name: m.name,
      backend: b,
      value: r.tokensPerSec,
      unit: m.unit,
      note: `${note(r, m.unit)}, one run`,
    });
  }
  const contenders: Contender[] = [];
  if (available.includes('native')) {
    await selectBackend('native');
    await ours(m, 0.5, dump); // warm-up; writes the dump
    for (const threads of [1, 2]) {
      contenders.push({
        key: `native×${threads}`,
        side: 'ours',
        run: async (seconds) => {
          await selectBackend('native');
          loadAddon().addon?.setThreads(threads);
          return await ours(m, seconds);
        },
      });
    }
  }
  // PyTorch at 1 and 2 threads, and at 2 threads with sleeping (not spinning) OpenMP workers.
  const servers: TorchServer[] = [];
  // PyTorch starts from the weights and batch one of ours wrote (none when no backend ran).
  for (const [key, threads, passive] of torch && existsSync(dump)
    ? ([
        ['torch×1', 1, false],
        ['torch×2', 2, false],
        ['torch×2 passive', 2, true],
      ] as const)
    : []) {
    const server = await TorchServer.start(dump, passive);
    if (typeof server === 'string') {
      console.log(server);
      break;
    }
    servers.push(server);
    contenders.push({
      key,
      side: 'torch',
      run: (seconds) => server.run(seconds, threads, m.kind === 'gpt' ? 9 : 3),
    });
  }
  const { runs } = await interleave(contenders, ROUNDS, SECONDS);
  for (const s of servers) s.close();
  loadAddon().addon?.setThreads(1);
  rmSync(dump, { force: true });
  const medians = new Map<string, Outcome>();
  for (const [key, all] of runs) {
    const rs = all.filter((r): r is Outcome => r !== undefined);
    const r = medianRun(rs);
    if (!r) continue;
    medians.set(key, r);
    const tps = rs.map((x) => x.tokensPerSec);
    log({
      section: 'train',
      name: m.name,
      backend: key,
      value: r.tokensPerSec,
      unit: m.unit,
      note: `${note(r, m.unit)}; median of ${rs.length} runs (${Math.min(...tps).toFixed(0)}–${Math.max(...tps).toFixed(0)})`,
    });
  }
  const bestOf = (side: string) =>
    [...medians]
      .filter(([k]) => k.startsWith(side))
      .sort((a, b) => b[1].tokensPerSec - a[1].tokensPerSec)[0];
  const best = [bestOf('native'), bestOf('torch')] as const;
  if (!best[0] || !best[1]) return;
  const [[ok, o], [tk, t]] = best as [[string, Outcome], [string, Outcome]];
  const ratios = pairedRatios(runs, ok, tk);
  if (ratios.length === 0) return;
  const loss = (r: Outcome, f: 'firstLoss' | 'loss10') => r[f]?.toFixed(6) ?? '—';
  log({
    section: 'ratio',
    name: m.name,
    backend: 'ratio',
    value: median(ratios),
    unit: '× PyTorch',
    note: `median over ${ratios.length} rounds of ${ok} ÷ ${tk} in the same round (range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}); medians ${ok} ${o.tokensPerSec.toFixed(0)} vs ${tk} ${t.tokensPerSec.toFixed(0)}; loss at step 1 ours ${loss(o, 'firstLoss')} vs PyTorch ${loss(t, 'firstLoss')}, at step 11 ${loss(o, 'loss10')} vs ${loss(t, 'loss10')}`,
  });
}

async function main() {
  const started = Date.now();
  const available = await backends();
  console.log(`backends: ${available.join(', ')}; torch: ${torchAvailable() ? 'yes' : 'no'}`);
  console.log(
    `${'section'.padEnd(8)} ${'what'.padEnd(28)} ${'backend'.padEnd(8)} ${'value'.padStart(9)} unit`,
  );

  const peak = blasPeak(1024);
  if (peak)
    log({
      section: 'gemm',
      name: '1024³ OpenBLAS (addon)',
      backend: 'blas',
      value: peak,
      unit: 'GFLOP/s',
    });
  for (const b of available) {
    await selectBackend(b);
    for (const [m, k, n] of [
      [512, 512, 512],
      [2048, 128, 256],
    ] as const) {
      const g = await gemmBackend(b, m, k, n);
      const note = peak ? `${((100 * g) / peak).toFixed(1)}% of BLAS peak` : undefined;
      log({
        section: 'gemm',
        name: `${m}×${k}×${n}`,
        backend: b,
        value: g,
        unit: 'GFLOP/s',
        ...(note ? { note } : {}),
      });
    }
  }

  for (const [b, why] of missing) {
    log({ section: 'gemm', name: '512×512×512', backend: b, value: NaN, unit: '', note: why });
  }

  const torch = torchAvailable();
  const models: Model[] = [
    {
      name: 'tiny GPT preset (RMSNorm, FFN 2×)',
      unit: 'tokens/s',
      program: compileStep(gptPreset()),
      kind: 'gpt',
    },
    {
      name: 'tiny-gpt template (LN, FFN 4×)',
      unit: 'tokens/s',
      program: compileStep(template('tiny-gpt')),
      kind: 'gpt',
    },
  ];
  const trm = compile(template('trm-sudoku') as never, { mode: 'step' }).program;
  if (trm)
    models.push({
      name: `TRM Sudoku template (B ${TRM_BATCH})`,
      unit: 'cells/s',
      program: trm,
      kind: 'ir',
    });
  // `--models=preset,trm`: only the models whose name contains one of these words.
  const pick = process.argv
    .find((a) => a.startsWith('--models='))
    ?.slice(9)
    .split(',');
  for (const m of models) {
    if (!pick || pick.some((w) => m.name.toLowerCase().includes(w))) {
      await trainModel(m, available, torch);
    }
  }

  // Export precisions (size, latency, decode with and without the KV cache), training-step
  // memory against batch and depth, and the designer (validation time, canvas frame time) run
  // in their own processes.
  if (!process.argv.includes('--train-only')) {
    for (const script of [
      'bench/pytorch-engine.ts',
      'bench/decode.ts',
      'bench/memory.ts',
      'test/e2e/canvas-bench.ts',
    ]) {
      console.log(`\n== ${script}`);
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, '..', script)], {
        stdio: 'inherit',
      });
      if (r.status !== 0) console.log(`${script} failed (exit ${r.status ?? r.signal}).`);
    }
  }

  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  const file = join(out, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
  console.log(
    `\n${rows.length} results in ${((Date.now() - started) / 1000).toFixed(0)} s → ${file}`,
  );
}

await main();

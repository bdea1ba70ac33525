/**
 * Where a training step's time goes: `node --import tsx bench/profile.ts [backend]` (default
 * native). One step of the tiny GPT preset (the bench's step: AdamW, masked cross-entropy)
 * under tfjs's profiler, per kernel, exclusive (scopes such as custom-gradient wrappers are left
 * out, their kernels are counted), and the time outside kernels (tfjs bookkeeping, tape, JS);
 * next to it PyTorch's profiler on the same model, weights and batch when torch is present.
 */
import * as tf from '@tensorflow/tfjs-core';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../engine/runtime/backend.ts';
import { gptPreset } from './models.ts';
import { torchAvailable, torchProfile } from './side-by-side.ts';
import { compileStep, gptTrainer, median } from './train.ts';

const backend = process.argv[2] ?? 'native';
const STEPS = 5;
await selectBackend(backend);
const dump = join(tmpdir(), `trm-profile-${process.pid}.json`);
const trainer = await gptTrainer(compileStep(gptPreset()), { batch: 32, seq: 64, vocab: 96, dump });
for (let i = 0; i < 3; i++) await trainer.step();

const times: number[] = [];
for (let i = 0; i < 10; i++) {
  const t0 = performance.now();
  await trainer.step();
  times.push(performance.now() - t0);
}
const wall = median(times);
const agg = new Map<string, { ms: number; n: number }>();
for (let i = 0; i < STEPS; i++) {
  const info = await tf.profile(async () => {
    await trainer.step();
  });
  for (const k of info.kernels) {
    if (!tf.getKernel(k.name, tf.getBackend())) continue; // a scope: its kernels are listed
    const a = agg.get(k.name) ?? { ms: 0, n: 0 };
    a.ms += (k.kernelTimeMs as number) / STEPS;
    a.n += 1 / STEPS;
    agg.set(k.name, a);
  }
}
trainer.dispose();
const inKernels = [...agg.values()].reduce((s, a) => s + a.ms, 0);
const calls = [...agg.values()].reduce((s, a) => s + a.n, 0);
const ours = [...agg]
  .sort((p, q) => q[1].ms - p[1].ms)
  .slice(0, 10)
  .map(([name, a]) => ({ name, ms: a.ms, calls: a.n }));

let torch: { step_ms_profiled: number; self_ms_total: number; ops: typeof ours } | undefined;
if (torchAvailable()) {
  const out = torchProfile(dump);
  try {
    const j = JSON.parse(out) as {
      step_ms_profiled: number;
      self_ms_total: number;
      ops: { name: string; self_ms: number; calls: number }[];
    };
    torch = { ...j, ops: j.ops.map((o) => ({ name: o.name, ms: o.self_ms, calls: o.calls })) };
  } catch {
    console.log(out);
  }
}
rmSync(dump, { force: true });

console.log(
  `ours (${backend}): ${wall.toFixed(1)} ms/step unprofiled (median of 10); kernels ${inKernels.toFixed(1)} ms in ${calls.toFixed(0)} calls; outside kernels ${(wall - inKernels).toFixed(1)} ms`,
);
if (torch) {
  console.log(
    `torch (2 threads, OMP_WAIT_POLICY=PASSIVE): ${torch.step_ms_profiled.toFixed(1)} ms/step under its profiler; ops' self time ${torch.self_ms_total.toFixed(1)} ms`,
  );
}
const cell = (r: { name: string; ms: number; calls: number } | undefined) =>
  r ? `${r.name.padEnd(34)} ${r.ms.toFixed(2).padStart(7)} ${r.calls.toFixed(0).padStart(5)}` : '';
console.log(
  `\n| ${'ours: kernel'.padEnd(34)} ${'ms'.padStart(7)} ${'calls'.padStart(5)} | torch: op (self CPU)`,
);
for (let i = 0; i < 10; i++) console.log(`| ${cell(ours[i]).padEnd(48)} | ${cell(torch?.ops[i])}`);

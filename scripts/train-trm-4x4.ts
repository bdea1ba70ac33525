/**
 * Train a small TRM (templates/trm-sudoku.json) on 4×4 Sudoku with the full recipe — deep
 * supervision, halting head, EMA — and report held-out exact match and accuracy by recursion
 * depth. Too long for a test; run it by hand:
 *
 *   node --import tsx scripts/train-trm-4x4.ts [--steps 1200] [--batch 64] [--dim 64]
 *     [--lr 0.003] [--ema 0.99] [--nsup 4] [--halt-weight 0.5] [--no-halt-early]
 *     [--backend wasm] [--out DIR] [--template trm-sudoku|trm-mlp-sudoku]
 *
 * Measured on this 2-core machine (wasm): the MLP variant reaches 99.8% exact match on
 * held-out puzzles by step 240 and 100% by step 480 (1200 steps: 5m50s with evaluations);
 * the attention variant (`--template trm-sudoku --lr 0.001 --steps 3000`) reached only 6.7%
 * exact (78.8% of cells) after 3000 steps, 36 minutes.
 *
 * `--nsup 1` trains without deep supervision (one step per batch; evaluation still runs the
 * template's N_sup steps); `--halt-weight 0` trains without the halting loss.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { evalLines, formatDuration, progressLine } from '../engine/cli/commands/train.ts';
import { evaluate } from '../engine/train/evaluate.ts';
import { prepareProgram } from '../engine/train/model.ts';
import { train } from '../engine/train/trainer.ts';

const { values: v } = parseArgs({
  options: {
    steps: { type: 'string', default: '1200' },
    batch: { type: 'string', default: '64' },
    dim: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.003' },
    ema: { type: 'string', default: '0.99' },
    nsup: { type: 'string', default: '4' },
    'halt-weight': { type: 'string', default: '0.5' },
    'no-halt-early': { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string' },
    template: { type: 'string', default: 'trm-mlp-sudoku' },
  },
});

const doc = JSON.parse(readFileSync(`templates/${v.template}.json`, 'utf8')) as {
  dims: Record<string, number>;
};
doc.dims = { ...doc.dims, D: Number(v.dim) };
const steps = Number(v.steps);
const data = { type: 'sudoku' as const, size: 4 as const, validationSize: 1000 };
const started = Date.now();
const result = await train({
  document: doc,
  data,
  config: {
    backend: v.backend as 'wasm',
    steps,
    batch: Number(v.batch),
    lr: Number(v.lr),
    warmup: Math.min(100, Math.floor(steps / 10)),
    schedule: 'cosine',
    betas: [0.9, 0.95],
    weightDecay: 0.1,
    ema: Number(v.ema),
    haltWeight: Number(v['halt-weight']),
    haltEarly: !v['no-halt-early'],
    supervisionSteps: Number(v.nsup),
    evalEvery: Math.max(1, Math.floor(steps / 5)),
    evalExamples: 500,
    checkpointEvery: 0,
  },
  ...(v.out ? { outDir: v.out } : {}),
  onEvent: (e) => {
    if (e.type === 'step' && e.metrics.step % 50 === 0)
      console.log(progressLine(e.metrics, steps, false));
    if (e.type === 'eval') for (const l of evalLines(e.report)) console.log(l);
    if (e.type === 'error') console.error(e.message);
  },
});
const minutes = (Date.now() - started) / 1000;
// Final held-out check on all 1000 puzzles at the template's full depth (EMA weights).
const full = prepareProgram(doc as never, result.model.source);
const report = evaluate(full, result.model.weights, result.model.source, {
  examples: 1000,
  batch: 100,
  loss: 'ce',
  step: result.step,
  ema: Number(v.ema) > 0,
});
console.log(`\nFinal, ${report.examples} held-out puzzles, N_sup = ${full.supervisionSteps}:`);
for (const l of evalLines(report)) console.log(l);
const halts = result.history.length;
console.log(
  `${result.status} in ${formatDuration(minutes)} (${halts} optimizer steps, ${v.backend}); exact match ${(100 * (report.exactMatch ?? 0)).toFixed(1)}%.`,
);
result.model.dispose();

/**
 * Soak benchmark (not a test): train the tiny GPT on the copy task for a while, checkpointing
 * and evaluating as a long run does, and sample the tensor count and resident memory over
 * time. Every step is appended to a metrics file (JSON lines) that is read back and parsed
 * at every sample and once more at the end, so it must stay appendable and readable
 * throughout; the last checkpoint must load. Ends with a table: tensors and RSS at start and
 * end (after the first, warm-up sample), RSS min/max, and least-squares slopes per hour.
 *
 *   node --import tsx bench/soak.ts [--minutes 3] [--sample-seconds 15] [--backend cpu]
 */
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { disposeCheckpoint, readCheckpoint } from '../engine/train/checkpoint.ts';
import { TrainControl } from '../engine/train/control.ts';
import { train } from '../engine/train/trainer.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    'sample-seconds': { type: 'string', default: '15' },
    backend: { type: 'string', default: 'cpu' },
  },
});
const minutes = Number(values.minutes);
const every = Number(values['sample-seconds']) * 1000;

const doc = JSON.parse(readFileSync('templates/tiny-gpt.json', 'utf8')) as {
  dims: Record<string, number>;
};
doc.dims = { ...doc.dims, V: 14, D: 32, H: 2, T: 17 };
const dir = mkdtempSync(join(tmpdir(), 'trm-soak-'));
const metricsFile = join(dir, 'metrics.jsonl');
const control = new TrainControl();
const started = Date.now();
let nextSample = 0;
let appended = 0;
const samples: { t: number; step: number; tensors: number; rssMiB: number; lines: number }[] = [];

function sample(step: number): void {
  const lines = readFileSync(metricsFile, 'utf8').trimEnd().split('\n');
  for (const l of lines) JSON.parse(l); // throws if a line is torn
  if (lines.length !== appended) throw new Error(`metrics file has ${lines.length}/${appended}`);
  samples.push({
    t: Math.round((Date.now() - started) / 1000),
    step,
    tensors: tf.memory().numTensors,
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
    lines: lines.length,
  });
  const s = samples.at(-1)!;
  console.log(`t=${s.t}s step ${s.step} tensors ${s.tensors} rss ${s.rssMiB} MiB lines ${s.lines}`);
}

const result = await train({
  document: doc,
  data: { type: 'copy', length: 8 },
  config: {
    backend: values.backend as 'cpu',
    steps: 10_000_000,
    batch: 16,
    warmup: 10,
    evalEvery: 200,
    evalExamples: 32,
    checkpointEvery: 100,
    keepCheckpoints: 2,
  },
  outDir: join(dir, 'run'),
  control,
  onEvent: (e) => {
    if (e.type !== 'step') return;
    appendFileSync(metricsFile, `${JSON.stringify(e.metrics)}\n`);
    appended += 1;
    const now = Date.now() - started;
    if (now >= nextSample) {
      sample(e.metrics.step);
      nextSample += every;
    }
    if (now > minutes * 60_000) control.stop();
  },
});
result.model.dispose();

/** Least-squares slope of y over t (seconds), per hour. */
function slopePerHour(points: { t: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const num = points.reduce((a, p) => a + (p.t - mt) * (p.y - my), 0);
  const den = points.reduce((a, p) => a + (p.t - mt) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 3600;
}

// The metrics file once more at the end: every line appended is there and parses.
const finalLines = readFileSync(metricsFile, 'utf8').trimEnd().split('\n');
for (const l of finalLines) JSON.parse(l);
if (finalLines.length !== appended)
  throw new Error(`metrics file has ${finalLines.length} lines, ${appended} were appended`);
const checkpoint = await readCheckpoint(join(dir, 'run'));
disposeCheckpoint(checkpoint);

const steady = samples.length > 2 ? samples.slice(1) : samples; // after warm-up
const first = steady[0]!;
const last = steady.at(-1)!;
const rss = steady.map((s) => s.rssMiB);
const row = (k: string, v: string | number) =>
  console.log(`| ${k.padEnd(28)} | ${String(v).padStart(14)} |`);
console.log(`\n| ${'soak'.padEnd(28)} | ${'value'.padStart(14)} |`);
console.log(`| ${'-'.repeat(28)} | ${'-'.repeat(14)} |`);
row('duration (s)', last.t);
row('steps', last.step);
row('samples (after warm-up)', steady.length);
row('tensors at start', first.tensors);
row('tensors at end', last.tensors);
row('tensors slope (/h)', slopePerHour(steady.map((s) => ({ t: s.t, y: s.tensors }))).toFixed(1));
row('RSS min (MiB)', Math.min(...rss));
row('RSS max (MiB)', Math.max(...rss));
row('RSS start → end (MiB)', `${first.rssMiB} → ${last.rssMiB}`);
row('RSS slope (MiB/h)', slopePerHour(steady.map((s) => ({ t: s.t, y: s.rssMiB }))).toFixed(1));
row('metrics lines (all parsed)', finalLines.length);
row('last checkpoint (loads)', `step ${checkpoint.meta.step}`);
row('status', result.status);

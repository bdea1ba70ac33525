/**
 * Soak benchmark (not a test): train the tiny GPT on the copy task for a while, checkpointing
 * and evaluating as a long run does, and sample the tensor count and resident memory over
 * time. Every step is appended to a metrics file (JSON lines) that is read back and parsed
 * at every sample, so it must stay appendable and readable throughout.
 *
 *   node --import tsx bench/soak.ts [--minutes 3] [--sample-seconds 15] [--backend cpu]
 */
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
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
const first = samples[1] ?? samples[0]!; // after warm-up
const last = samples.at(-1)!;
console.log(
  `\nsoak: ${last.step} steps in ${last.t}s; tensors ${first.tensors} → ${last.tensors} (after warm-up), rss ${first.rssMiB} → ${last.rssMiB} MiB (max ${Math.max(...samples.map((s) => s.rssMiB))}); metrics file ${appended} lines, all parsed; status ${result.status}`,
);

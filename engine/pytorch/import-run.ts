import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { ImportedFrom, RunSummary } from '../contract/api.ts';
import { EvalReport, StepMetrics, type StepRecord, type TrainEvent } from '../contract/events.ts';
import { createDataSource } from '../data/index.ts';
import { parseDataSpec, type DataSpec } from '../data/spec.ts';
import { graphDigest } from '../graph/digest.ts';
import { parseJsonText } from '../graph/json-text.ts';
import { documentFrom, prepareProgram } from '../runtime/trainable-program.ts';
import {
  checkpointName,
  writeCheckpoint,
  type CheckpointMeta,
  type TensorEntry,
} from '../train/checkpoint.ts';
import { parseTrainConfig } from '../train/config.ts';
import { torchName } from './names.ts';
import { decodeSafetensors, type NamedTensor } from './safetensors.ts';

/**
 * `trm import`: a run of the PyTorch package (`trm export --format pytorch`, then `python
 * train.py`) as a Studio run folder, laid out as the app's runs are (`run.json`, `graph.json`,
 * `config.json`, `metrics.jsonl` of TrainEvents, `checkpoints/` with `latest.json`), so the
 * runs list, evaluation, ONNX export, Insight, the Playground and `trm train --resume` take it
 * as they take a run the Studio trained. Weights keep their float32 bits.
 */

/** `state.json` in a PyTorch checkpoint folder (engine/pytorch/python/train.py `save`). */
const PytorchState = z.object({
  format: z.literal('trm-pytorch-checkpoint'),
  step: z.number().int().min(0),
  position: z.strictObject({
    examples: z.array(z.number().int().min(0)).min(1),
    counts: z.array(z.number().int().min(0)).min(1),
    next: z.number().int().min(0),
  }),
  config: z.record(z.string(), z.unknown()),
  torch: z.string().default('unknown'),
  world: z.number().int().min(1).default(1),
});

/** The package's `config.json` (engine/pytorch/package.ts), as far as the import reads it. */
const PackageManifest = z.object({
  format: z.literal('trm-pytorch-package'),
  supervisionSteps: z.number().int().min(0),
  data: z.object({ spec: z.unknown(), name: z.string() }),
  document: z.unknown(),
});

export interface ImportOptions {
  /** The PyTorch run folder (metrics.jsonl + step-NNNNNN/) or one of its step folders. */
  run: string;
  /** The Studio run folder to write; it must not exist yet, or be empty. */
  out: string;
  /** The package folder (config.json); default: the run folder's parent. */
  packageDir?: string;
}

export interface ImportReport {
  out: string;
  /** The Studio checkpoint written (`out/checkpoints/step-NNNNNN`). */
  checkpoint: string;
  step: number;
  steps: number;
  params: number;
  ema: boolean;
  from: string;
}

const STATE = 'state.json';

export async function importPytorchRun(o: ImportOptions): Promise<ImportReport> {
  const { runDir, stepDir } = await locateCheckpoint(path.resolve(o.run));
  const state = await readState(stepDir);
  const pkgDir = path.resolve(o.packageDir ?? path.dirname(runDir));
  const pkg = await readPackage(pkgDir);
  const doc = documentFrom(pkg.document);
  // Checked here; recorded as the package wrote it, as the Studio records the spec it was given.
  parseDataSpec(pkg.data.spec);
  const dataSpec = pkg.data.spec as DataSpec;
  let config;
  try {
    config = parseTrainConfig(state.config);
  } catch (e) {
    throw new Error(
      `${path.join(stepDir, STATE)} holds no Studio training config: ${(e as Error).message}`,
    );
  }
  const source = await createDataSource(dataSpec, config.seed);
  const tp = prepareProgram(doc, source, pkg.supervisionSteps);
  const program = tp.program;

  const file = (name: string) => path.join(stepDir, name);
  const model = await readTensors(file('model.safetensors'));
  const wanted = [...program.params.values(), ...program.buffers.values()];
  const weights = group(
    wanted.map((p) => [
      p.name,
      matching(model, torchName(p.name), p.name, p.shape, file('model.safetensors')),
    ]),
  );
  const groups: Record<string, { manifest: TensorEntry[]; data: Uint8Array }> = { weights };
  const params = [...program.params.values()];
  // Moments of a weight the optimizer has not stepped yet are zero, as the Studio starts them.
  const moments = existsSync(file('optimizer.safetensors'))
    ? await readTensors(file('optimizer.safetensors'))
    : {};
  groups.optimizer = group(
    (['m', 'v'] as const).flatMap((k) =>
      params.map((p): [string, NamedTensor] => [
        `${k}/${p.name}`,
        moments[`${k}/${torchName(p.name)}`]
          ? matching(
              moments,
              `${k}/${torchName(p.name)}`,
              p.name,
              p.shape,
              file('optimizer.safetensors'),
            )
          : { shape: p.shape, data: new Float32Array(numel(p.shape)) },
      ]),
    ),
  );
  const ema = config.ema > 0 && existsSync(file('ema.safetensors'));
  if (ema) {
    const averaged = await readTensors(file('ema.safetensors'));
    groups.ema = group(
      params.map((p) => [
        p.name,
        matching(averaged, torchName(p.name), p.name, p.shape, file('ema.safetensors')),
      ]),
    );
  }
  if (existsSync(file('carry.safetensors'))) {
    const carry = await readTensors(file('carry.safetensors'));
    groups.carry = group(
      tp.state.map((_, i) => {
        const t = carry[`state${i}`];
        if (!t)
          throw new Error(
            `${file('carry.safetensors')} has no "state${i}": the carried state does not match the graph's ${tp.state.length} state tensors.`,
          );
        return [`state${i}`, t];
      }),
    );
  }

  const history = await readHistory(runDir, state.step);
  const importedFrom: ImportedFrom = {
    engine: 'pytorch',
    path: stepDir,
    version: state.torch,
    world: state.world,
  };
  const meta: Omit<CheckpointMeta, 'blobs'> = {
    format: 'trm-checkpoint',
    version: 1,
    step: state.step,
    createdAt: new Date().toISOString(),
    data: state.position,
    rng: { seed: config.seed },
    config: { ...config },
    document: doc,
    dataSpec,
    metrics: { steps: history.steps.map(stepRecord), evals: history.evals },
    importedFrom,
  };

  const out = path.resolve(o.out);
  await checkEmpty(out);
  const tmp = `${out}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  try {
    await mkdir(tmp, { recursive: true });
    await writeCheckpoint(path.join(tmp, 'checkpoints'), meta, groups, 1);
    const checkpoint = path.join(out, 'checkpoints', checkpointName(state.step));
    const events = runEvents(history, {
      backend: `pytorch ${state.torch}`,
      params: tp.params,
      steps: config.steps,
      data: source.name,
      step: state.step,
      checkpoint,
    });
    const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
    await writeFile(path.join(tmp, 'graph.json'), json(doc));
    await writeFile(path.join(tmp, 'config.json'), json({ config: meta.config, data: dataSpec }));
    await writeFile(
      path.join(tmp, 'metrics.jsonl'),
      events.map((e) => `${JSON.stringify(e)}\n`).join(''),
    );
    const summary: RunSummary = {
      runId: runIdOf(out),
      name: doc.name,
      graphDigest: graphDigest(doc),
      status: state.step >= config.steps ? 'completed' : 'stopped',
      startedAt: new Date().toISOString(),
      step: state.step,
      steps: config.steps,
      backend: `pytorch ${state.torch}`,
      data: JSON.stringify(dataSpec),
      params: tp.params,
      lastCheckpoint: checkpoint,
      message: null,
      dir: out,
      importedFrom,
    };
    await writeFile(path.join(tmp, 'run.json'), json(summary));
    await rm(out, { recursive: true, force: true });
    await rename(tmp, out);
    return {
      out,
      checkpoint,
      step: state.step,
      steps: config.steps,
      params: tp.params,
      ema,
      from: stepDir,
    };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const fmt = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** The run folder and its newest checkpoint folder (or the step folder given). */
async function locateCheckpoint(given: string): Promise<{ runDir: string; stepDir: string }> {
  if (existsSync(path.join(given, STATE))) return { runDir: path.dirname(given), stepDir: given };
  let names: string[];
  try {
    names = await readdir(given);
  } catch {
    throw new Error(
      `${given} is not a folder; pass the run folder train.py wrote (its --out, ./run by default).`,
    );
  }
  const steps = names.filter((n) => /^step-\d+$/.test(n) && existsSync(path.join(given, n, STATE)));
  if (steps.length > 0) return { runDir: given, stepDir: path.join(given, steps.sort().at(-1)!) };
  if (names.includes('metrics.jsonl')) {
    throw new Error(
      `${given} has no checkpoint yet (no step-NNNNNN/${STATE}); let train.py run until it writes one, then import.`,
    );
  }
  throw new Error(
    `${given} is not a PyTorch run: it holds neither metrics.jsonl nor step-NNNNNN/${STATE} folders written by the package's train.py.`,
  );
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing: ${what}.`);
  }
  try {
    return parseJsonText(text);
  } catch {
    throw new Error(`${file} is damaged (it is not JSON): ${what}.`);
  }
}

async function readState(stepDir: string): Promise<z.infer<typeof PytorchState>> {
  const file = path.join(stepDir, STATE);
  const parsed = PytorchState.safeParse(await readJson(file, 'the checkpoint cannot be read'));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(
      `${file} is not a PyTorch checkpoint of the Studio's package (${issue.message} at ${issue.path.join('.') || 'the top'}).`,
    );
  }
  return parsed.data;
}

async function readPackage(dir: string): Promise<z.infer<typeof PackageManifest>> {
  const file = path.join(dir, 'config.json');
  const parsed = PackageManifest.safeParse(
    await readJson(
      file,
      'pass the package folder (the one holding train.py and config.json) with --package',
    ),
  );
  if (!parsed.success) {
    throw new Error(
      `${file} is not the config of a package written by \`trm export --format pytorch\`; pass that package's folder with --package.`,
    );
  }
  return parsed.data;
}

async function readTensors(file: string): Promise<Record<string, NamedTensor>> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch {
    throw new Error(`${file} is missing; the checkpoint is incomplete.`);
  }
  return decodeSafetensors(bytes, file);
}

/** The tensor `key` of a file, the one the graph's weight `name` needs, with its shape. */
function matching(
  tensors: Readonly<Record<string, NamedTensor>>,
  key: string,
  name: string,
  shape: readonly number[],
  file: string,
): NamedTensor {
  const t = tensors[key];
  if (!t) {
    throw new Error(
      `${file} does not match the graph: it has no "${key}" ${fmt(shape)}, which the graph's weight "${name}" needs.`,
    );
  }
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(
      `${file} does not match the graph: "${key}" is ${fmt(t.shape)} but the graph's weight "${name}" is ${fmt(shape)}.`,
    );
  }
  return t;
}

/** Named tensors as a checkpoint group: a manifest and one little-endian float32 blob. */
function group(entries: readonly (readonly [string, NamedTensor])[]): {
  manifest: TensorEntry[];
  data: Uint8Array;
} {
  const total = entries.reduce((n, [, t]) => n + t.data.length, 0);
  const floats = new Float32Array(total);
  const manifest: TensorEntry[] = [];
  let at = 0;
  for (const [name, t] of entries) {
    floats.set(t.data, at);
    manifest.push({ name, shape: [...t.shape], offset: at * 4 });
    at += t.data.length;
  }
  return { manifest, data: new Uint8Array(floats.buffer) };
}

async function checkEmpty(out: string): Promise<void> {
  const names = await readdir(out).catch(() => null);
  if (names && names.length > 0) {
    throw new Error(
      `${out} already holds files; pass an --out folder that does not exist yet (or is empty).`,
    );
  }
}

function runIdOf(out: string): string {
  const id = path
    .basename(out)
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  return (id || 'imported').slice(0, 80);
}

interface History {
  steps: StepMetrics[];
  evals: EvalReport[];
}

/**
 * Steps and evaluations up to the checkpoint, from metrics.jsonl. A resumed PyTorch run logs
 * the steps after its checkpoint again; the later line of a step wins, as the later run
 * continued from there.
 */
async function readHistory(runDir: string, upTo: number): Promise<History> {
  const text = await readFile(path.join(runDir, 'metrics.jsonl'), 'utf8').catch(() => '');
  const steps = new Map<number, StepMetrics>();
  const evals = new Map<number, EvalReport>();
  for (const line of text.split('\n')) {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      continue;
    }
    const r = raw as { type?: unknown; report?: unknown };
    if (r.type === 'step') {
      const m = StepMetrics.safeParse({ ...pick(raw, STEP_KEYS), tensors: 0 });
      if (m.success && m.data.step <= upTo) steps.set(m.data.step, m.data);
    } else if (r.type === 'eval') {
      const e = EvalReport.safeParse(r.report);
      if (e.success && e.data.step <= upTo) evals.set(e.data.step, e.data);
    }
  }
  const sorted = <T extends { step: number }>(m: Map<number, T>) =>
    [...m.values()].sort((a, b) => a.step - b.step);
  return { steps: sorted(steps), evals: sorted(evals) };
}

const STEP_KEYS = Object.keys(StepMetrics.shape).filter((k) => k !== 'tensors');

function pick(raw: unknown, keys: readonly string[]): Record<string, unknown> {
  const r = raw as Record<string, unknown>;
  return Object.fromEntries(keys.filter((k) => r[k] !== undefined).map((k) => [k, r[k]]));
}

function stepRecord(m: StepMetrics): StepRecord {
  const out: StepRecord = { step: m.step, loss: m.loss, accuracy: m.accuracy, lr: m.lr };
  if (m.exactMatch !== undefined) out.exactMatch = m.exactMatch;
  return out;
}

/** The run's record as the Studio's trainer would have emitted it. */
function runEvents(
  h: History,
  run: {
    backend: string;
    params: number;
    steps: number;
    data: string;
    step: number;
    checkpoint: string;
  },
): TrainEvent[] {
  const events: TrainEvent[] = [
    {
      type: 'started',
      backend: run.backend,
      params: run.params,
      startStep: 0,
      steps: run.steps,
      data: run.data,
    },
  ];
  let e = 0;
  for (const m of h.steps) {
    events.push({ type: 'step', metrics: m });
    while (e < h.evals.length && h.evals[e]!.step <= m.step) {
      events.push({ type: 'eval', report: h.evals[e++]! });
    }
  }
  for (; e < h.evals.length; e++) events.push({ type: 'eval', report: h.evals[e]! });
  events.push({ type: 'checkpoint', step: run.step, path: run.checkpoint });
  events.push({
    type: 'stopped',
    step: run.step,
    reason: run.step >= run.steps ? 'completed' : 'stopped',
    lastCheckpoint: run.checkpoint,
  });
  return events;
}

import { writeFileAtomic } from '../io/durable-write.ts';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';
import type { Precision } from '../onnx/emit.ts';
import { compareTask, type TaskCheck, type TaskPlan } from './task-metric.ts';

/** A tensor fed to or compared from a model, keyed by its program (IR) name. */
export interface HostTensor {
  data: Float32Array | Int32Array;
  dims: number[];
}

export interface VerifyThresholds {
  /** Largest allowed |onnx − reference| over every output. */
  maxAbsError?: number;
  /** Least allowed share of positions whose logits' argmax agrees (0–1). */
  top1Agreement?: number;
  /** Largest allowed fall of a task accuracy (accuracy, exact match), absolute: 0.01 = 1 point. */
  accuracyDrop?: number;
  /** Largest allowed relative rise of the task perplexity: 0.02 = 2%. */
  perplexityRise?: number;
}

/**
 * Defaults per precision. fp32 must match to rounding; fp16 stores halved weights, so it is
 * judged like the quantized ones by top-1 agreement plus a loose absolute bound. Weight-only
 * int4 is allowed more flips than int8: at 4 bits logits that are nearly tied (an untrained
 * model's are) do swap.
 *
 * Task thresholds (held-out data with targets): fp32 is only rounding, so a tenth of a point
 * / 0.1% covers a near-tie flipping and nothing more. fp16 and the int8 forms: at most 1 point
 * of accuracy (2 of 256 puzzles) and 2% perplexity — the size of the gap between two
 * neighbouring checkpoints of a small run, i.e. less than a person would notice in use. int4
 * keeps 16 levels per weight block, so it gets 3 points / 5%: the usual "int4 costs a few
 * percent" budget; a corrupted or mis-scaled export moves these by tens of points.
 */
export const DEFAULT_THRESHOLDS: Record<Precision, VerifyThresholds> = {
  fp32: { maxAbsError: 1e-4, accuracyDrop: 0.001, perplexityRise: 0.001 },
  fp16: { top1Agreement: 0.99, maxAbsError: 5e-2, accuracyDrop: 0.01, perplexityRise: 0.02 },
  int8: { top1Agreement: 0.99, accuracyDrop: 0.01, perplexityRise: 0.02 },
  'int8-weight': { top1Agreement: 0.99, accuracyDrop: 0.01, perplexityRise: 0.02 },
  int4: { top1Agreement: 0.9, accuracyDrop: 0.03, perplexityRise: 0.05 },
};

export interface VerifyOptions {
  precision: Precision;
  /**
   * Judge top-1 agreement on the held-out task inputs (when there is a task check) instead of
   * the random ones. Off by default: weights not trained on the task data (initial weights, or
   * trained on another task) give near-tied logits there, where int8 flips 2–3% of argmaxes
   * without moving the task metric; the held-out agreement is reported in `task` either way.
   * @default false
   */
  top1OnTask?: boolean;
  /** Held-out inputs, by program input name. */
  feeds: Record<string, HostTensor>;
  /** Reference outputs (the tfjs model on the same feeds), by program output name. */
  reference: Record<string, Float32Array>;
  /** Outputs whose last axis is a class/token distribution, with that axis' size (top-1). */
  logits: Record<string, number>;
  /** Halting-logit outputs: the share of examples whose halt decision (logit > 0) agrees. */
  halts?: string[];
  /** ONNX names of program names, when they differ (the emitter's `trm.io_names`, inverted). */
  onnxNames?: Record<string, string>;
  thresholds?: VerifyThresholds;
  /** Writes `<model>.verify.json` beside the model (`m.onnx` → `m.verify.json`). */
  modelPath?: string;
  /** Timed runs per batch size (median reported); 0 skips latency. @default 10 */
  latencyRuns?: number;
  /** The held-out task check (reference scores and how to score the export), or why none. */
  task?: TaskPlan;
}

export interface OutputCheck {
  name: string;
  maxAbsError: number;
  top1Agreement?: number;
  /** Halting outputs: share of examples whose decision (logit > 0) agrees; reported only. */
  haltAgreement?: number;
}

export interface VerifyReport {
  ok: boolean;
  precision: Precision;
  fileBytes: number;
  outputs: OutputCheck[];
  maxAbsError: number;
  /**
   * Top-1 agreement the threshold judges: on the held-out task inputs when there is a task
   * check, else over every logits output on the random inputs; undefined when there is none.
   */
  top1Agreement?: number;
  /** Which inputs `top1Agreement` was measured on. */
  top1On?: 'held-out' | 'random';
  thresholds: VerifyThresholds;
  /** Median milliseconds per run at batch 1 and 64 (the held-out first example, repeated). */
  latencyMs?: { batch1: number; batch64: number };
  /** Task metric on held-out data with targets, tfjs reference against the export. */
  task: TaskCheck | null;
  /** Why `task` is null, as a sentence; null when there is a task check. */
  taskSkipped: string | null;
  /** Sentences saying which threshold failed, empty when ok. */
  failures: string[];
}

function argmaxAgreement(a: Float32Array, b: Float32Array, classes: number): number {
  const rows = a.length / classes;
  let agree = 0;
  for (let r = 0; r < rows; r++) {
    let ia = 0;
    let ib = 0;
    for (let c = 1; c < classes; c++) {
      if ((a[r * classes + c] as number) > (a[r * classes + ia] as number)) ia = c;
      if ((b[r * classes + c] as number) > (b[r * classes + ib] as number)) ib = c;
    }
    if (ia === ib) agree++;
  }
  return rows === 0 ? 1 : agree / rows;
}

const points = (x: number) => `${(x * 100).toFixed(2)}`;

/** Sentences for each task metric past its threshold (NaN fails: `!(x <= limit)`). */
export function taskFailures(
  check: TaskCheck,
  thresholds: VerifyThresholds,
  precision: Precision,
): string[] {
  const failures: string[] = [];
  for (const m of check.metrics) {
    if (m.metric === 'perplexity') {
      const limit = thresholds.perplexityRise;
      const rise = m.onnx / m.reference - 1;
      if (limit !== undefined && !(rise <= limit))
        failures.push(
          `task perplexity rose ${points(rise)}% (${m.reference.toFixed(3)} → ${m.onnx.toFixed(3)} on ${check.data}), more than the ${points(limit)}% allowed (${precision}).`,
        );
    } else {
      const limit = thresholds.accuracyDrop;
      const drop = m.reference - m.onnx;
      if (limit !== undefined && !(drop <= limit + 1e-12))
        failures.push(
          `task ${m.metric} fell ${points(drop)} points (${points(m.reference)}% → ${points(m.onnx)}% on ${check.data}), more than the ${points(limit)} allowed (${precision}).`,
        );
    }
  }
  return failures;
}

function toOrt(t: HostTensor): ort.Tensor {
  return t.data instanceof Int32Array
    ? new ort.Tensor('int32', t.data, t.dims)
    : new ort.Tensor('float32', t.data, t.dims);
}

/** The first example of every feed repeated `batch` times (axis 0 is the batch). */
export function repeatFirst(
  feeds: Record<string, HostTensor>,
  batch: number,
): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(feeds)) {
    const per = t.data.length / (t.dims[0] as number);
    const data =
      t.data instanceof Int32Array ? new Int32Array(per * batch) : new Float32Array(per * batch);
    for (let i = 0; i < batch; i++) data.set(t.data.subarray(0, per), i * per);
    out[name] = { data, dims: [batch, ...t.dims.slice(1)] };
  }
  return out;
}

export async function runOnnx(
  session: ort.InferenceSession,
  feeds: Record<string, HostTensor>,
  onnxNames: Record<string, string> = {},
): Promise<Record<string, Float32Array>> {
  const input: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) input[onnxNames[name] ?? name] = toOrt(t);
  const result = await session.run(input);
  const back = Object.fromEntries(Object.entries(onnxNames).map(([ir, o]) => [o, ir]));
  const out: Record<string, Float32Array> = {};
  for (const [name, t] of Object.entries(result)) out[back[name] ?? name] = t.data as Float32Array;
  return out;
}

async function medianMs(run: () => Promise<unknown>, runs: number): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

export function verifyPath(modelPath: string): string {
  return `${modelPath.replace(/\.onnx$/i, '')}.verify.json`;
}

export function createSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  // Severity 3: errors only; onnxruntime's warnings about pruned initializers are noise here.
  return ort.InferenceSession.create(bytes, { logSeverityLevel: 3, intraOpNumThreads: 2 });
}

/**
 * Loads an export in onnxruntime-node, runs the held-out inputs and compares every output
 * with the reference: max abs error, top-1 agreement on logits, file size, latency.
 */
export async function verifyExport(bytes: Uint8Array, opts: VerifyOptions): Promise<VerifyReport> {
  const thresholds = { ...DEFAULT_THRESHOLDS[opts.precision], ...opts.thresholds };
  const session = await createSession(bytes);
  try {
    const got = await runOnnx(session, opts.feeds, opts.onnxNames);
    const outputs: OutputCheck[] = [];
    let agreeSum = 0;
    let agreeCount = 0;
    for (const [name, ref] of Object.entries(opts.reference)) {
      const out = got[name];
      if (!out || out.length !== ref.length)
        throw new Error(
          `Verification: the exported model's output "${name}" has ${out?.length ?? 0} values, the reference ${ref.length}. Re-export from the same graph.`,
        );
      let maxAbs = 0;
      for (let i = 0; i < ref.length; i++) {
        const d = Math.abs((out[i] as number) - (ref[i] as number));
        maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
      }
      const check: OutputCheck = { name, maxAbsError: maxAbs };
      const classes = opts.logits[name];
      if (classes !== undefined) {
        check.top1Agreement = argmaxAgreement(out, ref, classes);
        agreeSum += check.top1Agreement * (ref.length / classes);
        agreeCount += ref.length / classes;
      }
      if (opts.halts?.includes(name)) {
        let same = 0;
        for (let i = 0; i < ref.length; i++)
          if ((out[i] as number) > 0 === (ref[i] as number) > 0) same++;
        check.haltAgreement = ref.length === 0 ? 1 : same / ref.length;
      }
      outputs.push(check);
    }
    const maxAbsError = Math.max(0, ...outputs.map((o) => o.maxAbsError));
    const report: VerifyReport = {
      ok: true,
      precision: opts.precision,
      fileBytes: bytes.length,
      outputs,
      maxAbsError,
      thresholds,
      task: null,
      taskSkipped: opts.task && 'skipped' in opts.task ? opts.task.skipped : null,
      failures: [],
    };
    if (opts.task === undefined) report.taskSkipped = 'No task check was requested.';
    if (agreeCount > 0) {
      report.top1Agreement = agreeSum / agreeCount;
      report.top1On = 'random';
    }
    if (thresholds.maxAbsError !== undefined && !(maxAbsError <= thresholds.maxAbsError))
      report.failures.push(
        `max abs error ${maxAbsError.toExponential(2)} exceeds ${thresholds.maxAbsError} (${opts.precision}).`,
      );
    if (opts.task && !('skipped' in opts.task)) {
      const probe = opts.task;
      report.task = compareTask(
        probe,
        await probe.score((feeds) => runOnnx(session, feeds, opts.onnxNames)),
      );
      report.failures.push(...taskFailures(report.task, thresholds, opts.precision));
      // Asked for, top-1 agreement is judged on the held-out inputs: random token ids put a
      // trained model far from its data, where near-ties abound (a trained tiny GPT's int8 export
      // agrees on 98.8% of random positions while its perplexity moves 0.03%).
      if (opts.top1OnTask === true) {
        report.top1Agreement = report.task.top1Agreement;
        report.top1On = 'held-out';
      }
    }
    if (
      thresholds.top1Agreement !== undefined &&
      report.top1Agreement !== undefined &&
      report.top1Agreement < thresholds.top1Agreement
    )
      report.failures.push(
        `top-1 agreement ${(report.top1Agreement * 100).toFixed(2)}% on ${report.top1On === 'held-out' ? 'the held-out task inputs' : 'random inputs'} is below ${thresholds.top1Agreement * 100}% (${opts.precision}).`,
      );
    report.ok = report.failures.length === 0;
    const runs = opts.latencyRuns ?? 10;
    if (runs > 0) {
      const one = repeatFirst(opts.feeds, 1);
      const many = repeatFirst(opts.feeds, 64);
      report.latencyMs = {
        batch1: await medianMs(() => runOnnx(session, one, opts.onnxNames), runs),
        batch64: await medianMs(() => runOnnx(session, many, opts.onnxNames), runs),
      };
    }
    if (opts.modelPath)
      await writeFileAtomic(
        verifyPath(opts.modelPath),
        JSON.stringify(report, null, 2),
        'the verification report',
      );
    return report;
  } finally {
    await session.release();
  }
}

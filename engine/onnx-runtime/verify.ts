import { writeFileAtomic } from '../io/durable-write.ts';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';
import type { Precision } from '../onnx/emit.ts';
import { compareTask, type TaskCheck, type TaskPlan } from './task-metric.ts';
import { DEFAULT_THRESHOLDS, judgeExport, type Verdict, type VerifyThresholds } from './verdict.ts';

/** A tensor fed to or compared from a model, keyed by its program (IR) name. */
export interface HostTensor {
  data: Float32Array | Int32Array;
  dims: number[];
}

export interface VerifyOptions {
  precision: Precision;
  /**
   * Trained weights: the task metric (else error and top-1) decides. Initial weights are
   * judged by closeness only (engine/onnx-runtime/verdict.ts). @default true
   */
  trained?: boolean;
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
  /** maxAbsError over the output's largest |reference| value. */
  relativeError: number;
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
  /** The largest relative error over the outputs. */
  relativeError: number;
  /**
   * Top-1 agreement over every logits output on the random inputs; undefined when there is
   * none. The held-out agreement, where there is a task check, is `task.top1Agreement`.
   */
  top1Agreement?: number;
  /** Which inputs `top1Agreement` was measured on. */
  top1On?: 'random';
  /** The thresholds in force: the precision's defaults with the overrides. */
  thresholds: Required<VerifyThresholds>;
  /**
   * What decided the verdict, and why when that needs saying (engine/onnx-runtime/verdict.ts);
   * `unverified`: the check could not run, and `failures` says what was not checked and why.
   */
  judgedBy: Verdict['judgedBy'] | 'unverified';
  criteria: string[];
  note: string | null;
  /** Median milliseconds per run at batch 1 and 64 (the held-out first example, repeated). */
  latencyMs?: { batch1: number; batch64: number };
  /** Task metric on held-out data with targets, tfjs reference against the export. */
  task: TaskCheck | null;
  /** Why `task` is null, as a sentence; null when there is a task check. */
  taskSkipped: string | null;
  /** The one criterion that failed, as a sentence; empty when ok. */
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

/**
 * The report of an export whose check could not run (the file is written all the same): `what`
 * names the step that failed, `error` why. Nothing is claimed about the outputs.
 */
export function unverifiedReport(
  bytes: Uint8Array,
  precision: Precision,
  what: string,
  error: unknown,
): VerifyReport {
  const why = (error as Error).message?.replace(/\.$/, '') || String(error);
  return {
    ok: false,
    precision,
    fileBytes: bytes.length,
    outputs: [],
    maxAbsError: NaN,
    relativeError: NaN,
    thresholds: { ...DEFAULT_THRESHOLDS[precision] },
    judgedBy: 'unverified',
    criteria: [],
    note: null,
    task: null,
    taskSkipped: `Not checked: ${what} could not run.`,
    failures: [
      `The export could not be verified: ${what} failed (${why}), so neither its outputs nor its task accuracy were checked against the tfjs model. Check it with a smaller held-out batch or fewer supervision steps, or in step mode.`,
    ],
  };
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
      let scale = 0;
      for (let i = 0; i < ref.length; i++) {
        const d = Math.abs((out[i] as number) - (ref[i] as number));
        maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
        scale = Math.max(scale, Math.abs(ref[i] as number));
      }
      // An all-zero output (a fresh state) is judged against 1, i.e. absolutely.
      const check: OutputCheck = {
        name,
        maxAbsError: maxAbs,
        relativeError: maxAbs / Math.max(scale, 1),
      };
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
    const relativeError = Math.max(0, ...outputs.map((o) => o.relativeError));
    const top1Agreement = agreeCount > 0 ? agreeSum / agreeCount : undefined;
    const task =
      opts.task && !('skipped' in opts.task)
        ? compareTask(
            opts.task,
            await opts.task.score((feeds) => runOnnx(session, feeds, opts.onnxNames)),
          )
        : null;
    const verdict = judgeExport(
      {
        precision: opts.precision,
        trained: opts.trained ?? true,
        maxAbsError,
        relativeError,
        ...(top1Agreement !== undefined ? { top1Agreement } : {}),
        task,
      },
      opts.thresholds,
    );
    const report: VerifyReport = {
      ok: verdict.ok,
      precision: opts.precision,
      fileBytes: bytes.length,
      outputs,
      maxAbsError,
      relativeError,
      ...(top1Agreement !== undefined ? { top1Agreement, top1On: 'random' as const } : {}),
      thresholds: { ...DEFAULT_THRESHOLDS[opts.precision], ...opts.thresholds },
      judgedBy: verdict.judgedBy,
      criteria: verdict.criteria,
      note: verdict.note,
      task,
      taskSkipped:
        opts.task === undefined
          ? 'No task check was requested.'
          : 'skipped' in opts.task
            ? opts.task.skipped
            : null,
      failures: verdict.failure ? [verdict.failure] : [],
    };
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

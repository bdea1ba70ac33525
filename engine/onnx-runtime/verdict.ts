/**
 * The export verdict: one rule, the same at every precision (only the thresholds differ).
 *
 * - A trained model with a task metric (perplexity, accuracy, exact match, cell accuracy on
 *   held-out data with targets) is judged by that metric alone: it is what a user of the model
 *   would notice. Top-1 agreement and max error are reported beside it.
 * - A trained model without a task metric is judged by its outputs: their error relative to
 *   their scale, and the fall of top-1 agreement.
 * - Untrained (initial) weights are judged by whether the outputs are numerically close; their
 *   logits are near ties, which any rounding flips, so neither top-1 nor the task says anything
 *   yet (both are reported).
 *
 * The first criterion that fails is the verdict's one failure.
 */
import type { Precision } from '../onnx/emit.ts';
import type { TaskMetric } from './task-metric.ts';

export interface VerifyThresholds {
  /** Largest allowed max |onnx − reference| of an output over its max |reference|. */
  maxRelativeError?: number;
  /** Largest allowed fall of top-1 agreement below 100% (0–1): 0.01 = 1 point. */
  top1Drop?: number;
  /** Largest allowed fall of a task accuracy (accuracy, exact match), absolute: 0.01 = 1 point. */
  accuracyDrop?: number;
  /** Largest allowed relative rise of the task perplexity: 0.02 = 2%. */
  perplexityRise?: number;
}

/**
 * Defaults per precision. Relative error: fp32 is rounding; fp16 keeps 11 bits; int8 forms
 * measured 1–3% on the templates' initial weights and int4 13% (so 10% and 30% leave room
 * without letting a mis-scaled weight, which is off by its whole size, through).
 *
 * Top-1: fp32 and fp16 flip only exact ties, int8 a few near ties: each is allowed 1 point, and int4 10 (16 levels per
 * weight block do swap close logits).
 *
 * Task thresholds: fp32 is only rounding, so a tenth of a point / 0.1% covers a near-tie
 * flipping and nothing more. fp16 and the int8 forms: at most 1 point of accuracy (2 of 256
 * puzzles) and 2% perplexity — the gap between two neighbouring checkpoints of a small run,
 * less than a person would notice in use. int4 gets 3 points / 5%: the usual "int4 costs a few
 * percent" budget; a corrupted or mis-scaled export moves these by tens of points.
 */
export const DEFAULT_THRESHOLDS: Record<Precision, Required<VerifyThresholds>> = {
  fp32: { maxRelativeError: 1e-4, top1Drop: 0.01, accuracyDrop: 0.001, perplexityRise: 0.001 },
  fp16: { maxRelativeError: 1e-2, top1Drop: 0.01, accuracyDrop: 0.01, perplexityRise: 0.02 },
  int8: { maxRelativeError: 0.1, top1Drop: 0.01, accuracyDrop: 0.01, perplexityRise: 0.02 },
  'int8-weight': {
    maxRelativeError: 0.1,
    top1Drop: 0.01,
    accuracyDrop: 0.01,
    perplexityRise: 0.02,
  },
  int4: { maxRelativeError: 0.3, top1Drop: 0.1, accuracyDrop: 0.03, perplexityRise: 0.05 },
};

/** What the verdict reads from a verification. */
export interface VerdictInput {
  precision: Precision;
  /** Trained weights (a checkpoint), as opposed to the deterministic initial ones. */
  trained: boolean;
  maxAbsError: number;
  relativeError: number;
  /** Top-1 agreement on the random inputs; undefined when the model has no logits. */
  top1Agreement?: number;
  /** The task check's metrics on held-out data, or null when there is none. */
  task: { data: string; metrics: TaskMetric[] } | null;
}

export interface Verdict {
  ok: boolean;
  /** `task`: the task metric decided; `outputs`: error and top-1; `closeness`: error only. */
  judgedBy: 'task' | 'outputs' | 'closeness';
  /** The criterion that failed, as a sentence naming its flag; null when ok. */
  failure: string | null;
  /** Each criterion judged, in words (`perplexity rise ≤ 2%`). */
  criteria: string[];
  /** Why the verdict judged what it did, when that needs saying. */
  note: string | null;
}

interface Criterion {
  rule: string;
  /** Sentence when failed, null when it holds (NaN fails: written as `!(x <= limit)`). */
  failure: string | null;
}

const pts = (x: number) => (x * 100).toFixed(2);
const limitText = (x: number) => `${+(x * 100).toFixed(4)}`;

function taskCriteria(
  task: NonNullable<VerdictInput['task']>,
  t: Required<VerifyThresholds>,
  precision: Precision,
): Criterion[] {
  return task.metrics.map((m: TaskMetric) => {
    if (m.metric === 'perplexity') {
      const rise = m.onnx / m.reference - 1;
      return {
        rule: `perplexity rise ≤ ${limitText(t.perplexityRise)}%`,
        failure:
          rise <= t.perplexityRise
            ? null
            : `task perplexity rose ${pts(rise)}% (${m.reference.toFixed(3)} → ${m.onnx.toFixed(3)} on ${task.data}), more than the ${pts(t.perplexityRise)}% allowed (${precision}; --max-perplexity-rise).`,
      };
    }
    const drop = m.reference - m.onnx;
    return {
      rule: `${m.metric} drop ≤ ${limitText(t.accuracyDrop)} pt`,
      failure:
        drop <= t.accuracyDrop + 1e-12
          ? null
          : `task ${m.metric} fell ${pts(drop)} points (${pts(m.reference)}% → ${pts(m.onnx)}% on ${task.data}), more than the ${pts(t.accuracyDrop)} allowed (${precision}; --max-accuracy-drop).`,
    };
  });
}

function finite(c: VerdictInput): Criterion {
  return {
    rule: 'outputs finite',
    failure:
      Number.isFinite(c.maxAbsError) && Number.isFinite(c.relativeError)
        ? null
        : `the export's outputs are not finite (max abs error ${c.maxAbsError}): the weights overflow at this precision or the model had diverged; export an earlier checkpoint or a wider precision.`,
  };
}

function closeness(
  c: VerdictInput,
  t: Required<VerifyThresholds>,
  precision: Precision,
): Criterion {
  return {
    rule: `relative error ≤ ${t.maxRelativeError}`,
    failure:
      c.relativeError <= t.maxRelativeError
        ? null
        : `the outputs differ from the reference by up to ${c.relativeError.toExponential(2)} of their largest value (max abs error ${c.maxAbsError.toExponential(2)}), more than the ${t.maxRelativeError} allowed (${precision}).`,
  };
}

function top1(c: VerdictInput, t: Required<VerifyThresholds>, precision: Precision): Criterion[] {
  if (c.top1Agreement === undefined) return [];
  const drop = 1 - c.top1Agreement;
  return [
    {
      rule: `top-1 drop ≤ ${limitText(t.top1Drop)} pt`,
      failure:
        drop <= t.top1Drop + 1e-12
          ? null
          : `top-1 agreement on random inputs is ${pts(c.top1Agreement)}%, ${pts(drop)} points below 100%, more than the ${pts(t.top1Drop)} allowed (${precision}; --max-top1-drop).`,
    },
  ];
}

/** The verdict of one export under `thresholds` (the precision's defaults, overridden). */
export function judgeExport(c: VerdictInput, overrides: VerifyThresholds = {}): Verdict {
  const t = { ...DEFAULT_THRESHOLDS[c.precision], ...overrides };
  let judgedBy: Verdict['judgedBy'];
  let criteria: Criterion[];
  let note: string | null = null;
  if (!c.trained) {
    judgedBy = 'closeness';
    const close = closeness(c, t, c.precision);
    if (close.failure) {
      close.failure += ` Untrained weights repeated through a recursion (a TRM's LeCun initialisation, for one) can amplify the smallest rounding this far; export a trained run, which the task judges.`;
    }
    criteria = [close];
    note = `These are untrained initial weights, so the task check is not meaningful yet${c.task ? ' (reported only)' : ''}: their logits are near ties that any rounding flips. The verdict judges that the outputs are numerically close; export a trained run to judge the task.`;
  } else if (c.task && c.task.metrics.length > 0) {
    judgedBy = 'task';
    criteria = taskCriteria(c.task, t, c.precision);
  } else {
    judgedBy = 'outputs';
    criteria = [closeness(c, t, c.precision), ...top1(c, t, c.precision)];
  }
  // Whatever decides, outputs that are not numbers are no model: checked first, every time.
  criteria = [finite(c), ...criteria];
  const failed = criteria.find((k) => k.failure !== null);
  return {
    ok: failed === undefined,
    judgedBy,
    failure: failed?.failure ?? null,
    criteria: criteria.map((k) => k.rule),
    note,
  };
}

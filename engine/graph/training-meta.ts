import type { GraphDocument } from './schema.ts';

/**
 * Keys written by documents made before `meta.training` was a TrainConfig, and what they mean
 * now: `optimizer: {betas, weightDecay}` moves up; `loss: "cell-ce" | "next-token" | "masked"`
 * named the task's (softmax) cross-entropy; `halting: true | false` said whether the graph halts,
 * which the graph itself now says.
 */
function fromLegacy(t: Record<string, unknown>): Record<string, unknown> {
  const out = { ...t };
  const opt = out.optimizer;
  if (typeof opt === 'object' && opt !== null && !Array.isArray(opt)) {
    const { betas, weightDecay, ...rest } = opt as Record<string, unknown>;
    if (Object.keys(rest).length > 0) {
      throw new Error(
        `meta.training.optimizer has fields the trainer does not know (${Object.keys(rest).join(', ')}); write betas and weightDecay at the top of meta.training`,
      );
    }
    delete out.optimizer;
    if (betas !== undefined) out.betas ??= betas;
    if (weightDecay !== undefined) out.weightDecay ??= weightDecay;
  }
  if (out.loss === 'cell-ce' || out.loss === 'next-token' || out.loss === 'masked') out.loss = 'ce';
  if (typeof out.halting === 'boolean') delete out.halting;
  return out;
}

/**
 * The document's `meta.training` in today's layout (older keys translated), unvalidated: the
 * trainer checks it against TrainConfig (engine/train/document-config.ts), the Train panel
 * shows it as the values a run will use. Throws a sentence when it is not an object.
 */
export function documentTraining(doc: Pick<GraphDocument, 'meta'>): Record<string, unknown> {
  const raw = (doc.meta as { training?: unknown } | undefined)?.training;
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error('meta.training must be an object of training settings');
  }
  return fromLegacy(raw as Record<string, unknown>);
}

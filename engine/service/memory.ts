import { totalmem } from 'node:os';
import type { GraphDocument } from '../graph/schema.ts';
import { analyzeDocument } from './analyze.ts';
import { ServiceError } from './errors.ts';

/**
 * A training run's memory, estimated before it starts, so that a batch far too large is refused
 * with the batch that fits instead of taking the machine down (an out-of-memory in the engine
 * process kills the window's host too). The estimate is deliberately rough and errs high:
 * - parameters: weights, gradients and AdamW's two moments (4 float32 copies), a fifth with EMA;
 * - activations: every float node output of every recursion step per token (the analysis's
 *   figure) × context × batch, ×3 for what the backward pass keeps and creates besides.
 */
export interface MemoryEstimate {
  paramBytes: number;
  activationBytes: number;
  total: number;
}

/** Forward outputs, their gradients and the backward's temporaries, relative to the outputs. */
const ACTIVATION_FACTOR = 3;
/** Keep this share of the machine's memory for the OS, the app and the data. */
const USABLE_SHARE = 0.8;

export function estimateTrainingMemory(
  doc: GraphDocument,
  batch: number,
  opts: { ema: boolean; context?: number },
): MemoryEstimate {
  const totals = analyzeDocument(doc).totals;
  const paramBytes = totals.params * 4 * (opts.ema ? 5 : 4);
  const context = opts.context ?? totals.context ?? 1;
  const activationBytes = totals.activationBytesPerToken * context * batch * ACTIVATION_FACTOR;
  return { paramBytes, activationBytes, total: paramBytes + activationBytes };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(n >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}

/** Refuses, naming the sizes and the largest batch that fits, when the run cannot fit. */
export function checkTrainingFits(
  estimate: MemoryEstimate,
  batch: number,
  available: number = totalmem(),
): void {
  const usable = available * USABLE_SHARE;
  if (estimate.total <= usable) return;
  const perExample = estimate.activationBytes / batch;
  const room = usable - estimate.paramBytes;
  const fits = perExample > 0 ? Math.floor(room / perExample) : 0;
  const next =
    fits >= 1
      ? `set batch to ${fits} or less`
      : 'the weights and optimizer state alone do not fit: shrink the model (d_model, layers)';
  throw new ServiceError(
    'out-of-memory',
    `This run would need about ${formatBytes(estimate.total)} of memory ` +
      `(${formatBytes(estimate.paramBytes)} weights and optimizer state, ` +
      `${formatBytes(estimate.activationBytes)} activations at batch ${batch}), ` +
      `but this machine has ${formatBytes(available)}. Next: ${next}, or shorten the context.`,
  );
}

import type { TrainConfig } from './config.ts';

type ScheduleConfig = Pick<TrainConfig, 'lr' | 'warmup' | 'schedule' | 'minLrRatio' | 'steps'>;

/**
 * Learning rate for optimizer step `step` (0-based): linear warmup from lr/warmup to lr over
 * `warmup` steps, then constant, or cosine/linear decay to lr·minLrRatio at the last step.
 */
export function learningRate(step: number, c: ScheduleConfig): number {
  if (step < c.warmup) return (c.lr * (step + 1)) / c.warmup;
  if (c.schedule === 'constant') return c.lr;
  const span = Math.max(1, c.steps - c.warmup - 1);
  const progress = Math.min(1, (step - c.warmup) / span);
  const min = c.lr * c.minLrRatio;
  const shape = c.schedule === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
  return min + (c.lr - min) * shape;
}

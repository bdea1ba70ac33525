import { readFileSync } from 'node:fs';

/**
 * The small set-up the fine-tuning tests train on (start-from-run, LoRA, distillation,
 * pruning): a template made tiny for the copy task, on the CPU, a few steps, nothing written
 * between steps.
 */

/** Copy 4 digits: rows of 9 tokens, vocabulary 14. */
export const COPY4 = { type: 'copy', length: 4 } as const;

export const TINY_CONFIG = {
  backend: 'cpu' as const,
  batch: 4,
  lr: 1e-2,
  warmup: 0,
  evalEvery: 0,
  evalExamples: 8,
  checkpointEvery: 0,
  dropout: false,
};

/** Template `name` as JSON made tiny (D 16, 2 heads, T 9, V 14) for COPY4; `dims` override. */
export function tinyTemplate<Doc extends { dims: Record<string, number> }>(
  name: string,
  dims: Record<string, number> = {},
): Doc {
  const doc = JSON.parse(readFileSync(`templates/${name}.json`, 'utf8')) as Doc;
  doc.dims = { ...doc.dims, V: 14, D: 16, H: 2, T: 9, ...dims };
  return doc;
}

import { z } from 'zod';

/** The lowest sampling temperature above 0 (greedy); below it sampling is greedy anyway. */
export const MIN_TEMPERATURE = 1e-3;

/** Decoding settings shared by the CLI, the playground and both runtimes (tfjs and ONNX). */
export const SamplingConfig = z.strictObject({
  /**
   * @default 0 — 0 is greedy (argmax). Between 0 and MIN_TEMPERATURE, logits / T overflow to
   * ±Infinity and would read as a diverged model, so that range is refused.
   */
  temperature: z
    .number()
    .min(0)
    .max(10)
    .refine((t) => t === 0 || t >= MIN_TEMPERATURE, {
      message: `use 0 for greedy decoding, or a temperature of at least ${MIN_TEMPERATURE}`,
    })
    .default(0)
    .describe('0 = greedy; higher = more random.'),
  /** @default 0 — 0 keeps every token. */
  topK: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('Sample among the K most likely tokens (0 = all).'),
  /** @default 1 — 1 keeps every token. */
  topP: z
    .number()
    .gt(0)
    .max(1)
    .default(1)
    .describe('Sample within the smallest set of tokens with this much probability.'),
  /** @default 1 — more than 1 runs beam search (deterministic). */
  beams: z.number().int().min(1).max(32).default(1).describe('Beam width; > 1 runs beam search.'),
  /** @default 64 */
  maxNewTokens: z.number().int().min(1).max(100_000).default(64).describe('Tokens to generate.'),
  /** @default 0 */
  seed: z.number().int().min(0).default(0).describe('Seed of the sampler.'),
});
export type SamplingConfig = z.infer<typeof SamplingConfig>;

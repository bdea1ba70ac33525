import { z } from 'zod';

/**
 * What the recursion insight reports (engine/infer/insight.ts), as schemas so the API
 * validates them at the host boundary like every other result.
 */

export const DepthKind = z.enum(['supervision', 'recursion']);
export type DepthKind = z.infer<typeof DepthKind>;

/** Held-out metrics with the model run to one depth. */
export const DepthPoint = z.strictObject({
  /** Supervision steps run, or the recursion count of the varied recursion node(s). */
  depth: z.number().int().min(1),
  /** Mean cross-entropy per scored position (the run's loss kind). */
  loss: z.number(),
  /** Share of scored positions (cells, tokens) predicted right. */
  accuracy: z.number(),
  /** Share of examples with every scored position right (puzzles and sequence tasks). */
  exactMatch: z.number().optional(),
  /** exp(loss), for language models. */
  perplexity: z.number().optional(),
  /** Mean sigmoid of the halting logit at this step. */
  haltProbability: z.number().optional(),
  /** Share of examples whose halting logit is > 0 at this step. */
  haltRate: z.number().optional(),
  /** Share that an early-halting solver would have stopped by this step (logit > 0 at any step so far). */
  stoppedBy: z.number().optional(),
});
export type DepthPoint = z.infer<typeof DepthPoint>;

export const DepthSweep = z.strictObject({
  kind: DepthKind,
  /** The depth the model was trained at (N_sup, or the recursion's steps). */
  trainedDepth: z.number().int(),
  /** Recursion nodes whose depth was varied (`graph/node`). */
  nodes: z.array(z.string()),
  /** Held-out examples scored at every depth. */
  examples: z.number().int(),
  /** `cells` (puzzles, sequence tasks), `lm` (next token) or `mlm` (masked tokens). */
  task: z.enum(['cells', 'lm', 'mlm']),
  data: z.string(),
  /** Optimizer step of the checkpoint, and whether its EMA weights were used. */
  checkpointStep: z.number().int(),
  ema: z.boolean(),
  points: z.array(DepthPoint),
  /** Why the sweep stopped short of the depth asked for, when it did. */
  note: z.string().nullable(),
});
export type DepthSweep = z.infer<typeof DepthSweep>;

/** One cells example (a puzzle) after each supervision step. */
export const CellsStep = z.strictObject({
  depth: z.number().int().min(1),
  /** Argmax token per cell. */
  answer: z.array(z.number().int()),
  /** Softmax probability of the argmax token per cell. */
  confidence: z.array(z.number()),
  haltProbability: z.number().nullable(),
  /** Cells right (of `target`'s scored cells), when the target is known. */
  correct: z.number().int().nullable(),
});
export type CellsStep = z.infer<typeof CellsStep>;

export const TopToken = z.strictObject({
  id: z.number().int(),
  text: z.string(),
  probability: z.number(),
});
export type TopToken = z.infer<typeof TopToken>;

/** One text example: the next-token distribution at its last position, at each depth. */
export const TextStep = z.strictObject({
  depth: z.number().int().min(1),
  top: z.array(TopToken),
  /** Probability of the true next token, when it is known. */
  targetProbability: z.number().nullable(),
});
export type TextStep = z.infer<typeof TextStep>;

export const ExampleTrace = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('cells'),
    kind: DepthKind,
    trainedDepth: z.number().int(),
    /** Index in the held-out set, or null for a puzzle the user typed. */
    index: z.number().int().nullable(),
    /** Token → display text (e.g. '.', '1', …). */
    vocab: z.array(z.string()),
    input: z.array(z.number().int()),
    /** The solution (−1 where nothing is asked), when known. */
    target: z.array(z.number().int()).nullable(),
    /** Cells the question already answers (Sudoku givens). */
    given: z.array(z.boolean()),
    steps: z.array(CellsStep),
  }),
  z.strictObject({
    type: z.literal('text'),
    kind: DepthKind,
    trainedDepth: z.number().int(),
    index: z.number().int().nullable(),
    /** The context, decoded (its last token is where the prediction is read). */
    context: z.string(),
    /** The true next token, when known. */
    target: z.string().nullable(),
    steps: z.array(TextStep),
  }),
]);
export type ExampleTrace = z.infer<typeof ExampleTrace>;

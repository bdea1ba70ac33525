import { z } from 'zod';

/**
 * The trainer's typed events and commands. Every message crossing the worker boundary (and
 * later IPC / WebSocket) is validated against these schemas on arrival.
 */

export const StepMetrics = z.strictObject({
  /** Optimizer steps completed (1-based after the first update). */
  step: z.number().int(),
  loss: z.number(),
  /** Share of scored positions (tokens / cells) predicted right. */
  accuracy: z.number(),
  /** Share of examples with every scored position right (tasks with exact-match metrics). */
  exactMatch: z.number().optional(),
  /** exp(loss), for language modelling. */
  perplexity: z.number().optional(),
  /** Halting loss (deep supervision). */
  haltLoss: z.number().optional(),
  /** Distillation: the teacher's term T²·KL(teacher ‖ student) of the loss. */
  distillLoss: z.number().optional(),
  /**
   * Deep supervision: which supervision step (0-based) this was, as a mean over the batch's
   * examples ('batch' halting keeps them all at the same step).
   */
  supervisionStep: z.number().optional(),
  /** Share of the batch's examples that halted early this step (halting logit > 0). */
  halted: z.number().optional(),
  /** Share of the batch's examples replaced after this step (halted, or N_sup steps done). */
  replaced: z.number().optional(),
  lr: z.number(),
  gradNorm: z.number(),
  tokensPerSec: z.number(),
  /** Seconds left at the steady pace; absent for the first steps (compile time, warm-up). */
  etaSec: z.number().optional(),
  /** Live tfjs tensors after the step, flat in a healthy run (the leak check; absent on PyTorch). */
  tensors: z.number().int().optional(),
});
export type StepMetrics = z.infer<typeof StepMetrics>;

/** What a run keeps of each step (the curve), not the throughput figures. */
export const StepRecord = z.strictObject({
  step: z.number().int(),
  loss: z.number(),
  accuracy: z.number(),
  lr: z.number(),
  exactMatch: z.number().optional(),
});
export type StepRecord = z.infer<typeof StepRecord>;

export const DepthMetrics = z.strictObject({
  /** Supervision steps run (recursion depth = this × the per-step depth). */
  depth: z.number().int(),
  accuracy: z.number(),
  /** Puzzles: accuracy on the cells the question leaves open (blank cells, the path). */
  openAccuracy: z.number().optional(),
  exactMatch: z.number(),
  loss: z.number(),
  /** Share of examples whose halting logit is > 0 at this depth. */
  haltRate: z.number().optional(),
});
export type DepthMetrics = z.infer<typeof DepthMetrics>;

export const EvalReport = z.strictObject({
  step: z.number().int(),
  examples: z.number().int(),
  loss: z.number(),
  accuracy: z.number(),
  /** Puzzles: accuracy on the cells the question leaves open (chance is 1/choices there). */
  openAccuracy: z.number().optional(),
  exactMatch: z.number().optional(),
  perplexity: z.number().optional(),
  /** Deep-supervision models: metrics after each supervision step, all N_sup run. */
  byDepth: z.array(DepthMetrics).optional(),
  /** Whether the EMA weights were evaluated. */
  ema: z.boolean(),
});
export type EvalReport = z.infer<typeof EvalReport>;

/**
 * Where a fine-tuned run's first weights came from: a checkpoint of an earlier run, matched by
 * weight name. Kept in every checkpoint of the new run (resume keeps it) and in its run record.
 */
export const InitFromReport = z.strictObject({
  /** The checkpoint folder the weights were read from. */
  checkpoint: z.string(),
  /** The run it belongs to: its runs-table id, else its folder. */
  run: z.string(),
  /** The checkpoint's optimizer step. */
  step: z.number().int().min(0),
  /** Weights copied from the checkpoint (same name, same shape). */
  mapped: z.array(z.string()),
  /** Weights initialised afresh, each with the reason (not in the run, or its shape changed). */
  initialised: z.array(z.strictObject({ name: z.string(), reason: z.string() })),
  /** Weights whose vocabulary rows were carried over token by token (`resizeEmbedding`). */
  resized: z.array(z.string()).default([]),
  /** The checkpoint's weights this graph has no place for. */
  unused: z.array(z.string()),
  /** A sentence on the two vocabularies, when they differ. */
  vocab: z.string().optional(),
});
export type InitFromReport = z.infer<typeof InitFromReport>;

export const TrainEvent = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('started'),
    backend: z.string(),
    /** Why a faster backend was not used (a GPU package without its driver), as a sentence. */
    notice: z.string().optional(),
    /** What runs the training when it is not tfjs here (the PyTorch engine), as a sentence. */
    info: z.string().optional(),
    params: z.number().int(),
    /** Parameter values that train (LoRA adapters included) and that stay as they are. */
    trainableParams: z.number().int().optional(),
    frozenParams: z.number().int().optional(),
    startStep: z.number().int(),
    steps: z.number().int(),
    data: z.string(),
    resumedFrom: z.string().optional(),
    /** A run started from another run's checkpoint: what was mapped and what was not. */
    initFrom: InitFromReport.optional(),
    /** Weights that do not train (config `freeze`), by name. */
    frozen: z.array(z.string()).optional(),
  }),
  z.strictObject({ type: z.literal('step'), metrics: StepMetrics }),
  z.strictObject({ type: z.literal('eval'), report: EvalReport }),
  z.strictObject({ type: z.literal('checkpoint'), step: z.number().int(), path: z.string() }),
  z.strictObject({ type: z.literal('paused'), step: z.number().int() }),
  z.strictObject({ type: z.literal('resumed'), step: z.number().int() }),
  z.strictObject({
    type: z.literal('stopped'),
    step: z.number().int(),
    reason: z.enum(['completed', 'stopped']),
    lastCheckpoint: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal('error'),
    message: z.string(),
    step: z.number().int(),
    lastCheckpoint: z.string().optional(),
  }),
]);
export type TrainEvent = z.infer<typeof TrainEvent>;

export const TrainCommand = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('pause') }),
  z.strictObject({ type: z.literal('resume') }),
  z.strictObject({ type: z.literal('stop') }),
]);
export type TrainCommand = z.infer<typeof TrainCommand>;

/** What a host sends to start a run: everything serializable (no tensors, no functions). */
export const TrainRequest = z.strictObject({
  /** The graph document (validated again by the trainer). */
  document: z.unknown(),
  /** A data spec (engine/data's DataSpec, validated by it). */
  data: z.unknown(),
  config: z.record(z.string(), z.unknown()).default({}),
  /** Run folder for checkpoints; none means no checkpoints. */
  outDir: z.string().optional(),
  /** A run folder or checkpoint folder to continue from. */
  resume: z.string().optional(),
  /** A new run whose first weights come from an earlier run's checkpoint (fine-tuning). */
  initFrom: z
    .strictObject({
      /** A run folder, RUN/step-N, or a checkpoint folder. */
      path: z.string(),
      /** Carry vocabulary-sized weights over token by token when the vocabularies differ. */
      resizeEmbedding: z.boolean().optional(),
      /** The run's name as the user knows it (a runs-table id). */
      label: z.string().optional(),
    })
    .optional(),
});
export type TrainRequest = z.input<typeof TrainRequest>;

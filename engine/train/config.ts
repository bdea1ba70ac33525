import { z } from 'zod';
import { LoraConfig } from '../graph/lora.ts';

/**
 * Training hyper-parameters. Every field has a documented default so `TrainConfig.parse({})`
 * is a working configuration; the UI reads the descriptions as tooltips. Defaults follow
 * common small-transformer practice; the TRM paper's values are noted where they differ.
 */
export const TrainConfig = z.strictObject({
  /**
   * Examples per optimizer step.
   * @default 32
   */
  batch: z.number().int().min(1).max(65_536).default(32).describe('Examples per optimizer step.'),
  /**
   * Optimizer steps to run in total (a TRM supervision step is one optimizer step).
   * @default 1000
   */
  steps: z
    .number()
    .int()
    .min(1)
    .max(100_000_000)
    .default(1000)
    .describe('Optimizer steps in total; each deep-supervision step counts as one.'),
  /**
   * Peak learning rate (reached after warmup). The TRM paper uses 1e-4 at batch 768.
   * @default 0.001
   */
  lr: z.number().positive().max(10).default(1e-3).describe('Peak learning rate.'),
  /**
   * Steps of linear warmup from 0 to `lr`.
   * @default 100
   */
  warmup: z
    .number()
    .int()
    .min(0)
    .default(100)
    .describe('Steps of linear warmup from 0 to the peak learning rate.'),
  /**
   * Learning-rate shape after warmup: cosine or linear decay to `lr·minLrRatio`, or constant
   * (the TRM paper's choice).
   * @default 'cosine'
   */
  schedule: z
    .enum(['cosine', 'constant', 'linear'])
    .default('cosine')
    .describe('Learning-rate shape after warmup.'),
  /**
   * Final learning rate as a fraction of `lr` for the cosine and linear schedules.
   * @default 0.1
   */
  minLrRatio: z
    .number()
    .min(0)
    .max(1)
    .default(0.1)
    .describe('Final learning rate as a fraction of the peak (cosine and linear).'),
  /**
   * AdamW β₁ and β₂. The TRM paper uses (0.9, 0.95).
   * @default [0.9, 0.95]
   */
  betas: z
    .tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)])
    .default([0.9, 0.95])
    .describe('AdamW β₁, β₂.'),
  /**
   * The update rule. 'adamw': Adam with decoupled weight decay. 'adam-atan2': the TRM code's
   * choice, whose step is atan2(m̂, √v̂) in place of m̂ / (√v̂ + ε) — bounded by π/2 per
   * coordinate and free of ε (the weight decay stays decoupled).
   * @default 'adamw'
   */
  optimizer: z
    .enum(['adamw', 'adam-atan2'])
    .default('adamw')
    .describe("Update rule: AdamW, or the TRM code's AdamATan2 (atan2(m̂, √v̂), no ε)."),
  /**
   * AdamW ε, added to √v̂.
   * @default 1e-8
   */
  eps: z.number().positive().default(1e-8).describe('AdamW ε.'),
  /**
   * Decoupled weight decay (AdamW); parameters marked `decay: false` (norms, biases, the
   * halting bias) get none. The TRM paper uses 1.0 on Sudoku.
   * @default 0.1
   */
  weightDecay: z.number().min(0).default(0.1).describe('Decoupled weight decay (AdamW).'),
  /**
   * Clip gradients to this global L2 norm; 0 turns clipping off.
   * @default 1
   */
  clipNorm: z.number().min(0).default(1).describe('Global gradient-norm clip; 0 is off.'),
  /**
   * Run dropout layers during training (evaluation never drops).
   * @default true
   */
  dropout: z.boolean().default(true).describe('Apply dropout while training.'),
  /**
   * Exponential moving average of the weights: rate per step (0 = off). When on, evaluation,
   * checkpoints' exported weights and ONNX export use the averaged weights. TRM paper: 0.999.
   * @default 0
   */
  ema: z
    .number()
    .min(0)
    .lt(1)
    .default(0)
    .describe('EMA rate of the weights; 0 is off. Evaluation uses the EMA weights when on.'),
  /**
   * Warm the EMA up: after k updates its rate is min(ema, (1 + k) / (10 + k)), so the average
   * forgets the initial weights at the start of a run instead of holding e.g. a third of them
   * after 1,000 steps at 0.999. Off gives the plain e ← rate·e + (1 − rate)·p from step 1.
   * @default true
   */
  emaWarmup: z
    .boolean()
    .default(true)
    .describe(
      'Let the EMA rate grow as (1+k)/(10+k) up to its value, so short runs average trained weights.',
    ),
  /**
   * Seed of the data order, dropout masks and the weights' initialisation.
   * @default 0
   */
  seed: z.number().int().min(0).default(0).describe('Seed for data order, dropout and init.'),
  /**
   * Evaluate on held-out data every this many steps (0 = only at the end).
   * @default 200
   */
  evalEvery: z.number().int().min(0).default(200).describe('Steps between evaluations; 0 = end.'),
  /**
   * Held-out examples per evaluation.
   * @default 256
   */
  evalExamples: z.number().int().min(1).default(256).describe('Held-out examples per evaluation.'),
  /**
   * Write a checkpoint every this many steps (0 = only at stop/end). Needs an output folder.
   * Unset, it is a tenth of the run, at most 500: min(500, max(1, ⌊steps/10⌋)), so a short
   * run killed midway still has a checkpoint to resume from.
   * @default min(500, max(1, floor(steps / 10)))
   */
  checkpointEvery: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe(
      'Steps between checkpoints; blank = a tenth of the run (at most 500); 0 = only at stop and at the end.',
    ),
  /**
   * Also write a checkpoint once this many seconds of training passed since the last one
   * (0 = off), so a slow run never loses more than this much work to a crash.
   * @default 60
   */
  checkpointSeconds: z
    .number()
    .min(0)
    .default(60)
    .describe('Seconds of training at most between checkpoints; 0 = by steps only.'),
  /**
   * How many recent checkpoints to keep on disk (older ones are deleted).
   * @default 3
   */
  keepCheckpoints: z.number().int().min(1).default(3).describe('Recent checkpoints kept on disk.'),
  /**
   * Cross-entropy with softmax ('ce') or the TRM code's stable-max ('stablemax':
   * s(x) = 1/(1−x) for x < 0, x + 1 otherwise, in place of exp).
   * @default 'ce'
   */
  loss: z.enum(['ce', 'stablemax']).default('ce').describe('Softmax or stable-max cross-entropy.'),
  /**
   * Weight of the halting head's binary cross-entropy ("this example is already right").
   * @default 0.5
   */
  haltWeight: z.number().min(0).default(0.5).describe('Weight of the halting loss (TRM: 0.5).'),
  /**
   * At training time, stop an example's deep supervision early once its halting logit is
   * positive ('replace' halting), or the batch's once every example's is ('batch' halting).
   * @default true
   */
  haltEarly: z
    .boolean()
    .default(true)
    .describe('Stop deep supervision early when the halting logit is > 0.'),
  /**
   * Halting exploration (the TRM code's): with this probability an example draws a minimum
   * number of supervision steps uniformly from 2..N_sup and cannot halt before it, so the
   * halting head also sees later steps. Drawn from the seed and the example's index, so a
   * resumed run draws the same. 0 is off; TRM uses 0.1.
   * @default 0
   */
  haltExplore: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe(
      'Probability that an example must run a random minimum of supervision steps (TRM: 0.1).',
    ),
  /**
   * How deep supervision moves through the data. 'replace' (the TRM paper's public code): the
   * batch is a set of slots; after each optimizer step every example that had N_sup steps or
   * halted is replaced by the next one, starting from the initial state, while the others
   * carry their state on. 'batch': the whole batch carries its state until N_sup steps ran or
   * every example halted. Models without deep supervision train the same either way.
   * @default 'replace'
   */
  halting: z
    .enum(['replace', 'batch'])
    .default('replace')
    .describe(
      "Deep supervision: 'replace' swaps each finished example for a new one (TRM's code); 'batch' moves on when the whole batch is done.",
    ),
  /**
   * Override the graph's number of deep-supervision steps (N_sup); 0 keeps the graph's.
   * @default 0
   */
  supervisionSteps: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe("Deep-supervision steps; 0 keeps the graph's N_sup."),
  /**
   * Nodes whose weights stay as they are: no gradient is computed for them and the optimizer
   * keeps no state for them. Each entry is a main-graph node id (all the weights it declares)
   * or a weight-name prefix (`net/layer1`, `embed/table`). Mostly for fine-tuning a run.
   * @default []
   */
  freeze: z
    .array(z.string().min(1))
    .default([])
    .describe(
      'Frozen nodes: node ids or weight-name prefixes (e.g. ["embed", "net/layer1"]) that do not train.',
    ),
  /**
   * Learning-rate multipliers by node (id or weight-name prefix, as `freeze`): a weight's step
   * is lr · multiplier. The most specific target wins where two overlap. Unlisted weights: 1.
   * @default {}
   */
  lrScale: z
    .record(z.string().min(1), z.number().positive().max(1000))
    .default({})
    .describe(
      'Learning-rate multiplier per node id or weight-name prefix, e.g. {"embed": 0.1}; freeze a node instead of 0.',
    ),
  /**
   * LoRA adapters: rank-r corrections W + (α/r)·A·B on the matrix weights `targets` names
   * (weight names, globs such as `block?/attn/w{q,v}`, or node ids). Only the adapters train; every
   * base weight is frozen. Export merges them into the base weights (or writes them alone).
   * @default none
   */
  lora: LoraConfig.optional().describe(
    'LoRA adapters {targets, rank, alpha}: only the adapters train; export merges them into the base weights.',
  ),
  /**
   * Knowledge distillation: a trained run (`RUN` or `RUN/step-N`, same vocabulary) whose logits
   * teach this run on the same batch. loss = α·CE(labels) + (1 − α)·T²·KL(softmax(t/T) ‖
   * softmax(s/T)); the teacher is frozen and runs without dropout. Unset: labels only.
   * @default undefined
   */
  distill: z
    .strictObject({
      /** The teacher run: a run folder, `RUN/step-N` or a checkpoint folder. */
      teacher: z.string().min(1).describe('Teacher run folder, RUN/step-N or checkpoint folder.'),
      /**
       * Weight of the labels' cross-entropy; the teacher's term gets 1 − α.
       * @default 0.5
       */
      alpha: z
        .number()
        .min(0)
        .max(1)
        .default(0.5)
        .describe("Weight of the labels' loss; the teacher's gets 1 − alpha."),
      /**
       * Softmax temperature of both models' logits in the teacher's term. 1 measured better
       * than 2 for a recursive LM taught by a tiny GPT on Brown (held-out perplexity 9.77 vs
       * 10.31, labels alone 10.04).
       * @default 1
       */
      temperature: z
        .number()
        .positive()
        .max(100)
        .default(1)
        .describe('Temperature T of the softened predictions (T² scales the term).'),
    })
    .optional()
    .describe(
      'Learn from a trained teacher run as well as the labels: {"teacher": RUN, "alpha": 0.5, "temperature": 1}.',
    ),
  /**
   * Compute backend; 'auto' takes the first of tensorflow-gpu → webgpu (a hardware adapter) →
   * tensorflow → native → wasm → cpu.
   * @default 'auto'
   */
  backend: z
    .enum(['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'native', 'wasm', 'cpu'])
    .default('auto')
    .describe('Compute backend, or auto.'),
});
export type TrainConfig = z.infer<typeof TrainConfig>;
export type TrainConfigInput = z.input<typeof TrainConfig>;

/** Steps between checkpoints: the configured interval, else a tenth of the run (at most 500). */
export function checkpointInterval(config: TrainConfig): number {
  return config.checkpointEvery ?? Math.min(500, Math.max(1, Math.floor(config.steps / 10)));
}

/** Parse a config, naming the first bad field in a sentence. */
export function parseTrainConfig(input: unknown): TrainConfig {
  const r = TrainConfig.safeParse(input ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new Error(
    `Training config field "${issue.path.join('.') || '(root)'}" is invalid: ${issue.message}. Fix or remove it to use the default.`,
  );
}

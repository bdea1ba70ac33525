import { StepTimer } from './step-timer.ts';
import * as tf from '@tensorflow/tfjs-core';
import { createDataSource } from '../data/index.ts';
import { probeWritable } from '../io/durable-write.ts';
import type { DataSpec } from '../data/spec.ts';
import type { DataSource } from '../data/types.ts';
import { unreadPuzzleIds } from '../graph/puzzle-input.ts';
import type { GraphDocument } from '../graph/schema.ts';
import { backendNotice, selectBackend } from '../runtime/backend.ts';
import { checkTrainingFits, estimateTrainingMemory } from './preflight.ts';
import { explainFailure } from '../runtime/failures.ts';
import {
  createWeights,
  encodeWeightsAsync,
  loadWeights,
  type WeightStore,
} from '../runtime/weights.ts';
import { AdamW } from './adamw.ts';
import {
  disposeCheckpoint,
  encodeTensorsAsync,
  writeCheckpoint,
  type CheckpointMeta,
  type LoadedCheckpoint,
  type PruneRecord,
} from './checkpoint.ts';
import { globalNorm, scaleToNorm } from './clip.ts';
import {
  checkpointInterval,
  parseTrainConfig,
  type TrainConfig,
  type TrainConfigInput,
} from './config.ts';
import { TrainControl } from './control.ts';
import { Ema } from './ema.ts';
import { evaluate } from './evaluate.ts';
import type {
  EvalReport,
  InitFromReport,
  StepMetrics,
  StepRecord,
  TrainEvent,
} from '../contract/events.ts';
import {
  compareVocab,
  initFromCheckpoint,
  readInitCheckpoint,
  type InitFrom,
} from './init-from.ts';
import { loadTeacher, type Teacher } from './distill.ts';
import { frozenWeights, learningRateScales } from './node-params.ts';
import {
  disposeForward,
  finishForward,
  forwardTensors,
  type ForwardResult,
  type ForwardTensors,
} from './model.ts';
import { readTogether } from './read-back.ts';
import {
  documentFrom,
  prepareProgram,
  type TrainableProgram,
} from '../runtime/trainable-program.ts';
import { readResumeCheckpoint } from './resume-checkpoint.ts';
import { learningRate } from './schedule.ts';
import {
  firstPosition,
  positionFromBatch,
  SupervisionSlots,
  type SlotPosition,
  type SlotStepReport,
} from './slots.ts';

export interface TrainOptions {
  /** The graph document (parsed and validated here). Taken from the checkpoint on resume when absent. */
  document?: unknown;
  /** Data spec; taken from the checkpoint on resume when absent. */
  data?: DataSpec;
  /** A ready data source (tests); `data` is still what the checkpoint records. */
  source?: DataSource;
  config?: TrainConfigInput;
  /** Run folder for checkpoints; none means no checkpoints. */
  outDir?: string;
  /** Run folder or checkpoint folder to continue from; its config applies, `config` overrides. */
  resume?: string;
  /** A new run whose first weights come from an earlier run's checkpoint (fine-tuning). */
  initFrom?: InitFrom;
  onEvent?: (e: TrainEvent) => void;
  control?: TrainControl;
  /** Called before each optimizer step with its 1-based number (tests inject faults here). */
  beforeStep?: (step: number, weights: WeightStore) => void;
}

export interface TrainedModel {
  trainable: TrainableProgram;
  /** The trained weights (the EMA weights when EMA is on). */
  weights: WeightStore;
  source: DataSource;
  dispose(): void;
}

export interface TrainResult {
  status: 'completed' | 'stopped' | 'failed';
  /** Optimizer steps completed. */
  step: number;
  /** The loss curve, restored steps included. */
  history: StepRecord[];
  evals: EvalReport[];
  lastCheckpoint?: string;
  error?: string;
  model: TrainedModel;
}

/** Dropout seed of one optimizer step: a function of (seed, step), so resume repeats it. */
const stepSeed = (seed: number, step: number) => (Math.imul(seed + 1, 0x9e3779b1) ^ step) >>> 0;

class Diverged extends Error {}

/**
 * Train a graph in this thread. The loop knows nothing about node kinds: it reads the
 * program's logits/halt outputs and `program.supervision`. Hosts run it in a worker
 * (`TrainingSession`); tests and the CLI may call it directly.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const emit = options.onEvent ?? (() => {});
  const control = options.control ?? new TrainControl();
  if (options.resume && options.initFrom) {
    throw new Error(
      `Both a run to resume (${options.resume}) and a run to start from (${options.initFrom.path}) were given: resuming continues a run exactly, starting from one begins a new run with its weights. Give one of them.`,
    );
  }
  const resume = options.resume ? await readResumeCheckpoint(options.resume) : undefined;
  const resumed = resume?.checkpoint;
  let config: TrainConfig | undefined;
  try {
    config = parseTrainConfig({
      ...(resumed ? resumedConfig(resumed.meta.config) : {}),
      ...(options.config ?? {}),
    });
    const backend = await selectBackend(config.backend === 'auto' ? undefined : config.backend);
    const doc = documentFrom(options.document ?? resumed?.meta.document);
    const dataSpec = (options.data ?? resumed?.meta.dataSpec) as DataSpec | undefined;
    if (!dataSpec && !options.source) {
      throw new Error('No training data was given; pass a data spec (for example --data sudoku4).');
    }
    const length = (dataSpec as { length?: unknown } | undefined)?.length;
    // Before the data or any weight is allocated: refused at once, with a batch that fits.
    checkTrainingFits(
      estimateTrainingMemory(doc, config.batch, {
        ema: config.ema > 0,
        ...(typeof length === 'number' ? { context: length } : {}),
      }),
      config.batch,
      { backend: backend.active },
    );
    // A run folder that takes no files is reported now, not at the first checkpoint (and only
    // once the model is known to fit, so a refused run leaves no folder behind).
    if (options.outDir) await probeWritable(options.outDir, 'checkpoints');
    const source = options.source ?? (await createDataSource(dataSpec!, config.seed));
    const tp = prepareProgram(doc, source, config.supervisionSteps, config.lora);
    const named = { names: [...tp.program.params.keys()], owners: tp.owners };
    const frozen = frozenWeights(config.freeze, named);
    // LoRA trains the adapters alone: every base weight is frozen, as `freeze` freezes it.
    if (config.lora) for (const n of named.names) if (!tp.adapters.includes(n)) frozen.add(n);
    if (frozen.size > 0 && frozen.size === named.names.length) {
      throw new Error(
        `freeze (${config.freeze.join(', ')}) covers every weight of the graph, so nothing would train; freeze fewer nodes.`,
      );
    }
    const weights = createWeights(tp.program, config.seed);
    let initFrom: InitFromReport | undefined;
    let teacher: Teacher | undefined;
    try {
      initFrom = options.initFrom
        ? await initialise(weights, options.initFrom, doc, source, dataSpec, config.seed)
        : undefined;
      teacher = config.distill
        ? await loadTeacher(config.distill.teacher, tp, source, dataSpec, config.seed)
        : undefined;
    } catch (e) {
      weights.dispose();
      throw e;
    }
    const run = new Run(tp, weights, source, config, doc, dataSpec, options, emit, control, {
      frozen,
      lrScales: learningRateScales(config.lrScale, named),
      initFrom,
      teacher,
    });
    const notice = [
      resume?.notice,
      teacher && config.distill
        ? `Distilling from ${teacher.label}: loss = ${config.distill.alpha}·CE + ${Number((1 - config.distill.alpha).toFixed(6))}·T²·KL at T = ${config.distill.temperature}.`
        : undefined,
      backendNotice(backend),
      unreadPuzzleIds(tp.puzzle, source.puzzleIds, source.name),
    ]
      .filter(Boolean)
      .join(' ');
    if (resumed) run.restore(resumed);
    emit({
      type: 'started',
      backend: backend.active,
      ...(notice ? { notice } : {}),
      params: tp.params,
      ...parameterSplit(tp, frozen),
      startStep: run.step,
      steps: config.steps,
      data: source.name,
      ...(resumed ? { resumedFrom: resumed.dir } : {}),
      ...(run.initFrom ? { initFrom: run.initFrom } : {}),
      ...(frozen.size ? { frozen: [...frozen] } : {}),
    });
    return await run.loop();
  } catch (e) {
    // Setup failures (the loop reports its own): explained with the batch actually in use,
    // which a resumed run takes from its checkpoint rather than the request.
    const message = (e as Error).message;
    const explained = explainFailure(message, config ? { batch: config.batch } : {});
    if (explained === message) throw e;
    throw new Error(explained, { cause: e });
  } finally {
    if (resumed) disposeCheckpoint(resumed);
  }
}

/** Values that train and values that stay (frozen nodes, and every base weight under LoRA). */
function parameterSplit(
  tp: TrainableProgram,
  frozen: ReadonlySet<string>,
): { trainableParams: number; frozenParams: number } {
  let trainableParams = 0;
  let frozenParams = 0;
  for (const p of tp.program.params.values()) {
    if (p.counted === false) continue;
    const n = p.shape.reduce((a, d) => a * d, 1);
    if (frozen.has(p.name)) frozenParams += n;
    else trainableParams += n;
  }
  return { trainableParams, frozenParams };
}

/** Copy an earlier run's weights into `weights` (see init-from.ts); the checkpoint is freed. */
async function initialise(
  weights: WeightStore,
  init: InitFrom,
  doc: GraphDocument,
  source: DataSource,
  dataSpec: DataSpec | undefined,
  seed: number,
): Promise<InitFromReport> {
  const c = await readInitCheckpoint(init);
  try {
    const vocab = await compareVocab(c, source, dataSpec, seed);
    return await initFromCheckpoint(weights, c, doc, {
      vocab,
      resizeEmbedding: init.resizeEmbedding ?? false,
      ...(init.label ? { label: init.label } : {}),
    });
  } finally {
    disposeCheckpoint(c);
  }
}

/**
 * A checkpoint's config as the run continues it. Runs saved before the `halting` setting
 * existed carried whole batches, so they go on doing so unless the caller says otherwise.
 */
function resumedConfig(saved: Record<string, unknown>): Record<string, unknown> {
  return 'halting' in saved ? saved : { ...saved, halting: 'batch' };
}

class Run {
  step = 0;
  /** The batch in progress; opened at the first step (or from a checkpoint). */
  private slots: SupervisionSlots | undefined;
  /** The weights that train: all but the frozen ones. */
  private readonly trainable: Map<string, tf.Variable>;
  private readonly optimizer: AdamW;
  /** Where the first weights came from (a fine-tuned run), kept in every checkpoint. */
  initFrom: InitFromReport | undefined;
  private readonly ema: Ema | undefined;
  /** The frozen model whose logits teach this one (config.distill). */
  private readonly teacher: Teacher | undefined;
  /** A pruned run's 0/1 masks by weight (the checkpoint's `mask` group): pruned entries stay 0. */
  private masks: Record<string, tf.Tensor> | undefined;
  private pruned: PruneRecord | undefined;
  private readonly history: StepRecord[] = [];
  private readonly evals: EvalReport[] = [];
  private lastCheckpoint: string | undefined;
  private lastCheckpointStep = -1;
  private readonly timer = new StepTimer();
  /** When the last checkpoint was written (or the run began), for the wall-time interval. */
  private savedAt = performance.now();

  constructor(
    private readonly tp: TrainableProgram,
    private readonly weights: WeightStore,
    private readonly source: DataSource,
    private readonly config: TrainConfig,
    private readonly doc: GraphDocument,
    private readonly dataSpec: DataSpec | undefined,
    private readonly options: TrainOptions,
    private readonly emit: (e: TrainEvent) => void,
    private readonly control: TrainControl,
    tuning: {
      frozen: ReadonlySet<string>;
      lrScales: ReadonlyMap<string, number>;
      initFrom: InitFromReport | undefined;
      teacher?: Teacher | undefined;
    },
  ) {
    this.initFrom = tuning.initFrom;
    this.teacher = tuning.teacher;
    // Frozen weights get no gradient, no optimizer moments and no average: they stay bit for bit.
    this.trainable = new Map([...weights.params].filter(([name]) => !tuning.frozen.has(name)));
    const decayed = new Set(
      [...tp.program.params.values()].filter((p) => p.decay).map((p) => p.name),
    );
    this.optimizer = new AdamW(this.trainable, decayed, { ...config, lrScales: tuning.lrScales });
    this.ema = config.ema > 0 ? new Ema(this.trainable, config.ema, config.emaWarmup) : undefined;
  }

  restore(c: LoadedCheckpoint): void {
    const weights = c.raw.weights;
    if (!weights) throw new Error(`${c.dir} has no model weights; it is damaged.`);
    loadWeights(this.weights, weights.manifest, weights.data);
    this.optimizer.load(c.groups.optimizer ?? {}, c.meta.step);
    if (this.ema) {
      // A run that turns EMA on when resuming starts its average from the current weights.
      if (c.groups.ema) this.ema.load(c.groups.ema);
      else this.ema.load(Object.fromEntries(this.trainable));
    }
    this.initFrom = c.meta.initFrom;
    this.pruned = c.meta.pruned;
    const mask = c.groups.mask;
    if (mask) {
      for (const name of Object.keys(mask))
        if (!this.weights.params.has(name))
          throw new Error(
            `${c.dir} masks "${name}", which this graph has no weight of; it is damaged.`,
          );
      // The checkpoint's tensors are freed with it; the run keeps its own copies.
      this.masks = Object.fromEntries(Object.entries(mask).map(([n, t]) => [n, t.clone()]));
      this.applyMasks();
    }
    this.step = c.meta.step;
    this.lastCheckpoint = c.dir;
    this.lastCheckpointStep = c.meta.step;
    this.history.push(...c.meta.metrics.steps);
    this.evals.push(...c.meta.metrics.evals);
    this.slots = this.restoreSlots(c);
  }

  /** The slots a checkpoint stopped in: their examples, counts and carried state. */
  private restoreSlots(c: LoadedCheckpoint): SupervisionSlots {
    const b = this.config.batch;
    const data = c.meta.data;
    let position =
      'nextBatch' in data ? positionFromBatch(data.nextBatch, data.supervisionStep, b) : data;
    const started = position.counts.some((n) => n > 0);
    if (position.examples.length !== position.counts.length) {
      throw new Error(
        `${c.dir} lists ${position.examples.length} examples but ${position.counts.length} supervision counts; it is damaged.`,
      );
    }
    if (position.examples.length !== b) {
      if (started) {
        throw new Error(
          `${c.dir} stopped with ${position.examples.length} examples inside their deep supervision; resume with batch ${position.examples.length} (it is ${b}).`,
        );
      }
      // Nothing is carried, so a new batch size just reads the stream on from the same batch.
      position = positionFromBatch(
        Math.floor(position.examples[0]! / position.examples.length),
        0,
        b,
      );
    }
    if (!started) return SupervisionSlots.open(this.tp, this.weights, this.source, position);
    const carry = c.groups.carry;
    const state = this.tp.state.map((_, i) => carry?.[`state${i}`]);
    if (!state.every((t) => t !== undefined)) {
      throw new Error(
        `${c.dir} stopped inside deep supervision but has no carried state (carry.bin); it is damaged.`,
      );
    }
    const held = state.find((t) => t!.shape[0] !== b)?.shape[0];
    if (held !== undefined) {
      throw new Error(
        `${c.dir} carries deep-supervision state for ${held} examples; resume with batch ${held} (it is ${b}).`,
      );
    }
    return SupervisionSlots.open(
      this.tp,
      this.weights,
      this.source,
      position,
      state as tf.Tensor[],
    );
  }

  async loop(): Promise<TrainResult> {
    let status: TrainResult['status'] = 'completed';
    let error: string | undefined;
    try {
      while (this.step < this.config.steps) {
        const go = await this.control.gate(
          () => this.emit({ type: 'paused', step: this.step }),
          () => this.emit({ type: 'resumed', step: this.step }),
        );
        if (!go) {
          status = 'stopped';
          break;
        }
        await this.trainStep();
        const { evalEvery, checkpointSeconds } = this.config;
        if (evalEvery > 0 && this.step % evalEvery === 0) await this.runEval();
        const every = checkpointInterval(this.config);
        const overdue =
          checkpointSeconds > 0 && performance.now() - this.savedAt >= 1000 * checkpointSeconds;
        if ((every > 0 && this.step % every === 0) || overdue) await this.save();
      }
      if (this.evals.at(-1)?.step !== this.step) await this.runEval();
      if (this.lastCheckpointStep !== this.step) await this.save();
      this.emit({
        type: 'stopped',
        step: this.step,
        reason: status === 'completed' ? 'completed' : 'stopped',
        ...(this.lastCheckpoint ? { lastCheckpoint: this.lastCheckpoint } : {}),
      });
    } catch (e) {
      status = 'failed';
      error = explainFailure((e as Error).message, { batch: this.config.batch, step: this.step });
      this.emit({
        type: 'error',
        message: error,
        step: e instanceof Diverged ? this.step + 1 : this.step,
        ...(this.lastCheckpoint ? { lastCheckpoint: this.lastCheckpoint } : {}),
      });
    }
    this.dropCurrent();
    this.teacher?.dispose();
    if (this.masks) tf.dispose(Object.values(this.masks));
    this.optimizer.dispose();
    if (this.ema) {
      for (const [name, p] of this.trainable) p.assign(this.ema.shadow.get(name)!);
      this.ema.dispose();
    }
    const weights = this.weights;
    return {
      status,
      step: this.step,
      history: this.history,
      evals: this.evals,
      ...(this.lastCheckpoint ? { lastCheckpoint: this.lastCheckpoint } : {}),
      ...(error ? { error } : {}),
      model: { trainable: this.tp, weights, source: this.source, dispose: () => weights.dispose() },
    };
  }

  /** Zero the pruned entries again after an update (the EMA then averages zeros for them). */
  private applyMasks(): void {
    if (!this.masks) return;
    for (const [name, m] of Object.entries(this.masks)) {
      const p = this.weights.params.get(name)!;
      tf.tidy(() => p.assign(tf.mul(p, m)));
    }
  }

  private dropCurrent(): void {
    this.slots?.dispose();
    this.slots = undefined;
  }

  /**
   * One optimizer step. Everything it reads (loss, gradient norm, the teacher's term, the
   * halting losses, the predictions and, with haltEarly, the halting logits) comes back in one
   * asynchronous read after the gradients: no round trip to the device inside the step.
   */
  private async trainStep(): Promise<void> {
    const started = performance.now();
    const number = this.step + 1;
    this.slots ??= SupervisionSlots.open(
      this.tp,
      this.weights,
      this.source,
      firstPosition(this.config.batch),
    );
    const cur = this.slots;
    const batch = cur.batch;
    this.options.beforeStep?.(number, this.weights);
    const lr = learningRate(this.step, this.config);
    const vars = [...this.trainable.values()];
    const irName = new Map([...this.trainable].map(([n, v]) => [v.name, n]));
    let t: ForwardTensors | undefined;
    // The teacher sees the same batch, off the tape: its weights get no gradient.
    const distill = this.config.distill;
    const teacherLogits = this.teacher?.logits(batch);
    const { value, grads } = tf.variableGrads(() => {
      t = forwardTensors(this.tp, this.weights, cur.feeds, cur.state, cur.batch, {
        training: true,
        dropout: this.config.dropout,
        seed: stepSeed(this.config.seed, this.step),
        loss: this.config.loss,
        haltWeight: this.config.haltWeight,
        ...(teacherLogits && distill
          ? {
              distill: {
                logits: teacherLogits,
                alpha: distill.alpha,
                temperature: distill.temperature,
              },
            }
          : {}),
      });
      return t.loss;
    }, vars);
    teacherLogits?.dispose();
    const ft = t!;
    const named: Record<string, tf.Tensor> = {};
    for (const [tfName, g] of Object.entries(grads)) named[irName.get(tfName)!] = g;
    const normT = globalNorm(Object.values(named));
    const halt = ft.halt && this.config.haltEarly ? [ft.halt] : [];
    const [lossV, normV, ceV, predicted, ...rest] = await readTogether([
      value,
      normT,
      ft.ce,
      ft.predicted,
      ...(ft.distill ? [ft.distill] : []),
      ...(ft.bce ? [ft.bce] : []),
      ...halt,
    ]);
    normT.dispose();
    const loss = lossV![0]!;
    const fr = finishForward(ft, batch, {
      ce: ceV![0]!,
      predicted: predicted!,
      ...(ft.distill ? { distill: rest.shift()![0]! } : {}),
      ...(ft.bce ? { bce: rest.shift()![0]! } : {}),
    });
    const q = halt.length ? rest.shift() : undefined;
    value.dispose();
    const clipped = {
      norm: normV![0]!,
      grads: scaleToNorm(named, normV![0]!, this.config.clipNorm),
    };
    tf.dispose(Object.values(grads));
    if (!Number.isFinite(loss) || !Number.isFinite(clipped.norm)) {
      tf.dispose(Object.values(clipped.grads));
      disposeForward(fr);
      const what = !Number.isFinite(loss)
        ? `the loss is ${loss}`
        : `the gradient norm is ${clipped.norm}`;
      throw new Diverged(
        `Training diverged at step ${number}: ${what}. Nothing was saved from this step. ` +
          (this.lastCheckpoint
            ? `The last good checkpoint is ${this.lastCheckpoint} (step ${this.lastCheckpointStep}); resume from it with a lower learning rate or tighter clipping.`
            : 'No checkpoint was written yet; restart with a lower learning rate or tighter clipping.'),
      );
    }
    this.optimizer.apply(clipped.grads, lr);
    tf.dispose(Object.values(clipped.grads));
    this.applyMasks();
    this.ema?.update(this.step);

    const slots = this.advance(fr, q);
    this.step = number;
    const seconds = (performance.now() - started) / 1000;
    this.timer.record(seconds);
    const eta = this.timer.eta(this.config.steps - number);
    const metrics: StepMetrics = {
      step: number,
      loss,
      accuracy: fr.correct / Math.max(1, fr.counted),
      ...(this.source.exactMatch
        ? { exactMatch: fr.exact.reduce((a, b) => a + b, 0) / batch.batch }
        : {}),
      ...(this.source.kind === 'lm' ? { perplexity: Math.exp(fr.ceLoss) } : {}),
      ...(fr.haltLoss !== undefined ? { haltLoss: fr.haltLoss } : {}),
      ...(fr.distillLoss !== undefined ? { distillLoss: fr.distillLoss } : {}),
      ...(this.tp.state.length > 0
        ? { supervisionStep: slots.meanStep, halted: slots.halted, replaced: slots.refilled }
        : {}),
      lr,
      gradNorm: clipped.norm,
      tokensPerSec: (batch.batch * batch.length) / this.timer.current,
      ...(eta !== undefined ? { etaSec: eta } : {}),
      tensors: tf.memory().numTensors,
    };
    this.history.push(compactStep(metrics));
    this.emit({ type: 'step', metrics });
  }

  /**
   * Move the slots on after a step: deep supervision carries the next state (plain tensors,
   * off the tape) to the next step, and the examples that are done (config.halting) are
   * replaced by new ones at the initial state.
   */
  private advance(fr: ForwardResult, q: Float32Array | undefined): SlotStepReport {
    const next = fr.next;
    fr.next = [];
    disposeForward(fr);
    return this.slots!.advance(next, q, {
      mode: this.config.halting,
      supervisionSteps: this.tp.supervisionSteps,
      haltEarly: this.config.haltEarly,
      explore: this.config.haltExplore,
      seed: this.config.seed,
    });
  }

  private async runEval(): Promise<void> {
    const opts = {
      examples: this.config.evalExamples,
      batch: this.config.batch,
      loss: this.config.loss,
      step: this.step,
      ema: !!this.ema,
    };
    const run = () => evaluate(this.tp, this.weights, this.source, opts);
    const report = this.ema ? await this.ema.withAveraged(run) : await run();
    this.evals.push(report);
    this.emit({ type: 'eval', report });
  }

  private async save(): Promise<void> {
    const out = this.options.outDir;
    if (!out) return;
    // Read asynchronously: a device backend (WebGPU in Node) has no synchronous read.
    const groups: Record<string, Awaited<ReturnType<typeof encodeTensorsAsync>>> = {
      weights: await encodeWeightsAsync(this.weights),
      optimizer: await encodeTensorsAsync(this.optimizer.state()),
    };
    if (this.ema) {
      // Every weight, as readers of the EMA group expect: frozen ones have no average, they
      // stand, and so do running statistics (BatchNorm's), which the model is evaluated with.
      const frozen = [...this.weights.params].filter(([name]) => !this.trainable.has(name));
      const running = [...this.weights.buffers].filter(
        ([name]) => this.tp.program.buffers.get(name)?.running,
      );
      groups.ema = await encodeTensorsAsync({
        ...Object.fromEntries(frozen),
        ...Object.fromEntries(running),
        ...this.ema.state(),
      });
    }
    if (this.masks) groups.mask = await encodeTensorsAsync(this.masks);
    const slots = this.slots;
    if (slots?.started) {
      groups.carry = await encodeTensorsAsync(
        Object.fromEntries(slots.state.map((t, i) => [`state${i}`, t])),
      );
    }
    const meta: Omit<CheckpointMeta, 'blobs'> = {
      format: 'trm-checkpoint',
      version: 1,
      step: this.step,
      createdAt: new Date().toISOString(),
      data: this.slotPosition(),
      rng: { seed: this.config.seed },
      config: { ...this.config },
      document: this.doc,
      dataSpec: this.dataSpec ?? null,
      ...(this.initFrom ? { initFrom: this.initFrom } : {}),
      ...(this.pruned ? { pruned: this.pruned } : {}),
      metrics: {
        steps: this.history,
        evals: this.evals,
      },
    };
    this.lastCheckpoint = await writeCheckpoint(out, meta, groups, this.config.keepCheckpoints);
    this.lastCheckpointStep = this.step;
    this.savedAt = performance.now();
    this.emit({ type: 'checkpoint', step: this.step, path: this.lastCheckpoint });
  }

  private slotPosition(): SlotPosition {
    const p = this.slots?.position ?? firstPosition(this.config.batch);
    return { examples: [...p.examples], counts: [...p.counts], next: p.next };
  }
}

function compactStep(m: StepMetrics): StepRecord {
  const out: StepRecord = { step: m.step, loss: m.loss, accuracy: m.accuracy, lr: m.lr };
  if (m.exactMatch !== undefined) out.exactMatch = m.exactMatch;
  return out;
}

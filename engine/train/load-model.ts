import { createDataSource } from '../data/index.ts';
import type { DataSpec } from '../data/spec.ts';
import type { DataSource } from '../data/types.ts';
import type { GraphDocument } from '../graph/schema.ts';
import { selectBackend } from '../runtime/backend.ts';
import { createWeights, loadWeights, savedEntries } from '../runtime/weights.ts';
import { disposeCheckpoint, readCheckpoint } from './checkpoint.ts';
import { parseTrainConfig, type TrainConfig } from './config.ts';
import { evaluate } from './evaluate.ts';
import type { EvalReport } from '../contract/events.ts';
import { documentFrom, prepareProgram } from '../runtime/trainable-program.ts';
import type { TrainedModel } from './trainer.ts';

export interface LoadOptions {
  /** Graph document to use instead of the one saved in the checkpoint. */
  document?: unknown;
  /** Data spec to use instead of the saved one. */
  data?: DataSpec;
  backend?: TrainConfig['backend'];
  /**
   * A host's policy for the files a recorded data spec names (a planted checkpoint must not
   * send reads or writes outside the workspace): the spec to use, or a thrown refusal.
   */
  confineData?: (spec: unknown) => Promise<unknown>;
}

/**
 * A trained model from a checkpoint (run folder or step folder), with the EMA weights when
 * the run kept them — what evaluation, the playground and export use.
 */
export async function loadTrainedModel(
  path: string,
  opts: LoadOptions = {},
): Promise<
  TrainedModel & {
    config: TrainConfig;
    step: number;
    ema: boolean;
    document: GraphDocument;
    dataSpec: DataSpec;
    /** The checkpoint folder read. */
    dir: string;
  }
> {
  const c = await readCheckpoint(path);
  try {
    const config = parseTrainConfig(c.meta.config);
    const backend = opts.backend ?? config.backend;
    await selectBackend(backend === 'auto' ? undefined : backend);
    const doc = documentFrom(opts.document ?? c.meta.document);
    const recorded = opts.confineData ? await opts.confineData(c.meta.dataSpec) : c.meta.dataSpec;
    const spec = (opts.data ?? recorded) as DataSpec | null;
    if (!spec) throw new Error(`${c.dir} records no data spec; pass --data.`);
    const source: DataSource = await createDataSource(spec, config.seed);
    const trainable = prepareProgram(doc, source, config.supervisionSteps, config.lora);
    const weights = createWeights(trainable.program, config.seed);
    try {
      const manifest = c.raw.weights!.manifest;
      loadWeights(weights, manifest, c.raw.weights!.data);
      const ema = c.groups.ema;
      if (ema) {
        // Under the names they were saved with (a document regrouped since keeps its weights).
        const saved = savedEntries(weights, manifest);
        for (const [name, p] of weights.params) p.assign(ema[saved.get(name)?.name ?? name]!);
      }
    } catch (e) {
      weights.dispose();
      throw e;
    }
    return {
      trainable,
      weights,
      source,
      config,
      document: doc,
      dataSpec: spec,
      dir: c.dir,
      step: c.meta.step,
      ema: !!c.groups.ema,
      dispose: () => weights.dispose(),
    };
  } finally {
    disposeCheckpoint(c);
  }
}

/** Held-out evaluation of a checkpoint (accuracy by recursion depth for TRM models). */
export async function evaluateCheckpoint(
  path: string,
  opts: LoadOptions & { examples?: number } = {},
): Promise<EvalReport> {
  const model = await loadTrainedModel(path, opts);
  try {
    return await evaluate(model.trainable, model.weights, model.source, {
      examples: opts.examples ?? model.config.evalExamples,
      batch: model.config.batch,
      loss: model.config.loss,
      step: model.step,
      ema: model.ema,
    });
  } finally {
    model.dispose();
  }
}

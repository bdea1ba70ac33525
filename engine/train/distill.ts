import * as tf from '@tensorflow/tfjs-core';
import type { DataSpec } from '../data/spec.ts';
import { IGNORE, type Batch, type DataSource } from '../data/types.ts';
import { runProgram } from '../runtime/executor.ts';
import {
  batchFeeds,
  documentFrom,
  initialState,
  prepareProgram,
  type TrainableProgram,
} from '../runtime/trainable-program.ts';
import { createWeights, loadWeights, savedEntries, type WeightStore } from '../runtime/weights.ts';
import { disposeCheckpoint } from './checkpoint.ts';
import { parseTrainConfig } from './config.ts';
import { compareVocab, readInitCheckpoint } from './init-from.ts';

/**
 * Knowledge distillation (Hinton et al. 2015): the student learns from the labels and from a
 * trained teacher's softened predictions on the same batch,
 *   loss = α · CE(labels) + (1 − α) · T² · KL(softmax(t/T) ‖ softmax(s/T)),
 * the KL term averaged over the positions the labels score. T² keeps the soft term's
 * gradient on the scale of the hard one as T grows.
 */

/**
 * T² · KL(softmax(teacher/T) ‖ softmax(student/T)), averaged over the positions whose target
 * is not IGNORE. `student` and `teacher` are [..., V] with one row per target; the teacher is
 * a constant: the trainer computes it off the gradient tape, so no gradient reaches the teacher.
 */
export function distillationTerm(
  student: tf.Tensor,
  teacher: tf.Tensor,
  targets: Int32Array,
  temperature: number,
): tf.Scalar {
  return tf.tidy(() => {
    const vocab = student.shape[student.shape.length - 1]!;
    // [..., V] -> [N, V]
    const s = tf.reshape(student, [-1, vocab]) as tf.Tensor2D;
    const t = tf.reshape(teacher, [-1, vocab]) as tf.Tensor2D;
    const mask = new Float32Array(targets.length);
    let counted = 0;
    targets.forEach((y, i) => {
      if (y !== IGNORE) {
        mask[i] = 1;
        counted++;
      }
    });
    const logP = tf.logSoftmax(tf.div(t, temperature));
    const logQ = tf.logSoftmax(tf.div(s, temperature));
    // KL per row: Σ_v p_v (log p_v − log q_v)   [N, V] -> [N]
    const kl = tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), -1);
    const mean = tf.div(tf.sum(tf.mul(kl, tf.tensor1d(mask))), Math.max(1, counted));
    return tf.mul(mean, temperature * temperature) as tf.Scalar;
  });
}

/** A trained model whose logits teach the student: frozen, run without dropout. */
export interface Teacher {
  /** The run and step it came from, for the log. */
  label: string;
  /** The teacher's logits for a batch ([B, T, V] or [B, V]); the caller disposes them. */
  logits(batch: Batch): tf.Tensor;
  dispose(): void;
}

/**
 * Load a teacher from a run's checkpoint (RUN, RUN/step-N or a checkpoint folder). It must
 * read the same data: a different vocabulary is refused with a sentence naming both, and so is
 * a head of another size than the student's.
 */
export async function loadTeacher(
  path: string,
  student: TrainableProgram,
  source: DataSource,
  dataSpec: DataSpec | undefined,
  seed: number,
): Promise<Teacher> {
  const c = await readInitCheckpoint({ path });
  let weights: WeightStore | undefined;
  try {
    const vocab = await compareVocab(c, source, dataSpec, seed);
    if (vocab) {
      throw new Error(
        `The teacher ${path} cannot teach this run: ${vocab.sentence} Distillation compares predictions token by token, so teacher and student need the same vocabulary.`,
      );
    }
    const doc = documentFrom(c.meta.document);
    const config = parseTrainConfig(c.meta.config);
    let tp: TrainableProgram;
    try {
      tp = prepareProgram(doc, source, config.supervisionSteps);
    } catch (e) {
      throw new Error(`The teacher ${path} does not fit this data: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const tv = tp.logits.shape.at(-1);
    const sv = student.logits.shape.at(-1);
    if (tv !== sv) {
      throw new Error(
        `The teacher ${path} predicts ${String(tv)} classes and the student ${String(sv)}; give both graphs the same vocabulary size V.`,
      );
    }
    weights = createWeights(tp.program, config.seed);
    const manifest = c.raw.weights?.manifest;
    if (!manifest) throw new Error(`${c.dir} has no model weights; it is damaged.`);
    loadWeights(weights, manifest, c.raw.weights!.data);
    // The averaged weights, when the run kept them, are the ones its evaluation used.
    const ema = c.groups.ema;
    if (ema) {
      const saved = savedEntries(weights, manifest);
      for (const [name, p] of weights.params) p.assign(ema[saved.get(name)?.name ?? name]!);
    }
    const store = weights;
    return {
      label: `${c.dir} (step ${c.meta.step})`,
      logits: (batch) => teacherLogits(tp, store, batch),
      dispose: () => store.dispose(),
    };
  } catch (e) {
    weights?.dispose();
    throw e;
  } finally {
    disposeCheckpoint(c);
  }
}

/**
 * The teacher's final logits for a batch: a deep-supervision teacher runs all its supervision
 * steps from the initial state, as its evaluation does, and answers with the last.
 */
function teacherLogits(tp: TrainableProgram, weights: WeightStore, batch: Batch): tf.Tensor {
  return tf.tidy(() => {
    const feeds = batchFeeds(tp, batch);
    let state = initialState(tp, weights, feeds);
    let logits: tf.Tensor | undefined;
    for (let s = 0; s < tp.supervisionSteps; s++) {
      const all = { ...feeds };
      tp.state.forEach((st, i) => (all[st.input] = state[i]!));
      const out = runProgram(
        tp.program,
        weights,
        all,
        [tp.logits.name, ...tp.state.map((st) => st.output)],
        { training: false, seed: 0 },
      );
      logits = out[tp.logits.name]!;
      state = tp.state.map((st) => out[st.output]!);
    }
    return logits!;
  });
}

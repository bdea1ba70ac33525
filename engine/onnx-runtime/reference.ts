import * as tf from '@tensorflow/tfjs-core';
import type { IrProgram } from '../graph/ir.ts';
import { runProgram } from '../runtime/executor.ts';
import { createWeights } from '../runtime/weights.ts';
import type { HostTensor } from './verify.ts';

/**
 * A model run on host tensors: program inputs in, every exported output out, keyed by program
 * name. The tfjs reference and an onnxruntime session both take this shape, so the held-out
 * metrics are computed by one code path for both.
 */
export type ProgramRunner = (
  feeds: Record<string, HostTensor>,
) => Promise<Record<string, Float32Array>> | Record<string, Float32Array>;

/** Program outputs plus, for a step export, each state's next and initial value. */
export function exportedOutputs(program: IrProgram): { name: string; value: string }[] {
  const outs = program.outputs.map((o) => ({ name: o.name, value: o.name }));
  for (const s of program.supervision?.state ?? []) {
    outs.push({ name: `${s.input}.next`, value: s.output });
    outs.push({ name: `${s.input}.init`, value: s.init });
  }
  return outs;
}

/**
 * The tfjs executor holding `values` (by IR name; absent ones keep their seed-0 initial value):
 * the reference every export is judged against. `dispose` frees its weights.
 */
export function tfjsRunner(
  program: IrProgram,
  values: Map<string, Float32Array>,
): {
  run: (feeds: Record<string, HostTensor>) => Promise<Record<string, Float32Array>>;
  dispose(): void;
} {
  const store = createWeights(program, 0);
  for (const [name, v] of store.params) {
    const given = values.get(name);
    if (given) v.assign(tf.tensor(given, v.shape));
  }
  // Buffers too: running ones (BatchNorm's statistics) hold what training left in them.
  for (const [name, t] of store.buffers) {
    const given = values.get(name);
    if (!given) continue;
    store.buffers.set(name, tf.keep(tf.tensor(given, t.shape)));
    t.dispose();
  }
  const outs = exportedOutputs(program);
  // Read asynchronously: a device backend in Node (WebGPU) has no synchronous read.
  const run = async (feeds: Record<string, HostTensor>) => {
    const tensors: tf.Tensor[] = [];
    try {
      const feedTensors: Record<string, tf.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) {
        const tensor =
          t.data instanceof Int32Array
            ? tf.tensor(t.data, t.dims, 'int32')
            : tf.tensor(t.data, t.dims);
        feedTensors[name] = tensor;
        tensors.push(tensor);
      }
      const result = runProgram(
        program,
        store,
        feedTensors,
        outs.map((o) => o.value),
      );
      const fetched = outs.map((o) => result[o.value] as tf.Tensor);
      tensors.push(...fetched);
      const values = (await Promise.all(fetched.map((t) => t.data()))) as Float32Array[];
      return Object.fromEntries(outs.map((o, i) => [o.name, values[i]!]));
    } finally {
      tf.dispose(tensors);
    }
  };
  return { run, dispose: () => store.dispose() };
}

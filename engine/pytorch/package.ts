import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createDataSource } from '../data/index.ts';
import type { DataSpec } from '../data/spec.ts';
import type { Batch, DataSource } from '../data/types.ts';
import { materialize } from '../graph/init.ts';
import type { GraphDocument } from '../graph/schema.ts';
import { prepareProgram } from '../runtime/trainable-program.ts';
import { seedFor } from '../runtime/weights.ts';
import { parseTrainConfig, type TrainConfig, type TrainConfigInput } from '../train/config.ts';
import { minimumSteps } from '../train/slots.ts';
import { inSource } from '../io/source-root.ts';
import { torchName } from './names.ts';
import { modelPy } from './model-py.ts';
import { writeNpy } from './npy.ts';
import { encodeSafetensors } from './safetensors.ts';

/** The hand-written Python files a generated package copies (layers.py, train.py). */
export const PYTHON_DIR = inSource('engine/pytorch/python');

/** At most this many training examples are written; the stream starts again after them. */
export const MAX_STREAM_TOKENS = 64 << 20;

export interface PackageOptions {
  doc: GraphDocument;
  data: DataSpec;
  config?: TrainConfigInput;
  /** Training examples to write (default: enough for every step to refill every slot). */
  examples?: number;
  /** Initial weights by Studio name (default: the Studio's deterministic init for the seed). */
  weights?: ReadonlyMap<string, Float32Array>;
  /** A ready data source (tests); `data` is still what the package records. */
  source?: DataSource;
  onProgress?: (message: string) => void;
}

export interface PackageReport {
  dir: string;
  className: string;
  trainExamples: number;
  validationExamples: number;
  params: number;
  files: string[];
}

/**
 * Write a self-contained PyTorch project for a graph and its training data: model.py
 * (generated), layers.py and train.py (the recipe), config.json, init.safetensors (the
 * Studio's initial weights, so both engines start equal), data/*.npy (the Studio's own
 * training stream and held-out set) and a README. Written into a temporary folder and moved
 * into place, so a failure leaves no half package.
 */
export async function writePytorchPackage(dir: string, o: PackageOptions): Promise<PackageReport> {
  const config = parseTrainConfig(o.config ?? {});
  if (config.freeze.length > 0 || Object.keys(config.lrScale).length > 0) {
    throw new Error(
      'The PyTorch engine does not apply frozen nodes or learning-rate multipliers yet; train this run with the Studio (tfjs) engine, or clear freeze and lrScale.',
    );
  }
  if (config.lora) {
    throw new Error(
      'The PyTorch engine does not train LoRA adapters yet (its train.py would update every weight); train this run with the Studio (tfjs) engine, or clear lora.',
    );
  }
  if (config.distill) {
    throw new Error(
      `The PyTorch engine does not distil from a teacher run (${config.distill.teacher}) yet; train this run with the Studio (tfjs) engine, or remove the distill setting.`,
    );
  }
  const say = o.onProgress ?? (() => {});
  const source = o.source ?? (await createDataSource(o.data, config.seed));
  const tp = prepareProgram(o.doc, source, config.supervisionSteps);
  const program = tp.program;
  const { source: code, className } = modelPy(o.doc, program);

  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(path.join(tmp, 'data'), { recursive: true });
  const files: string[] = [];
  const put = async (name: string, data: string | Uint8Array) => {
    await writeFile(path.join(tmp, name), data);
    files.push(name);
  };
  await put('model.py', code);
  for (const f of ['layers.py', 'train.py']) {
    await copyFile(path.join(PYTHON_DIR, f), path.join(tmp, f));
    files.push(f);
  }

  // Initial weights: the Studio's, by the same seeds, with dotted names.
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const p of program.params.values()) {
    const data =
      o.weights?.get(p.name) ?? materialize(p.init, p.shape, seedFor(p.name, config.seed));
    tensors[torchName(p.name)] = { shape: p.shape, data };
  }
  for (const b of program.buffers.values()) {
    const data = o.weights?.get(b.name) ?? materialize(b.init, b.shape, b.seed);
    tensors[torchName(b.name)] = { shape: b.shape, data };
  }
  await put('init.safetensors', encodeSafetensors(tensors));

  // The training stream: example j is row j (row j % B of the Studio's batch ⌊j / B⌋).
  const b = config.batch;
  const wanted = o.examples ?? b * (config.steps + 1);
  const cap = Math.max(b, Math.floor(MAX_STREAM_TOKENS / Math.max(1, source.length)));
  const batches = Math.ceil(Math.min(wanted, cap) / b);
  const n = batches * b;
  say(`Writing ${n} training examples of ${source.length} tokens…`);
  const stream = collect(
    Array.from({ length: batches }, (_, k) => source.trainBatch(k, b)),
    n,
    source.length,
  );
  await put('data/train_inputs.npy', writeNpy(stream.inputs, [n, source.length]));
  await put('data/train_targets.npy', writeNpy(stream.targets, [n, source.length]));
  if (stream.puzzle) await put('data/train_puzzle.npy', writeNpy(stream.puzzle, [n]));
  if (tp.state.length > 0 && config.haltExplore > 0) {
    const rule = {
      mode: config.halting,
      supervisionSteps: tp.supervisionSteps,
      haltEarly: config.haltEarly,
      explore: config.haltExplore,
      seed: config.seed,
    };
    const steps = Int32Array.from({ length: n }, (_, j) => minimumSteps(j, rule));
    await put('data/train_min_steps.npy', writeNpy(steps, [n]));
  }
  const val = source.validation(config.evalExamples);
  await put('data/val_inputs.npy', writeNpy(val.inputs, [val.batch, val.length]));
  await put('data/val_targets.npy', writeNpy(val.targets, [val.batch, val.length]));
  if (val.puzzle) await put('data/val_puzzle.npy', writeNpy(val.puzzle, [val.batch]));

  const manifest = {
    format: 'trm-pytorch-package',
    version: 1,
    name: o.doc.name,
    model: className,
    config,
    supervisionSteps: tp.supervisionSteps,
    params: tp.params,
    data: {
      spec: o.data,
      name: source.name,
      kind: source.kind,
      vocabSize: source.vocabSize,
      length: source.length,
      exactMatch: source.exactMatch,
      openCells: source.openCells === true,
      puzzleIds: source.puzzleIds ?? 0,
      trainExamples: n,
      validationExamples: val.batch,
      streamRepeats: n < wanted,
      ...source.describe(),
    },
    document: o.doc,
  };
  await put('config.json', `${JSON.stringify(manifest, null, 1)}\n`);
  await put('README.md', readme(o.doc, className, manifest.data, config, n < wanted));

  await rm(dir, { recursive: true, force: true });
  await mkdir(path.dirname(path.resolve(dir)), { recursive: true });
  await rename(tmp, dir);
  return {
    dir,
    className,
    trainExamples: n,
    validationExamples: val.batch,
    params: tp.params,
    files,
  };
}

function collect(batches: Batch[], n: number, length: number) {
  const inputs = new Int32Array(n * length);
  const targets = new Int32Array(n * length);
  const withIds = batches.some((b) => b.puzzle);
  const puzzle = withIds ? new Int32Array(n) : undefined;
  let row = 0;
  for (const b of batches) {
    inputs.set(b.inputs, row * length);
    targets.set(b.targets, row * length);
    if (puzzle && b.puzzle) puzzle.set(b.puzzle, row);
    row += b.batch;
  }
  return { inputs, targets, puzzle };
}

function readme(
  doc: GraphDocument,
  className: string,
  data: { name: string; trainExamples: number; validationExamples: number },
  c: TrainConfig,
  repeats: boolean,
): string {
  return `# ${doc.name} — PyTorch project

Generated by TRM Studio from the graph "${doc.name}". It trains the same model with the same
recipe as the Studio, on any device PyTorch supports, and on several GPUs or machines with
\`torchrun\`.

\`\`\`sh
python train.py                                   # one process (GPU when there is one)
torchrun --nproc_per_node 4 train.py              # 4 processes, one per GPU (DDP)
\`\`\`

(torch 1.13 on Python 3.11, as Debian ships it, needs \`torchrun --redirects 1 --tee 2 …\`: its
launcher cannot read its own default for those two flags there.)

Requirements: Python 3.9+, \`torch>=1.13\` (2.x for \`--compile\`), \`numpy\`; \`safetensors\` is used
when installed (the files are the same without it).

Options: \`--device auto|cuda|mps|cpu\`, \`--precision auto|fp32|bf16\` (auto: bf16 autocast on
GPUs that support it), \`--compile\`, \`--steps N\`, \`--batch N\` (global, over all processes),
\`--lr X\`, \`--out DIR\` (default ./run), \`--resume DIR\` (a run or step folder), \`--fresh-init\`.
SIGTERM or Ctrl-C stops after the current step and writes a checkpoint.

| file | what it is |
|---|---|
| model.py | the model \`${className}\`: one class per node or component that owns weights, recursions as for loops |
| layers.py | attention, RoPE and the norms, as the Studio defines them |
| train.py | the Studio's trainer: AdamW/AdamATan2, warm-up and schedule, clipping, EMA, deep supervision with per-example replacement and halting, checkpoints, exact resume, DDP |
| config.json | the training config (batch ${c.batch}, ${c.steps} steps, lr ${c.lr}, …), the data's description and the graph |
| init.safetensors | the Studio's initial weights (seed ${c.seed}), so both engines start from the same point |
| data/ | ${data.trainExamples} training examples of "${data.name}" in stream order${repeats ? ' (the stream starts again after the last one)' : ''}, and ${data.validationExamples} held-out examples |

The run folder gets \`metrics.jsonl\` (one JSON line per step and per evaluation) and
\`step-NNNNNN/\` checkpoints (\`model.safetensors\`, \`ema.safetensors\`, \`optimizer.safetensors\`,
\`carry.safetensors\`, \`state.json\`). Weight names are the Studio's with dots for slashes.
\`trm import RUN_FOLDER\` turns the run into a Studio run (Insight, Playground, evaluation and
ONNX export work on it).
`;
}

import { z } from 'zod';
import { GraphDocument, PortRef } from '../graph/schema.ts';
import { TrainEvent } from './events.ts';
import { DepthSweep, ExampleTrace } from './insight-report.ts';
import { MIN_TEMPERATURE } from './sampling.ts';

export { TrainEvent, DepthSweep, ExampleTrace };

/**
 * THE typed API between a UI and the engine. Every host (Electron IPC, the web host's
 * WebSocket) validates requests and results with these schemas, so a method is defined
 * once: its name, its params schema and its result schema. Training and export add their
 * methods to `methods` and their events to `ServerEvent`; nothing else changes.
 */

export const Diagnostic = z.strictObject({
  severity: z.enum(['error', 'warning']),
  code: z.string(),
  message: z.string(),
  graph: z.string().optional(),
  node: z.string().optional(),
  port: z.string().optional(),
});
export type Diagnostic = z.infer<typeof Diagnostic>;

export const PortInfo = z.strictObject({
  name: z.string(),
  doc: z.string(),
  /** `any`: a component port, whose type is whatever its body does with it. */
  type: z.enum(['tokens', 'float', 'any']),
  optional: z.boolean(),
});
export type PortInfo = z.infer<typeof PortInfo>;

/** What validation learned about one node: ports, output shapes, size, problems. */
export const NodeInfo = z.strictObject({
  kind: z.string(),
  inputs: z.array(PortInfo),
  outputs: z.array(PortInfo),
  /** Output port → symbolic shape, e.g. `B×T×128`. */
  shapes: z.record(z.string(), z.string()),
  /** Weights this node holds (a component or recursion: its body's, counted once). */
  params: z.number(),
  flopsPerToken: z.number(),
  diagnostics: z.array(Diagnostic),
});
export type NodeInfo = z.infer<typeof NodeInfo>;

export const EdgeInfo = z.strictObject({
  from: PortRef,
  to: PortRef,
  shape: z.string().nullable(),
  /** What flows on the wire, once inferred (drives its colour). */
  dtype: z.enum(['int32', 'float32']).nullable(),
});
export type EdgeInfo = z.infer<typeof EdgeInfo>;

export const GraphInfo = z.strictObject({
  nodes: z.record(z.string(), NodeInfo),
  edges: z.array(EdgeInfo),
});
export type GraphInfo = z.infer<typeof GraphInfo>;

export const Totals = z.strictObject({
  params: z.number(),
  /**
   * Trained values left out of `params`, as the TRM paper counts (its per-puzzle embedding
   * table); the memory and file sizes include them.
   */
  uncountedParams: z.number(),
  flopsPerToken: z.number(),
  /** The parameter budget the meter compares against. */
  budget: z.number(),
  /** Approximate weight bytes per export precision. */
  bytes: z.strictObject({ fp32: z.number(), fp16: z.number(), int8: z.number() }),
  /** Float activations per token, every node output of every step (bytes, fp32). */
  activationBytesPerToken: z.number(),
  /** What a training step holds per token (off-tape repetitions and one supervision step). */
  trainingActivationBytesPerToken: z.number(),
  /** Keys and values an autoregressive decoder caches per token (bytes, fp32). */
  kvBytesPerToken: z.number(),
  /** The longest token input's maxLength: the context the memory figures are shown at. */
  context: z.number().nullable(),
});
export type Totals = z.infer<typeof Totals>;

/** Result of `document.validate`; graphs keyed `main` or the component's name. */
export const Analysis = z.strictObject({
  ok: z.boolean(),
  diagnostics: z.array(Diagnostic),
  graphs: z.record(z.string(), GraphInfo),
  totals: Totals,
});
export type Analysis = z.infer<typeof Analysis>;

export const TemplateCard = z.strictObject({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  params: z.number(),
  task: z.string().nullable(),
  nodes: z.number(),
});
export type TemplateCard = z.infer<typeof TemplateCard>;

const FilePath = z.string().min(1).max(4096);

// files-hardening: a file's version, handed out by open and save and checked by save, so a
// file another program changed since is never overwritten unasked. Optional on both sides:
// a caller that sends none saves as before.
/** `v1:<mtime ms>:<size>:<sha-256>` of the file as it was read or written. */
export const FileVersion = z.string().min(1).max(200);

export const SavedFile = z.strictObject({
  path: z.string(),
  savedAt: z.string(),
  /** The version of what was just written: the next save's `version`. */
  version: FileVersion.optional(),
});
export type SavedFile = z.infer<typeof SavedFile>;

export const OpenedDocument = z.strictObject({
  path: z.string(),
  doc: GraphDocument,
  /** The version of the file as read: pass it to `document.save`. */
  version: FileVersion.optional(),
});
export type OpenedDocument = z.infer<typeof OpenedDocument>;

export const FileEntry = z.strictObject({
  path: z.string(),
  name: z.string(),
  modified: z.string(),
});

export const Recovery = z.strictObject({
  doc: GraphDocument,
  path: z.string().nullable(),
  savedAt: z.string(),
  /** The version of `path` the unsaved work started from, so saving it still checks. */
  version: FileVersion.optional(),
});
export type Recovery = z.infer<typeof Recovery>;

const Empty = z.strictObject({});

/** Run folder names: a timestamp and a random suffix, never a path. */
export const RunId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/, 'a run id is letters, digits, - and _');

export const RunStatus = z.enum([
  'starting',
  'running',
  'paused',
  'completed',
  'stopped',
  'failed',
]);
export type RunStatus = z.infer<typeof RunStatus>;

/**
 * Where a run was trained when another engine trained it (`trm import`): the engine, the
 * checkpoint folder it was read from, that engine's version and its process count.
 */
export const ImportedFrom = z.strictObject({
  engine: z.literal('pytorch'),
  /** The other engine's checkpoint folder, as it was when imported. */
  path: z.string(),
  /** The engine's version (torch.__version__). */
  version: z.string(),
  /** Processes that trained it (DDP world size). */
  world: z.number().int().min(1),
});
export type ImportedFrom = z.infer<typeof ImportedFrom>;

/** Runs comparison: a run's headline figures, kept up to date in `run.json` as it trains. */
export const RunMetrics = z.strictObject({
  /** The last training step's loss and accuracy (null: no step yet). */
  loss: z.number().nullable(),
  accuracy: z.number().nullable(),
  /** The last and the best validation figures (null: never evaluated). */
  valLoss: z.number().nullable(),
  bestValLoss: z.number().nullable(),
  valAccuracy: z.number().nullable(),
  bestValAccuracy: z.number().nullable(),
  /** Training throughput at the last step (the trainer smooths it). */
  tokensPerSec: z.number().nullable(),
});
export type RunMetrics = z.infer<typeof RunMetrics>;

/** One training run as the runs table and the Train panel show it (`run.json` in its folder). */
export const RunSummary = z.strictObject({
  runId: RunId,
  /** The graph's name when the run started. */
  name: z.string(),
  /**
   * `graphDigest` of the graph when the run started: what it computes, positions and name
   * aside. Absent in runs recorded before it was kept (the name alone matches those).
   */
  graphDigest: z.string().optional(),
  status: RunStatus,
  startedAt: z.string(),
  step: z.number().int(),
  steps: z.number().int(),
  backend: z.string().nullable(),
  /** The data as chosen (shorthand, path or JSON spec). */
  data: z.string(),
  params: z.number().int().nullable(),
  /**
   * Parameter values that train and that stay still (frozen nodes; every base weight under
   * LoRA, whose adapters train). Absent in runs recorded before they were counted.
   */
  trainableParams: z.number().int().optional(),
  frozenParams: z.number().int().optional(),
  lastCheckpoint: z.string().nullable(),
  /** Why a failed run failed, as a sentence. */
  message: z.string().nullable(),
  dir: z.string(),
  /** Absent in runs recorded before the runs view existed (`runs.list` fills it in). */
  metrics: RunMetrics.optional(),
  /** The run this one started from (fine-tuning): its lineage and what its weights gave. */
  initFrom: z
    .strictObject({
      /** The earlier run's id (or folder, for a run started outside the app). */
      run: z.string(),
      /** Its checkpoint's step. */
      step: z.number().int(),
      /** Weights copied from it, and weights initialised afresh (new, or reshaped). */
      mapped: z.number().int(),
      initialised: z.number().int(),
    })
    .optional(),
  /** Set when another engine trained the run and `trm import` brought it in. */
  importedFrom: ImportedFrom.optional(),
});
export type RunSummary = z.infer<typeof RunSummary>;

/** A run as it is the moment it starts: what the host records and the Train panel shows. */
export function startingRun(run: {
  runId: string;
  name: string;
  steps: number;
  data: unknown;
  dir: string;
}): RunSummary {
  return {
    runId: run.runId,
    name: run.name,
    status: 'starting',
    startedAt: new Date().toISOString(),
    step: 0,
    steps: run.steps,
    backend: null,
    data: typeof run.data === 'string' ? run.data : JSON.stringify(run.data),
    params: null,
    lastCheckpoint: null,
    message: null,
    dir: run.dir,
  };
}

export const ExportPrecision = z.enum(['fp32', 'fp16', 'int8', 'int8-weight', 'int4']);
export type ExportPrecision = z.infer<typeof ExportPrecision>;

/**
 * One held-out task metric of an export (export dialog, verify-acc): the tfjs reference, the
 * ONNX model, and onnx − reference. Accuracies are fractions (0.01 = 1 point); `onnx` and
 * `delta` are null when the export's outputs were not finite (NaN/Inf have no JSON form).
 */
export const TaskMetricResult = z.strictObject({
  metric: z.enum(['perplexity', 'accuracy', 'exact-match']),
  reference: z.number(),
  onnx: z.number().nullable(),
  delta: z.number().nullable(),
});
export type TaskMetricResult = z.infer<typeof TaskMetricResult>;

/** The task check: held-out data with targets (e.g. Brown's validation split, held-out puzzles). */
export const TaskResult = z.strictObject({
  ...TaskMetricResult.shape,
  /** The document's `meta.task`, or the data's kind. */
  task: z.string(),
  /** What was scored, in words. */
  data: z.string(),
  examples: z.number().int(),
  scored: z.number().int(),
  /** Supervision steps run through a step export; null for a full export. */
  depth: z.number().int().nullable(),
  /** Every metric, the headline (the top-level fields) first. */
  metrics: z.array(TaskMetricResult),
  /** Share of scored held-out positions where the export's argmax equals the reference's. */
  top1Agreement: z.number(),
});
export type TaskResult = z.infer<typeof TaskResult>;

/** An input or output of an exported file: ONNX name, element type, dims (dynamic by name). */
export const IoSpec = z.strictObject({
  name: z.string(),
  type: z.string(),
  shape: z.array(z.union([z.number(), z.string()])),
});
export type IoSpec = z.infer<typeof IoSpec>;

/** What `export.run` verified: the ONNX model against the tfjs reference on held-out inputs. */
export const ExportReport = z.strictObject({
  path: z.string(),
  precision: ExportPrecision,
  /** encoder-decoder: two files, `path` the encoder's (the decoder lies beside it). */
  mode: z.enum(['full', 'step', 'encoder-decoder']),
  /** Whether trained weights (a run's last checkpoint) were exported. */
  trained: z.boolean(),
  ok: z.boolean(),
  fileBytes: z.number(),
  /** Null when the export's outputs were not finite (NaN/Inf have no JSON form); `ok` is false. */
  maxAbsError: z.number().nullable(),
  top1Agreement: z.number().nullable(),
  /** Which inputs top-1 agreement was measured on: the held-out task data, or random ids. */
  top1On: z.enum(['held-out', 'random']).nullable().default(null),
  latencyMs: z.strictObject({ batch1: z.number(), batch64: z.number() }).nullable(),
  failures: z.array(z.string()),
  /**
   * What decided the verdict: the task metric, output error and top-1, or closeness alone;
   * `unverified` when the check could not run (the file is written; `failures` says why).
   */
  judgedBy: z.enum(['task', 'outputs', 'closeness', 'unverified']).nullable().default(null),
  /** Why the verdict judged what it did, when that needs saying (untrained weights). */
  note: z.string().nullable().default(null),
  /** The tfjs backend that computed the reference outputs. */
  reference: z.string(),
  /** Task accuracy / perplexity of the reference and the export; null when none applies. */
  task: TaskResult.nullable(),
  /** Why `task` is null, as a sentence. */
  taskSkipped: z.string().nullable(),
  /** The file's graph inputs and outputs, for the dialog's onnxruntime snippets. */
  signature: z.strictObject({ inputs: z.array(IoSpec), outputs: z.array(IoSpec) }),
});
export type ExportReport = z.infer<typeof ExportReport>;

/** A text file copied into the workspace for training (`data.import`, `data.pick`). */
export const DataFile = z.strictObject({
  /** Relative to the workspace, e.g. `data/corpus.txt`: what `train.start` takes as data. */
  path: z.string(),
  bytes: z.number().int(),
  characters: z.number().int(),
  /** The vocabulary V a char tokenizer gives this file (its characters and "unknown"). */
  charVocab: z.number().int(),
  lines: z.number().int(),
});
export type DataFile = z.infer<typeof DataFile>;

/** The most characters one `data.upload` piece carries (≤ 12 MiB of UTF-8, JSON-escaped). */
export const UPLOAD_CHUNK_CHARS = 2 * 1024 * 1024;

/** One piece of a dropped text file; pieces are numbered from 0 and sent in order. */
export const UploadChunk = z.strictObject({
  name: z.string().min(1).max(255),
  /** Absent on piece 0; the id its reply gave on every later piece. */
  uploadId: z
    .string()
    .regex(/^[0-9a-f]{24}$/)
    .optional(),
  index: z.number().int().nonnegative().max(100_000),
  text: z.string().max(UPLOAD_CHUNK_CHARS),
  last: z.boolean(),
});
export type UploadChunk = z.infer<typeof UploadChunk>;

export const UploadReply = z.strictObject({
  uploadId: z.string(),
  /** Characters received so far. */
  received: z.number().int(),
  /** The copy in the workspace, after the last piece; null before. */
  file: DataFile.nullable(),
});
export type UploadReply = z.infer<typeof UploadReply>;
// ── Runs comparison (runs view): one run in full, for curves and graph diffs. ──

/** Aligned columns: `step` and one value per step (downsampled to a bounded size). */
const Columns = <K extends string>(keys: readonly K[]) =>
  z.strictObject({
    step: z.array(z.number()),
    ...(Object.fromEntries(keys.map((k) => [k, z.array(z.number())])) as Record<
      K,
      z.ZodArray<z.ZodNumber>
    >),
  });

export const RunSeries = z.strictObject({
  train: Columns(['loss', 'accuracy', 'lr', 'tokensPerSec'] as const),
  validation: Columns(['loss', 'accuracy'] as const),
  /** Training steps recorded; the columns hold at most a few thousand points of them. */
  recordedSteps: z.number().int(),
});
export type RunSeries = z.infer<typeof RunSeries>;

export const RunDetail = z.strictObject({
  run: RunSummary,
  /** The graph as it was when the run started (null when the snapshot is missing or damaged). */
  graph: GraphDocument.nullable(),
  /** Why `graph` is null, as a sentence. */
  graphProblem: z.string().nullable(),
  /** Trainer settings and the data spec as the run recorded them. */
  config: z.record(z.string(), z.unknown()).nullable(),
  data: z.record(z.string(), z.unknown()).nullable(),
  series: RunSeries,
  checkpoints: z.array(z.string()),
  exports: z.array(z.strictObject({ file: z.string(), bytes: z.number() })),
});
export type RunDetail = z.infer<typeof RunDetail>;
// ─── Playground (issue #6 item 5): try a trained model — streaming text generation for
// language models, step-by-step solving with early halting for puzzle models. ───────────

/** A model to try: a run's checkpoint (its latest when none is named) or an ONNX export. */
/** A checkpoint folder name inside a run (`step-000120`), never a path. */
const CheckpointName = z.string().regex(/^step-\d{1,12}$/, 'a checkpoint is named step-NNNNNN');

export const InferSource = z.union([
  z.strictObject({
    runId: RunId,
    /** A checkpoint folder of the run (`step-000120`); default: its latest. */
    checkpoint: CheckpointName.optional(),
  }),
  z.strictObject({
    /** An exported .onnx file in the workspace (relative or absolute). */
    onnxPath: FilePath,
  }),
]);
export type InferSource = z.infer<typeof InferSource>;

/** Decoding controls; `strategy` picks which of the others apply. */
export const GenerationSettings = z.strictObject({
  strategy: z.enum(['greedy', 'sample', 'beam']),
  /** sample: softmax temperature (0.001–10); greedy is its own strategy. @default 1 */
  temperature: z.number().min(MIN_TEMPERATURE).max(10).default(1),
  /** sample: keep the K most likely tokens (0 = all). @default 0 */
  topK: z.number().int().min(0).max(100_000).default(0),
  /** sample: keep the smallest set holding this much probability. @default 1 */
  topP: z.number().gt(0).max(1).default(1),
  /** beam: beams kept. @default 4 */
  beamWidth: z.number().int().min(2).max(16).default(4),
  /** @default 64 */
  maxTokens: z.number().int().min(1).max(2048).default(64),
  /** sample: the sampler's seed. @default 0 */
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .default(0),
});
export type GenerationSettings = z.infer<typeof GenerationSettings>;

export const GenerationId = z.string().regex(/^gen-\d{1,12}$/, 'a generation id is gen-N');

/**
 * What a model is for, so the playground shows a prompt box or a grid: a language model
 * continues text, a puzzle model solves a grid, an encoder–decoder (seq2seq) translates a
 * source into its target.
 */
export const ModelInfo = z.strictObject({
  kind: z.enum(['lm', 'puzzle', 'seq2seq']),
  /** The graph's name. */
  name: z.string(),
  runtime: z.enum(['tfjs', 'onnx']),
  /** The checkpoint folder or ONNX file that was loaded. */
  path: z.string(),
  /** The training data's task (`sudoku`, `maze`, `text`, …), when recorded. */
  task: z.string().nullable(),
  contextLength: z.number().int(),
  vocabSize: z.number().int(),
  puzzle: z
    .strictObject({
      cells: z.number().int(),
      /** Cells per row (a sequence task: all of them). */
      width: z.number().int(),
      /** Display symbol per token id. */
      symbols: z.array(z.string()),
      /** The token of an empty cell the model fills in (Sudoku's blank), if the task has one. */
      blank: z.number().int().nullable(),
      /** Tokens a person may type into a cell. */
      editable: z.array(z.number().int()),
      supervisionSteps: z.number().int(),
    })
    .nullable(),
  seq2seq: z
    .strictObject({
      /** The longest source the model reads (digits). */
      sourceLength: z.number().int(),
    })
    .nullable(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

const Cells = z.array(z.number().int().min(0).max(1_000_000)).min(4).max(65_536);

export const SolveStep = z.strictObject({
  answer: z.array(z.number().int()),
  /** The halting head's logit (> 0: "final"). */
  halt: z.number(),
  /** Mean over cells of the winning class's probability. */
  confidence: z.number(),
});

export const SolveResult = z.strictObject({
  answer: z.array(z.number().int()),
  steps: z.array(SolveStep),
  stepsUsed: z.number().int(),
  supervisionSteps: z.number().int(),
  halted: z.boolean(),
  /** The known solution (given, or worked out for a Sudoku with exactly one), else null. */
  solution: z.array(z.number().int()).nullable(),
  /** Cells whose answer differs from the known solution; null when none is known. */
  wrong: z.array(z.number().int()).nullable(),
  millis: z.number(),
});
export type SolveResult = z.infer<typeof SolveResult>;

export const PlaygroundSources = z.strictObject({
  runs: z.array(
    z.strictObject({
      runId: RunId,
      name: z.string(),
      status: RunStatus,
      step: z.number().int(),
      data: z.string(),
    }),
  ),
  onnx: z.array(z.strictObject({ path: z.string(), name: z.string(), modified: z.string() })),
});
export type PlaygroundSources = z.infer<typeof PlaygroundSources>;

const playgroundMethods = {
  'infer.sources': method(
    Empty,
    PlaygroundSources,
    'Models the playground can load: runs with a checkpoint, and ONNX exports in the workspace.',
  ),
  'infer.describe': method(
    z.strictObject({ source: InferSource }),
    ModelInfo,
    'Load a model (cached) and say whether it generates text or solves puzzles.',
  ),
  'infer.generate': method(
    z.strictObject({
      source: InferSource,
      prompt: z.string().min(1).max(4096),
      settings: GenerationSettings,
    }),
    z.strictObject({ generationId: GenerationId, promptTokens: z.number().int() }),
    'Start generating; text arrives as `infer.token` events and ends with `infer.done`.',
  ),
  'infer.cancel': method(
    z.strictObject({ generationId: GenerationId }),
    z.strictObject({ cancelled: z.boolean() }),
    'Stop a generation (its `infer.done` says cancelled); false when it had already ended.',
  ),
  'infer.puzzle': method(
    z.strictObject({
      source: InferSource,
      seed: z
        .number()
        .int()
        .min(0)
        .max(2 ** 31 - 1)
        .optional(),
    }),
    z.strictObject({
      puzzle: z.array(z.number().int()),
      solution: z.array(z.number().int()),
      /** The puzzle's id (the row of a per-puzzle embedding; 0 for tasks without ids). */
      puzzleId: z.number().int(),
    }),
    "A held-out puzzle from the model's task generator (never seen in training).",
  ),
  'infer.solve': method(
    z.strictObject({
      source: InferSource,
      puzzle: Cells,
      /** The answer, when known (a generated puzzle); wrong cells are marked against it. */
      solution: Cells.optional(),
      /** false: run every supervision step, ignoring the halting head. @default true */
      earlyHalt: z.boolean().default(true),
      /** The puzzle's id, for a model with a per-puzzle embedding table (ARC). @default 0 */
      puzzleId: z
        .number()
        .int()
        .min(0)
        .max(2 ** 31 - 1)
        .default(0),
    }),
    SolveResult,
    'Solve a puzzle step by step, stopping when the halting head says the answer is final.',
  ),
} as const;

/** Playground events: generated text as it streams, and how the generation ended. */
const playgroundEvents = [
  z.strictObject({
    type: z.literal('infer.token'),
    generationId: GenerationId,
    /** New text since the previous event (a BPE byte sequence is held until it completes). */
    text: z.string(),
    /** Tokens generated so far. */
    tokens: z.number().int(),
  }),
  z.strictObject({
    type: z.literal('infer.done'),
    generationId: GenerationId,
    /** Everything generated (the prompt excluded). */
    text: z.string(),
    tokens: z.number().int(),
    /** Decode speed after the first token (the prompt pass and warm-up precede it); 0 below two. */
    tokensPerSecond: z.number(),
    reason: z.enum(['length', 'cancelled', 'error']),
    /** What went wrong, as a sentence (reason `error`). */
    message: z.string().nullable(),
  }),
] as const;
// ─── end Playground ──────────────────────────────────────────────────────────────────────
/** Chosen by the caller to follow and cancel one sweep. */
const InsightJobId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'a job id is letters, digits, - and _');

function method<P extends z.ZodType, R extends z.ZodType>(params: P, result: R, doc: string) {
  return { params, result, doc };
}

export const methods = {
  'app.info': method(
    Empty,
    z.strictObject({
      version: z.string(),
      host: z.enum(['electron', 'web']),
      workspace: z.string(),
      /** Electron shows native file dialogs; the web host lists the workspace instead. */
      nativeDialogs: z.boolean(),
    }),
    'Which host runs the engine and where documents are saved.',
  ),
  'templates.list': method(Empty, z.array(TemplateCard), 'Template cards for the gallery.'),
  'templates.get': method(
    z.strictObject({ id: z.string().min(1).max(200) }),
    z.strictObject({ doc: GraphDocument }),
    'One template document.',
  ),
  'document.validate': method(
    z.strictObject({ doc: z.unknown() }),
    Analysis,
    'Parse and compile a document: diagnostics, per-node and per-edge shapes, totals.',
  ),
  'document.list': method(
    Empty,
    z.strictObject({
      workspace: z.string(),
      files: z.array(FileEntry),
      recent: z.array(z.string()),
    }),
    'Documents in the workspace and recently opened files.',
  ),
  'document.open': method(
    z.strictObject({ path: FilePath.optional() }),
    OpenedDocument.nullable(),
    'Open a document (no path: the host shows a dialog; null when cancelled).',
  ),
  'document.save': method(
    z.strictObject({
      path: FilePath,
      doc: GraphDocument,
      /** The version open or the last save returned; refused with `conflict` when stale. */
      version: FileVersion.optional(),
    }),
    SavedFile,
    'Write a document atomically to a path it was opened from or saved to; refuses with `conflict` when the file changed on disk since `version`.',
  ),
  'document.saveAs': method(
    z.strictObject({
      doc: GraphDocument,
      path: FilePath.optional(),
      /** Replace a file that already exists there (else refused with `exists`). */
      overwrite: z.boolean().optional(),
    }),
    SavedFile.nullable(),
    'Write a document to a new path (no path: the host asks; null when cancelled); refuses with `exists` when a file is there, unless `overwrite`.',
  ),
  'document.autosave': method(
    z.strictObject({
      doc: z.unknown(),
      path: FilePath.nullable(),
      version: FileVersion.optional(),
    }),
    z.strictObject({ savedAt: z.string() }),
    'Keep the unsaved state in the recovery file.',
  ),
  'document.recover': method(Empty, Recovery.nullable(), 'Unsaved work left by a crash.'),
  'document.discardRecovery': method(Empty, Empty, 'Forget the recovery file.'),
  'train.engines': method(
    Empty,
    z.strictObject({
      /** The PyTorch engine: the interpreter, torch version and devices; or why it is missing. */
      pytorch: z.union([
        z.strictObject({
          ok: z.literal(true),
          python: z.string(),
          torch: z.string(),
          devices: z.array(z.string()),
        }),
        z.strictObject({ ok: z.literal(false), reason: z.string() }),
      ]),
    }),
    'The training engines this machine offers besides tfjs (which is always there).',
  ),
  'train.options': method(
    Empty,
    z.strictObject({
      /** JSON Schema (zod's toJSONSchema, input side) of the trainer's settings. */
      config: z.record(z.string(), z.unknown()),
      /** Generated tasks: shorthand name → JSON Schema of its options. */
      tasks: z.record(z.string(), z.record(z.string(), z.unknown())),
      /**
       * Puzzle files a person holds (`sudoku-csv`, `maze-csv`, `arc`): the spec type, a label,
       * whether the path names a folder, and the JSON Schema of the other options.
       */
      puzzleFiles: z.array(
        z.strictObject({
          type: z.string(),
          label: z.string(),
          folder: z.boolean(),
          options: z.record(z.string(), z.unknown()),
        }),
      ),
      /** Built-in corpora as data shorthands. */
      corpora: z.array(
        z.strictObject({
          id: z.string(),
          label: z.string(),
          /** Plain text: the tokenizer (characters or BPE, vocabulary size) is the user's choice. */
          tokenizer: z.boolean(),
        }),
      ),
    }),
    'What the Train panel offers: trainer settings and data choices, from the engine schemas.',
  ),
  'train.start': method(
    z.strictObject({
      document: GraphDocument,
      /** A shorthand (`brown`, `copy:length=8`), a text file in the workspace, or a data spec. */
      data: z.union([z.string().min(1).max(4096), z.record(z.string(), z.unknown())]),
      config: z.record(z.string(), z.unknown()).default({}),
      /**
       * Fine-tune: start from a checkpoint of an earlier run (its latest when none is named);
       * weights are matched by name. `resizeEmbedding` keeps shared tokens' rows when the data's
       * vocabulary differs from the run's.
       */
      initFrom: z
        .strictObject({
          runId: RunId,
          checkpoint: CheckpointName.optional(),
          resizeEmbedding: z.boolean().default(false),
        })
        .optional(),
      /**
       * Which engine trains: tfjs in the engine process (default), or PyTorch — the graph as a
       * PyTorch project in the run folder, trained by the python that `train.engines` found,
       * under torchrun with `processes` > 1.
       */
      engine: z.enum(['tfjs', 'pytorch']).default('tfjs'),
      processes: z.number().int().min(1).max(64).default(1),
    }),
    z.strictObject({ runId: RunId, dir: z.string() }),
    'Start a training run in the engine process; its events arrive as `train.event`.',
  ),
  'train.pause': method(z.strictObject({ runId: RunId }), RunSummary, 'Pause a run.'),
  'train.resume': method(z.strictObject({ runId: RunId }), RunSummary, 'Resume a paused run.'),
  'train.stop': method(
    z.strictObject({ runId: RunId }),
    RunSummary,
    'Stop a run after its current step (it writes a checkpoint first).',
  ),
  'train.status': method(
    z.strictObject({ runId: RunId.optional() }),
    z.strictObject({ run: RunSummary.nullable(), events: z.array(TrainEvent) }),
    'A run and its events so far (no runId: the latest one still training), to re-attach a window.',
  ),
  'runs.list': method(Empty, z.array(RunSummary), 'Every run recorded in the workspace.'),
  // ── Runs comparison (runs view) ──
  'runs.get': method(
    z.strictObject({ runId: RunId }),
    RunDetail,
    'One run in full: summary, settings, graph snapshot, curves (at most 5,000 points each), files.',
  ),
  'runs.delete': method(
    z.strictObject({ runId: RunId }),
    z.strictObject({ deleted: RunId }),
    'Delete a finished run folder from the workspace runs folder (a training run is refused).',
  ),
  'export.run': method(
    z
      .strictObject({
        runId: RunId.optional(),
        document: GraphDocument.optional(),
        precision: ExportPrecision,
        mode: z.enum(['full', 'step', 'encoder-decoder']).default('full'),
      })
      .refine((p) => (p.runId === undefined) !== (p.document === undefined), {
        message: 'give either a runId (its trained weights) or a document (initial weights)',
      }),
    ExportReport,
    'Export ONNX at a precision and verify it against the tfjs reference.',
  ),
  'export.pytorch': method(
    z
      .strictObject({ runId: RunId.optional(), document: GraphDocument.optional() })
      .refine((p) => (p.runId === undefined) !== (p.document === undefined), {
        message: 'give either a runId (its trained weights) or a document (initial weights)',
      }),
    z.strictObject({
      dir: z.string(),
      files: z.array(z.string()),
      params: z.number().int(),
      trainExamples: z.number().int(),
      validationExamples: z.number().int(),
      /** How to train it: one process, and torchrun. */
      commands: z.array(z.string()),
    }),
    "The graph as a PyTorch project (model.py, train.py, the run's data and weights) that trains on any GPU PyTorch supports and under torchrun.",
  ),

  // ── Training data files: the Train panel's file dialog and drop zone ──
  'data.import': method(
    z.strictObject({
      name: z.string().min(1).max(255),
      text: z.string().max(12 * 1024 * 1024),
    }),
    DataFile,
    'Copy a dropped text file into the workspace data/ folder; a run then names that copy.',
  ),
  'data.upload': method(
    UploadChunk,
    UploadReply,
    'Send a dropped text file in order, in pieces of at most UPLOAD_CHUNK_CHARS; the last piece copies it into data/.',
  ),
  'data.pick': method(
    Empty,
    DataFile.nullable(),
    'Show a file dialog for a text file and copy it into the workspace (null when cancelled).',
  ),
  ...playgroundMethods,
  // ── Recursion insight (issue 6 item 3): accuracy/loss against recursion depth for a
  // run's checkpoint, and one example after each supervision step. Work runs one job at a
  // time in the host; a sweep reports `insight.progress` events under the caller's jobId
  // and stops at `insight.cancel`. Depth and examples are capped so no call runs unbounded.
  'insight.depth': method(
    z.strictObject({
      runId: RunId,
      /** A step folder of the run (`step-000120`); default: its latest checkpoint. */
      checkpoint: CheckpointName.optional(),
      /** Held-out examples (default: the run's evalExamples). */
      examples: z.number().int().min(1).max(1024).optional(),
      /** Deepest depth (default: the trained depth; more runs past it). */
      maxDepth: z.number().int().min(1).max(64).optional(),
      jobId: InsightJobId.optional(),
    }),
    DepthSweep,
    'Held-out loss, accuracy, exact match and halting after each recursion depth.',
  ),
  'insight.example': method(
    z.strictObject({
      runId: RunId,
      checkpoint: CheckpointName.optional(),
      /** Index in the run's held-out set (default 0). */
      index: z.number().int().min(0).max(100_000).optional(),
      /** Instead of an index: a puzzle (cells row by row, `.` for blanks) or a text context. */
      input: z.string().min(1).max(4096).optional(),
      maxDepth: z.number().int().min(1).max(64).optional(),
      topK: z.number().int().min(1).max(20).optional(),
    }),
    ExampleTrace,
    'One example after each depth: the answer grid and its confidence, or the top next tokens.',
  ),
  'insight.cancel': method(
    z.strictObject({ jobId: InsightJobId }),
    z.strictObject({ cancelled: z.boolean() }),
    'Stop a running insight.depth sweep (false when no such job is running).',
  ),
  // --- Export dialog (verify-acc): reveal an exported file. Electron opens the system file
  // manager on it; the web host cannot reach the person's desktop, so it returns the folder
  // for the dialog to show and copy. Only files inside the workspace. ---
  'files.reveal': method(
    z.strictObject({ path: FilePath }),
    z.strictObject({ folder: z.string(), shown: z.boolean() }),
    'Show a workspace file in the file manager (shown: true) or return its folder (shown: false).',
  ),
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type Params<M extends MethodName> = z.input<Methods[M]['params']>;
export type Result<M extends MethodName> = z.output<Methods[M]['result']>;
/** Params as a handler receives them: validated, defaults applied. */
export type ParsedParams<M extends MethodName> = z.output<Methods[M]['params']>;
export const methodNames = Object.keys(methods) as MethodName[];

export const MenuCommand = z.enum([
  'new',
  'open',
  'save',
  'saveAs',
  'templates',
  'undo',
  'redo',
  'duplicate',
  'selectAll',
  'fitView',
  'autoLayout',
  'help',
  'train',
  'export',
  'runs',
  'playground',
  'insight',
  'glossary',
]);
export type MenuCommand = z.infer<typeof MenuCommand>;

/** Pushed from host to UI on the event channel; training/export add their variants here. */
export const ServerEvent = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('menu'), command: MenuCommand }),
  z.strictObject({ type: z.literal('open-recent'), path: FilePath }),
  z.strictObject({ type: z.literal('train.event'), runId: RunId, event: TrainEvent }),
  ...playgroundEvents,
  // Recursion insight: progress of an insight.depth sweep (work units done of total).
  z.strictObject({
    type: z.literal('insight.progress'),
    jobId: InsightJobId,
    done: z.number().int(),
    total: z.number().int(),
  }),
]);
export type ServerEvent = z.infer<typeof ServerEvent>;

/** Wire envelope (WebSocket and IPC): a call, its reply, or an event. */
export const Request = z.strictObject({
  id: z.number().int().nonnegative(),
  method: z.enum(methodNames as [MethodName, ...MethodName[]]),
  params: z.unknown(),
});
export type Request = z.infer<typeof Request>;

export const ApiError = z.strictObject({ code: z.string(), message: z.string() });
export type ApiError = z.infer<typeof ApiError>;

export const Reply = z.union([
  z.strictObject({ id: z.number(), ok: z.literal(true), result: z.unknown() }),
  z.strictObject({ id: z.number(), ok: z.literal(false), error: ApiError }),
]);
export type Reply = z.infer<typeof Reply>;

export const EventMessage = z.strictObject({ event: ServerEvent });

export const ServerMessage = z.union([Reply, EventMessage]);
export type ServerMessage = z.infer<typeof ServerMessage>;

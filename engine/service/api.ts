import { z } from 'zod';
import { GraphDocument, PortRef } from '../graph/schema.ts';
import { TrainEvent } from '../train/events.ts';
import { DepthSweep, ExampleTrace } from '../infer/insight-report.ts';

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
  flopsPerToken: z.number(),
  /** The parameter budget the meter compares against. */
  budget: z.number(),
  /** Approximate weight bytes per export precision. */
  bytes: z.strictObject({ fp32: z.number(), fp16: z.number(), int8: z.number() }),
  /** Float activations per token, every node output of every step (bytes, fp32). */
  activationBytesPerToken: z.number(),
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

export const SavedFile = z.strictObject({ path: z.string(), savedAt: z.string() });
export type SavedFile = z.infer<typeof SavedFile>;

export const OpenedDocument = z.strictObject({ path: z.string(), doc: GraphDocument });
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

/** One training run as the runs table and the Train panel show it (`run.json` in its folder). */
export const RunSummary = z.strictObject({
  runId: RunId,
  /** The graph's name when the run started. */
  name: z.string(),
  status: RunStatus,
  startedAt: z.string(),
  step: z.number().int(),
  steps: z.number().int(),
  backend: z.string().nullable(),
  /** The data as chosen (shorthand, path or JSON spec). */
  data: z.string(),
  params: z.number().int().nullable(),
  lastCheckpoint: z.string().nullable(),
  /** Why a failed run failed, as a sentence. */
  message: z.string().nullable(),
  dir: z.string(),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const ExportPrecision = z.enum(['fp32', 'fp16', 'int8', 'int8-weight', 'int4']);
export type ExportPrecision = z.infer<typeof ExportPrecision>;

/** What `export.run` verified: the ONNX model against the tfjs reference on held-out inputs. */
export const ExportReport = z.strictObject({
  path: z.string(),
  precision: ExportPrecision,
  mode: z.enum(['full', 'step']),
  /** Whether trained weights (a run's last checkpoint) were exported. */
  trained: z.boolean(),
  ok: z.boolean(),
  fileBytes: z.number(),
  maxAbsError: z.number(),
  top1Agreement: z.number().nullable(),
  latencyMs: z.strictObject({ batch1: z.number(), batch64: z.number() }).nullable(),
  failures: z.array(z.string()),
  /** The tfjs backend that computed the reference outputs. */
  reference: z.string(),
});
export type ExportReport = z.infer<typeof ExportReport>;

/** Recursion insight: a checkpoint folder name inside a run, never a path. */
const InsightCheckpoint = z.string().regex(/^step-\d{1,12}$/, 'a checkpoint is step-NNNNNN');
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
    z.strictObject({ path: FilePath, doc: GraphDocument }),
    SavedFile,
    'Write a document atomically to a path it was opened from or saved to.',
  ),
  'document.saveAs': method(
    z.strictObject({ doc: GraphDocument, path: FilePath.optional() }),
    SavedFile.nullable(),
    'Write a document to a new path (no path: the host asks; null when cancelled).',
  ),
  'document.autosave': method(
    z.strictObject({ doc: z.unknown(), path: FilePath.nullable() }),
    z.strictObject({ savedAt: z.string() }),
    'Keep the unsaved state in the recovery file.',
  ),
  'document.recover': method(Empty, Recovery.nullable(), 'Unsaved work left by a crash.'),
  'document.discardRecovery': method(Empty, Empty, 'Forget the recovery file.'),
  'train.options': method(
    Empty,
    z.strictObject({
      /** JSON Schema (zod's toJSONSchema, input side) of the trainer's settings. */
      config: z.record(z.string(), z.unknown()),
      /** Generated tasks: shorthand name → JSON Schema of its options. */
      tasks: z.record(z.string(), z.record(z.string(), z.unknown())),
      /** Built-in corpora as data shorthands. */
      corpora: z.array(z.strictObject({ id: z.string(), label: z.string() })),
    }),
    'What the Train panel offers: trainer settings and data choices, from the engine schemas.',
  ),
  'train.start': method(
    z.strictObject({
      document: GraphDocument,
      /** A shorthand (`brown`, `copy:length=8`), a text file in the workspace, or a data spec. */
      data: z.union([z.string().min(1).max(4096), z.record(z.string(), z.unknown())]),
      config: z.record(z.string(), z.unknown()).default({}),
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
  'export.run': method(
    z
      .strictObject({
        runId: RunId.optional(),
        document: GraphDocument.optional(),
        precision: ExportPrecision,
        mode: z.enum(['full', 'step']).default('full'),
      })
      .refine((p) => (p.runId === undefined) !== (p.document === undefined), {
        message: 'give either a runId (its trained weights) or a document (initial weights)',
      }),
    ExportReport,
    'Export ONNX at a precision and verify it against the tfjs reference.',
  ),
  // ── Recursion insight (issue 6 item 3): accuracy/loss against recursion depth for a
  // run's checkpoint, and one example after each supervision step. Work runs one job at a
  // time in the host; a sweep reports `insight.progress` events under the caller's jobId
  // and stops at `insight.cancel`. Depth and examples are capped so no call runs unbounded.
  'insight.depth': method(
    z.strictObject({
      runId: RunId,
      /** A step folder of the run (`step-000120`); default: its latest checkpoint. */
      checkpoint: InsightCheckpoint.optional(),
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
      checkpoint: InsightCheckpoint.optional(),
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
]);
export type MenuCommand = z.infer<typeof MenuCommand>;

/** Pushed from host to UI on the event channel; training/export add their variants here. */
export const ServerEvent = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('menu'), command: MenuCommand }),
  z.strictObject({ type: z.literal('open-recent'), path: FilePath }),
  z.strictObject({ type: z.literal('train.event'), runId: RunId, event: TrainEvent }),
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

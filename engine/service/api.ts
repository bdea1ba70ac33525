import { z } from 'zod';
import { GraphDocument, PortRef } from '../graph/schema.ts';

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

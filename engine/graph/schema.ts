import { z } from 'zod';

/**
 * Graph document, version 1. Parsed from `unknown` at every boundary (file load, IPC,
 * WebSocket, templates). Node parameters are validated a second time, per node kind, by
 * the kind's own schema (see nodes/), so this file only fixes the document's skeleton.
 */

export const DOCUMENT_VERSION = 1;

const Identifier = z
  .string()
  .min(1)
  .max(128)
  .regex(
    /^[A-Za-z_][A-Za-z0-9_.-]*$/,
    'must start with a letter or _ and use only letters, digits, _ . -',
  );

export const PortRef = z.strictObject({
  node: Identifier,
  port: Identifier,
});
export type PortRef = z.infer<typeof PortRef>;

export const GraphNode = z.strictObject({
  id: Identifier,
  kind: z.string().min(1).max(64),
  /** Raw parameters; validated by the node kind's schema during compilation. */
  params: z.record(z.string(), z.unknown()).default({}),
  label: z.string().max(200).optional(),
  position: z.strictObject({ x: z.number().finite(), y: z.number().finite() }).optional(),
});
export type GraphNode = z.infer<typeof GraphNode>;

export const GraphEdge = z.strictObject({
  from: PortRef,
  to: PortRef,
});
export type GraphEdge = z.infer<typeof GraphEdge>;

export const Graph = z.strictObject({
  nodes: z.array(GraphNode).max(20_000),
  edges: z.array(GraphEdge).max(100_000),
});
export type Graph = z.infer<typeof Graph>;

/** A component is a sub-graph whose `component-input` / `component-output` nodes are its ports. */
export const Component = Graph.extend({
  doc: z.string().max(2000).optional(),
});
export type Component = z.infer<typeof Component>;

export const GraphDocument = z.strictObject({
  version: z.literal(DOCUMENT_VERSION),
  name: z.string().min(1).max(200),
  description: z.string().max(5000).optional(),
  /**
   * Named sizes (D, V, H, …) that numeric node parameters may reference by name.
   * `B` (batch) and `T` (sequence) stay symbolic in shapes.
   */
  dims: z
    .record(
      Identifier,
      z
        .number()
        .int()
        .positive()
        .max(1 << 24),
    )
    .default({}),
  components: z.record(Identifier, Component).default({}),
  main: Graph,
  /** Free-form metadata owned by hosts (presets, training defaults, UI state). */
  meta: z.record(z.string(), z.unknown()).optional(),
});
export type GraphDocument = z.infer<typeof GraphDocument>;
export type GraphDocumentInput = z.input<typeof GraphDocument>;

/** A graph by name: `main` or a component (own properties only: "constructor" is none). */
export function graphOf(doc: GraphDocument, name: string): Graph | undefined {
  if (name === 'main') return doc.main;
  return Object.hasOwn(doc.components, name) ? doc.components[name] : undefined;
}

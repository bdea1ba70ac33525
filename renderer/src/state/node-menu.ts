import type { PortSpec } from '../../../engine/graph/node-kind.ts';
import type { Graph, GraphDocument, GraphNode } from '../../../engine/graph/schema.ts';
import { portsOfNode } from '../../../engine/graph/analyze.ts';
import { kindCards } from '../kinds.ts';
import { usableComponents } from '../../../engine/graph/edits/component-edits.ts';
import { dropParams } from './drop-params.ts';
import { freshId, type Edit, type XY } from '../../../engine/graph/edits/apply-edit.ts';
import { portSide } from '../../../engine/graph/structure.ts';

/**
 * The canvas's quick-add menu (double-click on empty canvas, or a wire dropped in empty
 * space): node kinds and the document's components, filtered by what the person types and,
 * for a dropped wire, by whether the new node has a port that wire may plug into.
 */

export type PortType = PortSpec['type'];

/** The loose end of a wire dropped on empty canvas. */
export interface LooseWire {
  node: string;
  port: string;
  /** `source`: dragged out of an output, so the new node needs an input; `target`: the reverse. */
  side: 'source' | 'target';
  type: PortType;
}

export interface MenuEntry {
  /** Unique in the list: the kind, or `component:NAME`. */
  key: string;
  kind: string;
  title: string;
  doc: string;
  params: Record<string, unknown>;
  /** The new node's port the loose wire connects to. */
  port?: string;
}

function fits(a: PortType, b: PortType): boolean {
  return a === 'any' || b === 'any' || a === b;
}

/** The first port of the new node that the loose wire may plug into, if any. */
function portFor(
  doc: GraphDocument,
  kind: string,
  params: Record<string, unknown>,
  wire: LooseWire,
): string | undefined {
  const ports = portsOfNode(doc, kind, params);
  const side = wire.side === 'source' ? ports.inputs : ports.outputs;
  // A required input before an optional one: the wire should feed what the node needs.
  const ordered = [...side].sort((a, b) => Number(!!a.optional) - Number(!!b.optional));
  return ordered.find((p) => fits(p.type, wire.type))?.name;
}

/** How well an entry matches the query: lower is better, undefined when it does not match. */
function rank(entry: MenuEntry, q: string): number | undefined {
  if (!q) return 0;
  const title = entry.title.toLowerCase();
  if (title.startsWith(q) || entry.kind.startsWith(q)) return 0;
  if (title.split(/[\s-]+/).some((w) => w.startsWith(q))) return 1;
  if (title.includes(q) || entry.kind.includes(q)) return 2;
  if (entry.doc.toLowerCase().includes(q)) return 3;
  return undefined;
}

/** Menu entries for graph `graphName`, best match first; palette order among equals. */
export function nodeMenuEntries(
  doc: GraphDocument,
  graphName: string,
  query: string,
  wire?: LooseWire,
): MenuEntry[] {
  const inside = graphName !== 'main';
  const kinds: MenuEntry[] = kindCards
    .filter((k) => inside || portSide(k.kind) === undefined)
    .map((k) => ({
      key: k.kind,
      kind: k.kind,
      title: k.title,
      doc: k.doc,
      params: dropParams(k.kind, doc, graphName),
    }));
  const components: MenuEntry[] = usableComponents(doc, graphName).map((name) => ({
    key: `component:${name}`,
    kind: 'component',
    title: name,
    doc: doc.components[name]?.doc ?? `an instance of component "${name}"`,
    params: dropParams('component', doc, graphName, { component: name }),
  }));
  const q = query.trim().toLowerCase();
  return [...kinds, ...components]
    .flatMap((entry) => {
      const r = rank(entry, q);
      if (r === undefined) return [];
      if (!wire) return [{ entry, r }];
      const port = portFor(doc, entry.kind, entry.params, wire);
      return port ? [{ entry: { ...entry, port }, r }] : [];
    })
    .sort((a, b) => a.r - b.r)
    .map((x) => x.entry);
}

/**
 * The one edit that places `entry` at flow point `at` and, for a dropped wire, connects it:
 * one undo step. Centred on the point; a node fed by the wire hangs below it (inputs on top),
 * one that feeds it sits above.
 */
export function quickAddEdit(
  graph: Graph,
  graphName: string,
  entry: MenuEntry,
  at: XY,
  wire?: LooseWire,
): Edit {
  const y = wire?.side === 'source' ? at.y : wire ? at.y - 80 : at.y - 30;
  const position = { x: Math.round((at.x - 110) / 20) * 20, y: Math.round(y / 20) * 20 };
  const base = typeof entry.params.component === 'string' ? entry.params.component : entry.kind;
  const node: GraphNode = {
    id: freshId(graph, base),
    kind: entry.kind,
    params: entry.params,
    position,
  };
  const port = entry.port;
  if (!wire || !port) return { type: 'addNode', graph: graphName, node };
  const edge =
    wire.side === 'source'
      ? { from: { node: wire.node, port: wire.port }, to: { node: node.id, port } }
      : { from: { node: node.id, port }, to: { node: wire.node, port: wire.port } };
  return { type: 'addNode', graph: graphName, node, edge };
}

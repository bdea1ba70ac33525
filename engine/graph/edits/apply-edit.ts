import {
  graphOf,
  type Graph,
  type GraphDocument,
  type GraphEdge,
  type GraphNode,
} from '../schema.ts';
import { applyPreset } from '../presets.ts';
import {
  createComponent,
  deleteComponent,
  duplicateComponent,
  renameComponent,
} from './component-edits.ts';
import { deleteDimProblem, renameDim } from './dim-edits.ts';
import { groupNodes, ungroupNode } from './grouping.ts';
import { wrapInRecursion } from './recursion-edits.ts';

/**
 * Every change to a document is one typed edit applied by one pure function, so the designer's
 * undo and redo cover all of them, and the CLI and tests make the same changes the UI does.
 */

export type XY = { x: number; y: number };

export type Edit =
  /** `edge`, when given, wires the new node in the same step (a wire dropped on empty canvas). */
  | { type: 'addNode'; graph: string; node: GraphNode; edge?: GraphEdge }
  | { type: 'removeItems'; graph: string; nodes: string[]; edges: GraphEdge[] }
  | { type: 'moveNodes'; graph: string; positions: Record<string, XY> }
  | { type: 'connect'; graph: string; edge: GraphEdge }
  | { type: 'setParam'; graph: string; node: string; key: string; value: unknown }
  | { type: 'paste'; graph: string; nodes: GraphNode[]; edges: GraphEdge[] }
  | { type: 'setDim'; name: string; value: number | undefined }
  | { type: 'renameDim'; from: string; to: string }
  | { type: 'applyPreset'; name: string }
  | { type: 'group'; graph: string; nodes: string[]; component: string }
  | { type: 'ungroup'; graph: string; node: string }
  | { type: 'createComponent'; name: string }
  | { type: 'renameComponent'; from: string; to: string }
  | { type: 'duplicateComponent'; name: string; copy: string }
  | { type: 'deleteComponent'; name: string }
  | { type: 'wrapRecursion'; graph: string; node: string }
  | { type: 'rename'; name: string }
  /** The data the document is for (`meta.task`); undefined removes it. */
  | { type: 'setTask'; task: string | undefined };

export function emptyDocument(): GraphDocument {
  return {
    version: 1,
    name: 'Untitled model',
    dims: {},
    components: {},
    main: { nodes: [], edges: [] },
  };
}

function withGraph(doc: GraphDocument, name: string, f: (g: Graph) => Graph): GraphDocument {
  const g = graphOf(doc, name);
  if (!g) return doc;
  const next = f(g);
  if (next === g) return doc;
  if (name === 'main') return { ...doc, main: next };
  return { ...doc, components: { ...doc.components, [name]: { ...g, ...next } } };
}

export function edgeKey(e: GraphEdge): string {
  return `${e.from.node}.${e.from.port}->${e.to.node}.${e.to.port}`;
}

/** A fresh id for a node of `base` that no node of the graph uses yet. */
export function freshId(graph: Graph, base: string, taken: Set<string> = new Set()): string {
  const used = new Set([...graph.nodes.map((n) => n.id), ...taken]);
  const stem = base.replace(/[^A-Za-z0-9_]/g, '_').replace(/_\d+$/, '') || 'node';
  if (!used.has(stem)) return stem;
  for (let i = 2; ; i++) if (!used.has(`${stem}_${i}`)) return `${stem}_${i}`;
}

/** `g` with wire `edge`; an input takes one wire, so one into a taken input replaces the old. */
function withEdge(g: Graph, edge: GraphEdge): Graph {
  const key = edgeKey(edge);
  if (g.edges.some((e) => edgeKey(e) === key)) return g;
  const edges = g.edges.filter((e) => !(e.to.node === edge.to.node && e.to.port === edge.to.port));
  return { ...g, edges: [...edges, edge] };
}

/** Apply one edit; returns the same document when the edit changes nothing. */
export function applyEdit(doc: GraphDocument, edit: Edit): GraphDocument {
  switch (edit.type) {
    case 'addNode':
      return withGraph(doc, edit.graph, (g) => {
        if (g.nodes.some((n) => n.id === edit.node.id)) return g;
        const added = { ...g, nodes: [...g.nodes, edit.node] };
        return edit.edge ? withEdge(added, edit.edge) : added;
      });
    case 'removeItems': {
      const gone = new Set(edit.nodes);
      const cut = new Set(edit.edges.map(edgeKey));
      return withGraph(doc, edit.graph, (g) => ({
        nodes: g.nodes.filter((n) => !gone.has(n.id)),
        edges: g.edges.filter(
          (e) => !gone.has(e.from.node) && !gone.has(e.to.node) && !cut.has(edgeKey(e)),
        ),
      }));
    }
    case 'moveNodes':
      return withGraph(doc, edit.graph, (g) => ({
        ...g,
        nodes: g.nodes.map((n) => {
          const p = edit.positions[n.id];
          return p ? { ...n, position: { x: Math.round(p.x), y: Math.round(p.y) } } : n;
        }),
      }));
    case 'connect':
      return withGraph(doc, edit.graph, (g) => withEdge(g, edit.edge));
    case 'setParam':
      return withGraph(doc, edit.graph, (g) => ({
        ...g,
        nodes: g.nodes.map((n) => {
          if (n.id !== edit.node) return n;
          const params = { ...n.params };
          if (edit.value === undefined) delete params[edit.key];
          else params[edit.key] = edit.value;
          return { ...n, params };
        }),
      }));
    case 'paste':
      return withGraph(doc, edit.graph, (g) => ({
        nodes: [...g.nodes, ...edit.nodes],
        edges: [...g.edges, ...edit.edges],
      }));
    case 'setDim': {
      // A dim still in use is never deleted: its users would lose their size.
      if (edit.value === undefined && deleteDimProblem(doc, edit.name)) return doc;
      const dims = { ...doc.dims };
      if (edit.value === undefined) delete dims[edit.name];
      else dims[edit.name] = edit.value;
      return { ...doc, dims };
    }
    case 'renameDim':
      return renameDim(doc, edit.from, edit.to);
    case 'applyPreset': {
      const r = applyPreset(doc, edit.name);
      return 'doc' in r ? r.doc : doc;
    }
    case 'group': {
      const r = groupNodes(doc, edit.graph, edit.nodes, edit.component);
      return 'doc' in r ? r.doc : doc;
    }
    case 'ungroup': {
      const r = ungroupNode(doc, edit.graph, edit.node);
      return 'doc' in r ? r.doc : doc;
    }
    case 'createComponent':
      return createComponent(doc, edit.name);
    case 'renameComponent':
      return renameComponent(doc, edit.from, edit.to);
    case 'duplicateComponent':
      return duplicateComponent(doc, edit.name, edit.copy);
    case 'deleteComponent':
      return deleteComponent(doc, edit.name);
    case 'wrapRecursion':
      return wrapInRecursion(doc, edit.graph, edit.node);
    case 'rename':
      return { ...doc, name: edit.name };
    case 'setTask': {
      const meta = { ...doc.meta };
      if (edit.task === undefined) delete meta.task;
      else meta.task = edit.task;
      return { ...doc, meta };
    }
  }
}

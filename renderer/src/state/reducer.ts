import {
  graphOf,
  type Graph,
  type GraphDocument,
  type GraphEdge,
  type GraphNode,
} from '../../../engine/graph/schema.ts';
import { applyPreset } from '../../../engine/graph/presets.ts';
import {
  createComponent,
  deleteComponent,
  duplicateComponent,
  renameComponent,
  viewAfterRename,
} from './component-edits.ts';
import { deleteDimProblem, renameDim } from './dim-edits.ts';
import { groupNodes, ungroupNode } from './grouping.ts';
import { wrapInRecursion } from './recursion-edits.ts';
import { selectionAfter } from './selection-after.ts';

/**
 * Every change to the document goes through this one pure reducer, as a typed edit, so undo
 * and redo cover all of them. UI-only state (selection, which graph is open) lives beside
 * the document but outside the history.
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

export type Action =
  | {
      type: 'load';
      doc: GraphDocument;
      path: string | null;
      dirty?: boolean;
      version?: string | null;
    }
  | { type: 'edit'; edit: Edit }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'saved'; path: string; doc: GraphDocument; version?: string | null }
  | { type: 'openGraph'; name: string }
  | { type: 'closeGraphs'; depth: number }
  | { type: 'select'; nodes: string[] };

export interface EditorState {
  doc: GraphDocument;
  path: string | null;
  /** The file's version as last opened or saved: a save is refused if the disk moved on. */
  version: string | null;
  /** The document as last saved or opened; the editor is dirty when `doc` differs. */
  saved: GraphDocument | null;
  past: GraphDocument[];
  future: GraphDocument[];
  /** Open graphs, outermost first: `['main', 'deep_step', …]`. */
  view: string[];
  selection: string[];
  /** Bumped when a document is loaded, so views reset (fit, scroll) for the new one. */
  generation: number;
}

const HISTORY = 200;

export function emptyDocument(): GraphDocument {
  return {
    version: 1,
    name: 'Untitled model',
    dims: {},
    components: {},
    main: { nodes: [], edges: [] },
  };
}

export function initialState(doc: GraphDocument = emptyDocument()): EditorState {
  return {
    doc,
    path: null,
    version: null,
    saved: doc,
    past: [],
    future: [],
    view: ['main'],
    selection: [],
    generation: 0,
  };
}

export function isDirty(s: EditorState): boolean {
  return s.doc !== s.saved;
}

export function currentGraph(s: EditorState): string {
  return s.view[s.view.length - 1] ?? 'main';
}

export { graphOf };

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

export function reducer(s: EditorState, a: Action): EditorState {
  switch (a.type) {
    case 'load':
      return {
        ...initialState(a.doc),
        path: a.path,
        version: a.version ?? null,
        saved: a.dirty ? null : a.doc,
        generation: s.generation + 1,
      };
    case 'edit': {
      const edit = a.edit;
      const doc = applyEdit(s.doc, edit);
      if (doc === s.doc) return s;
      return {
        ...s,
        doc,
        past: [...s.past, s.doc].slice(-HISTORY),
        future: [],
        selection: selectionAfter(s, edit, doc),
        view:
          edit.type === 'renameComponent'
            ? viewAfterRename(s.view, edit.from, edit.to)
            : validView(doc, s.view),
      };
    }
    case 'undo': {
      const prev = s.past[s.past.length - 1];
      if (!prev) return s;
      return {
        ...s,
        doc: prev,
        past: s.past.slice(0, -1),
        future: [s.doc, ...s.future],
        view: validView(prev, s.view),
      };
    }
    case 'redo': {
      const next = s.future[0];
      if (!next) return s;
      return {
        ...s,
        doc: next,
        past: [...s.past, s.doc],
        future: s.future.slice(1),
        view: validView(next, s.view),
      };
    }
    case 'saved':
      return { ...s, path: a.path, saved: a.doc, version: a.version ?? null };
    case 'openGraph':
      return graphOf(s.doc, a.name) ? { ...s, view: [...s.view, a.name], selection: [] } : s;
    case 'closeGraphs':
      return { ...s, view: s.view.slice(0, Math.max(1, a.depth)), selection: [] };
    case 'select':
      return sameIds(s.selection, a.nodes) ? s : { ...s, selection: a.nodes };
  }
}

function sameIds(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

function validView(doc: GraphDocument, view: string[]): string[] {
  const i = view.findIndex((name) => !graphOf(doc, name));
  return i < 0 ? view : view.slice(0, Math.max(1, i));
}

import type { z } from 'zod';
import { findKind } from './nodes/index.ts';
import type { Graph, GraphDocument, GraphEdge, GraphNode, PortRef } from './schema.ts';

/**
 * What changed between two graph documents — two runs' architectures — node by node, so a
 * metric difference can be read against the edit that caused it. Pure (no tensors, no
 * files): the runs view computes it in the renderer from the runs' graph snapshots.
 */

/** Parameter counts per node, in the shape `analyzeDocument` returns (so an Analysis fits). */
export interface ParamCounts {
  totals: { params: number };
  graphs: Record<string, { nodes: Record<string, { params: number }> }>;
}

export interface ValueChange<T = unknown> {
  /** `undefined`: absent on that side (a removed key, a new dim). */
  before: T | undefined;
  after: T | undefined;
}

export interface ParamChange extends ValueChange {
  key: string;
}

export interface NodeChange {
  /** `main` or the component's name (its name in the newer document). */
  graph: string;
  /** The node's id in the newer document (the older one for a removed node). */
  id: string;
  status: 'added' | 'removed' | 'changed';
  kind: string;
  /** The id it had before, when the node was recognised under a new id. */
  renamedFrom?: string;
  /** The kind it had before, when a node kept its id but changed kind. */
  kindBefore?: string;
  params: ParamChange[];
  label?: ValueChange<string>;
  /** Changed dims this node's parameters name: why its size moved without an edit of its own. */
  dims: string[];
  /** Weights this node holds on each side (null: not present, or no counts given). */
  weights: ValueChange<number> & { delta: number | null };
}

export interface EdgeChange {
  graph: string;
  status: 'added' | 'removed';
  from: PortRef;
  to: PortRef;
}

export interface DimChange extends ValueChange<number> {
  name: string;
}

export interface ComponentChange {
  name: string;
  status: 'added' | 'removed' | 'renamed';
  renamedFrom?: string;
  nodes: number;
}

export interface GraphDiff {
  dims: DimChange[];
  components: ComponentChange[];
  nodes: NodeChange[];
  edges: EdgeChange[];
  /** Whole-model weights (null when no counts were given). */
  totalParams: (ValueChange<number> & { delta: number }) | null;
  /** Nothing but layout (positions) differs. */
  same: boolean;
}

/** JSON with sorted keys, so `{a, b}` and `{b, a}` compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/** A parameter left out means its default: `{}` and `{ ratio: 4 }` are the same FFN. */
function defaultOf(kind: string, key: string): unknown {
  const shape = findKind(kind)?.params.shape as Record<string, z.ZodType> | undefined;
  if (!shape || !Object.hasOwn(shape, key)) return undefined;
  const parsed = shape[key]!.safeParse(undefined);
  return parsed.success ? parsed.data : undefined;
}

function paramChanges(before: GraphNode, after: GraphNode): ParamChange[] {
  const sameKind = before.kind === after.kind;
  const keys = [...new Set([...Object.keys(before.params), ...Object.keys(after.params)])];
  const out: ParamChange[] = [];
  for (const key of keys.sort()) {
    const has = (n: GraphNode) => Object.hasOwn(n.params, key);
    const value = (n: GraphNode) =>
      has(n) ? n.params[key] : sameKind ? defaultOf(n.kind, key) : undefined;
    const [b, a] = [value(before), value(after)];
    if (!same(b, a)) out.push({ key, before: b, after: a });
  }
  return out;
}

/** Dims named by a node's string parameters. */
function dimsNamed(node: GraphNode, dims: Record<string, number>): string[] {
  return Object.values(node.params).filter(
    (v): v is string => typeof v === 'string' && Object.hasOwn(dims, v),
  );
}

const edgeKey = (e: GraphEdge) => `${e.from.node}.${e.from.port}->${e.to.node}.${e.to.port}`;

/** Wires by node id, as `in:port<-node.port` / `out:port->node.port` (neighbours renamed). */
function wireIndex(graph: Graph): Map<string, GraphEdge[]> {
  const index = new Map<string, GraphEdge[]>();
  const add = (id: string, e: GraphEdge) => index.set(id, [...(index.get(id) ?? []), e]);
  for (const e of graph.edges) {
    add(e.to.node, e);
    if (e.from.node !== e.to.node) add(e.from.node, e);
  }
  return index;
}

function wiresOf(
  index: Map<string, GraphEdge[]>,
  id: string,
  rename: (id: string) => string,
): Set<string> {
  const out = new Set<string>();
  for (const e of index.get(id) ?? []) {
    if (e.to.node === id) out.add(`in:${e.to.port}<-${rename(e.from.node)}.${e.from.port}`);
    if (e.from.node === id) out.add(`out:${e.from.port}->${rename(e.to.node)}.${e.to.port}`);
  }
  return out;
}

/**
 * Pair nodes that changed id: same kind, and either the same parameters or at least one
 * identical wire (neighbours mapped through the pairs found so far). Repeats until stable,
 * so a chain of renamed nodes is recognised link by link. Returns before id → after id.
 */
function matchRenames(before: Graph, after: Graph): Map<string, string> {
  const afterIds = new Set(after.nodes.map((n) => n.id));
  const beforeIds = new Set(before.nodes.map((n) => n.id));
  const map = new Map<string, string>();
  for (const id of beforeIds) if (afterIds.has(id)) map.set(id, id);
  const rename = (id: string) => map.get(id) ?? `?${id}`;
  const [indexBefore, indexAfter] = [wireIndex(before), wireIndex(after)];
  for (;;) {
    const taken = new Set(map.values());
    const gone = before.nodes.filter((n) => !map.has(n.id));
    const fresh = after.nodes.filter((n) => !taken.has(n.id));
    let best: { b: string; a: string; score: number } | undefined;
    for (const b of gone) {
      const wiresB = wiresOf(indexBefore, b.id, rename);
      for (const a of fresh) {
        if (a.kind !== b.kind) continue;
        const wiresA = wiresOf(indexAfter, a.id, (id) => id);
        const shared = [...wiresB].filter((w) => wiresA.has(w)).length;
        const sameParams = paramChanges(b, a).length === 0;
        if (!sameParams && shared === 0) continue;
        const score = shared + (sameParams ? 2 : 0);
        if (!best || score > best.score) best = { b: b.id, a: a.id, score };
      }
    }
    if (!best) return map;
    map.set(best.b, best.a);
  }
}

interface Side {
  doc: GraphDocument;
  counts: ParamCounts | undefined;
}

function weightsOf(side: Side, graph: string, id: string): number | undefined {
  return side.counts?.graphs[graph]?.nodes[id]?.params;
}

function diffGraph(
  before: Side & { name: string; graph: Graph },
  after: Side & { name: string; graph: Graph },
  changedDims: Set<string>,
  out: GraphDiff,
): void {
  const map = matchRenames(before.graph, after.graph);
  const byId = new Map(before.graph.nodes.map((n) => [n.id, n]));
  const matchedAfter = new Map([...map].map(([b, a]) => [a, b]));
  const counted = before.counts !== undefined && after.counts !== undefined;
  const weights = (b: number | undefined, a: number | undefined) => ({
    before: b,
    after: a,
    delta: counted ? (a ?? 0) - (b ?? 0) : null,
  });
  for (const node of after.graph.nodes) {
    const oldId = matchedAfter.get(node.id);
    const old = oldId === undefined ? undefined : byId.get(oldId);
    const wAfter = weightsOf(after, after.name, node.id);
    if (!old) {
      out.nodes.push({
        graph: after.name,
        id: node.id,
        status: 'added',
        kind: node.kind,
        params: [],
        dims: [],
        weights: weights(undefined, wAfter),
      });
      continue;
    }
    const w = weights(weightsOf(before, before.name, old.id), wAfter);
    const params = paramChanges(old, node);
    const dims = dimsNamed(node, after.doc.dims).filter((d) => changedDims.has(d));
    const change: NodeChange = {
      graph: after.name,
      id: node.id,
      status: 'changed',
      kind: node.kind,
      params,
      dims,
      weights: w,
    };
    if (old.id !== node.id) change.renamedFrom = old.id;
    if (old.kind !== node.kind) change.kindBefore = old.kind;
    if ((old.label ?? '') !== (node.label ?? ''))
      change.label = { before: old.label, after: node.label };
    const edited = params.length || change.renamedFrom || change.kindBefore || change.label;
    if (edited || dims.length || (w.delta !== null && w.delta !== 0)) out.nodes.push(change);
  }
  for (const node of before.graph.nodes) {
    if (map.has(node.id)) continue;
    const b = weightsOf(before, before.name, node.id);
    out.nodes.push({
      graph: after.name,
      id: node.id,
      status: 'removed',
      kind: node.kind,
      params: [],
      dims: [],
      weights: weights(b, undefined),
    });
  }
  const renamed = (e: GraphEdge): GraphEdge => ({
    from: { ...e.from, node: map.get(e.from.node) ?? e.from.node },
    to: { ...e.to, node: map.get(e.to.node) ?? e.to.node },
  });
  const old = new Map(before.graph.edges.map((e) => [edgeKey(renamed(e)), e]));
  const now = new Map(after.graph.edges.map((e) => [edgeKey(e), e]));
  for (const [key, e] of now)
    if (!old.has(key)) out.edges.push({ graph: after.name, status: 'added', ...e });
  for (const [key, e] of old)
    if (!now.has(key)) out.edges.push({ graph: after.name, status: 'removed', ...e });
}

/** A component body without layout, for recognising a renamed component. */
const bodyKey = (g: Graph) =>
  canonical({
    nodes: g.nodes.map((n) => [n.id, n.kind, n.params]).sort(),
    edges: g.edges.map(edgeKey).sort(),
  });

function matchComponents(before: GraphDocument, after: GraphDocument, out: GraphDiff) {
  const pairs: [string, string][] = [];
  const gone = Object.keys(before.components).filter((c) => !Object.hasOwn(after.components, c));
  const fresh = Object.keys(after.components).filter((c) => !Object.hasOwn(before.components, c));
  for (const name of Object.keys(after.components)) {
    if (Object.hasOwn(before.components, name)) pairs.push([name, name]);
  }
  for (const name of fresh) {
    const body = bodyKey(after.components[name]!);
    const i = gone.findIndex((g) => bodyKey(before.components[g]!) === body);
    if (i >= 0) {
      const [old] = gone.splice(i, 1) as [string];
      pairs.push([old, name]);
      out.components.push({
        name,
        status: 'renamed',
        renamedFrom: old,
        nodes: after.components[name]!.nodes.length,
      });
    } else {
      out.components.push({ name, status: 'added', nodes: after.components[name]!.nodes.length });
    }
  }
  for (const name of gone) {
    out.components.push({
      name,
      status: 'removed',
      nodes: before.components[name]!.nodes.length,
    });
  }
  return pairs;
}

/**
 * Diff two documents. Nodes are matched by id, then by kind and wiring (a renamed node is
 * one change, not a removal and an addition); parameters left out compare as their
 * defaults; positions are ignored. Pass counts (e.g. `analyzeDocument` of each side) to get
 * per-node and total weight deltas.
 */
export function diffDocuments(
  before: GraphDocument,
  after: GraphDocument,
  counts?: { before: ParamCounts; after: ParamCounts },
): GraphDiff {
  const out: GraphDiff = {
    dims: [],
    components: [],
    nodes: [],
    edges: [],
    totalParams: null,
    same: false,
  };
  const names = [...new Set([...Object.keys(before.dims), ...Object.keys(after.dims)])].sort();
  for (const name of names) {
    const [b, a] = [before.dims[name], after.dims[name]];
    if (b !== a) out.dims.push({ name, before: b, after: a });
  }
  const changedDims = new Set(out.dims.map((d) => d.name));
  const pairs = matchComponents(before, after, out);
  const b: Side = { doc: before, counts: counts?.before };
  const a: Side = { doc: after, counts: counts?.after };
  diffGraph(
    { ...b, name: 'main', graph: before.main },
    { ...a, name: 'main', graph: after.main },
    changedDims,
    out,
  );
  for (const [old, name] of pairs) {
    diffGraph(
      { ...b, name: old, graph: before.components[old]! },
      { ...a, name, graph: after.components[name]! },
      changedDims,
      out,
    );
  }
  if (counts) {
    const [tb, ta] = [counts.before.totals.params, counts.after.totals.params];
    out.totalParams = { before: tb, after: ta, delta: ta - tb };
  }
  out.same = !out.dims.length && !out.components.length && !out.nodes.length && !out.edges.length;
  return out;
}

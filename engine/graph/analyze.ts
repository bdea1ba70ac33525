import { compile, MAX_NESTING, type CompileResult } from './compile.ts';
import { formatShape, numel } from './dims.ts';
import type { KindContext, Ports, TensorType } from './node-kind.ts';
import { attention, attentionDims } from './nodes/attention.ts';
import { findKind } from './nodes/index.ts';
import { resolveParams } from './params.ts';
import { parseDocument } from './parse.ts';
import type { Graph, GraphDocument, GraphEdge, GraphNode } from './schema.ts';
import type { Analysis, EdgeInfo, GraphInfo, NodeInfo, PortInfo, Totals } from '../contract/api.ts';
import { bodyOf, portSide, runsBody } from './structure.ts';

/**
 * Pure (engine/graph and the contract's types only), so the renderer runs it on every edit for
 * instant feedback and the service runs the same code for `document.validate`.
 */

export const PARAM_BUDGET = 50_000_000;

const NO_PORTS: Ports = { inputs: [], outputs: [] };

/** Derived once per component graph: every instance of a large component asks again. */
const portsCache = new WeakMap<Graph, Ports>();

/** Ports of a component, derived from its component-input/-output nodes (as the compiler does). */
export function componentPorts(doc: GraphDocument, name: string): Ports | undefined {
  const graph = Object.hasOwn(doc.components, name) ? doc.components[name] : undefined;
  if (!graph) return undefined;
  const cached = portsCache.get(graph);
  if (cached) return cached;
  // Typed `any`: a component port carries whatever its body does with it.
  const port = (side: 'input' | 'output') =>
    graph.nodes
      .filter((n) => portSide(n.kind) === side)
      .map((n) => ({
        name: typeof n.params.name === 'string' ? n.params.name : n.id,
        doc: `port of component "${name}"`,
        type: 'any' as const,
      }));
  const ports = { inputs: port('input'), outputs: port('output') };
  portsCache.set(graph, ports);
  return ports;
}

/** A node's ports, even when its parameters are invalid (so its wires stay attached). */
export function portsOfNode(doc: GraphDocument, kindName: string, params: Record<string, unknown>) {
  const kind = findKind(kindName);
  if (!kind) return NO_PORTS;
  if (kind.body) {
    return componentPorts(doc, String(params.component ?? '')) ?? NO_PORTS;
  }
  try {
    return kind.ports(params as never, stubContext(doc, ''));
  } catch {
    return NO_PORTS;
  }
}

function stubContext(doc: GraphDocument, nodeId: string): KindContext {
  return {
    path: nodeId,
    nodeId,
    dims: doc.dims,
    report: () => undefined,
    componentPorts: (c) => componentPorts(doc, c),
    componentNames: () => Object.keys(doc.components),
    sibling: () => undefined,
    causal: () => false,
  };
}

function portInfo(ports: Ports['inputs']): PortInfo[] {
  return ports.map((p) => ({ name: p.name, doc: p.doc, type: p.type, optional: !!p.optional }));
}

function labelOf(name: string): string {
  return name === 'main' ? 'main' : `components.${name}`;
}

/**
 * Weights held by a node. A component body is counted once per weight namespace, as the
 * compiler scopes them: shared instances (and shared recursion steps) resolve to the same
 * weights, unshared instances and per-step recursions open new namespaces. Walks stop where the
 * compiler stops (MAX_NESTING, reported there), and a body in a namespace of its own is counted
 * once per component: nested instances would otherwise be walked once per path to them.
 */
class ParamCounter {
  private readonly index = new Map<
    Graph,
    { byId: Map<string, GraphNode>; into: Map<string, GraphEdge[]> }
  >();
  private readonly freshBodies = new Map<string, number>();
  private readonly params = new Map<GraphNode, Record<string, unknown> | undefined>();
  /** Weights of a node that is not an instance: the same in every namespace. */
  private readonly leaves = new Map<GraphNode, number>();

  constructor(
    private readonly doc: GraphDocument,
    private readonly result: CompileResult,
  ) {}

  private body(name: string, seen: Set<string>, depth: number): number {
    const graph = Object.hasOwn(this.doc.components, name) ? this.doc.components[name] : undefined;
    if (!graph || seen.has(name) || depth > MAX_NESTING) return 0;
    seen.add(name);
    return graph.nodes.reduce((s, n) => s + this.count(name, graph, n.id, seen, depth), 0);
  }

  private freshBody(name: string, depth: number): number {
    let total = this.freshBodies.get(name);
    if (total === undefined) {
      total = this.body(name, new Set(), depth);
      this.freshBodies.set(name, total);
    }
    return total;
  }

  node(graphName: string, graph: Graph, id: string): number {
    return this.count(graphName, graph, id, new Set(graphName === 'main' ? [] : [graphName]), 0);
  }

  /** Nodes by id and wires by target, built once per graph (a 500-node graph stays linear). */
  private indexOf(graph: Graph) {
    let idx = this.index.get(graph);
    if (!idx) {
      const into = new Map<string, GraphEdge[]>();
      for (const e of graph.edges) {
        const list = into.get(e.to.node);
        if (list) list.push(e);
        else into.set(e.to.node, [e]);
      }
      idx = { byId: new Map(graph.nodes.map((n) => [n.id, n])), into };
      this.index.set(graph, idx);
    }
    return idx;
  }

  private count(
    graphName: string,
    graph: Graph,
    id: string,
    seen: Set<string>,
    depth: number,
  ): number {
    const { byId, into } = this.indexOf(graph);
    const raw = byId.get(id);
    if (!raw) return 0;
    const params = this.paramsOf(raw);
    if (!params) return 0;
    const body = bodyOf({ kind: raw.kind, params }, this.doc.dims);
    if (body) {
      if (body.weights === 'shared') return this.body(body.component, seen, depth + 1);
      const fresh = this.freshBody(body.component, depth + 1);
      return body.weights === 'per-step' ? body.repeat * fresh : fresh;
    }
    let weights = this.leaves.get(raw);
    if (weights === undefined) {
      weights = this.leafWeights(labelOf(graphName), raw, params, into.get(id) ?? []);
      this.leaves.set(raw, weights);
    }
    return weights;
  }

  /** Resolved once per node: nested instances walk the same bodies again. */
  private paramsOf(raw: GraphNode) {
    if (this.params.has(raw)) return this.params.get(raw);
    const kind = findKind(raw.kind);
    const params = kind && resolveParams(kind, raw.params, this.doc.dims, () => undefined);
    this.params.set(raw, params);
    return params;
  }

  private leafWeights(
    label: string,
    raw: GraphNode,
    params: Record<string, unknown>,
    edges: GraphEdge[],
  ): number {
    const kind = findKind(raw.kind);
    if (!kind) return 0;
    const inputs: Record<string, TensorType> = {};
    for (const e of edges) {
      const t = this.result.nodes.get(`${label}/${e.from.node}`)?.outputs[e.from.port];
      if (t) inputs[e.to.port] = t;
    }
    try {
      const specs = kind.weights(params as never, inputs, stubContext(this.doc, raw.id));
      return specs.reduce((s, w) => s + (w.counted === false ? 0 : numel(w.shape)), 0);
    } catch {
      return 0;
    }
  }
}

function graphInfo(
  doc: GraphDocument,
  name: string,
  graph: Graph,
  result: CompileResult,
  counter: ParamCounter,
  problems: Map<string, Analysis['diagnostics']>,
): GraphInfo {
  const label = labelOf(name);
  const nodes: Record<string, NodeInfo> = {};
  for (const n of graph.nodes) {
    const report = result.nodes.get(`${label}/${n.id}`);
    const ports = portsOfNode(doc, n.kind, n.params);
    const shapes: Record<string, string> = {};
    for (const [port, t] of Object.entries(report?.outputs ?? {}))
      shapes[port] = formatShape(t.shape);
    nodes[n.id] = {
      kind: n.kind,
      inputs: portInfo(ports.inputs),
      outputs: portInfo(ports.outputs),
      shapes,
      params: counter.node(name, graph, n.id),
      flopsPerToken: report?.flopsPerToken ?? 0,
      // Errors first: a node shows its most pressing problem.
      diagnostics: (problems.get(`${label}/${n.id}`) ?? [])
        .slice()
        .sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1)),
    };
  }
  const edges: EdgeInfo[] = graph.edges.map((e) => {
    const t = result.nodes.get(`${label}/${e.from.node}`)?.outputs[e.from.port];
    return {
      from: e.from,
      to: e.to,
      shape: t ? formatShape(t.shape) : null,
      dtype: t?.dtype ?? null,
    };
  });
  return { nodes, edges };
}

/**
 * How many times each graph runs per forward pass: instances times recursion steps (a
 * recursion with shared weights still computes, and caches, every step). Summed over the
 * component graph in topological order, so each use is visited once however many paths lead
 * to it (components in a cycle, an error already, keep what reached them).
 */
export function multiplicities(doc: GraphDocument, training = false): Map<string, number> {
  const uses = new Map<string, { child: string; times: number }[]>();
  const indegree = new Map<string, number>();
  const pending = ['main'];
  const queued = new Set(pending);
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    const graph = name === 'main' ? doc.main : doc.components[name];
    const list: { child: string; times: number }[] = [];
    uses.set(name, list);
    for (const n of graph?.nodes ?? []) {
      const kind = findKind(n.kind);
      if (!kind?.body) continue;
      const p = resolveParams(kind, n.params, doc.dims, () => undefined);
      const body = p && bodyOf({ kind: n.kind, params: p }, doc.dims);
      if (!body || !Object.hasOwn(doc.components, body.component)) continue;
      const child = body.component;
      list.push({ child, times: training ? body.held : body.repeat });
      indegree.set(child, (indegree.get(child) ?? 0) + 1);
      if (!queued.has(child)) {
        queued.add(child);
        pending.push(child);
      }
    }
  }
  const mult = new Map<string, number>([['main', 1]]);
  const ready = ['main'];
  for (let name = ready.pop(); name !== undefined; name = ready.pop()) {
    const times = mult.get(name) ?? 0;
    for (const use of uses.get(name) ?? []) {
      mult.set(use.child, (mult.get(use.child) ?? 0) + times * use.times);
      const left = (indegree.get(use.child) ?? 0) - 1;
      indegree.set(use.child, left);
      if (left === 0) ready.push(use.child);
    }
  }
  return mult;
}

/** Context length: the longest token input's maxLength. */
function contextLength(doc: GraphDocument): number | null {
  let longest: number | null = null;
  for (const n of doc.main.nodes) {
    const kind = n.kind === 'token-input' ? findKind(n.kind) : undefined;
    const p = kind && resolveParams(kind, n.params, doc.dims, () => undefined);
    if (p && typeof p.maxLength === 'number') longest = Math.max(longest ?? 0, p.maxLength);
  }
  return longest;
}

/**
 * Weights of main-graph nodes the compiler could not reach yet (dropped but not wired): each
 * counts as soon as its own size is known, so the header total moves with every drop. Only
 * plain nodes: an unwired component instance may share weights that are counted elsewhere.
 */
function unreachedParams(doc: GraphDocument, result: CompileResult, counter: ParamCounter): number {
  let extra = 0;
  for (const n of doc.main.nodes) {
    if (runsBody(n.kind)) continue;
    const report = result.nodes.get(`main/${n.id}`);
    if (report && Object.keys(report.outputs).length > 0) continue;
    extra += counter.node('main', doc.main, n.id);
  }
  return extra;
}

function totals(doc: GraphDocument, result: CompileResult, counter: ParamCounter): Totals {
  const mult = multiplicities(doc);
  const held = multiplicities(doc, true);
  let flops = 0;
  let activations = 0;
  let trainingActivations = 0;
  let kv = 0;
  for (const report of result.nodes.values()) {
    const graph = report.graph === 'main' ? 'main' : report.graph.replace(/^components\./, '');
    const times = mult.get(graph) ?? 0;
    if (report.graph === 'main') flops += report.flopsPerToken;
    for (const t of Object.values(report.outputs)) {
      const last = t.shape[t.shape.length - 1];
      if (t.dtype !== 'float32' || typeof last !== 'number') continue;
      activations += times * last * 4;
      trainingActivations += (held.get(graph) ?? 0) * last * 4;
    }
  }
  const attentionKind = findKind(attention.kind) as NonNullable<ReturnType<typeof findKind>>;
  for (const [graph, times] of mult) {
    const g = graph === 'main' ? doc.main : doc.components[graph];
    for (const n of g?.nodes ?? []) {
      if (n.kind !== attention.kind) continue;
      const raw = resolveParams(attentionKind, n.params, doc.dims, () => undefined);
      const p = raw && attention.params.safeParse(raw);
      if (p?.success) kv += times * 2 * attentionDims(p.data).kv * 4;
    }
  }
  const p = result.totalParams + unreachedParams(doc, result, counter);
  const u = result.uncountedParams;
  return {
    params: p,
    uncountedParams: u,
    flopsPerToken: flops,
    budget: PARAM_BUDGET,
    // Quantized exports keep lookup tables (the puzzle table among them) in fp32.
    bytes: { fp32: (p + u) * 4, fp16: (p + u) * 2, int8: p + u * 4 },
    activationBytesPerToken: activations,
    trainingActivationBytesPerToken: trainingActivations,
    kvBytesPerToken: kv,
    context: contextLength(doc),
  };
}

const EMPTY_TOTALS: Totals = {
  params: 0,
  uncountedParams: 0,
  flopsPerToken: 0,
  budget: PARAM_BUDGET,
  bytes: { fp32: 0, fp16: 0, int8: 0 },
  activationBytesPerToken: 0,
  trainingActivationBytesPerToken: 0,
  kvBytesPerToken: 0,
  context: null,
};

/**
 * Diagnostics keyed `graph/node`, grouped once: scanning every diagnostic per graph made
 * validation quadratic (200k empty components, each with its own warning, froze the host).
 */
function problemsByNode(diagnostics: Analysis['diagnostics']) {
  const problems = new Map<string, Analysis['diagnostics']>();
  for (const d of diagnostics) {
    if (!d.graph || !d.node) continue;
    const key = `${d.graph}/${d.node}`;
    const list = problems.get(key);
    if (list) list.push(d);
    else problems.set(key, [d]);
  }
  return problems;
}

/** Diagnostics, per-node and per-edge facts and totals for a parsed document. */
export function analyzeDocument(doc: GraphDocument): Analysis {
  const result = compile(doc, { mode: 'check' });
  const counter = new ParamCounter(doc, result);
  const problems = problemsByNode(result.diagnostics);
  const graphs: Record<string, GraphInfo> = {
    main: graphInfo(doc, 'main', doc.main, result, counter, problems),
  };
  for (const [name, graph] of Object.entries(doc.components)) {
    graphs[name] = graphInfo(doc, name, graph, result, counter, problems);
  }
  return {
    ok: !result.diagnostics.some((d) => d.severity === 'error'),
    diagnostics: result.diagnostics,
    graphs,
    totals: totals(doc, result, counter),
  };
}

/** `document.validate` on an unparsed value: schema errors first, then the compiler's. */
export function analyzeUnknown(input: unknown): Analysis {
  const parsed = parseDocument(input);
  if (!parsed.ok) {
    return { ok: false, diagnostics: parsed.diagnostics, graphs: {}, totals: EMPTY_TOTALS };
  }
  return analyzeDocument(parsed.doc);
}

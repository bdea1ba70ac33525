import { compile, type CompileResult } from '../graph/compile.ts';
import { formatShape, numel } from '../graph/dims.ts';
import type { KindContext, Ports, TensorType } from '../graph/node-kind.ts';
import { attention, attentionDims } from '../graph/nodes/attention.ts';
import { findKind } from '../graph/nodes/index.ts';
import { resolveParams } from '../graph/params.ts';
import { parseDocument } from '../graph/parse.ts';
import type { Graph, GraphDocument, GraphEdge, GraphNode } from '../graph/schema.ts';
import type { Analysis, EdgeInfo, GraphInfo, NodeInfo, PortInfo, Totals } from './api.ts';

/**
 * Pure (imports engine/graph only), so the renderer runs it on every edit for instant
 * feedback and the service runs the same code for `document.validate`.
 */

export const PARAM_BUDGET = 50_000_000;

const NO_PORTS: Ports = { inputs: [], outputs: [] };

/** Ports of a component, derived from its component-input/-output nodes (as the compiler does). */
export function componentPorts(doc: GraphDocument, name: string): Ports | undefined {
  const graph = Object.hasOwn(doc.components, name) ? doc.components[name] : undefined;
  if (!graph) return undefined;
  // Typed `any`: a component port carries whatever its body does with it.
  const port = (kind: string) =>
    graph.nodes
      .filter((n) => n.kind === kind)
      .map((n) => ({
        name: typeof n.params.name === 'string' ? n.params.name : n.id,
        doc: `port of component "${name}"`,
        type: 'any' as const,
      }));
  return { inputs: port('component-input'), outputs: port('component-output') };
}

/** A node's ports, even when its parameters are invalid (so its wires stay attached). */
export function portsOfNode(doc: GraphDocument, kindName: string, params: Record<string, unknown>) {
  const kind = findKind(kindName);
  if (!kind) return NO_PORTS;
  if (kindName === 'component' || kindName === 'recursion') {
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
 * weights, unshared instances and per-step recursions open new namespaces.
 */
class ParamCounter {
  private readonly index = new Map<
    Graph,
    { byId: Map<string, GraphNode>; into: Map<string, GraphEdge[]> }
  >();

  constructor(
    private readonly doc: GraphDocument,
    private readonly result: CompileResult,
  ) {}

  private body(name: string, seen: Set<string>): number {
    const graph = this.doc.components[name];
    if (!graph || seen.has(name)) return 0;
    seen.add(name);
    return graph.nodes.reduce((s, n) => s + this.count(name, graph, n.id, seen), 0);
  }

  node(graphName: string, graph: Graph, id: string): number {
    return this.count(graphName, graph, id, new Set(graphName === 'main' ? [] : [graphName]));
  }

  /** Nodes by id and wires by target, built once per graph (a 500-node graph stays linear). */
  private indexOf(graph: Graph) {
    let idx = this.index.get(graph);
    if (!idx) {
      const into = new Map<string, GraphEdge[]>();
      for (const e of graph.edges) into.set(e.to.node, [...(into.get(e.to.node) ?? []), e]);
      idx = { byId: new Map(graph.nodes.map((n) => [n.id, n])), into };
      this.index.set(graph, idx);
    }
    return idx;
  }

  private count(graphName: string, graph: Graph, id: string, seen: Set<string>): number {
    const { byId, into } = this.indexOf(graph);
    const raw = byId.get(id);
    const kind = raw && findKind(raw.kind);
    if (!raw || !kind) return 0;
    const params = resolveParams(kind, raw.params, this.doc.dims, () => undefined);
    if (!params) return 0;
    if (raw.kind === 'component') {
      const name = String(params.component);
      return params.shared === false ? this.body(name, new Set()) : this.body(name, seen);
    }
    if (raw.kind === 'recursion') {
      const name = String(params.component);
      if (params.weights !== 'per-step') return this.body(name, seen);
      return Number(params.steps) * this.body(name, new Set());
    }
    const inputs: Record<string, TensorType> = {};
    for (const e of into.get(id) ?? []) {
      const t = this.result.nodes.get(`${labelOf(graphName)}/${e.from.node}`)?.outputs[e.from.port];
      if (t) inputs[e.to.port] = t;
    }
    try {
      const specs = kind.weights(params as never, inputs, stubContext(this.doc, id));
      return specs.reduce((s, w) => s + numel(w.shape), 0);
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
): GraphInfo {
  const label = labelOf(name);
  const nodes: Record<string, NodeInfo> = {};
  const problems = new Map<string, Analysis['diagnostics']>();
  for (const d of result.diagnostics) {
    if (d.graph === label && d.node) problems.set(d.node, [...(problems.get(d.node) ?? []), d]);
  }
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
      diagnostics: (problems.get(n.id) ?? [])
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
 * recursion with shared weights still computes, and caches, every step).
 */
function multiplicities(doc: GraphDocument): Map<string, number> {
  const mult = new Map<string, number>([['main', 1]]);
  const visit = (name: string, times: number, depth: number) => {
    const graph = name === 'main' ? doc.main : doc.components[name];
    if (!graph || depth > 32) return;
    for (const n of graph.nodes) {
      if (n.kind !== 'component' && n.kind !== 'recursion') continue;
      const kind = findKind(n.kind);
      const p = kind && resolveParams(kind, n.params, doc.dims, () => undefined);
      if (!p || !Object.hasOwn(doc.components, String(p.component))) continue;
      const child = String(p.component);
      const t = times * (n.kind === 'recursion' ? Number(p.steps) : 1);
      mult.set(child, (mult.get(child) ?? 0) + t);
      visit(child, t, depth + 1);
    }
  };
  visit('main', 1, 0);
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

function totals(doc: GraphDocument, result: CompileResult): Totals {
  const mult = multiplicities(doc);
  let flops = 0;
  let activations = 0;
  let kv = 0;
  for (const report of result.nodes.values()) {
    const graph = report.graph === 'main' ? 'main' : report.graph.replace(/^components\./, '');
    const times = mult.get(graph) ?? 0;
    if (report.graph === 'main') flops += report.flopsPerToken;
    for (const t of Object.values(report.outputs)) {
      const last = t.shape[t.shape.length - 1];
      if (t.dtype === 'float32' && typeof last === 'number') activations += times * last * 4;
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
  const p = result.totalParams;
  return {
    params: p,
    flopsPerToken: flops,
    budget: PARAM_BUDGET,
    bytes: { fp32: p * 4, fp16: p * 2, int8: p },
    activationBytesPerToken: activations,
    kvBytesPerToken: kv,
    context: contextLength(doc),
  };
}

const EMPTY_TOTALS: Totals = {
  params: 0,
  flopsPerToken: 0,
  budget: PARAM_BUDGET,
  bytes: { fp32: 0, fp16: 0, int8: 0 },
  activationBytesPerToken: 0,
  kvBytesPerToken: 0,
  context: null,
};

/** Diagnostics, per-node and per-edge facts and totals for a parsed document. */
export function analyzeDocument(doc: GraphDocument): Analysis {
  const result = compile(doc, { mode: 'check' });
  const counter = new ParamCounter(doc, result);
  const graphs: Record<string, GraphInfo> = {
    main: graphInfo(doc, 'main', doc.main, result, counter),
  };
  for (const [name, graph] of Object.entries(doc.components)) {
    graphs[name] = graphInfo(doc, name, graph, result, counter);
  }
  return {
    ok: !result.diagnostics.some((d) => d.severity === 'error'),
    diagnostics: result.diagnostics,
    graphs,
    totals: totals(doc, result),
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

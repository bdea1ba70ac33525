import type { Diagnostic } from './diagnostics.ts';
import { messages } from './diagnostics.ts';
import type { NodeKind, Ports } from './node-kind.ts';
import { findKind, kindNames } from './nodes/index.ts';
import { resolveParams } from './params.ts';
import type { Graph, GraphDocument, PortRef } from './schema.ts';

export interface PreparedNode {
  id: string;
  kind: NodeKind;
  params: Record<string, unknown>;
  ports: Ports;
}

/** A graph checked once (kinds, parameters, edges, order), then lowered once per instance. */
export interface PreparedGraph {
  label: string;
  ok: boolean;
  byId: Map<string, PreparedNode>;
  /** `node.port` of an input → the output feeding it. */
  incoming: Map<string, PortRef>;
  order: PreparedNode[];
}

type Report = (d: Diagnostic) => void;

export function prepareGraph(
  graph: Graph,
  label: string,
  isMain: boolean,
  doc: GraphDocument,
  report: Report,
  componentPorts: (name: string) => Ports | undefined,
  componentNames: () => string[],
): PreparedGraph {
  let ok = true;
  const err = (m: { code: string; message: string }, node?: string, port?: string) => {
    ok = false;
    report({ severity: 'error', ...m, graph: label, node, port });
  };
  const byId = new Map<string, PreparedNode>();
  const seen = new Set<string>();
  // Nodes already reported (unknown kind, bad parameters, unknown component): edges touching
  // them are not checked, and their consumers are not told again that an input is missing.
  const broken = new Set<string>();
  for (const raw of graph.nodes) {
    if (seen.has(raw.id)) {
      err(messages.duplicateNode(raw.id), raw.id);
      continue;
    }
    seen.add(raw.id);
    broken.add(raw.id);
    const kind = findKind(raw.kind);
    if (!kind) {
      err(messages.unknownKind(raw.kind, kindNames), raw.id);
      continue;
    }
    if (isMain && kind.port !== undefined) {
      err(messages.componentPortOutsideComponent(raw.id), raw.id);
      continue;
    }
    const params = resolveParams(
      kind,
      raw.params,
      doc.dims,
      (m, port) => err(m, raw.id, port),
      raw.id,
    );
    if (!params) continue;
    let portsOk = true;
    const ports = kind.ports(params, {
      path: `${label}/${raw.id}`,
      nodeId: raw.id,
      dims: doc.dims,
      report: (d) => {
        portsOk = false;
        err(d, raw.id, d.port);
      },
      componentPorts,
      componentNames,
      sibling: () => undefined,
      causal: () => false,
    });
    byId.set(raw.id, { id: raw.id, kind, params, ports });
    if (portsOk) broken.delete(raw.id);
  }

  const incoming = new Map<string, PortRef>();
  const consumers = new Map<string, string[]>();
  /** Nodes with an incoming edge that was rejected: their missing inputs are not news. */
  const rejectedInto = new Set<string>();
  const attemptedFrom = new Set<string>();
  for (const edge of graph.edges) {
    const from = byId.get(edge.from.node);
    const to = byId.get(edge.to.node);
    if (!seen.has(edge.from.node)) err(messages.unknownNodeInEdge(edge.from.node));
    if (!seen.has(edge.to.node)) err(messages.unknownNodeInEdge(edge.to.node));
    if (!from || !to || broken.has(from.id) || broken.has(to.id)) {
      rejectedInto.add(edge.to.node);
      attemptedFrom.add(edge.from.node);
      continue;
    }
    if (!from.ports.outputs.some((p) => p.name === edge.from.port)) {
      err(
        messages.unknownPort(
          from.id,
          edge.from.port,
          'output',
          from.ports.outputs.map((p) => p.name),
        ),
        from.id,
        edge.from.port,
      );
      rejectedInto.add(to.id);
      attemptedFrom.add(from.id);
      continue;
    }
    if (!to.ports.inputs.some((p) => p.name === edge.to.port)) {
      err(
        messages.unknownPort(
          to.id,
          edge.to.port,
          'input',
          to.ports.inputs.map((p) => p.name),
        ),
        to.id,
        edge.to.port,
      );
      rejectedInto.add(to.id);
      attemptedFrom.add(from.id);
      continue;
    }
    const key = `${to.id}.${edge.to.port}`;
    if (incoming.has(key)) {
      err(messages.portTaken(to.id, edge.to.port), to.id, edge.to.port);
      continue;
    }
    incoming.set(key, edge.from);
    const list = consumers.get(from.id);
    if (list) list.push(to.id);
    else consumers.set(from.id, [to.id]);
  }

  for (const node of byId.values()) {
    if (broken.has(node.id) || rejectedInto.has(node.id)) continue;
    for (const port of node.ports.inputs) {
      if (!port.optional && !incoming.has(`${node.id}.${port.name}`)) {
        err(messages.missingInput(node.id, port.name), node.id, port.name);
      }
    }
  }

  const order = topologicalOrder(byId, incoming, consumers, (cycle) =>
    err(messages.cycle(cycle), cycle[0]),
  );

  for (const node of byId.values()) {
    // Instances may hold heads inside their body, so they count as sinks too.
    const isSink =
      node.kind.category === 'heads' || node.kind.port === 'output' || node.kind.body !== undefined;
    if (!isSink && !consumers.get(node.id)?.length && !attemptedFrom.has(node.id)) {
      report({ severity: 'warning', ...messages.unusedNode(node.id), graph: label, node: node.id });
    }
  }
  return { label, ok, byId, incoming, order };
}

function topologicalOrder(
  byId: Map<string, PreparedNode>,
  incoming: Map<string, PortRef>,
  consumers: Map<string, string[]>,
  onCycle: (nodes: string[]) => void,
): PreparedNode[] {
  const indegree = new Map<string, number>();
  for (const id of byId.keys()) indegree.set(id, 0);
  for (const [key, from] of incoming) {
    const to = key.slice(0, key.lastIndexOf('.'));
    if (byId.has(from.node)) indegree.set(to, (indegree.get(to) ?? 0) + 1);
  }
  const queue = [...byId.keys()].filter((id) => indegree.get(id) === 0);
  const order: PreparedNode[] = [];
  for (let head = 0; head < queue.length; head++) {
    const id = queue[head] as string;
    order.push(byId.get(id) as PreparedNode);
    for (const next of consumers.get(id) ?? []) {
      const d = (indegree.get(next) ?? 0) - 1;
      indegree.set(next, d);
      if (d === 0) queue.push(next);
    }
  }
  if (order.length < byId.size) onCycle(findCycle(byId, incoming, indegree));
  return order;
}

/** One concrete cycle among the nodes left with incoming edges, for the message. */
function findCycle(
  byId: Map<string, PreparedNode>,
  incoming: Map<string, PortRef>,
  indegree: Map<string, number>,
): string[] {
  const left = [...byId.keys()].filter((id) => (indegree.get(id) ?? 0) > 0);
  const inLeft = new Set(left);
  const pred = new Map<string, string>();
  for (const [key, from] of incoming) {
    const to = key.slice(0, key.lastIndexOf('.'));
    if (inLeft.has(to) && inLeft.has(from.node)) pred.set(to, from.node);
  }
  let cur = left[0] as string;
  const visited: string[] = [];
  const onPath = new Set<string>();
  while (!onPath.has(cur) && pred.has(cur)) {
    visited.push(cur);
    onPath.add(cur);
    cur = pred.get(cur) as string;
  }
  const start = visited.indexOf(cur);
  const cycle = (start >= 0 ? visited.slice(start) : visited).reverse();
  return cycle.length ? cycle : left;
}

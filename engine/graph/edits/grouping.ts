import {
  graphOf,
  type Component,
  type Graph,
  type GraphDocument,
  type GraphEdge,
  type GraphNode,
} from '../schema.ts';
import { endPort, nodesBetween } from './group-shape.ts';
import { renamePresetNodes } from './preset-addresses.ts';
import { portSide, runsBody } from '../structure.ts';

/**
 * Group and ungroup as pure document transforms. Grouping moves the selected nodes into a
 * new component and puts one shared instance in their place; the instance's weights resolve
 * under `<component>/` (a shared instance keeps its owner's namespace), so shared instances
 * inside the selection keep sharing with those outside it and the parameter count stays.
 * Ungrouping an instance of a component used nowhere else is the exact inverse (up to the
 * order of nodes and wires in their arrays).
 */

export type GroupResult = { doc: GraphDocument } | { error: string };

type XY = { x: number; y: number };

const COMPONENT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const PORT_GAP = 240;

/** A component name not yet used by a component or by a node of the graph being grouped. */
export function freshComponentName(doc: GraphDocument, graph: Graph, base = 'group'): string {
  const used = new Set([...Object.keys(doc.components), ...graph.nodes.map((n) => n.id), 'main']);
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}_${i}`)) return `${base}_${i}`;
}

function uniqueName(base: string, used: Set<string>): string {
  const stem = base.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=\d)/, '_') || 'port';
  let name = stem;
  for (let i = 2; used.has(name); i++) name = `${stem}_${i}`;
  used.add(name);
  return name;
}

function uniqueId(base: string, used: Set<string>): string {
  let id = base;
  for (let i = 2; used.has(id); i++) id = `${base}_${i}`;
  used.add(id);
  return id;
}

function topLeft(nodes: GraphNode[]): XY | undefined {
  const placed = nodes.flatMap((n) => (n.position ? [n.position] : []));
  if (placed.length === 0) return undefined;
  return {
    x: Math.min(...placed.map((p) => p.x)),
    y: Math.min(...placed.map((p) => p.y)),
  };
}

/** Why the selection cannot be grouped, as a sentence naming the node and the fix; else null. */
export function groupProblem(
  doc: GraphDocument,
  graphName: string,
  ids: string[],
  name: string,
): string | null {
  const graph = graphOf(doc, graphName);
  if (!graph) return `There is no graph "${graphName}" to group nodes in.`;
  const picked = new Set(ids);
  const nodes = graph.nodes.filter((n) => picked.has(n.id));
  if (nodes.length === 0) return 'Select the nodes to group first (click, Shift+click or drag).';
  if (!COMPONENT_NAME.test(name) || name === 'main')
    return `"${name}" cannot name a component: start with a letter or _ and use letters, digits, _ . - (not "main").`;
  if (Object.hasOwn(doc.components, name))
    return `A component named "${name}" already exists; pick another name for the group.`;
  for (const n of nodes) {
    if (portSide(n.kind) !== undefined)
      return `Node "${n.id}" is a port of component "${graphName}"; leave it out of the group.`;
    if (n.kind === 'token-input')
      return `Node "${n.id}" feeds the model its tokens and must stay in the graph; leave it out of the group.`;
  }
  for (const n of graph.nodes) {
    const tied = n.params.tiedTo;
    if (typeof tied === 'string' && picked.has(n.id) !== picked.has(tied))
      return `Node "${n.id}" is tied to "${tied}", which would end up on the other side of the group; select both or neither.`;
  }
  const between = nodesBetween(graph, picked);
  if (between.length)
    return `Node "${between[0]}" lies between selected nodes, so the group would feed itself through it; add it to the selection or leave out the nodes after it.`;
  if (
    !graph.edges.some((e) => picked.has(e.from.node) && !picked.has(e.to.node)) &&
    !endPort(doc, graph, picked)
  )
    return 'Nothing the selection computes could leave the group; include a node with an output.';
  return null;
}

/** The document with the selected nodes of `graphName` moved into component `name`. */
export function groupNodes(
  doc: GraphDocument,
  graphName: string,
  ids: string[],
  name: string,
): GroupResult {
  const problem = groupProblem(doc, graphName, ids, name);
  const graph = graphOf(doc, graphName);
  if (problem || !graph) return { error: problem ?? `There is no graph "${graphName}".` };
  const picked = new Set(ids.filter((id) => graph.nodes.some((n) => n.id === id)));
  const inner = graph.nodes.filter((n) => picked.has(n.id));
  const inside = (e: GraphEdge, end: 'from' | 'to') => picked.has(e[end].node);
  const innerEdges = graph.edges.filter((e) => inside(e, 'from') && inside(e, 'to'));
  const incoming = graph.edges.filter((e) => !inside(e, 'from') && inside(e, 'to'));
  const outgoing = graph.edges.filter((e) => inside(e, 'from') && !inside(e, 'to'));

  const ids_ = new Set(inner.map((n) => n.id));
  const portNames = new Set<string>();
  const corner = topLeft(inner);
  const right = Math.max(...inner.map((n) => n.position?.x ?? 0));
  const instanceId = uniqueId(
    name.replace(/[^A-Za-z0-9_]/g, '_'),
    new Set(graph.nodes.filter((n) => !picked.has(n.id)).map((n) => n.id)),
  );

  const portNodes: GraphNode[] = [];
  const portEdges: GraphEdge[] = [];
  const outerEdges: GraphEdge[] = [];
  const place = (x: number, i: number): XY | undefined =>
    corner ? { x, y: corner.y + i * 100 } : undefined;

  // One input port per outside value, however many selected nodes read it.
  const inputs = new Map<string, string>();
  for (const e of incoming) {
    const key = `${e.from.node}.${e.from.port}`;
    let nodeId = inputs.get(key);
    if (!nodeId) {
      const port = uniqueName(e.to.port, portNames);
      nodeId = uniqueId(`in_${port}`, ids_);
      inputs.set(key, nodeId);
      const position = place((corner?.x ?? 0) - PORT_GAP, inputs.size - 1);
      portNodes.push({
        id: nodeId,
        kind: 'component-input',
        params: { name: port },
        ...(position ? { position } : {}),
      });
      outerEdges.push({ from: e.from, to: { node: instanceId, port } });
    }
    portEdges.push({ from: { node: nodeId, port: 'out' }, to: e.to });
  }
  // One output port per selected node's output that is read outside.
  const outputs = new Map<string, string>();
  for (const e of outgoing) {
    const key = `${e.from.node}.${e.from.port}`;
    let port = outputs.get(key);
    if (!port) {
      port = uniqueName(e.from.port, portNames);
      outputs.set(key, port);
      const nodeId = uniqueId(`out_${port}`, ids_);
      const position = place(right + PORT_GAP, outputs.size - 1);
      portNodes.push({
        id: nodeId,
        kind: 'component-output',
        params: { name: port },
        ...(position ? { position } : {}),
      });
      portEdges.push({ from: e.from, to: { node: nodeId, port: 'value' } });
    }
    outerEdges.push({ from: { node: instanceId, port }, to: e.to });
  }
  const end = outgoing.length === 0 ? endPort(doc, graph, picked) : undefined;
  if (end) {
    const port = uniqueName(end.port, portNames);
    const position = place(right + PORT_GAP, 0);
    const nodeId = uniqueId(`out_${port}`, ids_);
    portNodes.push({
      id: nodeId,
      kind: 'component-output',
      params: { name: port },
      ...(position ? { position } : {}),
    });
    portEdges.push({ from: end, to: { node: nodeId, port: 'value' } });
  }

  const instance: GraphNode = {
    id: instanceId,
    kind: 'component',
    params: { component: name },
    ...(corner ? { position: corner } : {}),
  };
  const first = graph.nodes.findIndex((n) => picked.has(n.id));
  const nodes = graph.nodes.flatMap((n, i) =>
    i === first ? [instance] : picked.has(n.id) ? [] : [n],
  );
  const edges = [
    ...graph.edges.filter((e) => !inside(e, 'from') && !inside(e, 'to')),
    ...outerEdges,
  ];
  const component: Component = {
    nodes: [...inner, ...portNodes],
    edges: [...innerEdges, ...portEdges],
  };
  const moved = new Map(inner.map((n) => [`${graphName}/${n.id}`, `${name}/${n.id}`]));
  return {
    doc: renamePresetNodes(
      replaceGraph({ ...doc, components: { ...doc.components, [name]: component } }, graphName, {
        nodes,
        edges,
      }),
      moved,
    ),
  };
}

function replaceGraph(doc: GraphDocument, name: string, g: Graph): GraphDocument {
  if (name === 'main') return { ...doc, main: g };
  const old = doc.components[name] as Component;
  return { ...doc, components: { ...doc.components, [name]: { ...old, ...g } } };
}

function usesComponent(doc: GraphDocument, name: string): boolean {
  return [doc.main, ...Object.values(doc.components)].some((g) =>
    g.nodes.some((n) => runsBody(n.kind) && n.params.component === name),
  );
}

function portName(n: GraphNode): string {
  return String(n.params.name ?? n.id);
}

/** Why node `id` cannot be ungrouped, as a sentence; else null. */
export function ungroupProblem(doc: GraphDocument, graphName: string, id: string): string | null {
  const node = graphOf(doc, graphName)?.nodes.find((n) => n.id === id);
  if (!node) return 'Select one component instance to ungroup.';
  if (node.kind !== 'component')
    return `Node "${id}" is a ${node.kind}, not a component instance; select a component node to ungroup.`;
  const name = node.params.component;
  if (typeof name !== 'string' || !Object.hasOwn(doc.components, name))
    return `Node "${id}" names no existing component; pick its component before ungrouping.`;
  return null;
}

/** The document with instance `id` replaced by its component's body, wired as the instance was. */
export function ungroupNode(doc: GraphDocument, graphName: string, id: string): GroupResult {
  const problem = ungroupProblem(doc, graphName, id);
  const graph = graphOf(doc, graphName);
  if (problem || !graph) return { error: problem ?? `There is no graph "${graphName}".` };
  const instance = graph.nodes.find((n) => n.id === id) as GraphNode;
  const name = instance.params.component as string;
  const body = doc.components[name] as Component;

  const ports = new Map(
    body.nodes.filter((n) => portSide(n.kind) !== undefined).map((n) => [n.id, n]),
  );
  const inner = body.nodes.filter((n) => !ports.has(n.id));
  const used = new Set(graph.nodes.filter((n) => n.id !== id).map((n) => n.id));
  const rename = new Map(inner.map((n) => [n.id, uniqueId(n.id, used)]));
  const corner = topLeft(inner);
  const shift =
    corner && instance.position
      ? { x: instance.position.x - corner.x, y: instance.position.y - corner.y }
      : { x: 0, y: 0 };
  const lifted = inner.map((n) => ({
    ...n,
    id: rename.get(n.id) as string,
    ...(n.position ? { position: { x: n.position.x + shift.x, y: n.position.y + shift.y } } : {}),
  }));

  // What feeds each input port from outside, and what reads each output port outside.
  const feeds = (port: string) =>
    graph.edges.filter((e) => e.to.node === id && e.to.port === port).map((e) => e.from);
  const reads = (port: string) =>
    graph.edges.filter((e) => e.from.node === id && e.from.port === port).map((e) => e.to);
  const sources = (e: GraphEdge) => {
    const p = ports.get(e.from.node);
    if (!p) return [{ node: rename.get(e.from.node) as string, port: e.from.port }];
    return portSide(p.kind) === 'input' ? feeds(portName(p)) : [];
  };
  const targets = (e: GraphEdge) => {
    const p = ports.get(e.to.node);
    if (!p) return [{ node: rename.get(e.to.node) as string, port: e.to.port }];
    return portSide(p.kind) === 'output' ? reads(portName(p)) : [];
  };
  const wires = body.edges.flatMap((e) =>
    sources(e).flatMap((from) => targets(e).map((to) => ({ from, to }))),
  );

  const index = graph.nodes.indexOf(instance);
  const nodes = [...graph.nodes.slice(0, index), ...lifted, ...graph.nodes.slice(index + 1)];
  const edges = [...graph.edges.filter((e) => e.from.node !== id && e.to.node !== id), ...wires];
  let next = replaceGraph(doc, graphName, { nodes, edges });
  if (usesComponent(next, name)) return { doc: next };
  const components = { ...next.components };
  delete components[name];
  next = { ...next, components };
  const back = new Map(inner.map((n) => [`${name}/${n.id}`, `${graphName}/${rename.get(n.id)}`]));
  return { doc: renamePresetNodes(next, back) };
}

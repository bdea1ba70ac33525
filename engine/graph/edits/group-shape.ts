import { findKind } from '../nodes/index.ts';
import type { KindContext } from '../node-kind.ts';
import type { Graph, GraphDocument, GraphNode } from '../schema.ts';
import { portSide, runsBody } from '../structure.ts';

/** Facts about a selection's place in its graph that decide whether it can become a component. */

/**
 * Unselected nodes on a path from one selected node to another. Grouping around them would
 * make the instance feed itself through them: a loop outside any recursion.
 */
export function nodesBetween(graph: Graph, picked: Set<string>): string[] {
  const reach = (forward: boolean): Set<string> => {
    const seen = new Set<string>();
    const stack = [...picked];
    while (stack.length) {
      const id = stack.pop() as string;
      for (const e of graph.edges) {
        const [a, b] = forward ? [e.from.node, e.to.node] : [e.to.node, e.from.node];
        if (a === id && !seen.has(b)) {
          seen.add(b);
          stack.push(b);
        }
      }
    }
    return seen;
  };
  const after = reach(true);
  const before = reach(false);
  return graph.nodes
    .map((n) => n.id)
    .filter((id) => !picked.has(id) && after.has(id) && before.has(id));
}

/** Output port names of a node: its component's outputs, or the kind's fixed ports. */
export function outputNames(doc: GraphDocument, node: GraphNode): string[] {
  if (runsBody(node.kind)) {
    const name = node.params.component;
    const body =
      typeof name === 'string' && Object.hasOwn(doc.components, name)
        ? doc.components[name]
        : undefined;
    return (body?.nodes ?? [])
      .filter((n) => portSide(n.kind) === 'output')
      .map((n) => String(n.params.name ?? n.id));
  }
  const kind = findKind(node.kind);
  if (!kind) return [];
  // Every kind but the structural ones above declares fixed ports; this context answers nothing.
  const ctx: KindContext = {
    path: node.id,
    nodeId: node.id,
    dims: doc.dims,
    report: () => undefined,
    componentPorts: () => undefined,
    componentNames: () => [],
    sibling: () => undefined,
    causal: () => false,
  };
  return kind.ports(node.params as never, ctx).outputs.map((p) => p.name);
}

/**
 * A component needs an output. When no wire leaves the selection (it ends the model: a
 * head), the last selected node that feeds nothing exposes its first output, unwired.
 */
export function endPort(
  doc: GraphDocument,
  graph: Graph,
  picked: Set<string>,
): { node: string; port: string } | undefined {
  const feeds = new Set(graph.edges.map((e) => e.from.node));
  const ends = graph.nodes.filter((n) => picked.has(n.id) && !feeds.has(n.id)).reverse();
  for (const n of ends) {
    const port = outputNames(doc, n)[0];
    if (port) return { node: n.id, port };
  }
  return undefined;
}

import type { Graph, GraphEdge, GraphNode } from '../../../engine/graph/schema.ts';
import { freshId, type XY } from '../../../engine/graph/edits/apply-edit.ts';

/** Copies of nodes (fresh ids, offset) with the edges among them, for paste and duplicate. */
export function cloneItems(
  graph: Graph,
  nodes: GraphNode[],
  edges: GraphEdge[],
  offset: XY,
): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const taken = new Set<string>();
  const ids = new Map<string, string>();
  const copies = nodes.map((n) => {
    const id = freshId(graph, n.id, taken);
    taken.add(id);
    ids.set(n.id, id);
    const p = n.position ?? { x: 0, y: 0 };
    return {
      ...n,
      id,
      params: structuredClone(n.params),
      position: { x: p.x + offset.x, y: p.y + offset.y },
    };
  });
  const wires = edges
    .filter((e) => ids.has(e.from.node) && ids.has(e.to.node))
    .map((e) => ({
      from: { node: ids.get(e.from.node) as string, port: e.from.port },
      to: { node: ids.get(e.to.node) as string, port: e.to.port },
    }));
  return { nodes: copies, edges: wires };
}

import type { Graph, GraphDocument } from '../../engine/graph/schema.ts';
import type { XY } from '../../engine/graph/edits/apply-edit.ts';
import { runsBody } from '../../engine/graph/structure.ts';

type Size = { width: number; height: number };

/** Sizes before React has measured anything: close to what the node component renders. */
export function estimatedSize(graph: Graph, id: string): Size {
  const n = graph.nodes.find((x) => x.id === id);
  const structured = n !== undefined && runsBody(n.kind);
  return { width: 232, height: structured ? 112 : 92 };
}

/** Layered top-to-bottom layout (inputs above, heads below); elkjs loads on first use. */
export async function autoLayout(
  graph: Graph,
  sizes: Map<string, Size>,
): Promise<Record<string, XY>> {
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
  const elk = new ELK();
  const result = await elk.layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '80',
      'elk.spacing.nodeNode': '60',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    },
    children: graph.nodes.map((n) => ({
      id: n.id,
      ...(sizes.get(n.id) ?? estimatedSize(graph, n.id)),
    })),
    edges: graph.edges.map((e, i) => ({
      id: `e${i}`,
      sources: [e.from.node],
      targets: [e.to.node],
    })),
  });
  const positions: Record<string, XY> = {};
  for (const c of result.children ?? [])
    positions[c.id] = { x: Math.round(c.x ?? 0), y: Math.round(c.y ?? 0) };
  return positions;
}

/** Whether some nodes would overlap as drawn (hand-written files and templates often do). */
export function isCrowded(graph: Graph): boolean {
  const ps = graph.nodes.map((n) => n.position);
  if (ps.some((p) => !p)) return true;
  for (let i = 0; i < ps.length; i++) {
    for (let j = i + 1; j < ps.length; j++) {
      const a = ps[i] as XY;
      const b = ps[j] as XY;
      if (Math.abs(a.x - b.x) < 232 && Math.abs(a.y - b.y) < 150) return true;
    }
  }
  return false;
}

function place(graph: Graph, positions: Record<string, XY>): Graph {
  return {
    ...graph,
    nodes: graph.nodes.map((n) => ({ ...n, position: positions[n.id] ?? n.position })),
  };
}

/** Lay out every crowded graph of a document (main and components) before showing it. */
export async function layoutCrowded(doc: GraphDocument): Promise<GraphDocument> {
  const main = isCrowded(doc.main)
    ? place(doc.main, await autoLayout(doc.main, new Map()))
    : doc.main;
  const components: GraphDocument['components'] = {};
  for (const [name, c] of Object.entries(doc.components)) {
    components[name] = isCrowded(c) ? { ...c, ...place(c, await autoLayout(c, new Map())) } : c;
  }
  return { ...doc, main, components };
}

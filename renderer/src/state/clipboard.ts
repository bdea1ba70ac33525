import type { GraphEdge, GraphNode } from '../../../engine/graph/schema.ts';

/** Copied nodes live in localStorage, so they paste into another document or window too. */
const KEY = 'trm-studio.clipboard';

export function writeClipboard(nodes: GraphNode[], edges: GraphEdge[]): void {
  const ids = new Set(nodes.map((n) => n.id));
  const inner = edges.filter((e) => ids.has(e.from.node) && ids.has(e.to.node));
  localStorage.setItem(KEY, JSON.stringify({ nodes, edges: inner }));
}

export function readClipboard(): { nodes: GraphNode[]; edges: GraphEdge[] } | undefined {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? 'null') as unknown;
    if (!raw || typeof raw !== 'object') return undefined;
    const { nodes, edges } = raw as { nodes?: unknown; edges?: unknown };
    if (!Array.isArray(nodes) || !Array.isArray(edges)) return undefined;
    return { nodes: nodes as GraphNode[], edges: edges as GraphEdge[] };
  } catch {
    return undefined;
  }
}

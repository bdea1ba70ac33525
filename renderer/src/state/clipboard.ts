import { z } from 'zod';
import { GraphEdge, GraphNode } from '../../../engine/graph/schema.ts';

/** Copied nodes live in localStorage, so they paste into another document or window too. */
const KEY = 'trm-studio.clipboard';

const Clip = z.strictObject({ nodes: z.array(GraphNode), edges: z.array(GraphEdge) });
type Clip = z.infer<typeof Clip>;

export function writeClipboard(nodes: GraphNode[], edges: GraphEdge[]): void {
  const ids = new Set(nodes.map((n) => n.id));
  const inner = edges.filter((e) => ids.has(e.from.node) && ids.has(e.to.node));
  localStorage.setItem(KEY, JSON.stringify({ nodes, edges: inner }));
}

/** What was copied, validated like any document content (another window may have written it). */
export function readClipboard(): Clip | undefined {
  try {
    const parsed = Clip.safeParse(JSON.parse(localStorage.getItem(KEY) ?? 'null'));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

import { graphOf, type GraphDocument, type GraphNode } from './schema.ts';
import { findKind } from './nodes/index.ts';

/**
 * Where a graph recurses, and how deep — what "accuracy against recursion depth" can vary.
 * Pure (the renderer uses it to decide whether to offer the insight view).
 *
 * Two kinds of depth:
 * - `supervision`: a deep-supervision recursion (TRM's N_sup loop). Depth is the number of
 *   supervision steps run; each step is one call of the `step`-mode program, so any depth
 *   runs with the trained weights and no recompilation.
 * - `recursion`: plain recursion nodes (a recursive LM's shared block applied R times).
 *   Depth is their `steps`; the document is recompiled at each depth with the same weights.
 */

export interface RecursionSite {
  /** `main` or the component holding the node. */
  graph: string;
  node: string;
  steps: number;
  deepSupervision: boolean;
  perStepWeights: boolean;
}

export type RecursionDepth =
  | { kind: 'supervision'; site: RecursionSite; trainedDepth: number }
  | { kind: 'recursion'; sites: RecursionSite[]; trainedDepth: number }
  | { kind: 'none' };

function resolveSteps(doc: GraphDocument, v: unknown): number {
  const n = typeof v === 'string' ? doc.dims[v] : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

function componentOf(node: GraphNode): string | undefined {
  return findKind(node.kind)?.body?.component(node.params, {});
}

/** Recursion nodes of the graphs reachable from `main`, main first, each graph once. */
export function recursionSites(doc: GraphDocument): RecursionSite[] {
  const sites: RecursionSite[] = [];
  const seen = new Set<string>();
  const queue = ['main'];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const graph = graphOf(doc, name);
    if (!graph) continue;
    for (const node of graph.nodes) {
      if (node.kind === 'recursion') {
        sites.push({
          graph: name,
          node: node.id,
          steps: resolveSteps(doc, node.params.steps),
          deepSupervision: node.params.deepSupervision === true,
          perStepWeights: node.params.weights === 'per-step',
        });
      }
      const inner = componentOf(node);
      if (inner !== undefined) queue.push(inner);
    }
  }
  return sites;
}

/**
 * The depth a model can be probed along: its deep-supervision recursion when it has one,
 * else its outermost plain recursions (those of the shallowest graph that has any — nested
 * ones inside them are part of one step).
 */
export function recursionDepth(doc: GraphDocument): RecursionDepth {
  const sites = recursionSites(doc);
  const supervised = sites.find((s) => s.deepSupervision);
  if (supervised) return { kind: 'supervision', site: supervised, trainedDepth: supervised.steps };
  if (sites.length === 0) return { kind: 'none' };
  const outer = sites.filter((s) => s.graph === sites[0]!.graph);
  return { kind: 'recursion', sites: outer, trainedDepth: Math.max(...outer.map((s) => s.steps)) };
}

/** A copy of `doc` in which each of `sites` runs `steps` times (nothing else changes). */
export function withRecursionSteps(
  doc: GraphDocument,
  sites: readonly RecursionSite[],
  steps: number,
): GraphDocument {
  const copy = structuredClone(doc);
  for (const site of sites) {
    const graph = graphOf(copy, site.graph);
    const node = graph?.nodes.find((n) => n.id === site.node);
    if (node) node.params = { ...node.params, steps };
  }
  return copy;
}

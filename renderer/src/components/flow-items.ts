import { MarkerType, type Edge } from '@xyflow/react';
import { findKind } from '../../../engine/graph/nodes/index.ts';
import type { Graph, GraphNode } from '../../../engine/graph/schema.ts';
import type { GraphInfo, NodeInfo } from '../../../engine/contract/api.ts';
import { componentColor } from '../format.ts';
import { resolveNumber } from '../kinds.ts';
import { edgeKey } from '../../../engine/graph/edits/apply-edit.ts';
import type { TrmFlowNode, TrmNodeData } from './trm-node.tsx';
import { runsBody } from '../../../engine/graph/structure.ts';

/** From the document and its analysis to React Flow's nodes and edges (pure). */

export const CATEGORY_COLORS: Record<string, string> = {
  inputs: '#eab308',
  embeddings: '#a78bfa',
  attention: '#60a5fa',
  mixing: '#34d399',
  normalization: '#94a3b8',
  structure: '#f472b6',
  heads: '#22d3ee',
};

function detailOf(node: GraphNode): string {
  if (runsBody(node.kind)) return '';
  return Object.entries(node.params)
    .filter(([, v]) => typeof v !== 'object' && v !== false)
    .slice(0, 4)
    .map(([k, v]) => (v === true ? k : `${k} ${String(v)}`))
    .join(' · ');
}

function linkOf(node: GraphNode, dims: Record<string, number>): TrmNodeData['link'] {
  if (!runsBody(node.kind)) return undefined;
  const component = String(node.params.component ?? '?');
  let note = node.params.shared === false ? 'own weights' : 'shared weights';
  if (node.kind === 'recursion') {
    const steps = resolveNumber(node.params.steps, dims);
    const shown =
      typeof node.params.steps === 'string'
        ? `${node.params.steps}=${steps ?? '?'}`
        : String(steps ?? '?');
    const weights = node.params.weights === 'per-step' ? 'per-step weights' : 'shared weights';
    note = `×${shown}, ${weights}${node.params.deepSupervision ? ', deep supervision' : ''}`;
  }
  return { component, color: componentColor(component), note };
}

export function nodeData(
  node: GraphNode,
  info: NodeInfo | undefined,
  dims: Record<string, number>,
): TrmNodeData {
  const kind = findKind(node.kind);
  return {
    kind: node.kind,
    title: node.label ?? kind?.title ?? node.kind,
    category: kind?.category ?? 'structure',
    inputs: info?.inputs ?? [],
    outputs: info?.outputs ?? [],
    shapes: info?.shapes ?? {},
    params: info?.params ?? 0,
    detail: detailOf(node),
    diagnostics: info?.diagnostics ?? [],
    link: linkOf(node, dims),
  };
}

/**
 * React Flow nodes for a graph. Unchanged nodes keep their previous object, so React Flow
 * re-renders only what an edit touched; measured sizes carry over.
 */
export function flowNodes(
  prev: TrmFlowNode[],
  graph: Graph,
  info: GraphInfo | undefined,
  dims: Record<string, number>,
  selection: string[],
): TrmFlowNode[] {
  const chosen = new Set(selection);
  // Instances of the selected node's component light up: they share its weights.
  const shared = new Set(
    graph.nodes
      .filter((n) => chosen.has(n.id) && runsBody(n.kind))
      .map((n) => String(n.params.component)),
  );
  const old = new Map(prev.map((n) => [n.id, n]));
  return graph.nodes.map((n): TrmFlowNode => {
    const before = old.get(n.id);
    const data: TrmNodeData = {
      ...nodeData(n, info?.nodes[n.id], dims),
      linked: !chosen.has(n.id) && shared.has(String(n.params.component)),
    };
    const position = n.position ?? { x: 0, y: 0 };
    const selected = chosen.has(n.id);
    if (
      before &&
      before.selected === selected &&
      before.position.x === position.x &&
      before.position.y === position.y &&
      JSON.stringify(before.data) === JSON.stringify(data)
    ) {
      return before;
    }
    return {
      id: n.id,
      type: 'trm',
      position,
      data,
      selected,
      ...(before?.measured ? { measured: before.measured } : {}),
    };
  });
}

/** React Flow edges labelled with their inferred shapes; unchanged ones keep their object. */
export function flowEdges(
  before: Map<string, Edge>,
  graph: Graph,
  info: GraphInfo | undefined,
  selectedEdges: Set<string>,
): Edge[] {
  const facts = new Map((info?.edges ?? []).map((e) => [edgeKey(e), e]));
  return graph.edges.map((e): Edge => {
    const id = edgeKey(e);
    const type = facts.get(id)?.dtype === 'int32' ? 'tokens' : 'float';
    const label = facts.get(id)?.shape ?? undefined;
    const selected = selectedEdges.has(id);
    const old = before.get(id);
    if (
      old &&
      old.label === label &&
      old.selected === selected &&
      old.className === `wire wire-${type}`
    ) {
      return old;
    }
    const color = type === 'tokens' ? '#eab308' : '#5b8def';
    return {
      id,
      source: e.from.node,
      sourceHandle: e.from.port,
      target: e.to.node,
      targetHandle: e.to.port,
      label,
      selected,
      className: `wire wire-${type}`,
      style: { stroke: color, strokeWidth: 1.6 },
      markerEnd: { type: MarkerType.ArrowClosed, color, width: 16, height: 16 },
      labelStyle: { fill: '#dbe4ff', fontSize: 11, fontFamily: 'var(--mono)' },
      labelBgStyle: { fill: '#1a2030', stroke: '#2d3548' },
      labelBgPadding: [6, 3] as [number, number],
      labelBgBorderRadius: 4,
    };
  });
}

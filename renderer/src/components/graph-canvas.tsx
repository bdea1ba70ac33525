import {
  Background,
  BackgroundVariant,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  applyEdgeChanges,
  applyNodeChanges,
  useReactFlow,
  type Edge,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
  type OnSelectionChangeParams,
} from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { findKind } from '../../../engine/graph/nodes/index.ts';
import type { Graph, GraphDocument, GraphNode } from '../../../engine/graph/schema.ts';
import type { GraphInfo, NodeInfo } from '../../../engine/service/api.ts';
import { componentColor } from '../format.ts';
import { initialParams, resolveNumber } from '../kinds.ts';
import { connectionProblem, type Wire } from '../state/connections.ts';
import { edgeKey, freshId, type Action, type XY } from '../state/reducer.ts';
import { TrmNode, type TrmFlowNode, type TrmNodeData } from './trm-node.tsx';

const nodeTypes = { trm: TrmNode };
const GRID: [number, number] = [20, 20];
export const DRAG_MIME = 'application/x-trm-node';

export interface DragPayload {
  kind: string;
  params?: Record<string, unknown>;
}

const CATEGORY_COLORS: Record<string, string> = {
  inputs: '#eab308',
  embeddings: '#a78bfa',
  attention: '#60a5fa',
  mixing: '#34d399',
  normalization: '#94a3b8',
  structure: '#f472b6',
  heads: '#22d3ee',
};

function detailOf(node: GraphNode): string {
  if (node.kind === 'component' || node.kind === 'recursion') return '';
  return Object.entries(node.params)
    .filter(([, v]) => typeof v !== 'object' && v !== false)
    .slice(0, 4)
    .map(([k, v]) => (v === true ? k : `${k} ${String(v)}`))
    .join(' · ');
}

function linkOf(node: GraphNode, dims: Record<string, number>): TrmNodeData['link'] {
  if (node.kind !== 'component' && node.kind !== 'recursion') return undefined;
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

function nodeData(
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

export interface GraphCanvasProps {
  doc: GraphDocument;
  graphName: string;
  graph: Graph;
  info: GraphInfo | undefined;
  selection: string[];
  dispatch: (a: Action) => void;
  onRefused: (reason: string) => void;
}

export function GraphCanvas({
  doc,
  graphName,
  graph,
  info,
  selection,
  dispatch,
  onRefused,
}: GraphCanvasProps) {
  const rf = useReactFlow<TrmFlowNode>();
  const [nodes, setNodes] = useState<TrmFlowNode[]>([]);
  const [selectedEdges, setSelectedEdges] = useState<Set<string>>(new Set());

  useEffect(() => {
    const chosen = new Set(selection);
    // Instances of the selected node's component light up: they share its weights.
    const shared = new Set(
      graph.nodes
        .filter((n) => chosen.has(n.id) && (n.kind === 'component' || n.kind === 'recursion'))
        .map((n) => String(n.params.component)),
    );
    setNodes((prev) => {
      const old = new Map(prev.map((n) => [n.id, n]));
      return graph.nodes.map((n): TrmFlowNode => {
        const before = old.get(n.id);
        const data: TrmNodeData = {
          ...nodeData(n, info?.nodes[n.id], doc.dims),
          linked: !chosen.has(n.id) && shared.has(String(n.params.component)),
        };
        const position = n.position ?? { x: 0, y: 0 };
        const selected = chosen.has(n.id);
        // Unchanged nodes keep their object, so React Flow re-renders only what an edit touched.
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
    });
  }, [graph, info, selection, doc.dims]);

  const previousEdges = useRef(new Map<string, Edge>());
  const edges = useMemo<Edge[]>(() => {
    const facts = new Map((info?.edges ?? []).map((e) => [edgeKey(e), e]));
    const before = previousEdges.current;
    const next = graph.edges.map((e): Edge => {
      const id = edgeKey(e);
      const type = facts.get(id)?.dtype === 'int32' ? 'tokens' : 'float';
      const label = facts.get(id)?.shape ?? undefined;
      const selected = selectedEdges.has(id);
      const old = before.get(id);
      // Unchanged wires keep their object, so React Flow leaves them alone.
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
    previousEdges.current = new Map(next.map((e) => [e.id, e]));
    return next;
  }, [graph, info, selectedEdges]);

  const onNodesChange = useCallback((changes: NodeChange<TrmFlowNode>[]) => {
    setNodes((ns) => applyNodeChanges(changes, ns));
  }, []);

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      const next = applyEdgeChanges(changes, edges);
      setSelectedEdges(new Set(next.filter((e) => e.selected).map((e) => e.id)));
    },
    [edges],
  );

  const onSelectionChange = useCallback(
    ({ nodes: picked }: OnSelectionChangeParams) => {
      dispatch({ type: 'select', nodes: picked.map((n) => n.id) });
    },
    [dispatch],
  );

  const problem = useCallback((w: Wire) => connectionProblem(graph, info, w), [graph, info]);

  const onConnect = useCallback(
    (c: Wire) => {
      if (problem(c) || !c.sourceHandle || !c.targetHandle) return;
      dispatch({
        type: 'edit',
        edit: {
          type: 'connect',
          graph: graphName,
          edge: {
            from: { node: c.source, port: c.sourceHandle },
            to: { node: c.target, port: c.targetHandle },
          },
        },
      });
    },
    [dispatch, graphName, problem],
  );

  const onConnectEnd = useCallback(
    (_: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (state.isValid !== false || !state.fromNode || !state.toNode || !state.toHandle) return;
      const fromIsSource = state.fromHandle?.type === 'source';
      const w: Wire = fromIsSource
        ? {
            source: state.fromNode.id,
            sourceHandle: state.fromHandle?.id,
            target: state.toNode.id,
            targetHandle: state.toHandle.id,
          }
        : {
            source: state.toNode.id,
            sourceHandle: state.toHandle.id,
            target: state.fromNode.id,
            targetHandle: state.fromHandle?.id,
          };
      const why = problem(w);
      if (why) onRefused(why);
    },
    [problem, onRefused],
  );

  const onNodeDragStop = useCallback(
    (_: unknown, __: unknown, dragged: TrmFlowNode[]) => {
      const positions: Record<string, XY> = {};
      for (const n of dragged) positions[n.id] = n.position;
      dispatch({ type: 'edit', edit: { type: 'moveNodes', graph: graphName, positions } });
    },
    [dispatch, graphName],
  );

  const onDelete = useCallback(
    ({ nodes: ns, edges: es }: { nodes: TrmFlowNode[]; edges: Edge[] }) => {
      const wires = es.map((e) => ({
        from: { node: e.source, port: e.sourceHandle ?? '' },
        to: { node: e.target, port: e.targetHandle ?? '' },
      }));
      dispatch({
        type: 'edit',
        edit: { type: 'removeItems', graph: graphName, nodes: ns.map((n) => n.id), edges: wires },
      });
    },
    [dispatch, graphName],
  );

  const onDrop = useCallback(
    (event: DragEvent) => {
      const raw = event.dataTransfer.getData(DRAG_MIME);
      if (!raw) return;
      event.preventDefault();
      const payload = JSON.parse(raw) as DragPayload;
      const p = rf.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      const position = {
        x: Math.round((p.x - 110) / 20) * 20,
        y: Math.round((p.y - 30) / 20) * 20,
      };
      const base = payload.params?.component ? String(payload.params.component) : payload.kind;
      const node: GraphNode = {
        id: freshId(graph, base),
        kind: payload.kind,
        params: initialParams(payload.kind, doc.dims, payload.params),
        position,
      };
      dispatch({ type: 'edit', edit: { type: 'addNode', graph: graphName, node } });
    },
    [rf, graph, graphName, doc.dims, dispatch],
  );

  const onNodeDoubleClick = useCallback(
    (_: unknown, node: TrmFlowNode) => {
      const target = graph.nodes.find((n) => n.id === node.id);
      if (target && (target.kind === 'component' || target.kind === 'recursion')) {
        dispatch({ type: 'openGraph', name: String(target.params.component) });
      }
    },
    [graph, dispatch],
  );

  return (
    <ReactFlow<TrmFlowNode>
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      onNodesChange={onNodesChange}
      onEdgesChange={onEdgesChange}
      onSelectionChange={onSelectionChange}
      onConnect={onConnect}
      onConnectEnd={onConnectEnd}
      isValidConnection={(c) => problem(c) === null}
      onNodeDragStop={onNodeDragStop}
      onDelete={onDelete}
      onDrop={onDrop}
      onDragOver={(e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
      }}
      onNodeDoubleClick={onNodeDoubleClick}
      deleteKeyCode={['Delete', 'Backspace']}
      multiSelectionKeyCode={['Shift', 'Meta', 'Control']}
      snapToGrid
      snapGrid={GRID}
      onlyRenderVisibleElements={graph.nodes.length > 200}
      fitView
      fitViewOptions={{ padding: 0.15, maxZoom: 1.1 }}
      minZoom={0.1}
      maxZoom={2}
      proOptions={{ hideAttribution: true }}
      colorMode="dark"
    >
      <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} color="#2a3142" />
      <MiniMap
        pannable
        zoomable
        nodeColor={(n) => CATEGORY_COLORS[(n.data as TrmNodeData).category] ?? '#64748b'}
        maskColor="rgba(10, 12, 18, 0.7)"
        style={{ background: '#12161f' }}
      />
      <Controls showInteractive={false} />
    </ReactFlow>
  );
}

import {
  Background,
  BackgroundVariant,
  Controls,
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
import type { GraphInfo } from '../../../engine/contract/api.ts';
import { connectionProblem, type Wire } from '../../../engine/graph/edits/connections.ts';
import { dropParams } from '../state/drop-params.ts';
import { freshId, type XY } from '../../../engine/graph/edits/apply-edit.ts';
import type { Action } from '../state/reducer.ts';
import { CanvasMenu, type CanvasMenuCommand } from './canvas-menu.tsx';
import { CATEGORY_COLORS, flowEdges, flowNodes } from './flow-items.ts';
import { useQuickAdd } from './use-quick-add.tsx';
import { NodeActions, TrmNode, type TrmFlowNode, type TrmNodeData } from './trm-node.tsx';
import './graph-canvas.css';
import { runsBody } from '../../../engine/graph/structure.ts';

const nodeTypes = { trm: TrmNode };
const GRID: [number, number] = [20, 20];
export const DRAG_MIME = 'application/x-trm-node';

export interface DragPayload {
  kind: string;
  params?: Record<string, unknown>;
}

export interface GraphCanvasProps {
  doc: GraphDocument;
  graphName: string;
  graph: Graph;
  info: GraphInfo | undefined;
  selection: string[];
  dispatch: (a: Action) => void;
  onRefused: (reason: string) => void;
  onCommand: (c: CanvasMenuCommand) => void;
  /** A component instance's shared/own weights switch was clicked. */
  onToggleShared: (id: string) => void;
}

export function GraphCanvas({
  doc,
  graphName,
  graph,
  info,
  selection,
  dispatch,
  onRefused,
  onCommand,
  onToggleShared,
}: GraphCanvasProps) {
  const rf = useReactFlow<TrmFlowNode>();
  const [nodes, setNodes] = useState<TrmFlowNode[]>([]);
  const [selectedEdges, setSelectedEdges] = useState<Set<string>>(new Set());
  // Fit a graph that has nodes when it opens; an empty one keeps its view, or the first
  // node dropped on it would jump to the middle, zoomed, away from where it was dropped.
  const [fitOnOpen] = useState(() => graph.nodes.length > 0);

  useEffect(() => {
    setNodes((prev) => flowNodes(prev, graph, info, doc.dims, selection));
  }, [graph, info, selection, doc.dims]);

  const previousEdges = useRef(new Map<string, Edge>());
  const edges = useMemo<Edge[]>(() => {
    const next = flowEdges(previousEdges.current, graph, info, selectedEdges);
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

  const quick = useQuickAdd(doc, graph, graphName, info, dispatch);
  const { onLooseWire } = quick;

  const onConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (onLooseWire(event, state)) return;
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
    [problem, onRefused, onLooseWire],
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
      if (!findKind(payload.kind)) return;
      const p = rf.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      const position = {
        x: Math.round((p.x - 110) / 20) * 20,
        y: Math.round((p.y - 30) / 20) * 20,
      };
      const base = payload.params?.component ? String(payload.params.component) : payload.kind;
      const node: GraphNode = {
        id: freshId(graph, base),
        kind: payload.kind,
        params: dropParams(payload.kind, doc, graphName, payload.params),
        position,
      };
      dispatch({ type: 'edit', edit: { type: 'addNode', graph: graphName, node } });
    },
    [rf, graph, graphName, doc, dispatch],
  );

  const onNodeDoubleClick = useCallback(
    (_: unknown, node: TrmFlowNode) => {
      const target = graph.nodes.find((n) => n.id === node.id);
      if (target && runsBody(target.kind)) {
        dispatch({ type: 'openGraph', name: String(target.params.component) });
      }
    },
    [graph, dispatch],
  );

  const [menu, setMenu] = useState<XY | null>(null);
  const openMenu = useCallback((e: MouseEvent | React.MouseEvent) => {
    e.preventDefault();
    setMenu({ x: e.clientX, y: e.clientY });
  }, []);
  const onNodeContextMenu = useCallback(
    (e: React.MouseEvent, node: TrmFlowNode) => {
      // A right-click on an unselected node acts on that node, as file managers do.
      if (!selection.includes(node.id)) dispatch({ type: 'select', nodes: [node.id] });
      openMenu(e);
    },
    [selection, dispatch, openMenu],
  );

  const actions = useMemo(() => ({ toggleShared: onToggleShared }), [onToggleShared]);

  return (
    <NodeActions.Provider value={actions}>
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
        onNodeContextMenu={onNodeContextMenu}
        onSelectionContextMenu={openMenu}
        onPaneClick={() => setMenu(null)}
        onMoveStart={() => setMenu(null)}
        onDoubleClick={quick.onDoubleClick}
        zoomOnDoubleClick={false}
        deleteKeyCode={['Delete', 'Backspace']}
        multiSelectionKeyCode={['Shift', 'Meta', 'Control']}
        snapToGrid
        snapGrid={GRID}
        onlyRenderVisibleElements={graph.nodes.length > 200}
        fitView={fitOnOpen}
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
      {menu ? (
        <CanvasMenu
          at={menu}
          instance={
            selection.length === 1 &&
            graph.nodes.some((n) => n.id === selection[0] && n.kind === 'component')
          }
          onCommand={onCommand}
          onClose={() => setMenu(null)}
        />
      ) : null}
      {quick.menu}
    </NodeActions.Provider>
  );
}

import { useReactFlow, type FinalConnectionState } from '@xyflow/react';
import { useCallback, useState, type MouseEvent as ReactMouseEvent } from 'react';
import type { Graph, GraphDocument } from '../../../engine/graph/schema.ts';
import type { GraphInfo } from '../../../engine/contract/api.ts';
import { quickAddEdit, type LooseWire, type MenuEntry } from '../state/node-menu.ts';
import type { XY } from '../../../engine/graph/edits/apply-edit.ts';
import type { Action } from '../state/reducer.ts';
import { NodeMenu } from './node-menu.tsx';

/**
 * The canvas's quick-add menu (ComfyUI's habit): a double-click on empty canvas opens it
 * there; a wire let go on empty canvas opens it filtered to kinds that wire plugs into, and
 * the picked node arrives connected.
 */
export function useQuickAdd(
  doc: GraphDocument,
  graph: Graph,
  graphName: string,
  info: GraphInfo | undefined,
  dispatch: (a: Action) => void,
) {
  const rf = useReactFlow();
  const [open, setOpen] = useState<{ at: XY; flow: XY; wire?: LooseWire } | null>(null);
  const openAt = useCallback(
    (x: number, y: number, wire?: LooseWire) =>
      setOpen({ at: { x, y }, flow: rf.screenToFlowPosition({ x, y }), ...(wire ? { wire } : {}) }),
    [rf],
  );

  const onDoubleClick = useCallback(
    (e: ReactMouseEvent) => {
      if ((e.target as Element).classList.contains('react-flow__pane'))
        openAt(e.clientX, e.clientY);
    },
    [openAt],
  );

  /** For onConnectEnd: true when the wire was let go on empty canvas and the menu opened. */
  const onLooseWire = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState): boolean => {
      const onPane = (event.target as Element | null)?.classList?.contains('react-flow__pane');
      const from = state.fromHandle;
      if (state.toHandle || !onPane || !state.fromNode || !from?.id) return false;
      const ports = info?.nodes[state.fromNode.id]?.[from.type === 'source' ? 'outputs' : 'inputs'];
      const type = ports?.find((p) => p.name === from.id)?.type ?? 'any';
      const point = 'changedTouches' in event ? event.changedTouches[0] : event;
      if (!point) return false;
      openAt(point.clientX, point.clientY, {
        node: state.fromNode.id,
        port: from.id,
        side: from.type,
        type,
      });
      return true;
    },
    [info, openAt],
  );

  const pick = useCallback(
    (entry: MenuEntry) => {
      if (!open) return;
      setOpen(null);
      dispatch({ type: 'edit', edit: quickAddEdit(graph, graphName, entry, open.flow, open.wire) });
    },
    [open, graph, graphName, dispatch],
  );

  const close = useCallback(() => setOpen(null), []);
  const menu = open ? (
    <NodeMenu
      at={open.at}
      doc={doc}
      graphName={graphName}
      wire={open.wire}
      onPick={pick}
      onClose={close}
    />
  ) : null;
  return { onDoubleClick, onLooseWire, menu };
}

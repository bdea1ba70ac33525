import { useCallback } from 'react';
import type { Toast } from '../hooks.ts';
import type { Command } from '../shortcuts.ts';
import { currentGraph } from '../state/reducer.ts';
import { toggleShared } from '../state/shared-toggle.ts';
import { ComponentsPanel } from '../components/components-panel.tsx';
import { GraphCanvas } from '../components/graph-canvas.tsx';
import { Inspector } from '../components/inspector.tsx';
import { Palette } from '../components/palette.tsx';
import { Breadcrumb } from './breadcrumb.tsx';
import type { Editor } from './use-editor.ts';
import './workspace.css';

/**
 * The designer: components and palette on the left, the graph in view in the middle (with the
 * breadcrumb of open graphs and the toast), the inspector on the right.
 */
export function Workspace({
  editor,
  toast,
  say,
  run,
}: {
  editor: Editor;
  toast: Toast | null;
  say: (text: string, kind?: Toast['kind']) => void;
  run: (command: Command) => void;
}) {
  const { state, dispatch, stateRef, analysis, graphName, graph, selected } = editor;

  const toggleInstance = useCallback(
    (id: string) => {
      const s = stateRef.current;
      const r = toggleShared(s, currentGraph(s), id);
      if (!r) return;
      dispatch({ type: 'edit', edit: r.edit });
      say(r.note, 'info');
    },
    [dispatch, say, stateRef],
  );

  /** Open component `name` from the top level, whatever is open now. */
  const openComponent = useCallback(
    (name: string) => {
      if (currentGraph(stateRef.current) === name) return;
      dispatch({ type: 'closeGraphs', depth: 1 });
      dispatch({ type: 'openGraph', name });
    },
    [dispatch, stateRef],
  );

  return (
    <main className="workspace">
      <div className="sidebar">
        <ComponentsPanel
          doc={state.doc}
          current={graphName}
          dispatch={dispatch}
          onOpen={openComponent}
        />
        <Palette insideComponent={graphName !== 'main'} />
      </div>
      <section className="canvas" aria-label="Graph canvas">
        <Breadcrumb
          view={state.view}
          graphName={graphName}
          docName={state.doc.name}
          dispatch={dispatch}
        />
        <GraphCanvas
          key={`${graphName}#${state.generation}#${state.view.length}`}
          doc={state.doc}
          graphName={graphName}
          graph={graph}
          info={analysis.graphs[graphName]}
          selection={state.selection}
          dispatch={dispatch}
          onRefused={say}
          onCommand={run}
          onToggleShared={toggleInstance}
        />
        {graph.nodes.length === 0 ? (
          <div className="empty-hint">
            Drag a node from the palette to start, or open a template.
          </div>
        ) : null}
        {toast ? (
          <div className={`toast ${toast.kind}`} role="status" data-testid="toast">
            {toast.text}
          </div>
        ) : null}
      </section>
      <Inspector
        doc={state.doc}
        graphName={graphName}
        node={selected}
        info={selected ? analysis.graphs[graphName]?.nodes[selected.id] : undefined}
        analysis={analysis}
        dispatch={dispatch}
        onSelect={(g, node) => {
          if (g !== graphName) dispatch({ type: 'closeGraphs', depth: 1 });
          if (g !== 'main') dispatch({ type: 'openGraph', name: g });
          dispatch({ type: 'select', nodes: [node] });
        }}
      />
    </main>
  );
}

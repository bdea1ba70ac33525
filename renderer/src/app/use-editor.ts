import { useMemo, useReducer, useRef } from 'react';
import { analyzeDocument } from '../../../engine/graph/analyze.ts';
import { currentGraph, graphOf, initialState, isDirty, reducer } from '../state/reducer.ts';

/**
 * The document being edited: the reducer's state (document, undo history, open graphs,
 * selection), what the engine's analysis says of it, and the graph and node in view.
 * `stateRef` reads the latest state from callbacks that must not change on every edit.
 */
export function useEditor() {
  const [state, dispatch] = useReducer(reducer, undefined, () => initialState());
  const stateRef = useRef(state);
  stateRef.current = state;
  const analysis = useMemo(() => analyzeDocument(state.doc), [state.doc]);
  const graphName = currentGraph(state);
  const graph = graphOf(state.doc, graphName) ?? state.doc.main;
  const selected =
    state.selection.length === 1 ? graph.nodes.find((n) => n.id === state.selection[0]) : undefined;
  return {
    state,
    dispatch,
    stateRef,
    analysis,
    graphName,
    graph,
    /** The one selected node of the graph in view, if exactly one is. */
    selected,
    dirty: isDirty(state),
  };
}

export type Editor = ReturnType<typeof useEditor>;

import { graphOf } from '../../../engine/graph/schema.ts';
import {
  freshComponentName,
  groupProblem,
  ungroupProblem,
} from '../../../engine/graph/edits/grouping.ts';
import { wrapProblem } from '../../../engine/graph/edits/recursion-edits.ts';
import type { Edit } from '../../../engine/graph/edits/apply-edit.ts';
import { currentGraph, type EditorState } from './reducer.ts';

/**
 * Ctrl+G / Ctrl+Shift+G and the canvas menu: the edit for the open graph's selection, or
 * the sentence that says why there is none.
 */
export function groupCommand(
  command: 'group' | 'ungroup' | 'wrapRecursion',
  s: EditorState,
): { edit: Edit } | { error: string } {
  const graph = currentGraph(s);
  const g = graphOf(s.doc, graph) ?? s.doc.main;
  switch (command) {
    case 'group': {
      const component = freshComponentName(s.doc, g);
      const error = groupProblem(s.doc, graph, s.selection, component);
      return error ? { error } : { edit: { type: 'group', graph, nodes: s.selection, component } };
    }
    case 'ungroup': {
      const [node] = s.selection;
      const error =
        s.selection.length === 1 && node
          ? ungroupProblem(s.doc, graph, node)
          : 'Select one component instance to ungroup.';
      return error || !node ? { error: error ?? '' } : { edit: { type: 'ungroup', graph, node } };
    }
    case 'wrapRecursion': {
      const [node] = s.selection;
      const error =
        s.selection.length === 1 && node
          ? wrapProblem(s.doc, graph, node)
          : 'Select one component instance to wrap in a recursion.';
      return error || !node
        ? { error: error ?? '' }
        : { edit: { type: 'wrapRecursion', graph, node } };
    }
  }
}

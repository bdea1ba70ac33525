import { graphOf, type GraphDocument } from '../../../engine/graph/schema.ts';
import type { Edit } from '../../../engine/graph/edits/apply-edit.ts';
import type { EditorState } from './reducer.ts';

/** What is selected after an edit: what it added, or what is left of the selection. */
export function selectionAfter(s: EditorState, edit: Edit, doc: GraphDocument): string[] {
  switch (edit.type) {
    case 'removeItems':
      return s.selection.filter((id) => !edit.nodes.includes(id));
    case 'paste':
      return edit.nodes.map((n) => n.id);
    case 'addNode':
      return [edit.node.id];
    case 'group':
    case 'ungroup': {
      // The instance after grouping, the body's nodes after ungrouping.
      const before = new Set(graphOf(s.doc, edit.graph)?.nodes.map((n) => n.id));
      return (graphOf(doc, edit.graph)?.nodes ?? [])
        .map((n) => n.id)
        .filter((id) => !before.has(id));
    }
    case 'wrapRecursion': {
      const added = graphOf(doc, edit.graph)?.nodes.find(
        (n, i) => n.id !== graphOf(s.doc, edit.graph)?.nodes[i]?.id,
      );
      return added ? [added.id] : s.selection;
    }
    case 'moveNodes':
    case 'connect':
    case 'setParam':
    case 'setDim':
    case 'renameDim':
    case 'applyPreset':
    case 'rename':
    case 'setTask':
    case 'createComponent':
    case 'renameComponent':
    case 'duplicateComponent':
    case 'deleteComponent':
      return s.selection;
  }
}

import { graphOf, type GraphDocument } from '../../../engine/graph/schema.ts';
import { viewAfterRename } from '../../../engine/graph/edits/component-edits.ts';
import { applyEdit, emptyDocument, type Edit } from '../../../engine/graph/edits/apply-edit.ts';
import { selectionAfter } from './selection-after.ts';

/**
 * The designer's state. Every change to the document goes through the engine's one pure
 * `applyEdit` (engine/graph/edits), as a typed edit, so undo and redo cover all of them.
 * UI-only state (selection, which graph is open) lives beside the document but outside the
 * history.
 */

export type Action =
  | {
      type: 'load';
      doc: GraphDocument;
      path: string | null;
      dirty?: boolean;
      version?: string | null;
    }
  | { type: 'edit'; edit: Edit }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'saved'; path: string; doc: GraphDocument; version?: string | null }
  | { type: 'openGraph'; name: string }
  | { type: 'closeGraphs'; depth: number }
  | { type: 'select'; nodes: string[] };

export interface EditorState {
  doc: GraphDocument;
  path: string | null;
  /** The file's version as last opened or saved: a save is refused if the disk moved on. */
  version: string | null;
  /** The document as last saved or opened; the editor is dirty when `doc` differs. */
  saved: GraphDocument | null;
  past: GraphDocument[];
  future: GraphDocument[];
  /** Open graphs, outermost first: `['main', 'deep_step', …]`. */
  view: string[];
  selection: string[];
  /** Bumped when a document is loaded, so views reset (fit, scroll) for the new one. */
  generation: number;
}

const HISTORY = 200;

export function initialState(doc: GraphDocument = emptyDocument()): EditorState {
  return {
    doc,
    path: null,
    version: null,
    saved: doc,
    past: [],
    future: [],
    view: ['main'],
    selection: [],
    generation: 0,
  };
}

export function isDirty(s: EditorState): boolean {
  return s.doc !== s.saved;
}

export function currentGraph(s: EditorState): string {
  return s.view[s.view.length - 1] ?? 'main';
}

export { graphOf };

export function reducer(s: EditorState, a: Action): EditorState {
  switch (a.type) {
    case 'load':
      return {
        ...initialState(a.doc),
        path: a.path,
        version: a.version ?? null,
        saved: a.dirty ? null : a.doc,
        generation: s.generation + 1,
      };
    case 'edit': {
      const edit = a.edit;
      const doc = applyEdit(s.doc, edit);
      if (doc === s.doc) return s;
      return {
        ...s,
        doc,
        past: [...s.past, s.doc].slice(-HISTORY),
        future: [],
        selection: selectionAfter(s, edit, doc),
        view:
          edit.type === 'renameComponent'
            ? viewAfterRename(s.view, edit.from, edit.to)
            : validView(doc, s.view),
      };
    }
    case 'undo': {
      const prev = s.past[s.past.length - 1];
      if (!prev) return s;
      return {
        ...s,
        doc: prev,
        past: s.past.slice(0, -1),
        future: [s.doc, ...s.future],
        view: validView(prev, s.view),
      };
    }
    case 'redo': {
      const next = s.future[0];
      if (!next) return s;
      return {
        ...s,
        doc: next,
        past: [...s.past, s.doc],
        future: s.future.slice(1),
        view: validView(next, s.view),
      };
    }
    case 'saved':
      return { ...s, path: a.path, saved: a.doc, version: a.version ?? null };
    case 'openGraph':
      return graphOf(s.doc, a.name) ? { ...s, view: [...s.view, a.name], selection: [] } : s;
    case 'closeGraphs':
      return { ...s, view: s.view.slice(0, Math.max(1, a.depth)), selection: [] };
    case 'select':
      return sameIds(s.selection, a.nodes) ? s : { ...s, selection: a.nodes };
  }
}

function sameIds(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

function validView(doc: GraphDocument, view: string[]): string[] {
  const i = view.findIndex((name) => !graphOf(doc, name));
  return i < 0 ? view : view.slice(0, Math.max(1, i));
}

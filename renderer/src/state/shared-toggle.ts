import { graphOf } from '../../../engine/graph/schema.ts';
import { analyzeDocument } from '../../../engine/graph/analyze.ts';
import { applyEdit, type Edit } from '../../../engine/graph/edits/apply-edit.ts';
import type { EditorState } from './reducer.ts';

const exact = (n: number) => n.toLocaleString('en-US');

/**
 * Flip a component instance between shared weights (the default: one set per component) and
 * weights of its own, with a sentence that says what the flip did to the parameter total.
 */
export function toggleShared(
  s: EditorState,
  graph: string,
  id: string,
): { edit: Edit; note: string } | undefined {
  const node = graphOf(s.doc, graph)?.nodes.find((n) => n.id === id);
  if (node?.kind !== 'component') return undefined;
  const own = node.params.shared !== false;
  // `shared` defaults to true: sharing again removes the flag rather than writing the default.
  const edit: Edit = {
    type: 'setParam',
    graph,
    node: id,
    key: 'shared',
    value: own ? false : undefined,
  };
  const before = analyzeDocument(s.doc).totals.params;
  const after = analyzeDocument(applyEdit(s.doc, edit)).totals.params;
  const delta = after - before;
  const change = delta === 0 ? 'no change' : `${delta > 0 ? '+' : '−'}${exact(Math.abs(delta))}`;
  const what = own
    ? 'has weights of its own'
    : `shares the weights of "${String(node.params.component)}"`;
  return {
    edit,
    note: `${id} ${what}: ${exact(before)} → ${exact(after)} parameters (${change}).`,
  };
}

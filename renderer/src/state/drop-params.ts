import type { GraphDocument } from '../../../engine/graph/schema.ts';
import { initialParams } from '../kinds.ts';
import { recursionParams } from './recursion-edits.ts';

/**
 * Parameters of a node dropped on graph `graphName`: sizes bound to the document's dims, and
 * for a Component or Recursion node the first component it may use (not the graph it lands
 * in, which cannot contain itself), with the carry its ports suggest.
 */
export function dropParams(
  kind: string,
  doc: GraphDocument,
  graphName: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const component =
    typeof extra.component === 'string'
      ? extra.component
      : Object.keys(doc.components).find((c) => c !== graphName);
  if (kind === 'recursion' && component) return { ...recursionParams(doc, component), ...extra };
  if (kind === 'component' && component) return { component, ...extra };
  return initialParams(kind, doc.dims, extra);
}

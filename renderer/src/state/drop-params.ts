import type { Graph, GraphDocument } from '../../../engine/graph/schema.ts';
import { initialParams, paramFields } from '../kinds.ts';
import { usableComponents } from '../../../engine/graph/edits/component-edits.ts';
import { recursionParams } from '../../../engine/graph/edits/recursion-edits.ts';

/**
 * Parameters of a node dropped on a graph, so that a drop arrives usable: required sizes name
 * the document's usual dims (D, V, H, L, …), else take the value the document already gives
 * that parameter on nodes of the same kind (then of any kind); optional ones keep the kind's
 * default. A Component or Recursion node starts on the first component it may use (none that
 * contains the graph it lands in), a recursion with the carry its ports
 * suggest, and a component port with a name no port of the graph has yet.
 */
export function dropParams(
  kind: string,
  doc: GraphDocument,
  graphName: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  switch (kind) {
    case 'component':
    case 'recursion': {
      const component =
        typeof extra.component === 'string' ? extra.component : usableComponents(doc, graphName)[0];
      if (!component) return { ...extra };
      return kind === 'recursion'
        ? { ...recursionParams(doc, component), ...extra }
        : { component, ...extra };
    }
    case 'component-input':
    case 'component-output': {
      const graph = Object.hasOwn(doc.components, graphName)
        ? doc.components[graphName]
        : undefined;
      return { name: freshPort(graph, kind), ...extra };
    }
  }
  const params = initialParams(kind, doc.dims);
  for (const f of paramFields(kind)) {
    if (!f.required || f.key in params || (f.type !== 'integer' && f.type !== 'number')) continue;
    const used = usualValue(doc, kind, f.key);
    if (used !== undefined) params[f.key] = used;
  }
  return { ...params, ...extra };
}

/** `x`, `y`, `z`, then `in_4`… for inputs; `out`, `out_2`… for outputs. */
function freshPort(graph: Graph | undefined, kind: string): string {
  const taken = new Set(
    (graph?.nodes ?? []).filter((n) => n.kind === kind).map((n) => String(n.params.name)),
  );
  const names = kind === 'component-input' ? ['x', 'y', 'z'] : ['out'];
  const free = names.find((n) => !taken.has(n));
  if (free) return free;
  const stem = kind === 'component-input' ? 'in' : 'out';
  for (let i = 2; ; i++) if (!taken.has(`${stem}_${i}`)) return `${stem}_${i}`;
}

/** The value (number or dim name) the document most often gives `key` on `kind`, else on any kind. */
function usualValue(doc: GraphDocument, kind: string, key: string): number | string | undefined {
  const graphs = [doc.main, ...Object.values(doc.components)];
  const count = (sameKind: boolean) => {
    const seen = new Map<number | string, number>();
    for (const g of graphs)
      for (const n of g.nodes) {
        const v = n.params[key];
        const sized =
          typeof v === 'number' || (typeof v === 'string' && Object.hasOwn(doc.dims, v));
        if (sized && (!sameKind || n.kind === kind)) seen.set(v, (seen.get(v) ?? 0) + 1);
      }
    return [...seen].sort((a, b) => b[1] - a[1])[0]?.[0];
  };
  return count(true) ?? count(false);
}

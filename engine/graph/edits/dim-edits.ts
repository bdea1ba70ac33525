import { findKind } from '../nodes/index.ts';
import { isNumeric } from '../params.ts';
import type { Graph, GraphDocument, GraphNode } from '../schema.ts';
import { isRecord, mapPresets } from './preset-addresses.ts';

/**
 * Dims are named sizes that numeric node parameters (recursion steps included) may name.
 * Renaming one makes every use follow; deleting one is refused while anything uses it.
 */

const DIM_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function namesDim(kind: string, key: string, value: unknown, dim: string): boolean {
  if (value !== dim) return false;
  const shape = findKind(kind)?.params.shape as Record<string, Parameters<typeof isNumeric>[0]>;
  return !!shape && Object.hasOwn(shape, key) && isNumeric(shape[key]);
}

function graphs(doc: GraphDocument): [string, Graph][] {
  return [['main', doc.main], ...Object.entries(doc.components)];
}

function presetsOf(doc: GraphDocument): [string, Record<string, unknown>][] {
  const presets = doc.meta?.presets;
  return isRecord(presets)
    ? Object.entries(presets).flatMap(([k, p]) => (isRecord(p) ? [[k, p]] : []))
    : [];
}

/** Where dim `name` is used, as `graph/node.param` and `preset "x"` phrases. */
export function dimUsers(doc: GraphDocument, name: string): string[] {
  const users: string[] = [];
  for (const [g, graph] of graphs(doc))
    for (const n of graph.nodes)
      for (const [key, value] of Object.entries(n.params))
        if (namesDim(n.kind, key, value, name)) users.push(`${g}/${n.id}.${key}`);
  for (const [p, preset] of presetsOf(doc))
    if (isRecord(preset.dims) && Object.hasOwn(preset.dims, name)) users.push(`preset "${p}"`);
  return users;
}

/** Why dim `name` cannot be deleted, as a sentence naming its users; else null. */
export function deleteDimProblem(doc: GraphDocument, name: string): string | null {
  const users = dimUsers(doc, name);
  if (users.length === 0) return null;
  const shown =
    users.slice(0, 5).join(', ') + (users.length > 5 ? ` and ${users.length - 5} more` : '');
  return `Dim "${name}" is used by ${shown}; give them a number or another dim before deleting it.`;
}

/** Why dim `from` cannot be renamed to `to`, as a sentence; else null. */
export function renameDimProblem(doc: GraphDocument, from: string, to: string): string | null {
  if (!Object.hasOwn(doc.dims, from)) return `There is no dim "${from}" to rename.`;
  if (!DIM_NAME.test(to))
    return `"${to}" cannot name a dim: start with a letter or _ and use letters, digits, _ . -.`;
  if (to !== from && Object.hasOwn(doc.dims, to))
    return `A dim named "${to}" already exists; pick another name or change its value instead.`;
  return null;
}

function renameInNode(n: GraphNode, from: string, to: string): GraphNode {
  const keys = Object.keys(n.params).filter((k) => namesDim(n.kind, k, n.params[k], from));
  if (keys.length === 0) return n;
  return { ...n, params: { ...n.params, ...Object.fromEntries(keys.map((k) => [k, to])) } };
}

function renameInGraph<G extends Graph>(g: G, from: string, to: string): G {
  const nodes = g.nodes.map((n) => renameInNode(n, from, to));
  return nodes.every((n, i) => n === g.nodes[i]) ? g : { ...g, nodes };
}

function renameKey(
  record: Record<string, unknown>,
  from: string,
  to: string,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k === from ? to : k, v]));
}

/** Preset node parameters that name the dim, found through the addressed node's kind. */
function renameInPresetParams(
  doc: GraphDocument,
  params: Record<string, unknown>,
  from: string,
  to: string,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(params).map(([address, values]) => {
      const [g, id] = address.split('/');
      const node = graphs(doc)
        .find(([name]) => name === g)?.[1]
        .nodes.find((n) => n.id === id);
      if (!node || !isRecord(values)) return [address, values];
      const renamed = Object.entries(values).map(([k, v]) =>
        namesDim(node.kind, k, v, from) ? [k, to] : [k, v],
      );
      return [address, Object.fromEntries(renamed)];
    }),
  );
}

/** The document with dim `from` called `to`, every node parameter and preset following. */
export function renameDim(doc: GraphDocument, from: string, to: string): GraphDocument {
  if (from === to || renameDimProblem(doc, from, to)) return doc;
  const components = Object.fromEntries(
    Object.entries(doc.components).map(([k, c]) => [k, renameInGraph(c, from, to)]),
  );
  const renamed: GraphDocument = {
    ...doc,
    dims: renameKey(doc.dims, from, to) as Record<string, number>,
    main: renameInGraph(doc.main, from, to),
    components,
  };
  return mapPresets(renamed, (preset) => ({
    ...preset,
    ...(isRecord(preset.dims) ? { dims: renameKey(preset.dims, from, to) } : {}),
    ...(isRecord(preset.params)
      ? { params: renameInPresetParams(renamed, preset.params, from, to) }
      : {}),
  }));
}

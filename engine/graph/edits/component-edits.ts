import type { Component, Graph, GraphDocument, GraphNode } from '../schema.ts';
import { isRecord, mapPresets } from './preset-addresses.ts';

/**
 * The Components list's edits as pure document transforms: create, rename, duplicate and
 * delete a component. A component is referred to by name from component instances and
 * recursions (`params.component`), and by preset addresses (`component/node`); the weights
 * of a shared instance live under `<component>/`, so a rename that updates every reference
 * moves its weight scope with it. Each edit returns the same document when it changes nothing.
 */

const COMPONENT_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const USES_COMPONENT = new Set(['component', 'recursion']);

function graphs(doc: GraphDocument): [string, Graph][] {
  return [['main', doc.main], ...Object.entries(doc.components)];
}

/** A component name no component uses yet: `base`, else `base_2`, `base_3`, … */
export function freshName(doc: GraphDocument, base: string): string {
  const taken = (n: string) => n === 'main' || Object.hasOwn(doc.components, n);
  if (!taken(base)) return base;
  for (let i = 2; ; i++) if (!taken(`${base}_${i}`)) return `${base}_${i}`;
}

/** Nodes that instantiate or recurse over component `name`, as `graph/node` addresses. */
export function componentUsers(doc: GraphDocument, name: string): string[] {
  return graphs(doc).flatMap(([g, graph]) =>
    graph.nodes
      .filter((n) => USES_COMPONENT.has(n.kind) && n.params.component === name)
      .map((n) => `${g}/${n.id}`),
  );
}

/**
 * Components a node of graph `graphName` may instantiate: every one but those that contain
 * that graph, directly or through other components (and the graph itself), which would nest
 * without end.
 */
export function usableComponents(doc: GraphDocument, graphName: string): string[] {
  const uses = new Map(
    Object.entries(doc.components).map(([name, g]) => [
      name,
      g.nodes.flatMap((n) =>
        USES_COMPONENT.has(n.kind) && typeof n.params.component === 'string'
          ? [n.params.component]
          : [],
      ),
    ]),
  );
  const reaches = (from: string, seen = new Set<string>()): boolean => {
    if (from === graphName) return true;
    if (seen.has(from)) return false;
    seen.add(from);
    return (uses.get(from) ?? []).some((c) => reaches(c, seen));
  };
  return Object.keys(doc.components).filter((c) => !reaches(c));
}

/** Why `name` cannot name a new component (or a renamed one), as a sentence; else null. */
export function componentNameProblem(doc: GraphDocument, name: string): string | null {
  if (!COMPONENT_NAME.test(name) || name === 'main' || name.length > 128)
    return `"${name}" cannot name a component: start with a letter or _ and use letters, digits, _ . - (not "main").`;
  if (Object.hasOwn(doc.components, name))
    return `A component named "${name}" already exists; pick another name.`;
  return null;
}

/**
 * A new component with one input port `x` and one output port `out`, unwired: its instances
 * have ports to wire at once, and the body waits for nodes to be drawn between the two.
 */
export function createComponent(doc: GraphDocument, name: string): GraphDocument {
  if (componentNameProblem(doc, name)) return doc;
  const body: Component = {
    nodes: [
      { id: 'in_x', kind: 'component-input', params: { name: 'x' }, position: { x: 0, y: 0 } },
      { id: 'out', kind: 'component-output', params: { name: 'out' }, position: { x: 0, y: 240 } },
    ],
    edges: [],
  };
  return { ...doc, components: { ...doc.components, [name]: body } };
}

/** Why component `from` cannot be renamed to `to`, as a sentence; else null. */
export function renameComponentProblem(
  doc: GraphDocument,
  from: string,
  to: string,
): string | null {
  if (!Object.hasOwn(doc.components, from)) return `There is no component "${from}" to rename.`;
  return to === from ? null : componentNameProblem(doc, to);
}

function renameUses(g: Graph, from: string, to: string): Graph {
  const uses = (n: GraphNode) => USES_COMPONENT.has(n.kind) && n.params.component === from;
  if (!g.nodes.some(uses)) return g;
  return {
    ...g,
    nodes: g.nodes.map((n) => (uses(n) ? { ...n, params: { ...n.params, component: to } } : n)),
  };
}

/** Preset addresses of component `from`'s nodes, mapped by `f` (dropped where it says null). */
function mapPresetAddresses(
  doc: GraphDocument,
  from: string,
  f: (node: string, values: unknown) => [string, unknown][],
): GraphDocument {
  const prefix = `${from}/`;
  return mapPresets(doc, (preset) => {
    const params = preset.params;
    if (!isRecord(params) || !Object.keys(params).some((k) => k.startsWith(prefix))) return preset;
    const next = Object.entries(params).flatMap(([k, v]): [string, unknown][] =>
      k.startsWith(prefix) ? f(k.slice(prefix.length), v) : [[k, v]],
    );
    return { ...preset, params: Object.fromEntries(next) };
  });
}

/** The document with component `from` called `to`: instances, recursions and presets follow. */
export function renameComponent(doc: GraphDocument, from: string, to: string): GraphDocument {
  if (from === to || renameComponentProblem(doc, from, to)) return doc;
  // Same position in the record, so the list keeps its order and a rename back is the original.
  const components = Object.fromEntries(
    Object.entries(doc.components).map(([k, c]) => [k === from ? to : k, renameUses(c, from, to)]),
  ) as Record<string, Component>;
  const renamed = { ...doc, main: renameUses(doc.main, from, to), components };
  return mapPresetAddresses(renamed, from, (node, v) => [[`${to}/${node}`, v]]);
}

/**
 * A copy of component `name` called `copy`, placed after it; presets that size the original's
 * nodes size the copy's too. Existing instances keep using the original.
 */
export function duplicateComponent(doc: GraphDocument, name: string, copy: string): GraphDocument {
  const body = Object.hasOwn(doc.components, name) ? doc.components[name] : undefined;
  if (!body || componentNameProblem(doc, copy)) return doc;
  const components = Object.fromEntries(
    Object.entries(doc.components).flatMap(([k, c]): [string, Component][] =>
      k === name
        ? [
            [k, c],
            [copy, structuredClone(body)],
          ]
        : [[k, c]],
    ),
  );
  return mapPresetAddresses({ ...doc, components }, name, (node, v) => [
    [`${name}/${node}`, v],
    [`${copy}/${node}`, structuredClone(v)],
  ]);
}

/** Why component `name` cannot be deleted, as a sentence naming its users; else null. */
export function deleteComponentProblem(doc: GraphDocument, name: string): string | null {
  if (!Object.hasOwn(doc.components, name)) return `There is no component "${name}" to delete.`;
  const users = componentUsers(doc, name);
  if (users.length === 0) return null;
  const shown =
    users.slice(0, 5).join(', ') + (users.length > 5 ? ` and ${users.length - 5} more` : '');
  return `Component "${name}" is used by ${shown}; delete or ungroup ${users.length > 1 ? 'them' : 'it'} first.`;
}

/** The document without component `name` (refused while anything uses it). */
export function deleteComponent(doc: GraphDocument, name: string): GraphDocument {
  if (deleteComponentProblem(doc, name)) return doc;
  const components = { ...doc.components };
  delete components[name];
  return mapPresetAddresses({ ...doc, components }, name, () => []);
}

/** The open graphs after a rename: a renamed component stays open under its new name. */
export function viewAfterRename(view: string[], from: string, to: string): string[] {
  return view.includes(from) ? view.map((g) => (g === from ? to : g)) : view;
}

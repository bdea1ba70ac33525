import type { Ports } from '../node-kind.ts';
import { graphOf, type GraphDocument, type GraphNode } from '../schema.ts';
import { componentPorts } from '../analyze.ts';
import { isRecord, mapPresets } from './preset-addresses.ts';

/**
 * Recursion drawn on the canvas: a component instance wrapped in a Recursion node (same
 * component, same wires), and the carry a new recursion starts with.
 */

export interface CarryPair {
  output: string;
  input: string;
}

/** How many steps a new recursion runs until the person says otherwise. */
export const DEFAULT_STEPS = 2;

/**
 * The carry a recursion over a component with these ports most likely wants: every output fed
 * back into the input of the same name (TRM's y → y, z → z); with no such pair and one port on
 * each side, that output into that input. Empty when nothing fits (the carry table asks).
 */
export function guessCarry(ports: Ports | undefined): CarryPair[] {
  if (!ports) return [];
  const inputs = new Set(ports.inputs.map((p) => p.name));
  const same = ports.outputs.filter((o) => inputs.has(o.name));
  if (same.length) return same.map((o) => ({ output: o.name, input: o.name }));
  const [output] = ports.outputs;
  const [input] = ports.inputs;
  return ports.outputs.length === 1 && ports.inputs.length === 1 && output && input
    ? [{ output: output.name, input: input.name }]
    : [];
}

/** Parameters of a new recursion over `component`. */
export function recursionParams(doc: GraphDocument, component: string): Record<string, unknown> {
  return {
    component,
    steps: DEFAULT_STEPS,
    carry: guessCarry(componentPorts(doc, component)),
  };
}

/** Why node `id` cannot be wrapped in a recursion, as a sentence; else null. */
export function wrapProblem(doc: GraphDocument, graphName: string, id: string): string | null {
  const node = graphOf(doc, graphName)?.nodes.find((n) => n.id === id);
  if (!node) return 'Select one component instance to wrap in a recursion.';
  if (node.kind !== 'component')
    return `Node "${id}" is a ${node.kind}, not a component instance; group nodes into a component first (Ctrl+G), then wrap it.`;
  const name = node.params.component;
  if (typeof name !== 'string' || !Object.hasOwn(doc.components, name))
    return `Node "${id}" names no existing component; pick its component before wrapping it.`;
  return null;
}

/** The id the recursion replacing instance `id` gets: `<id>_loop`, unique in the graph. */
export function loopId(doc: GraphDocument, graphName: string, id: string): string {
  const taken = new Set(graphOf(doc, graphName)?.nodes.map((n) => n.id));
  let next = `${id}_loop`;
  for (let i = 2; taken.has(next); i++) next = `${id}_loop_${i}`;
  return next;
}

/**
 * The document with instance `id` replaced by a Recursion over the same component, wired as
 * the instance was and placed where it stood. Outputs feed back into inputs of the same name.
 */
export function wrapInRecursion(doc: GraphDocument, graphName: string, id: string): GraphDocument {
  const graph = graphOf(doc, graphName);
  if (!graph || wrapProblem(doc, graphName, id)) return doc;
  const instance = graph.nodes.find((n) => n.id === id) as GraphNode;
  const next = loopId(doc, graphName, id);
  const loop: GraphNode = {
    id: next,
    kind: 'recursion',
    params: recursionParams(doc, instance.params.component as string),
    ...(instance.position ? { position: instance.position } : {}),
  };
  const at = (ref: { node: string; port: string }) =>
    ref.node === id ? { ...ref, node: next } : ref;
  const g = {
    nodes: graph.nodes.map((n) => (n === instance ? loop : n)),
    edges: graph.edges.map((e) => ({ from: at(e.from), to: at(e.to) })),
  };
  const placed =
    graphName === 'main'
      ? { ...doc, main: g }
      : { ...doc, components: { ...doc.components, [graphName]: { ...graph, ...g } } };
  // An instance's presets (its `shared` flag) mean nothing to a recursion: they are dropped.
  const address = `${graphName}/${id}`;
  return mapPresets(placed, (preset) => {
    if (!isRecord(preset.params) || !Object.hasOwn(preset.params, address)) return preset;
    const params = { ...preset.params };
    delete params[address];
    return { ...preset, params };
  });
}

import type { Graph } from '../schema.ts';
import type { GraphInfo } from '../../contract/api.ts';

export interface Wire {
  source: string;
  sourceHandle?: string | null;
  target: string;
  targetHandle?: string | null;
}

/**
 * Why a wire cannot be drawn, as a sentence, or null when it may. Cheap enough to run on
 * every pointer move while dragging: type mismatch, taken input, self-loop, or a cycle
 * (loops are expressed with a Recursion node, never with wires).
 */
export function connectionProblem(
  graph: Graph,
  info: GraphInfo | undefined,
  w: Wire,
): string | null {
  if (!w.sourceHandle || !w.targetHandle) return 'Connect an output port to an input port.';
  if (w.source === w.target) return 'A node cannot feed itself; use a Recursion node for loops.';
  const out = info?.nodes[w.source]?.outputs.find((p) => p.name === w.sourceHandle);
  const inp = info?.nodes[w.target]?.inputs.find((p) => p.name === w.targetHandle);
  if (out && inp && out.type !== 'any' && inp.type !== 'any' && out.type !== inp.type) {
    const say = (t: string) => (t === 'tokens' ? 'token ids' : 'activations');
    return `"${w.target}.${w.targetHandle}" takes ${say(inp.type)}, but "${w.source}.${w.sourceHandle}" gives ${say(out.type)}; insert an embedding or pick another port.`;
  }
  if (graph.edges.some((e) => e.to.node === w.target && e.to.port === w.targetHandle)) {
    return `Input "${w.target}.${w.targetHandle}" is already wired; delete that wire first.`;
  }
  if (reaches(graph, w.target, w.source)) {
    return `This wire would close a cycle through "${w.source}"; use a Recursion node to repeat a block.`;
  }
  return null;
}

/** Whether `to` is downstream of `from`. */
function reaches(graph: Graph, from: string, to: string): boolean {
  const next = new Map<string, string[]>();
  for (const e of graph.edges) next.set(e.from.node, [...(next.get(e.from.node) ?? []), e.to.node]);
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const id = stack.pop() as string;
    if (id === to) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(next.get(id) ?? []));
  }
  return false;
}

import type { BodyCapability } from './node-kind.ts';
import { findKind } from './nodes/index.ts';

/**
 * Structural questions about a node, answered by its kind's capabilities (`body`, `port`)
 * rather than by comparing kind names, so a new structural kind is one file.
 */

export interface Body {
  component: string;
  repeat: number;
  /** Repetitions whose activations a training step holds at once. */
  held: number;
  weights: ReturnType<BodyCapability['weights']>;
}

/** The body a node runs (component, repetitions, weight scoping), if its kind runs one. */
export function bodyOf(
  node: { kind: string; params: Record<string, unknown> },
  dims: Readonly<Record<string, number>>,
): Body | undefined {
  const cap = findKind(node.kind)?.body;
  const component = cap?.component(node.params, dims);
  if (!cap || component === undefined) return undefined;
  return {
    component,
    repeat: cap.repeat(node.params, dims),
    held: cap.held(node.params, dims),
    weights: cap.weights(node.params),
  };
}

/** Whether the node's kind runs a component body (whatever its parameters say). */
export function runsBody(kind: string): boolean {
  return findKind(kind)?.body !== undefined;
}

/** `input`/`output` for a component's boundary nodes. */
export function portSide(kind: string): 'input' | 'output' | undefined {
  return findKind(kind)?.port;
}

import { z } from 'zod';
import { messages } from '../diagnostics.ts';
import { defineKind, type KindContext, type Ports, type Scope } from '../node-kind.ts';

export const ComponentParams = z.strictObject({
  component: z.string().min(1).describe('Name of the component this node instantiates.'),
  /** @default true — instances of one component share weights unless told otherwise. */
  shared: z
    .boolean()
    .default(true)
    .describe('Share weights with other instances of this component.'),
});

export function portsOf(name: string, ctx: KindContext): Ports | undefined {
  const ports = ctx.componentPorts(name);
  if (!ports) ctx.report(messages.unknownComponent(ctx.nodeId, name, ctx.componentNames()));
  return ports;
}

/** Shared instances resolve in the owner namespace; unshared ones get their own. */
export function instanceScope(
  parent: Scope,
  nodeId: string,
  component: string,
  shared: boolean,
): Scope {
  if (shared) return { prefix: `${parent.owner}${component}/`, owner: parent.owner };
  const own = `${parent.prefix}${nodeId}/`;
  return { prefix: own, owner: own };
}

export const component = defineKind({
  kind: 'component',
  title: 'Component',
  category: 'structure',
  doc: 'An instance of a named sub-graph; instances share weights unless told otherwise.',
  params: ComponentParams,
  body: {
    component: (p) => (typeof p.component === 'string' ? p.component : undefined),
    repeat: () => 1,
    held: () => 1,
    weights: (p) => (p.shared === false ? 'own' : 'shared'),
  },
  ports: (p, ctx) => portsOf(p.component, ctx) ?? { inputs: [], outputs: [] },
  // The body's shapes are known only once it is walked, which lowering does.
  infer: (p, _inputs, ctx) => (ctx.componentPorts(p.component) ? {} : undefined),
  weights: () => [],
  flopsPerToken: () => 0,
  lower: (p, inputs, ctx) =>
    ctx.instantiate(
      p.component,
      inputs,
      instanceScope(ctx.scope, ctx.nodeId, p.component, p.shared),
    ),
});

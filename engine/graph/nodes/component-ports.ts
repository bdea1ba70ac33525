import { z } from 'zod';
import { defineKind } from '../node-kind.ts';

const PortParams = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'use letters, digits and _')
    .describe('Port name, as instances and recursions refer to it.'),
});

export const componentInput = defineKind({
  kind: 'component-input',
  title: 'Component input',
  category: 'structure',
  doc: 'An input port of the component being edited.',
  params: PortParams,
  port: 'input',
  ports: () => ({
    inputs: [],
    outputs: [{ name: 'out', doc: 'the value bound to this port', type: 'float' }],
  }),
  // Bound by the compiler from the instance's inputs; never lowered itself.
  infer: () => undefined,
  weights: () => [],
  flopsPerToken: () => 0,
  lower: () => undefined,
});

export const componentOutput = defineKind({
  kind: 'component-output',
  title: 'Component output',
  category: 'structure',
  doc: 'An output port of the component being edited.',
  params: PortParams,
  port: 'output',
  ports: () => ({
    // Whatever the body computes: activations, or token ids a slice of the input passed on.
    inputs: [{ name: 'value', doc: 'the value this port returns', type: 'any' }],
    outputs: [],
  }),
  infer: (_p, inputs) => (inputs.value ? { value: inputs.value } : undefined),
  weights: () => [],
  flopsPerToken: () => 0,
  lower: (_p, inputs) => (inputs.value ? { value: inputs.value } : undefined),
});

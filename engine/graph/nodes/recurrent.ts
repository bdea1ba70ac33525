import { z } from 'zod';
import type { Dim } from '../dims.ts';
import { finalState, GATES, type RecurrentOpName } from '../ir/ops/recurrent.ts';
import {
  defineKind,
  type NodeKind,
  type PortSpec,
  type TensorType,
  type WeightSpec,
} from '../node-kind.ts';
import { expectActivations, prob, size } from './common.ts';

/**
 * What the rnn, gru and lstm kinds share: PyTorch's nn.RNN / nn.GRU / nn.LSTM with
 * `batch_first`, stacked `layers`, optionally bidirectional, from a zero initial state. Each
 * layer lowers to one IR cell op; weights keep PyTorch's names (less `weight_`/`bias_`) and
 * shapes, so the parameter count is PyTorch's closed form, two bias vectors per layer and
 * direction included.
 */

export const RecurrentParams = z.strictObject({
  width: size('Input width D.'),
  /** @default width */
  hidden: size('Hidden width H of each direction (default: the input width D).').optional(),
  /** @default 1 */
  layers: size('Stacked layers; each after the first reads the one below.').max(16).default(1),
  /** @default false */
  bidirectional: z
    .boolean()
    .default(false)
    .describe('A second pass from the last step back (sees the future: not for causal models).'),
  /** @default 0 */
  dropout: prob(
    'Dropout between stacked layers while training (as PyTorch: none after the last).',
  ).default(0),
});
type RecurrentParams = z.infer<typeof RecurrentParams>;

const directions = (p: RecurrentParams) => (p.bidirectional ? 2 : 1);
const hiddenOf = (p: RecurrentParams) => p.hidden ?? p.width;

/** Local weight names of layer `l`, direction `d` (PyTorch's, without `weight_`/`bias_`). */
function layerWeights(l: number, d: number): [string, string, string, string] {
  const s = d === 1 ? '_reverse' : '';
  return [`w_ih_l${l}${s}`, `w_hh_l${l}${s}`, `b_ih_l${l}${s}`, `b_hh_l${l}${s}`];
}

/** Input width of layer `l`: D, then the directions of the layer below side by side. */
const layerInput = (p: RecurrentParams, l: number) =>
  l === 0 ? p.width : directions(p) * hiddenOf(p);

function weights(cell: RecurrentOpName, p: RecurrentParams): WeightSpec[] {
  const rows = GATES[cell] * hiddenOf(p);
  // PyTorch's initialisation: every weight and bias uniform on ±1/√H.
  const init = { kind: 'uniform', bound: 1 / Math.sqrt(hiddenOf(p)) } as const;
  const out: WeightSpec[] = [];
  for (let l = 0; l < p.layers; l++)
    for (let d = 0; d < directions(p); d++) {
      const [wih, whh, bih, bhh] = layerWeights(l, d);
      out.push(
        { local: wih, shape: [rows, layerInput(p, l)], init, decay: true },
        { local: whh, shape: [rows, hiddenOf(p)], init, decay: true },
        { local: bih, shape: [rows], init, decay: false },
        { local: bhh, shape: [rows], init, decay: false },
      );
    }
  return out;
}

export function recurrentKind(
  cell: RecurrentOpName,
  kind: string,
  title: string,
  doc: string,
): NodeKind<typeof RecurrentParams> {
  const lstm = cell === 'LSTM';
  const outputs: PortSpec[] = [
    { name: 'out', doc: 'the last layer at every step [B, T, dirs·H]', type: 'float' },
    {
      name: 'state',
      doc: 'final hidden state of every layer and direction [B, layers·dirs, H]',
      type: 'float',
    },
  ];
  if (lstm)
    outputs.push({
      name: 'cell',
      doc: 'final cell state of every layer and direction [B, layers·dirs, H]',
      type: 'float',
    });
  const types = (p: RecurrentParams, x: TensorType): Record<string, TensorType> => {
    const [batch, steps] = x.shape as [Dim, Dim];
    const state: TensorType = {
      shape: [batch, p.layers * directions(p), hiddenOf(p)],
      dtype: 'float32',
    };
    const out: TensorType = {
      shape: [batch, steps, directions(p) * hiddenOf(p)],
      dtype: 'float32',
    };
    return lstm ? { out, state, cell: state } : { out, state };
  };
  return defineKind({
    kind,
    title,
    category: 'mixing',
    doc,
    params: RecurrentParams,
    ports: () => ({
      inputs: [{ name: 'x', doc: 'activations [B, T, D]', type: 'float' }],
      outputs,
    }),
    infer: (p, inputs, ctx) =>
      expectActivations(ctx, 'x', inputs.x, p.width) ? types(p, inputs.x) : undefined,
    weights: (p) => weights(cell, p),
    // Per step, every layer and direction multiplies its input and its state by G·H rows.
    flopsPerToken: (p) => {
      let flops = 0;
      for (let l = 0; l < p.layers; l++)
        flops += directions(p) * 2 * GATES[cell] * hiddenOf(p) * (layerInput(p, l) + hiddenOf(p));
      return flops;
    },
    lower: (p, inputs, ctx, w) => {
      const x = inputs.x;
      if (!x) return undefined;
      const finals: { h: string[]; c: string[] } = { h: [], c: [] };
      let seq = x.value;
      for (let l = 0; l < p.layers; l++) {
        const names = Array.from({ length: directions(p) }, (_, d) =>
          layerWeights(l, d).map((local) => w[local] as string),
        ).flat();
        // [B, T, in] -> [B, T, dirs·H]; final states [B, dirs, H]
        const y = ctx.op({
          op: cell,
          x: seq,
          weights: names,
          hidden: hiddenOf(p),
          bidirectional: p.bidirectional,
        });
        finals.h.push(finalState(y, 'h'));
        if (lstm) finals.c.push(finalState(y, 'c'));
        seq =
          p.dropout > 0 && l < p.layers - 1 ? ctx.op({ op: 'Dropout', x: y, rate: p.dropout }) : y;
      }
      // Layers after one another: [B, dirs, H] each -> [B, layers·dirs, H] (PyTorch's h_n order).
      const stack = (parts: string[]) =>
        parts.length === 1
          ? (parts[0] as string)
          : ctx.op({ op: 'Concat', inputs: parts, axis: 1 });
      const t = types(p, x);
      const result = {
        out: { value: seq, ...(t.out as TensorType) },
        state: { value: stack(finals.h), ...(t.state as TensorType) },
      };
      return lstm
        ? { ...result, cell: { value: stack(finals.c), ...(t.cell as TensorType) } }
        : result;
    },
  });
}

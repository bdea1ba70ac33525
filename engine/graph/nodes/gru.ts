import { recurrentKind } from './recurrent.ts';

/** PyTorch's nn.GRU: reset and update gates, the reset applied after the hidden projection. */
export const gru = recurrentKind(
  'GRU',
  'gru',
  'GRU',
  'Gated recurrent unit layers over the sequence; returns every step and the final state.',
);

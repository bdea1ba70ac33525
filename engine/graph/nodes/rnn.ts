import { recurrentKind } from './recurrent.ts';

/** PyTorch's nn.RNN (tanh): h' = tanh(x·w_ihᵀ + b_ih + h·w_hhᵀ + b_hh). */
export const rnn = recurrentKind(
  'RNN',
  'rnn',
  'RNN',
  'Elman recurrent layers (tanh) over the sequence; returns every step and the final state.',
);

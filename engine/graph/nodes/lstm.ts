import { recurrentKind } from './recurrent.ts';

/** PyTorch's nn.LSTM: input, forget, cell and output gates; a cell state beside h. */
export const lstm = recurrentKind(
  'LSTM',
  'lstm',
  'LSTM',
  'Long short-term memory layers over the sequence; returns every step and the final hidden and cell states.',
);

import { Attention } from './attention.ts';
import { Add, Div, Mul, Sub } from './binary.ts';
import { BatchNormalization } from './batch-normalization.ts';
import { BroadcastLike } from './broadcast-like.ts';
import { Concat } from './concat.ts';
import { Dropout } from './dropout.ts';
import type { Emitters } from './emitter.ts';
import { Gather } from './gather.ts';
import { Gelu } from './gelu.ts';
import { GroupNormalization } from './group-normalization.ts';
import { LayerNormalization } from './layer-normalization.ts';
import { Loop } from './loop.ts';
import { MatMul } from './matmul.ts';
import { ReduceMean } from './reduce-mean.ts';
import { GRU, LSTM, RNN } from './recurrent.ts';
import { Reshape } from './reshape.ts';
import { RMSNormalization } from './rms-normalization.ts';
import { RotaryEmbedding } from './rotary-embedding.ts';
import { Scale } from './scale.ts';
import { SliceLike } from './slice-like.ts';
import { SlicePrefix } from './slice-prefix.ts';
import { Softmax } from './softmax.ts';
import { Transpose } from './transpose.ts';
import { Identity, Relu, Sigmoid, Silu, StopGradient, Tanh } from './unary.ts';

/** The ONNX emitter of every IR op, one file each (opset differences inside each file). */
export const emitters = {
  MatMul,
  Add,
  Sub,
  Mul,
  Div,
  Scale,
  Gather,
  Reshape,
  Transpose,
  Softmax,
  ReduceMean,
  Relu,
  Sigmoid,
  Silu,
  Tanh,
  Identity,
  StopGradient,
  Gelu,
  Dropout,
  LayerNormalization,
  RMSNormalization,
  GroupNormalization,
  BatchNormalization,
  Attention,
  RotaryEmbedding,
  Concat,
  SlicePrefix,
  SliceLike,
  BroadcastLike,
  RNN,
  GRU,
  LSTM,
  Loop,
} satisfies Emitters;

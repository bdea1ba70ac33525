import type { NodeKind } from '../node-kind.ts';
import { attention } from './attention.ts';
import { batchNorm } from './batch-norm.ts';
import { classifierHead } from './classifier-head.ts';
import { component } from './component.ts';
import { crossAttention } from './cross-attention.ts';
import { componentInput, componentOutput } from './component-ports.ts';
import { dropout } from './dropout.ts';
import { ffn } from './ffn.ts';
import { gru } from './gru.ts';
import { haltingHead } from './halting-head.ts';
import { latentInit } from './latent-init.ts';
import { layerNorm } from './layer-norm.ts';
import { linear } from './linear.ts';
import { lmHead } from './lm-head.ts';
import { lstm } from './lstm.ts';
import { positionEmbedding } from './position-embedding.ts';
import { puzzlePrefix } from './puzzle-prefix.ts';
import { recursion } from './recursion.ts';
import { residualAdd } from './residual-add.ts';
import { rmsNorm } from './rms-norm.ts';
import { rnn } from './rnn.ts';
import { sequenceMlp } from './sequence-mlp.ts';
import { sequencePad } from './sequence-pad.ts';
import { sequenceSlice } from './sequence-slice.ts';
import { tokenEmbedding } from './token-embedding.ts';
import { tokenInput } from './token-input.ts';

/** Every node kind, listed explicitly; adding a kind touches its file, this list and its test. */
export const nodeKinds = [
  tokenInput,
  tokenEmbedding,
  positionEmbedding,
  puzzlePrefix,
  attention,
  crossAttention,
  ffn,
  sequenceMlp,
  rnn,
  gru,
  lstm,
  layerNorm,
  rmsNorm,
  batchNorm,
  residualAdd,
  linear,
  dropout,
  sequenceSlice,
  sequencePad,
  latentInit,
  component,
  recursion,
  componentInput,
  componentOutput,
  lmHead,
  classifierHead,
  haltingHead,
] as const;

export type NodeKindName = (typeof nodeKinds)[number]['kind'];

const byName = new Map<string, NodeKind>(nodeKinds.map((k) => [k.kind, k as unknown as NodeKind]));

export const kindNames: readonly string[] = nodeKinds.map((k) => k.kind);

export function findKind(name: string): NodeKind | undefined {
  return byName.get(name);
}

import type { Dim } from './dims.ts';

/**
 * The typed model IR: a flat list of tensor ops with ONNX semantics over named values.
 * Node kinds lower themselves to it; the tfjs executor and the ONNX emitter each know only
 * these ops, never the node kinds. Parameters are referenced by name, so a shared weight is
 * one entry referenced by every op that uses it.
 *
 * Fused ops (Attention, RotaryEmbedding, RMSNormalization, LayerNormalization) follow the
 * ONNX opset-23 definitions; an emitter for an older opset decomposes them. Each op is
 * defined once in `ir/ops/<op>.ts` (operands, attributes, type rule); the backends keep one
 * registry each (`runtime/ops/registry.ts`, `onnx/ops/index.ts`) typed against that list.
 */

import type { DType, ValueType } from './ir/op-def.ts';
import type { IrOp } from './ir/ops/index.ts';

export type { DType };

export type Init =
  | { kind: 'normal'; std: number }
  /**
   * Normal truncated at ±2σ. `corrected`: σ is divided by 0.8796 (the truncated normal's std
   * relative to σ) so the values have std `std`, as the TRM code's initialisers do.
   */
  | { kind: 'truncated-normal'; std: number; corrected?: boolean }
  /** Uniform on [−bound, bound] (PyTorch's recurrent cells: bound 1/√hidden). */
  | { kind: 'uniform'; bound: number }
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'constant'; value: number }
  /** Sinusoidal position table [positions, width] (Vaswani et al.). */
  | { kind: 'sinusoidal' };

/** A trainable weight. */
export interface IrParam {
  name: string;
  shape: number[];
  init: Init;
  /** Whether weight decay applies (matrices yes; norms, biases and halting bias no). */
  decay: boolean;
  /** false: left out of the parameter total (TRM's puzzle embedding, as the paper counts it). */
  counted?: false;
}

/**
 * A tensor that is part of the model but not trained by gradients: fixed (TRM's initial y and
 * z), or `running` state that training runs update (BatchNorm's running mean and variance).
 */
export interface IrBuffer {
  name: string;
  shape: number[];
  init: Init;
  /** Seed for random inits, so a buffer is identical across runs and exports. */
  seed: number;
  /**
   * Updated by the ops that read it in training runs (the executor's `update`), so its value
   * is state: saved in checkpoints with the weights, exported with its trained value. Absent:
   * fixed, always its init.
   */
  running?: true;
}

export type { IrOp, IrOpName, OpOf } from './ir/ops/index.ts';
export type { ValueType } from './ir/op-def.ts';

export type OutputRole = 'logits' | 'halt' | 'state' | 'hidden' | 'present';

export interface IrInput {
  name: string;
  dtype: DType;
  shape: Dim[];
  /**
   * `past`: a KV cache's keys or values of one attention application ([B, P, kvHeads·Dh]).
   * `puzzle`: one puzzle id per example ([B] int32), the row of a per-puzzle embedding table.
   */
  role: 'tokens' | 'state' | 'past' | 'puzzle';
}

export interface IrOutput {
  name: string;
  value: string;
  shape: Dim[];
  role: OutputRole;
  /** The graph node that produced it (the head's id). */
  node: string;
}

/** A carried state pair of a deep-supervision recursion, lowered in `step` mode. */
export interface IrState {
  /** Program input that receives the state. */
  input: string;
  /** Program output holding the next state. */
  output: string;
  /** Program output holding the initial state, computed without state inputs. */
  init: string;
  shape: Dim[];
}

export interface IrProgram {
  inputs: IrInput[];
  outputs: IrOutput[];
  params: Map<string, IrParam>;
  buffers: Map<string, IrBuffer>;
  ops: IrOp[];
  /**
   * The type of every value (inputs, parameters, buffers and op outputs), computed by each
   * op's type rule as the op is built; `verifyProgram` checks it.
   */
  values: Map<string, ValueType>;
  /** Present when the graph has a deep-supervision recursion lowered one step at a time. */
  supervision?: { steps: number; state: IrState[]; node: string };
}

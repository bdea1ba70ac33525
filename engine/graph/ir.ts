import type { Dim } from './dims.ts';

/**
 * The typed model IR: a flat list of tensor ops with ONNX semantics over named values.
 * Node kinds lower themselves to it; the tfjs executor and the ONNX emitter each know only
 * these ops, never the node kinds. Parameters are referenced by name, so a shared weight is
 * one entry referenced by every op that uses it.
 *
 * Fused ops (Attention, RotaryEmbedding, RMSNormalization, LayerNormalization) follow the
 * ONNX opset-23 definitions; an emitter for an older opset decomposes them.
 */

export type DType = 'float32' | 'int32';

export type Init =
  | { kind: 'normal'; std: number }
  /**
   * Normal truncated at ±2σ. `corrected`: σ is divided by 0.8796 (the truncated normal's std
   * relative to σ) so the values have std `std`, as the TRM code's initialisers do.
   */
  | { kind: 'truncated-normal'; std: number; corrected?: boolean }
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

/** A fixed tensor that is part of the model but not trained (TRM's initial y and z). */
export interface IrBuffer {
  name: string;
  shape: number[];
  init: Init;
  /** Seed for random inits, so a buffer is identical across runs and exports. */
  seed: number;
}

interface OpBase {
  /** Output value name. */
  out: string;
  /** Path of the graph node that produced this op, for error messages. */
  source: string;
}

export type IrOp = OpBase &
  (
    | { op: 'MatMul'; a: string; b: string }
    | { op: 'Add' | 'Sub' | 'Mul' | 'Div'; a: string; b: string }
    | { op: 'Scale'; x: string; factor: number }
    | { op: 'Gather'; data: string; indices: string }
    | { op: 'Reshape'; x: string; shape: number[] }
    | { op: 'Transpose'; x: string; perm: number[] }
    | { op: 'Softmax'; x: string; axis: number }
    | { op: 'ReduceMean'; x: string; axis: number }
    | { op: 'Relu' | 'Sigmoid' | 'Silu' | 'Tanh' | 'Identity' | 'StopGradient'; x: string }
    | { op: 'Gelu'; x: string; approximate: 'none' | 'tanh' }
    | { op: 'Dropout'; x: string; rate: number }
    | { op: 'LayerNormalization'; x: string; scale?: string; bias?: string; epsilon: number }
    | { op: 'RMSNormalization'; x: string; scale?: string; epsilon: number }
    | {
        op: 'Attention';
        q: string;
        k: string;
        v: string;
        qHeads: number;
        kvHeads: number;
        causal: boolean;
        /**
         * Causal mask aligned bottom-right when keys outnumber queries (S > T: query i sees
         * keys ≤ S − T + i), as ONNX Attention does with a KV cache. Identical when S = T.
         */
        bottomRight?: boolean;
      }
    | {
        op: 'RotaryEmbedding';
        x: string;
        heads: number;
        theta: number;
        /** Positions start at the size of this value's axis 1 (the cached length P). */
        offsetLike?: string;
      }
    /** Concatenation along `axis` (a KV cache's past and new keys/values). */
    | { op: 'Concat'; inputs: string[]; axis: number }
    /** Positions start..start+length−1 of `axis` (start 0 when absent: the prefix). */
    | { op: 'SlicePrefix'; x: string; axis: number; length: number; start?: number }
    /** Slice `x` along `axis` to the size of `like` along `likeAxis` (positions up to T). */
    | {
        op: 'SliceLike';
        x: string;
        axis: number;
        like: string;
        likeAxis: number;
        /** Start at the size of this value's axis 1 instead of 0 (positions after a KV cache). */
        offsetLike?: string;
      }
    | { op: 'BroadcastLike'; x: string; like: string }
  );

export type IrOpName = IrOp['op'];

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
  /** Present when the graph has a deep-supervision recursion lowered one step at a time. */
  supervision?: { steps: number; state: IrState[]; node: string };
}

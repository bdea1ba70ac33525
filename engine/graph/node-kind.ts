import type { z } from 'zod';
import type { Shape } from './dims.ts';
import type { Diagnostic } from './diagnostics.ts';
import type { LoopSpec } from './compile.ts';
import type { DType, Init, IrInput, IrOp, IrState, OutputRole } from './ir.ts';

/** A value flowing on an edge, as shape inference sees it. */
export interface TensorType {
  shape: Shape;
  dtype: DType;
}

export type Category =
  'inputs' | 'embeddings' | 'attention' | 'mixing' | 'normalization' | 'structure' | 'heads';

export interface PortSpec {
  name: string;
  doc: string;
  /**
   * `tokens` ports carry int32 ids, `float` ports activations, `any` either (component
   * ports, whose type is whatever the body does with them). Drives handle colours.
   */
  type: 'tokens' | 'float' | 'any';
  optional?: boolean;
}

export interface Ports {
  inputs: PortSpec[];
  outputs: PortSpec[];
}

export interface WeightSpec {
  local: string;
  shape: number[];
  init: Init;
  decay: boolean;
  /** false: trained, but left out of the parameter total (TRM's puzzle embedding, as the paper counts). */
  counted?: false;
}

/** Distributive `Omit` so each IR op keeps its own fields. */
export type OpSpec = IrOp extends infer O
  ? O extends IrOp
    ? Omit<O, 'out' | 'source'>
    : never
  : never;

/** What a node kind sees of the document while it infers or lowers. */
export interface KindContext {
  /** Path of the node being compiled (e.g. `main/trm/latent/net/l1/attn`). */
  readonly path: string;
  readonly nodeId: string;
  readonly dims: Readonly<Record<string, number>>;
  report(
    d: Omit<Diagnostic, 'node' | 'graph' | 'severity'> & { severity?: Diagnostic['severity'] },
  ): void;
  /** Ports of a component, or undefined when the document does not define it. */
  componentPorts(name: string): Ports | undefined;
  componentNames(): string[];
  /** Parameters of another node in the same graph (used by tied heads). */
  sibling(id: string): { kind: string; params: Record<string, unknown> } | undefined;
  /**
   * Whether the model is causal: some node of the document, in any graph, has a `causal`
   * parameter that is true (an attention masking later positions). False where only ports
   * are asked.
   */
  causal(): boolean;
}

export interface LowerContext extends KindContext {
  /** Scoped name of a sibling node's weight (tied heads). */
  siblingWeight(nodeId: string, local: string): string;
  /** A buffer of this node; `running`: state its ops update while training (see IrBuffer). */
  buffer(local: string, shape: number[], init: Init, running?: boolean): string;
  op(spec: OpSpec): string;
  /** Declare a program input (token ids, puzzle ids, or carried state in `step` mode). */
  input(name: string, type: TensorType, role: Exclude<IrInput['role'], 'past'>): string;
  /** Mark a value as a program output. */
  output(value: string, role: OutputRole, type: TensorType): void;
  /**
   * Lower a recursion with shared weights as one Loop op: `body` lowers one repetition from
   * the carried values (inner names) and returns its outputs; the result maps each output to
   * its value after the last trip. Undefined when the body failed.
   */
  loop(
    spec: LoopSpec,
    body: (bound: Record<string, TensorValue>) => Record<string, TensorValue> | undefined,
  ): Record<string, TensorValue> | undefined;
  /** Declare the deep-supervision step (only in `step` mode, once per program). */
  supervise(steps: number, state: IrState[]): void;
  /**
   * Lower a component body; undefined when it failed (diagnostics already reported).
   * `repeat` multiplies the body's FLOPs when it stands for several identical steps (check mode).
   */
  instantiate(
    component: string,
    inputs: Record<string, TensorValue>,
    scope: Scope,
    repeat?: number,
  ): Record<string, TensorValue> | undefined;
  readonly scope: Scope;
  readonly mode: LowerMode;
  /**
   * How many more ops may be emitted before compilation refuses (`maxOps`); a recursion
   * checks its unrolled size against it after one step instead of unrolling into the limit.
   */
  opBudget(): number;
  /** Report that the model unrolls to too many ops (stops compilation). */
  tooLarge(): void;
}

/**
 * `check`: recursion bodies lowered once (validation, summaries, the canvas).
 * `full`: every recursion unrolled (export of the fixed-depth model, plain training).
 * `step`: like full, but a deep-supervision recursion runs one supervision step with its
 *   carried state as program inputs and outputs (TRM training, step export).
 */
export type LowerMode = 'check' | 'step' | 'full';

/** Weight naming scope: shared instances re-use `owner + component`, others extend `prefix`. */
export interface Scope {
  /** Prefix for weights declared by nodes in this graph. */
  prefix: string;
  /** Namespace in which shared component instances resolve. */
  owner: string;
}

export interface TensorValue extends TensorType {
  value: string;
}

/**
 * A kind that runs a component's body (an instance, a recursion). Read from raw parameters,
 * which may be invalid: tools ask here instead of comparing kind names.
 */
export interface BodyCapability {
  /** The component the node runs, when its parameters name one. */
  component(
    params: Record<string, unknown>,
    dims: Readonly<Record<string, number>>,
  ): string | undefined;
  /** Times the body runs per application of the node (a recursion's steps; 1 otherwise). */
  repeat(params: Record<string, unknown>, dims: Readonly<Record<string, number>>): number;
  /**
   * How many repetitions' activations a training step holds at once: repetitions without
   * gradients run off the tape, their values freed after the last read (about one
   * repetition's worth at a time), and a deep-supervision loop trains one step per program.
   */
  held(params: Record<string, unknown>, dims: Readonly<Record<string, number>>): number;
  /**
   * How the body's weights are scoped: `shared` (the component's one namespace), `own` (a
   * namespace of this node), `per-step` (one namespace per repetition).
   */
  weights(params: Record<string, unknown>): 'shared' | 'own' | 'per-step';
}

export interface NodeKind<S extends z.ZodObject = z.ZodObject> {
  kind: string;
  title: string;
  category: Category;
  doc: string;
  params: S;
  /** Present on kinds that run a component's body. */
  body?: BodyCapability;
  /** Present on a component's boundary nodes: which side of the component they stand for. */
  port?: 'input' | 'output';
  ports(p: z.infer<S>, ctx: KindContext): Ports;
  /** Output types from input types; reports diagnostics through ctx, never throws. */
  infer(
    p: z.infer<S>,
    inputs: Record<string, TensorType>,
    ctx: KindContext,
  ): Record<string, TensorType> | undefined;
  /** Weights this node declares, in the node's own scope (component instances declare none). */
  weights(p: z.infer<S>, inputs: Record<string, TensorType>, ctx: KindContext): WeightSpec[];
  /** Forward FLOPs per token (2 per multiply-add). */
  flopsPerToken(p: z.infer<S>, inputs: Record<string, TensorType>, ctx: KindContext): number;
  /** Emit IR ops; `w` maps each declared weight's local name to its scoped name. */
  lower(
    p: z.infer<S>,
    inputs: Record<string, TensorValue>,
    ctx: LowerContext,
    w: Record<string, string>,
  ): Record<string, TensorValue> | undefined;
}

/** Identity helper that keeps each kind's parameter type while checking the shape of the kind. */
export function defineKind<S extends z.ZodObject>(kind: NodeKind<S>): NodeKind<S> {
  return kind;
}

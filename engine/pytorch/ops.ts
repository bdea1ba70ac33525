import type { IrOpName, OpOf } from '../graph/ir.ts';

/**
 * The PyTorch backend of the IR: each op as one Python expression over its operands, written
 * the way a person writes PyTorch (operators, `torch.*`, `F.*`, and the few helpers
 * `layers.py` defines because torch 1.13 lacks them). `x(name)` is the Python expression of
 * an operand (a local variable, or `self.…` for a weight); an op with several results (a
 * recurrent cell) returns a tuple. The Loop is not an expression: the
 * model generator (model-py.ts) writes it as a `for` loop over its body's method.
 */
export type PyExpr<K extends IrOpName> = (op: OpOf<K>, x: (value: string) => string) => string;

const num = (n: number) => (Number.isInteger(n) ? `${n}.0` : `${n}`);
const bool = (b: boolean | undefined) => (b ? 'True' : 'False');

const binary =
  (symbol: string) =>
  (op: { a: string; b: string }, x: (v: string) => string): string =>
    `${x(op.a)} ${symbol} ${x(op.b)}`;

/** A recurrent cell's call; it returns a tuple (the sequence, the final h, for an LSTM c). */
const recurrent = (
  kind: string,
  op: { x: string; weights: string[]; bidirectional: boolean },
  x: (v: string) => string,
) =>
  `recurrent('${kind}', ${x(op.x)}, [${op.weights.map(x).join(', ')}], bidirectional=${bool(op.bidirectional)})`;

export const pyOps = {
  MatMul: (op, x) => `${x(op.a)} @ ${x(op.b)}`,
  Add: binary('+'),
  Sub: binary('-'),
  Mul: binary('*'),
  Div: binary('/'),
  Scale: (op, x) => `${x(op.x)} * ${num(op.factor)}`,
  Gather: (op, x) => `${x(op.data)}[${x(op.indices)}]`,
  // ONNX Reshape: 0 copies the input's size at that axis.
  Reshape: (op, x) =>
    `${x(op.x)}.reshape(${op.shape.map((d, i) => (d === 0 ? `${x(op.x)}.shape[${i}]` : `${d}`)).join(', ')})`,
  Transpose: (op, x) => `${x(op.x)}.permute(${op.perm.join(', ')})`,
  Softmax: (op, x) => `torch.softmax(${x(op.x)}, dim=${op.axis})`,
  ReduceMean: (op, x) => `${x(op.x)}.mean(dim=${op.axis})`,
  Relu: (op, x) => `F.relu(${x(op.x)})`,
  Sigmoid: (op, x) => `torch.sigmoid(${x(op.x)})`,
  Silu: (op, x) => `F.silu(${x(op.x)})`,
  Tanh: (op, x) => `torch.tanh(${x(op.x)})`,
  Identity: (op, x) => x(op.x),
  StopGradient: (op, x) => `${x(op.x)}.detach()`,
  Gelu: (op, x) => `F.gelu(${x(op.x)}, approximate='${op.approximate}')`,
  Dropout: (op, x) => `F.dropout(${x(op.x)}, ${num(op.rate)}, self.training)`,
  LayerNormalization: (op, x) =>
    `layer_norm(${x(op.x)}, ${op.scale ? x(op.scale) : 'None'}, ${op.bias ? x(op.bias) : 'None'}, ${op.epsilon})`,
  RMSNormalization: (op, x) =>
    `rms_norm(${x(op.x)}, ${op.scale ? x(op.scale) : 'None'}, ${op.epsilon})`,
  GroupNormalization: (op, x) =>
    `group_norm(${x(op.x)}, ${op.groups}, ${op.scale ? x(op.scale) : 'None'}, ${op.bias ? x(op.bias) : 'None'}, ${op.epsilon})`,
  BatchNormalization: (op, x) =>
    `batch_norm(${x(op.x)}, ${x(op.mean)}, ${x(op.var)}, ${op.scale ? x(op.scale) : 'None'}, ${op.bias ? x(op.bias) : 'None'}, self.training, ${num(op.momentum)}, ${num(op.epsilon)})`,
  Attention: (op, x) =>
    `attention(${x(op.q)}, ${x(op.k)}, ${x(op.v)}, heads=${op.qHeads}, kv_heads=${op.kvHeads}, causal=${bool(op.causal)}${op.bottomRight ? ', bottom_right=True' : ''}${op.keyIds === undefined ? '' : `, key_ids=${x(op.keyIds)}, pad_id=${op.padId ?? 0}`})`,
  RotaryEmbedding: (op, x) =>
    `rotary(${x(op.x)}, heads=${op.heads}, theta=${num(op.theta)}${op.offsetLike ? `, offset=${x(op.offsetLike)}.shape[1]` : ''})`,
  Concat: (op, x) => `torch.cat([${op.inputs.map(x).join(', ')}], dim=${op.axis})`,
  SlicePrefix: (op, x) => `${x(op.x)}.narrow(${op.axis}, ${op.start ?? 0}, ${op.length})`,
  SliceLike: (op, x) =>
    `${x(op.x)}.narrow(${op.axis}, ${[...(op.start ? [String(op.start)] : []), ...(op.offsetLike ? [`${x(op.offsetLike)}.shape[1]`] : [])].join(' + ') || '0'}, ${x(op.like)}.shape[${op.likeAxis}])`,
  BroadcastLike: (op, x) => `broadcast_like(${x(op.x)}, ${x(op.like)})`,
  RNN: (op, x) => recurrent('rnn', op, x),
  GRU: (op, x) => recurrent('gru', op, x),
  LSTM: (op, x) => recurrent('lstm', op, x),
  Loop: (op) => {
    throw new Error(`The Loop from ${op.source} is a statement; model-py.ts writes it.`);
  },
} satisfies { [K in IrOpName]: PyExpr<K> };

import {
  finalState,
  type GRUOp,
  type LSTMOp,
  type RecurrentOpName,
  type RNNOp,
} from '../../graph/ir/ops/recurrent.ts';
import type { EmitContext } from '../context.ts';
import { int, ints, str, type Attr } from '../proto.ts';
import type { Emitter } from './emitter.ts';

/**
 * ONNX's RNN, GRU and LSTM (opset 14 semantics, unchanged through 23) from the IR's one-layer
 * cells. The IR keeps PyTorch's weights; ONNX wants, per direction, W [G·H, D] and R [G·H, H]
 * in its own gate order and B = [Wb, Rb] [2·G·H], all stacked over a leading direction axis.
 * The rows are permuted by a Gather on constant indices (onnxruntime folds it at load), which
 * also reads weights stored as fp16 behind a Cast. onnxruntime refuses `layout = 1`, so the
 * batch-first values are transposed to ONNX's time-major layout and back.
 */

/** For each ONNX gate, the PyTorch gate it is: LSTM i f g o → i o f c, GRU r z n → z r h. */
const ONNX_GATES: Readonly<Record<RecurrentOpName, readonly number[]>> = {
  RNN: [0],
  GRU: [1, 0, 2],
  LSTM: [0, 3, 1, 2],
};

function emitCell(cell: RecurrentOpName, ctx: EmitContext, op: RNNOp | GRUOp | LSTMOp): void {
  const { b } = ctx;
  const h = op.hidden;
  // Row indices taking PyTorch's gate blocks into ONNX's order.
  const rows = ONNX_GATES[cell].flatMap((g) => Array.from({ length: h }, (_, i) => g * h + i));
  const perm = b.int64s(rows);
  const reorder = (w: string) => b.op('Gather', [w, perm], { axis: int(0) });
  const axis0 = b.int64s([0]);
  const stack = (perDirection: string[]) => {
    const parts = perDirection.map((v) => b.op('Unsqueeze', [v, axis0]));
    return parts.length === 1 ? (parts[0] as string) : b.op('Concat', parts, { axis: int(0) });
  };
  const dirs = op.bidirectional ? 2 : 1;
  const per = (k: number) =>
    Array.from({ length: dirs }, (_, d) => op.weights[4 * d + k] as string);
  const W = stack(per(0).map(reorder)); // [dirs, G·H, D]
  const R = stack(per(1).map(reorder)); // [dirs, G·H, H]
  const B = stack(
    per(2).map((bih, d) =>
      b.op('Concat', [reorder(bih), reorder(per(3)[d] as string)], { axis: int(0) }),
    ),
  ); // [dirs, 2·G·H]
  const attrs: Record<string, Attr> = {
    hidden_size: int(h),
    direction: str(op.bidirectional ? 'bidirectional' : 'forward'),
  };
  if (cell === 'GRU') attrs.linear_before_reset = int(1);
  // [B, T, D] -> [T, B, D]
  const x = b.op('Transpose', [op.x], { perm: ints(1, 0, 2) });
  const outputs = cell === 'LSTM' ? 3 : 2;
  const [y, yh, yc] = b.multi(cell, [x, W, R, B], attrs, { outputs });
  // Y [T, dirs, B, H] -> [B, T, dirs, H] -> [B, T, dirs·H]
  const yb = b.op('Transpose', [y as string], { perm: ints(2, 0, 1, 3) });
  b.op('Reshape', [yb, b.int64s([0, 0, dirs * h])], {}, op.out);
  // Final states [dirs, B, H] -> [B, dirs, H]
  b.op('Transpose', [yh as string], { perm: ints(1, 0, 2) }, finalState(op.out, 'h'));
  if (yc) b.op('Transpose', [yc], { perm: ints(1, 0, 2) }, finalState(op.out, 'c'));
}

export const RNN: Emitter<'RNN'> = (ctx, op) => emitCell('RNN', ctx, op);
export const GRU: Emitter<'GRU'> = (ctx, op) => emitCell('GRU', ctx, op);
export const LSTM: Emitter<'LSTM'> = (ctx, op) => emitCell('LSTM', ctx, op);

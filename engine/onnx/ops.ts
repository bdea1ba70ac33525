import type { IrOp } from '../graph/ir.ts';
import { int, ints } from './proto.ts';
import { UnsupportedOpError, type EmitContext } from './context.ts';
import { attention17, gelu17, rmsNorm17, rotary17 } from './opset17.ts';
import { attention23, gelu23, onesScale, rmsNorm23, rotary23 } from './opset23.ts';
import { emitMatMul } from './matmul.ts';

/** Emits the ONNX nodes computing one IR op; the result is named `op.out`. */
export function emitOp(ctx: EmitContext, op: IrOp): void {
  const { b } = ctx;
  const fused = ctx.opset >= 23;
  switch (op.op) {
    case 'MatMul':
      return emitMatMul(ctx, op);
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      b.op(op.op, [op.a, op.b], {}, op.out);
      return;
    case 'Scale':
      b.op('Mul', [op.x, b.floats([op.factor], [])], {}, op.out);
      return;
    case 'Gather':
      b.op('Gather', [op.data, op.indices], { axis: int(0) }, op.out);
      return;
    case 'Reshape':
      b.op('Reshape', [op.x, b.int64s(op.shape)], {}, op.out);
      return;
    case 'Transpose':
      b.op('Transpose', [op.x], { perm: ints(...op.perm) }, op.out);
      return;
    case 'Softmax':
      b.op('Softmax', [op.x], { axis: int(op.axis) }, op.out);
      return;
    case 'ReduceMean':
      // Opset 18 moved `axes` from an attribute to an input.
      if (ctx.opset >= 18)
        b.op('ReduceMean', [op.x, b.int64s([op.axis])], { keepdims: int(0) }, op.out);
      else b.op('ReduceMean', [op.x], { axes: ints(op.axis), keepdims: int(0) }, op.out);
      return;
    case 'Relu':
    case 'Sigmoid':
    case 'Tanh':
    case 'Identity':
      b.op(op.op, [op.x], {}, op.out);
      return;
    case 'StopGradient':
    case 'Dropout':
      // Inference graphs: a detach point and dropout are the identity.
      b.op('Identity', [op.x], {}, op.out);
      return;
    case 'Silu':
      // ONNX has no SiLU before opset 24's Swish: x·σ(x).
      b.op('Mul', [op.x, b.op('Sigmoid', [op.x])], {}, op.out);
      return;
    case 'Gelu':
      return fused ? gelu23(ctx, op) : gelu17(ctx, op);
    case 'LayerNormalization': {
      const scale = op.scale ?? onesScale(ctx, op.x);
      const inputs = op.bias ? [op.x, scale, op.bias] : [op.x, scale];
      b.op('LayerNormalization', inputs, { axis: int(-1), epsilon: { f: op.epsilon } }, op.out);
      return;
    }
    case 'RMSNormalization':
      return fused ? rmsNorm23(ctx, op) : rmsNorm17(ctx, op);
    // A KV-cache program (bottom-right mask, position offsets) is emitted in opset-17 form.
    case 'Attention':
      return fused && !op.bottomRight ? attention23(ctx, op) : attention17(ctx, op);
    case 'RotaryEmbedding':
      return fused && !op.offsetLike ? rotary23(ctx, op) : rotary17(ctx, op);
    case 'SlicePrefix':
      b.op(
        'Slice',
        [
          op.x,
          b.int64s([op.start ?? 0]),
          b.int64s([(op.start ?? 0) + op.length]),
          b.int64s([op.axis]),
        ],
        {},
        op.out,
      );
      return;
    case 'SliceLike': {
      // Slice x along `axis` to the run-time size of `like` along `likeAxis`.
      const end = b.op('Shape', [op.like], { start: int(op.likeAxis), end: int(op.likeAxis + 1) });
      if (!op.offsetLike) {
        b.op('Slice', [op.x, b.int64s([0]), end, b.int64s([op.axis])], {}, op.out);
        return;
      }
      // Positions P..P+T−1 after a KV cache of length P.
      const start = b.op('Shape', [op.offsetLike], { start: int(1), end: int(2) });
      const stop = b.op('Add', [start, end]);
      b.op('Slice', [op.x, start, stop, b.int64s([op.axis])], {}, op.out);
      return;
    }
    case 'Concat':
      b.op('Concat', op.inputs, { axis: int(op.axis) }, op.out);
      return;
    case 'BroadcastLike':
      b.op('Expand', [op.x, b.op('Shape', [op.like])], {}, op.out);
      return;
  }
  throw new UnsupportedOpError(
    String((op as { op?: unknown }).op),
    (op as IrOp).source,
    ctx.opset,
    'the emitter does not know this IR op',
  );
}

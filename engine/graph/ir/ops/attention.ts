import type { Dim } from '../../dims.ts';
import { agree, defineOp, fail, floats, show, type OpBase } from '../op-def.ts';

/**
 * Multi-head (grouped-query) scaled dot-product attention over 3-D [B, T, heads·Dh] queries
 * and [B, S, kvHeads·Dh] keys and values, as ONNX opset-23 Attention defines it.
 */
export interface AttentionOp extends OpBase {
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
  /**
   * Key padding mask: [B, S] int32 ids of the keys' tokens; keys whose id is `padId` are not
   * attended to (an encoder's padding, read by cross-attention). Every row needs one key that
   * is not padding, or its softmax has nothing to normalise.
   */
  keyIds?: string;
  /** The id that marks a padding key (with `keyIds`). */
  padId?: number;
}

export const Attention = defineOp<AttentionOp>({
  operands: ['q', 'k', 'v', 'keyIds'],
  type(op, input) {
    const q = floats(op, input, op.q).shape;
    const k = floats(op, input, op.k).shape;
    const v = floats(op, input, op.v).shape;
    for (const [name, s] of [
      ['q', q],
      ['k', k],
      ['v', v],
    ] as const)
      if (s.length !== 3) fail(op, `${name} ${show(s)} is not [B, T, heads·Dh]`);
    if (op.qHeads % op.kvHeads !== 0)
      fail(op, `${op.qHeads} query heads do not split into ${op.kvHeads} KV groups`);
    agree(op, k[1] as Dim, v[1] as Dim, 'keys and values differ in length');
    agree(op, k[2] as Dim, v[2] as Dim, 'keys and values differ in width');
    if (op.keyIds !== undefined) {
      const ids = input(op.keyIds);
      if (ids.dtype !== 'int32' || ids.shape.length !== 2)
        fail(op, `key ids ${ids.dtype}${show(ids.shape)} are not int32 [B, S]`);
      if (op.padId === undefined) fail(op, 'key ids need a padId');
      agree(op, ids.shape[1] as Dim, k[1] as Dim, 'key ids and keys differ in length');
    }
    const width = q[2] as Dim;
    if (typeof width === 'number' && width % op.qHeads !== 0)
      fail(op, `width ${width} does not split into ${op.qHeads} heads`);
    const vWidth = v[2] as Dim;
    const out = typeof vWidth === 'number' ? op.qHeads * (vWidth / op.kvHeads) : (width as Dim);
    return { dtype: 'float32', shape: [q[0] as Dim, q[1] as Dim, out] };
  },
});

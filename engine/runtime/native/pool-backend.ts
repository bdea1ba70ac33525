import type { DataType, backend_util } from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

type DataId = object;

/** Recycled float arrays never exceed this many bytes in total. */
const POOL_LIMIT_BYTES = 512 * 1024 * 1024;

/**
 * tfjs's CPU backend with a buffer pool for the outputs of native kernels. A training step
 * allocates the same few hundred arrays every time; recycling them saves the zero-fill and
 * the garbage collector's work, which otherwise rival the arithmetic.
 *
 * An array is recycled only when it is certainly unreachable from tfjs: it was allocated here,
 * exactly one tensor data entry holds it, and nobody has read it out (`dataSync` returns the
 * backing array itself) or taken a view of it (stock Slice, Split and Unpack return subarrays).
 */
export class PoolBackend extends MathBackendCPU {
  private readonly pool = new Map<number, Float32Array[]>();
  private pooledBytes = 0;
  /** Buffers allocated here that may still be recycled. */
  private readonly owned = new WeakSet<ArrayBufferLike>();
  /**
   * Owned buffers currently held by a data entry. Tracked by buffer, not by array: a stock
   * slice over the whole of a tensor (an unstack of a length-1 axis) is a second array over
   * the same buffer, which must pin it rather than pass for a fresh one.
   */
  private readonly live = new WeakSet<ArrayBufferLike>();

  alloc(n: number): Float32Array {
    const a = this.pool.get(n)?.pop();
    if (a) {
      this.pooledBytes -= a.byteLength;
      return a;
    }
    const b = new Float32Array(n);
    this.owned.add(b.buffer);
    return b;
  }

  /** Give back an array that never reached a tensor (a kernel's scratch space). */
  release(a: Float32Array): void {
    if (!this.owned.has(a.buffer) || this.live.has(a.buffer)) return;
    if (this.pooledBytes + a.byteLength > POOL_LIMIT_BYTES) return;
    let list = this.pool.get(a.length);
    if (!list) this.pool.set(a.length, (list = []));
    list.push(a);
    this.pooledBytes += a.byteLength;
  }

  override write(values: backend_util.BackendValues, shape: number[], dtype: DataType): DataId {
    if (ArrayBuffer.isView(values) && this.owned.has(values.buffer)) {
      const whole =
        values instanceof Float32Array &&
        values.byteOffset === 0 &&
        values.byteLength === values.buffer.byteLength;
      if (!whole || this.live.has(values.buffer)) {
        this.owned.delete(values.buffer); // a second holder or a view: pin it forever
      } else {
        this.live.add(values.buffer);
      }
    }
    return super.write(values, shape, dtype);
  }

  override readSync(dataId: DataId): backend_util.BackendValues {
    const v = this.data.get(dataId)?.values;
    if (v && ArrayBuffer.isView(v)) this.owned.delete(v.buffer);
    return super.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const v = this.data.get(dataId)?.values;
    const done = super.disposeData(dataId, force);
    if (done && v instanceof Float32Array && this.live.has(v.buffer) && !this.data.has(dataId)) {
      this.live.delete(v.buffer);
      this.release(v);
    }
    return done;
  }

  override dispose(): void {
    this.pool.clear();
    this.pooledBytes = 0;
    super.dispose();
  }
}

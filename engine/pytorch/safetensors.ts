/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then the raw little-endian data. The
 * PyTorch engine's weights and checkpoints use it; float32 and int32 are what the Studio needs.
 */

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

/** `metadata` becomes the header's `__metadata__` (string to string, as the format allows). */
export function encodeSafetensors(
  tensors: Readonly<Record<string, NamedTensor>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = metadata ? { __metadata__: { ...metadata } } : {};
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const bytes = t.data.byteLength;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const name of names) {
    const d = tensors[name]!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

const BYTES: Record<string, number> = { F32: 4, I32: 4, I64: 8, BF16: 2 };

/** Tensors of a safetensors file as float32 (F32, BF16, I32 and I64 are converted). */
export function decodeSafetensors(
  bytes: Uint8Array,
  what = 'the file',
): Record<string, NamedTensor> {
  if (bytes.length < 8)
    throw new Error(`${what} is not a safetensors file: it is ${bytes.length} bytes long.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n <= 0 || 8 + n > bytes.length)
    throw new Error(
      `${what} is not a safetensors file: its header length ${n} does not fit its ${bytes.length} bytes.`,
    );
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as typeof header;
  } catch {
    throw new Error(`${what} is not a safetensors file: its header is not JSON.`);
  }
  const base = 8 + n;
  const out: Record<string, NamedTensor> = {};
  for (const [name, spec] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const size = BYTES[spec.dtype];
    const [from, to] = spec.data_offsets ?? [];
    const count = (spec.shape ?? []).reduce((a, d) => a * d, 1);
    if (
      !size ||
      from === undefined ||
      to === undefined ||
      to - from !== count * size ||
      base + to > bytes.length
    )
      throw new Error(
        `${what}: tensor "${name}" (${spec.dtype} [${spec.shape}]) is damaged or of an unsupported type.`,
      );
    // A view, not `slice`: a Node Buffer's slice shares its (pooled) memory, so its .buffer
    // would start elsewhere.
    const dv = new DataView(bytes.buffer, bytes.byteOffset + base + from, to - from);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      switch (spec.dtype) {
        case 'F32':
          data[i] = dv.getFloat32(i * 4, true);
          break;
        case 'I32':
          data[i] = dv.getInt32(i * 4, true);
          break;
        case 'I64':
          data[i] = Number(dv.getBigInt64(i * 8, true));
          break;
        case 'BF16':
          data[i] = new Float32Array(new Uint32Array([dv.getUint16(i * 2, true) << 16]).buffer)[0]!;
          break;
        default:
          throw new Error(
            `${what}: tensor "${name}" is ${spec.dtype}, which the Studio does not read.`,
          );
      }
    }
    out[name] = { shape: spec.shape, data };
  }
  return out;
}

/** The header's `__metadata__` (empty when the file has none). */
export function safetensorsMetadata(bytes: Uint8Array): Record<string, string> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as {
    __metadata__?: Record<string, string>;
  };
  return header.__metadata__ ?? {};
}

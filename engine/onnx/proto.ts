import onnxProto from 'onnx-proto';

/**
 * The ONNX protobuf classes. onnx-proto is generated from ONNX 1.10's proto, but IR versions,
 * opset versions and data types are plain integers there, so newer values encode unchanged.
 */
export const onnx = onnxProto.onnx;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type GraphProto = onnxProto.onnx.IGraphProto;

/** TensorProto.DataType values used here. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
} as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** IR version 8 (ONNX 1.10–1.12) is what Debian's checker and every onnxruntime since 1.10 read. */
export const IR_VERSION_FOR_OPSET: Record<number, number> = { 17: 8, 23: 11 };

function bytesOf(view: ArrayBufferView): Uint8Array {
  // A copy, so a later change to the caller's array cannot alter the encoded model.
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

export function tensor(
  name: string,
  dims: readonly number[],
  dataType: DataTypeCode,
  data: ArrayBufferView,
): TensorProto {
  return { name, dims: [...dims], dataType, rawData: bytesOf(data) };
}

export function floatTensor(
  name: string,
  dims: readonly number[],
  data: Float32Array,
): TensorProto {
  return tensor(name, dims, DataType.FLOAT, data);
}

export function int64Tensor(
  name: string,
  dims: readonly number[],
  values: readonly number[],
): TensorProto {
  return tensor(name, dims, DataType.INT64, BigInt64Array.from(values.map((v) => BigInt(v))));
}

/** Attribute values, tagged with their ONNX attribute type. */
export type Attr =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: number[] }
  | { t: TensorProto }
  | { g: GraphProto };

export const int = (i: number): Attr => ({ i });
export const float = (f: number): Attr => ({ f });
export const ints = (...v: number[]): Attr => ({ ints: v });
export const str = (s: string): Attr => ({ s });

export function attribute(name: string, a: Attr): AttributeProto {
  if ('i' in a) return { name, type: onnx.AttributeProto.AttributeType.INT, i: a.i };
  if ('f' in a) return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: a.f };
  if ('s' in a)
    return {
      name,
      type: onnx.AttributeProto.AttributeType.STRING,
      s: new TextEncoder().encode(a.s),
    };
  if ('ints' in a) return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: a.ints };
  if ('t' in a) return { name, type: onnx.AttributeProto.AttributeType.TENSOR, t: a.t };
  return { name, type: onnx.AttributeProto.AttributeType.GRAPH, g: a.g };
}

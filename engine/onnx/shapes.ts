import type { Dim } from '../graph/dims.ts';
import type { IrOp, IrProgram } from '../graph/ir.ts';

/** Static shapes of every IR value (symbols for dynamic axes), as the emitter needs them. */
export type ShapeMap = Map<string, Dim[]>;

function broadcast(a: Dim[], b: Dim[]): Dim[] {
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

function matmul(a: Dim[], b: Dim[]): Dim[] {
  if (b.length === 1) return a.slice(0, -1);
  const batch = broadcast(a.slice(0, -2), b.slice(0, -2));
  return [...batch, ...(a.length >= 2 ? [a[a.length - 2] as Dim] : []), b[b.length - 1] as Dim];
}

/** ONNX Reshape: 0 copies the input dim, -1 takes what is left (possibly symbolic). */
function reshape(x: Dim[], spec: number[]): Dim[] {
  const out: Dim[] = spec.map((d, i) => (d === 0 ? (x[i] as Dim) : d));
  const inferred = spec.indexOf(-1);
  if (inferred < 0) return out;
  const remaining = x.filter((_, i) => !(spec[i] === 0));
  let numeric = 1;
  const symbols: string[] = [];
  for (const d of remaining) {
    if (typeof d === 'number') numeric *= d;
    else symbols.push(d);
  }
  for (const [i, d] of out.entries()) if (i !== inferred && typeof d === 'number') numeric /= d;
  const sym = symbols.join('*');
  out[inferred] = sym === '' ? numeric : numeric === 1 ? sym : `${sym}*${numeric}`;
  return out;
}

function inferOp(op: IrOp, get: (v: string) => Dim[]): Dim[] {
  switch (op.op) {
    case 'MatMul':
      return matmul(get(op.a), get(op.b));
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      return broadcast(get(op.a), get(op.b));
    case 'Gather':
      return [...get(op.indices), ...get(op.data).slice(1)];
    case 'Reshape':
      return reshape(get(op.x), op.shape);
    case 'Transpose': {
      const x = get(op.x);
      return op.perm.map((p) => x[p] as Dim);
    }
    case 'ReduceMean': {
      const x = get(op.x);
      const axis = op.axis < 0 ? x.length + op.axis : op.axis;
      return x.filter((_, i) => i !== axis);
    }
    case 'Attention': {
      const q = get(op.q);
      const v = get(op.v);
      const headDim = (v[v.length - 1] as number) / op.kvHeads;
      return [...q.slice(0, -1), op.qHeads * headDim];
    }
    case 'SlicePrefix':
    case 'SliceLike': {
      const x = [...get(op.x)];
      const axis = op.axis < 0 ? x.length + op.axis : op.axis;
      x[axis] = op.op === 'SlicePrefix' ? op.length : (get(op.like)[op.likeAxis] as Dim);
      return x;
    }
    case 'BroadcastLike':
      return broadcast(get(op.x), get(op.like));
    case 'Concat': {
      const parts = op.inputs.map(get);
      const x = [...(parts[0] as Dim[])];
      const axis = op.axis < 0 ? x.length + op.axis : op.axis;
      const sizes = parts.map((p) => p[axis] as Dim);
      x[axis] = sizes.every((d) => typeof d === 'number')
        ? (sizes as number[]).reduce((a, d) => a + d, 0)
        : sizes.filter((d) => d !== 0).join('+');
      return x;
    }
    case 'Scale':
    case 'Softmax':
    case 'Relu':
    case 'Sigmoid':
    case 'Silu':
    case 'Tanh':
    case 'Identity':
    case 'StopGradient':
    case 'Gelu':
    case 'Dropout':
    case 'LayerNormalization':
    case 'RMSNormalization':
    case 'RotaryEmbedding':
      return get(op.x);
  }
}

export function inferShapes(program: IrProgram): ShapeMap {
  const shapes: ShapeMap = new Map();
  for (const i of program.inputs) shapes.set(i.name, [...i.shape]);
  for (const p of program.params.values()) shapes.set(p.name, [...p.shape]);
  for (const b of program.buffers.values()) shapes.set(b.name, [...b.shape]);
  const get = (v: string): Dim[] => {
    const s = shapes.get(v);
    if (!s) throw new Error(`The IR uses value "${v}" before defining it; recompile the graph.`);
    return s;
  };
  for (const op of program.ops) shapes.set(op.out, inferOp(op, get));
  return shapes;
}

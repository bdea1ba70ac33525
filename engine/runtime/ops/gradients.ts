import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradients for the kernels training goes through. `@tensorflow/tfjs-core` registers no
 * gradients by itself (the `@tensorflow/tfjs` union package imports its
 * `register_all_gradients`, whose ESM build Node cannot load), so without this module
 * `tf.variableGrads` fails with "gradient function not found". Each one follows tfjs's own
 * definition, except that matrix products transpose explicitly (wasm runs
 * transposeA/transposeB 10× slower). A gradient someone else registered first is kept.
 */

type Grads = Record<string, () => tf.Tensor> | (() => tf.Tensor)[];
type Attrs = Record<string, unknown>;

function reg(
  kernelName: string,
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[], attrs: Attrs) => Grads,
  save: { inputs?: string[]; outputs?: boolean[]; all?: boolean } = {},
): void {
  if (tf.getGradient(kernelName)) return;
  tf.registerGradient({
    kernelName,
    ...(save.inputs ? { inputsToSave: save.inputs } : {}),
    ...(save.outputs ? { outputsToSave: save.outputs } : {}),
    ...(save.all ? { saveAllInputs: true } : {}),
    gradFunc: (dy, saved, attrs) =>
      gradFunc(dy as tf.Tensor, saved, attrs as Attrs) as ReturnType<tf.GradFunc>,
  });
}

/**
 * A kernel with several outputs: its gradient receives one dy per output. tfjs hands a
 * kernel that produced a single output (an unstack of one step) its dy alone, not in a list.
 */
function multi(
  kernelName: string,
  gradFunc: (dys: tf.Tensor[], saved: tf.Tensor[], attrs: Attrs) => Grads,
): void {
  if (tf.getGradient(kernelName)) return;
  tf.registerGradient({
    kernelName,
    gradFunc: (dy, saved, attrs) =>
      gradFunc(Array.isArray(dy) ? dy : [dy], saved, attrs as Attrs) as ReturnType<tf.GradFunc>,
  });
}

/** Sum `g` over the axes that broadcasting added or stretched, back to `shape`. */
function unbroadcast(g: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape as number[], g.shape);
  const summed = axes.length > 0 ? tf.sum(g, axes) : g;
  return tf.reshape(summed, shape as number[]);
}

function axesOf(axis: unknown, rank: number): number[] {
  const list =
    axis === undefined || axis === null
      ? [...Array(rank).keys()]
      : Array.isArray(axis)
        ? (axis as number[])
        : [axis as number];
  return list.map((a) => (a < 0 ? a + rank : a));
}

/** dy of a reduction, reshaped with the reduced axes kept as 1 (broadcastable to x). */
function keptShape(x: tf.Tensor, axes: number[]): number[] {
  return x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

const f32 = (x: tf.Tensor) => tf.cast(x, 'float32');

function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = [...Array(x.rank).keys()];
  perm[x.rank - 1] = x.rank - 2;
  perm[x.rank - 2] = x.rank - 1;
  return tf.transpose(x, perm);
}

export function registerGradients(): void {
  const binary = { inputs: ['a', 'b'] };
  reg(
    'Add',
    (dy, [a, b]) => ({ a: () => unbroadcast(dy, a!.shape), b: () => unbroadcast(dy, b!.shape) }),
    binary,
  );
  reg(
    'Sub',
    (dy, [a, b]) => ({
      a: () => unbroadcast(dy, a!.shape),
      b: () => unbroadcast(tf.neg(dy), b!.shape),
    }),
    binary,
  );
  reg(
    'Multiply',
    (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(dy, f32(b!)), a!.shape),
      b: () => unbroadcast(tf.mul(dy, f32(a!)), b!.shape),
    }),
    binary,
  );
  reg(
    'RealDiv',
    (dy, [a, b]) => ({
      a: () => unbroadcast(tf.div(dy, b!), a!.shape),
      b: () => unbroadcast(tf.neg(tf.div(tf.mul(dy, a!), tf.square(b!))), b!.shape),
    }),
    binary,
  );
  reg(
    'Maximum',
    (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(dy, f32(tf.greaterEqual(a!, b!))), a!.shape),
      b: () => unbroadcast(tf.mul(dy, f32(tf.less(a!, b!))), b!.shape),
    }),
    binary,
  );
  reg(
    'Minimum',
    (dy, [a, b]) => ({
      a: () => unbroadcast(tf.mul(dy, f32(tf.lessEqual(a!, b!))), a!.shape),
      b: () => unbroadcast(tf.mul(dy, f32(tf.greater(a!, b!))), b!.shape),
    }),
    binary,
  );
  reg(
    'Select',
    (dy, [c]) => ({
      condition: () => tf.zerosLike(f32(c!)),
      t: () => tf.mul(dy, f32(c!)),
      e: () => tf.mul(dy, f32(tf.logicalNot(c!))),
    }),
    { inputs: ['condition'] },
  );
  // Comparisons are flat almost everywhere; a zero gradient lets masks built from trained
  // values (tf.where(x > 0, …)) sit on the tape.
  for (const k of ['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual']) {
    reg(
      k,
      (_dy, [a, b]) => ({ a: () => tf.zerosLike(f32(a!)), b: () => tf.zerosLike(f32(b!)) }),
      binary,
    );
  }
  reg(
    'BatchMatMul',
    (dy, [a, b], attrs) => {
      const ta = attrs.transposeA === true;
      const tb = attrs.transposeB === true;
      const A = a!;
      const B = b!;
      const mm = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y);
      // Explicit transposes: d(A·B) = dy·Bᵀ, Aᵀ·dy, with the forward's own transposes undone.
      if (!ta && !tb) return { a: () => mm(dy, swapLast(B)), b: () => mm(swapLast(A), dy) };
      if (!ta && tb) return { a: () => mm(dy, B), b: () => mm(swapLast(dy), A) };
      if (ta && !tb) return { a: () => mm(B, swapLast(dy)), b: () => mm(A, dy) };
      return { a: () => mm(swapLast(B), swapLast(dy)), b: () => mm(swapLast(dy), swapLast(A)) };
    },
    binary,
  );

  const unaryX = { inputs: ['x'] };
  const out0 = { outputs: [true] };
  reg('Neg', (dy) => ({ x: () => tf.neg(dy) }));
  reg('Identity', (dy) => ({ x: () => tf.clone(dy) }));
  reg('Cast', (dy) => ({ x: () => tf.clone(dy) }));
  reg('Relu', (dy, [x]) => ({ x: () => tf.mul(dy, f32(tf.greater(x!, 0))) }), unaryX);
  reg('Abs', (dy, [x]) => ({ x: () => tf.mul(dy, tf.sign(x!)) }), unaryX);
  reg('Square', (dy, [x]) => ({ x: () => tf.mul(dy, tf.mul(x!, tf.scalar(2))) }), unaryX);
  reg('Log', (dy, [x]) => ({ x: () => tf.div(dy, x!) }), unaryX);
  reg(
    'Rsqrt',
    (dy, [x]) => ({ x: () => tf.mul(dy, tf.mul(tf.div(tf.rsqrt(x!), x!), tf.scalar(-0.5))) }),
    unaryX,
  );
  reg(
    'Erf',
    (dy, [x]) => ({
      x: () => tf.mul(dy, tf.mul(tf.exp(tf.neg(tf.square(x!))), tf.scalar(2 / Math.sqrt(Math.PI)))),
    }),
    unaryX,
  );
  reg('Exp', (dy, [y]) => ({ x: () => tf.mul(dy, y!) }), out0);
  reg('Sqrt', (dy, [y]) => ({ x: () => tf.div(dy, tf.mul(y!, tf.scalar(2))) }), out0);
  reg(
    'Sigmoid',
    (dy, [y]) => ({ x: () => tf.mul(dy, tf.mul(y!, tf.sub(tf.scalar(1), y!))) }),
    out0,
  );
  reg('Tanh', (dy, [y]) => ({ x: () => tf.mul(dy, tf.sub(tf.scalar(1), tf.square(y!))) }), out0);
  reg(
    'Softmax',
    (dy, [y], attrs) => {
      const dim = attrs.dim as number;
      const dot = tf.sum(tf.mul(dy, y!), dim, true);
      return { logits: () => tf.mul(y!, tf.sub(dy, dot)) };
    },
    out0,
  );

  reg('Reshape', (dy, [x]) => ({ x: () => tf.reshape(dy, x!.shape) }), unaryX);
  reg('Transpose', (dy, _s, attrs) => {
    const perm = attrs.perm as number[];
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return { x: () => tf.transpose(dy, inverse) };
  });
  reg(
    'Sum',
    (dy, [x], attrs) => {
      const axes = axesOf(attrs.axis, x!.rank);
      return { x: () => tf.mul(tf.reshape(dy, keptShape(x!, axes)), tf.onesLike(x!)) };
    },
    unaryX,
  );
  reg(
    'Mean',
    (dy, [x], attrs) => {
      const axes = axesOf(attrs.axis, x!.rank);
      const count = axes.reduce((n, a) => n * (x!.shape[a] as number), 1);
      const g = tf.div(tf.reshape(dy, keptShape(x!, axes)), tf.scalar(count));
      return { x: () => tf.mul(g, tf.onesLike(x!)) };
    },
    unaryX,
  );
  reg(
    'Max',
    (dy, [x, y], attrs) => {
      const axes = axesOf(attrs.reductionIndices, x!.rank);
      const kept = keptShape(x!, axes);
      const mask = f32(tf.equal(x!, tf.reshape(y!, kept)));
      return { x: () => tf.mul(tf.reshape(dy, kept), mask) };
    },
    { inputs: ['x'], outputs: [true] },
  );
  reg(
    'Tile',
    (dy, [x], attrs) => {
      // [r0·d0, r1·d1, …] -> [r0, d0, r1, d1, …], summed over the repeat axes.
      const reps = attrs.reps as number[];
      const split = x!.shape.flatMap((d, i) => [reps[i] as number, d]);
      const axes = reps.map((_, i) => 2 * i);
      return { x: () => tf.sum(tf.reshape(dy, split), axes) };
    },
    unaryX,
  );
  reg(
    'Slice',
    (dy, [x], attrs) => {
      const rank = x!.rank;
      const begin = tf.util.isNumber(attrs.begin as number)
        ? new Array<number>(rank).fill(attrs.begin as number)
        : (attrs.begin as number[]);
      const size = (attrs.size as number[] | number | undefined) ?? -1;
      const paddings = x!.shape.map((d, i) => {
        const b = begin[i] ?? 0;
        const s = typeof size === 'number' ? size : (size[i] ?? -1);
        const len = s === -1 ? d - b : s;
        return [b, d - b - len] as [number, number];
      });
      return { x: () => tf.pad(dy, paddings) };
    },
    unaryX,
  );
  reg(
    'PadV2',
    (dy, [x], attrs) => {
      const paddings = attrs.paddings as [number, number][];
      return {
        x: () =>
          tf.slice(
            dy,
            paddings.map((p) => p[0]),
            x!.shape,
          ),
      };
    },
    unaryX,
  );
  reg(
    'GatherV2',
    (dy, [x, indices], attrs) => {
      if ((attrs.axis as number) !== 0 || ((attrs.batchDims as number) ?? 0) !== 0) {
        throw new Error('Only gathers along axis 0 are differentiable here.');
      }
      const rows = x!.shape.slice(1);
      const flat = tf.reshape(indices!, [-1, 1]);
      const upd = tf.reshape(dy, [flat.shape[0] as number, ...rows]);
      return {
        x: () => tf.scatterND(flat, upd, x!.shape),
        indices: () => tf.zerosLike(indices!),
      };
    },
    { inputs: ['x', 'indices'] },
  );
  reg(
    'Concat',
    (dy, saved, attrs) => {
      const axis = axesOf(attrs.axis, dy.rank)[0] as number;
      const parts = tf.split(
        dy,
        saved.map((t) => t.shape[axis] as number),
        axis,
      );
      return parts.map((p) => () => p);
    },
    { all: true },
  );
  reg('AddN', (dy, saved) => saved.map(() => () => tf.clone(dy)), { all: true });
  reg('Pack', (dy, _s, attrs) => tf.unstack(dy, attrs.axis as number).map((t) => () => t));
  multi('SplitV', (dys, _s, attrs) => ({ x: () => tf.concat(dys, attrs.axis as number) }));
  multi('Unpack', (dys, _s, attrs) => ({ value: () => tf.stack(dys, attrs.axis as number) }));
}

registerGradients();

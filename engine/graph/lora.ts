import { z } from 'zod';
import type { IrOp, IrParam, IrProgram } from './ir.ts';
import { mapOpInputs } from './ir/program.ts';
import { everyOp } from './ir/unroll.ts';
import { typed } from './ir/verify.ts';

/**
 * LoRA (Hu et al. 2021): a frozen weight W [in, out] (the IR's layout: y = x·W) trains through
 * a low-rank correction, W_eff = W + (α/r)·A·B with A [in, r] (small normal init) and B [r, out]
 * (zeros, so training starts from the base model exactly).
 *
 * How it enters the program — merged on the fly, once per forward pass: for each adapted W the
 * rewrite prepends `W@lora/W = Add(W, Scale(MatMul(A, B), α/r))` and every op that read W
 * (Loop bodies included) reads `W@lora/W` instead. Chosen over rewriting each MatMul(x, W) into
 * x·W + s·(x·A)·B because a shared weight inside a recursion is applied at every trip: merging
 * once costs one [in, r]·[r, out] product per pass whatever the depth, keeps one adapter per
 * weight name (every application of a shared weight uses it, as the weight itself is one
 * entry), and makes the merged export the same arithmetic the trainer ran. The adapters are
 * params named `<W>@lora/A` and `<W>@lora/B`; `@` never occurs in a node-derived name.
 */

export const LoraConfig = z.strictObject({
  /**
   * Which matrix weights get adapters: weight names or globs matched against them (`*` within
   * one `/` segment, `**` across segments, `{q,v}` alternatives, `?` one character), or a node
   * id / weight-name prefix (every matrix weight under it).
   */
  targets: z.array(z.string().min(1)).min(1),
  /** Rank r of each adapter. @default 8 */
  rank: z.number().int().min(1).max(4096).default(8),
  /** Scale α: the correction is (α/r)·A·B. @default 16 */
  alpha: z.number().positive().max(1e6).default(16),
});
export type LoraConfig = z.infer<typeof LoraConfig>;

/** Suffixes of an adapted weight's two adapters and of its merged value inside a program. */
export const adapterA = (weight: string) => `${weight}@lora/A`;
export const adapterB = (weight: string) => `${weight}@lora/B`;
const merged = (weight: string) => `${weight}@lora/W`;

export const isAdapter = (name: string) => name.includes('@lora/');

/** The scale s = α/r of the correction. */
export const loraScale = (lora: Pick<LoraConfig, 'rank' | 'alpha'>) => lora.alpha / lora.rank;

/**
 * Weights LoRA can adapt: 2-D params a MatMul multiplies by (its `b` operand) — Linear layers,
 * attention projections, FFN matrices, untied heads — in the program's order.
 */
export function matrixWeights(program: IrProgram): string[] {
  const multiplied = new Set(
    everyOp(program.ops).flatMap((op) => (op.op === 'MatMul' ? [op.b] : [])),
  );
  return [...program.params.values()]
    .filter((p) => p.shape.length === 2 && multiplied.has(p.name))
    .map((p) => p.name);
}

const GLOB = /[*?{}]/;

/** A glob as a whole-name pattern: `**` any run, `*` within a segment, `{a,b}`, `?`. */
export function globPattern(glob: string): RegExp {
  let src = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      src += '.*';
      i++;
    } else if (c === '*') src += '[^/]*';
    else if (c === '?') src += '[^/]';
    else if (c === '{') {
      src += '(?:';
      depth++;
    } else if (c === '}' && depth > 0) {
      src += ')';
      depth--;
    } else if (c === ',' && depth > 0) src += '|';
    else src += c.replace(/[.+^$()|[\]\\/}]/g, '\\$&');
  }
  if (depth > 0) throw new Error(`The LoRA target "${glob}" opens a { it does not close.`);
  return new RegExp(`^${src}$`);
}

/** The matrix weights one target names (see `LoraConfig.targets`). */
function matches(target: string, matrices: readonly string[], owners: ReadonlyMap<string, string>) {
  if (GLOB.test(target)) {
    const re = globPattern(target);
    return matrices.filter((n) => re.test(n));
  }
  const t = target.replace(/\/+$/, '');
  return matrices.filter((n) => n === t || n.startsWith(`${t}/`) || owners.get(n) === t);
}

/**
 * The weights the config adapts, in program order. A target that matches no matrix weight is
 * refused with a sentence listing the ones that can be adapted.
 */
export function loraTargets(
  program: IrProgram,
  lora: Pick<LoraConfig, 'targets'>,
  owners: ReadonlyMap<string, string> = new Map(),
): string[] {
  const matrices = matrixWeights(program);
  const chosen = new Set<string>();
  for (const target of lora.targets) {
    const found = matches(target, matrices, owners);
    if (found.length === 0) {
      const others = [...program.params.keys()].filter(
        (n) => n === target.replace(/\/+$/, '') && !matrices.includes(n),
      );
      throw new Error(
        `The LoRA target "${target}" matches no matrix weight of this graph` +
          (others.length ? ` ("${others[0]}" is not a matrix a MatMul multiplies by)` : '') +
          `. LoRA adapts the weights a Linear, attention or FFN multiplies by; this graph has: ${matrices.join(', ') || 'none'}. Name one of them, a node id, or a pattern such as */attn/w{q,v}.`,
      );
    }
    for (const n of found) chosen.add(n);
  }
  return matrices.filter((n) => chosen.has(n));
}

/**
 * The program with adapters on the targeted weights (see the note at the top). Returns the
 * new program and the adapted weight names. The adapters are counted as parameters and
 * decayed like any matrix.
 */
export function applyLora(
  program: IrProgram,
  lora: LoraConfig,
  owners: ReadonlyMap<string, string> = new Map(),
): { program: IrProgram; adapted: string[] } {
  const adapted = loraTargets(program, lora, owners);
  const params = new Map(program.params);
  const prologue: IrOp[] = [];
  const scale = loraScale(lora);
  for (const w of adapted) {
    const [rows, cols] = program.params.get(w)!.shape as [number, number];
    const a: IrParam = {
      name: adapterA(w),
      shape: [rows, lora.rank],
      // Kaiming-uniform's std for fan-in `rows`, as PEFT starts A; B = 0 keeps W_eff = W.
      init: { kind: 'normal', std: 1 / Math.sqrt(rows) },
      decay: true,
    };
    const b: IrParam = {
      name: adapterB(w),
      shape: [lora.rank, cols],
      init: { kind: 'zeros' },
      decay: true,
    };
    params.set(a.name, a);
    params.set(b.name, b);
    const source = `lora/${w}`;
    // [in, r]·[r, out] -> [in, out], scaled, added to the frozen weight.
    prologue.push(
      { op: 'MatMul', a: a.name, b: b.name, out: `${w}@lora/AB`, source },
      { op: 'Scale', x: `${w}@lora/AB`, factor: scale, out: `${w}@lora/delta`, source },
      { op: 'Add', a: w, b: `${w}@lora/delta`, out: merged(w), source },
    );
  }
  const rename = new Map(adapted.map((w) => [w, merged(w)]));
  const ops = program.ops.map((op) => mapOpInputs(op, (v) => rename.get(v) ?? v));
  // The value types are recomputed for the new params and ops.
  return { program: typed({ ...program, params, ops: [...prologue, ...ops] }), adapted };
}

/**
 * Base weights with their adapters folded in, W' = W + (α/r)·A·B, and the adapters dropped:
 * what an export ships. Weights without adapters pass through untouched (the same arrays).
 */
export function mergeLora(
  values: ReadonlyMap<string, Float32Array>,
  lora: Pick<LoraConfig, 'rank' | 'alpha'>,
  shapes: ReadonlyMap<string, readonly number[]> = new Map(),
): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const s = loraScale(lora);
  const r = lora.rank;
  for (const [name, w] of values) {
    if (isAdapter(name)) continue;
    const a = values.get(adapterA(name));
    const b = values.get(adapterB(name));
    if (!a || !b) {
      out.set(name, w);
      continue;
    }
    const rows = a.length / r;
    const cols = b.length / r;
    const shape = shapes.get(name);
    if (!Number.isInteger(rows) || rows * cols !== w.length || (shape && shape[0] !== rows))
      throw new Error(
        `The LoRA adapters of "${name}" (${a.length} and ${b.length} values at rank ${r}) do not fit its ${w.length} values; the checkpoint is damaged or its rank was changed.`,
      );
    const m = new Float32Array(w.length);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        let acc = 0;
        for (let k = 0; k < r; k++) acc += a[i * r + k]! * b[k * cols + j]!;
        m[i * cols + j] = w[i * cols + j]! + s * acc;
      }
    }
    out.set(name, m);
  }
  return out;
}

/** The adapters alone (`<W>@lora/A`, `<W>@lora/B`), by name. */
export function adapterValues(
  values: ReadonlyMap<string, Float32Array>,
): Map<string, Float32Array> {
  return new Map([...values].filter(([name]) => isAdapter(name)));
}

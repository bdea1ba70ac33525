import { compile } from '../graph/compile.ts';
import type { IrProgram } from '../graph/ir.ts';
import { ffnHidden } from '../graph/nodes/ffn.ts';
import { findKind } from '../graph/nodes/index.ts';
import { resolveParams } from '../graph/params.ts';
import type { GraphDocument } from '../graph/schema.ts';

/**
 * Structured pruning: whole attention heads (ranked by the L2 norm of their q, k, v columns and
 * output rows) or whole FFN hidden channels (by the norm of their in- and out-weights) are
 * removed, and the document says so — an attention node gets fewer `heads` (its `headDim` is
 * pinned), an FFN node a smaller `hidden` — so the compiled model, its parameter count and its
 * ONNX file shrink. Every instance of a node definition (the blocks of a component) keeps the
 * same number of units, each its own strongest ones.
 */

export type StructuredTarget = 'heads' | 'ffn';

/** A weight's values and shape, as pruning reads and writes them. */
export interface FlatWeight {
  shape: number[];
  values: Float32Array;
}

export interface StructuredResult {
  doc: GraphDocument;
  /** Every weight of the pruned graph: the sliced ones and the untouched ones. */
  weights: Map<string, FlatWeight>;
  /** Per node definition (`graph/node`): units before and after. */
  nodes: { node: string; before: number; after: number }[];
}

/** How one unit (a head, a channel) lies in a weight: which axis, and its width there. */
type Slicing = Record<string, { axis: number; width: number }>;

function unitsOf(kind: StructuredTarget, params: Record<string, unknown>, node: string) {
  if (kind === 'heads') {
    const p = params as { width: number; heads: number; headDim?: number; kvHeads?: number };
    const headDim = p.headDim ?? p.width / p.heads;
    if ((p.kvHeads ?? p.heads) !== p.heads) {
      throw new Error(
        `Attention node "${node}" shares ${p.kvHeads} key/value heads among ${p.heads} query heads (grouped-query attention); pruning its heads is not supported. Prune the FFN channels instead (--structured ffn).`,
      );
    }
    const slicing: Slicing = {};
    for (const w of ['wq', 'wk', 'wv']) slicing[w] = { axis: 1, width: headDim };
    for (const b of ['bq', 'bk', 'bv']) slicing[b] = { axis: 0, width: headDim };
    slicing.wo = { axis: 0, width: headDim };
    return { units: p.heads, headDim, slicing };
  }
  const p = params as {
    width: number;
    ratio: number;
    hidden?: number;
    multipleOf: number;
    activation: string;
  };
  const slicing: Slicing = {
    w1: { axis: 1, width: 1 },
    w3: { axis: 1, width: 1 },
    b1: { axis: 0, width: 1 },
    b3: { axis: 0, width: 1 },
    w2: { axis: 0, width: 1 },
  };
  return { units: ffnHidden(p, p.width), headDim: 0, slicing };
}

/** Sum of squares of each unit's slice of one weight, added into `scores`. */
function addScores(w: FlatWeight, axis: number, width: number, scores: Float64Array): void {
  const [rows, cols] = w.shape.length === 1 ? [w.shape[0]!, 1] : [w.shape[0]!, w.shape[1]!];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const v = w.values[r * cols + c]!;
      scores[Math.floor((axis === 0 ? r : c) / width)]! += v * v;
    }
}

/** The weight with only the kept units along `axis` ([R, C] row-major; 1-D as [R, 1]). */
function keepUnits(w: FlatWeight, axis: number, width: number, kept: number[]): FlatWeight {
  const [rows, cols] = w.shape.length === 1 ? [w.shape[0]!, 1] : [w.shape[0]!, w.shape[1]!];
  const index = kept.flatMap((u) => Array.from({ length: width }, (_, i) => u * width + i));
  const outRows = axis === 0 ? index.length : rows;
  const outCols = axis === 1 ? index.length : cols;
  const values = new Float32Array(outRows * outCols);
  for (let r = 0; r < outRows; r++)
    for (let c = 0; c < outCols; c++) {
      const sr = axis === 0 ? index[r]! : r;
      const sc = axis === 1 ? index[c]! : c;
      values[r * outCols + c] = w.values[sr * cols + sc]!;
    }
  const shape = w.shape.length === 1 ? [outRows] : [outRows, outCols];
  return { shape, values };
}

const shapeKey = (s: readonly number[]) => s.join('x');

function compiled(doc: GraphDocument): IrProgram {
  const r = compile(doc, { mode: 'step' });
  if (!r.program) throw new Error('The pruned graph does not compile; this is a bug in pruning.');
  return r.program;
}

/**
 * Remove `sparsity` of the heads or FFN channels of every attention or FFN node: each keeps
 * max(1, round((1 − S)·units)) units. `weights` are the trained ones, by name.
 */
export function pruneStructured(
  doc: GraphDocument,
  weights: ReadonlyMap<string, FlatWeight>,
  target: StructuredTarget,
  sparsity: number,
): StructuredResult {
  if (!(sparsity >= 0 && sparsity < 1)) {
    throw new Error(
      `The sparsity must be at least 0 and below 1 (the share of ${target === 'heads' ? 'heads' : 'FFN channels'} removed), not ${sparsity}.`,
    );
  }
  const kindName = target === 'heads' ? 'attention' : 'ffn';
  const kind = findKind(kindName)!;
  let previous = compiled(doc);
  const next: GraphDocument = structuredClone(doc);
  const out = new Map(weights);
  const nodes: StructuredResult['nodes'] = [];
  const graphs: [string, GraphDocument['main']][] = [
    ['main', next.main],
    ...Object.entries(next.components),
  ];
  for (const [graph, g] of graphs) {
    for (const node of g.nodes) {
      if (node.kind !== kindName) continue;
      const params = resolveParams(kind, node.params, next.dims, () => {}, node.id);
      if (!params) continue;
      const { units, headDim, slicing } = unitsOf(target, params, node.id);
      const keep = Math.max(1, Math.round((1 - sparsity) * units));
      nodes.push({ node: `${graph}/${node.id}`, before: units, after: keep });
      if (keep === units) continue;
      // Which weights are this definition's: those whose shape changes when only it changes.
      const raw = node.params;
      node.params =
        target === 'heads'
          ? {
              ...raw,
              heads: keep,
              headDim,
              ...(raw.kvHeads !== undefined ? { kvHeads: keep } : {}),
            }
          : { ...raw, hidden: keep };
      const changed = compiled(next);
      const groups = new Map<string, string[]>();
      for (const p of changed.params.values()) {
        const old = previous.params.get(p.name);
        if (!old || shapeKey(old.shape) === shapeKey(p.shape)) continue;
        const prefix = p.name.slice(0, p.name.lastIndexOf('/'));
        groups.set(prefix, [...(groups.get(prefix) ?? []), p.name]);
      }
      previous = changed;
      for (const names of groups.values()) {
        const scores = new Float64Array(units);
        for (const name of names) {
          const s = slicing[name.slice(name.lastIndexOf('/') + 1)];
          if (s) addScores(weights.get(name)!, s.axis, s.width, scores);
        }
        // The strongest `keep` units, in their original order.
        const kept = [...scores.keys()]
          .sort((a, b) => scores[b]! - scores[a]! || a - b)
          .slice(0, keep)
          .sort((a, b) => a - b);
        for (const name of names) {
          const s = slicing[name.slice(name.lastIndexOf('/') + 1)];
          if (!s) throw new Error(`Pruning does not know how to slice "${name}".`);
          out.set(name, keepUnits(weights.get(name)!, s.axis, s.width, kept));
        }
      }
    }
  }
  const after = compiled(next);
  for (const p of after.params.values()) {
    const w = out.get(p.name);
    if (!w || shapeKey(w.shape) !== shapeKey(p.shape)) {
      throw new Error(
        `Pruning left "${p.name}" as [${w?.shape.join(', ') ?? 'nothing'}] but the pruned graph needs [${p.shape.join(', ')}]; this is a bug in pruning.`,
      );
    }
  }
  return { doc: next, weights: out, nodes };
}

import { compile } from '../graph/compile.ts';
import type { GraphDocument } from '../graph/schema.ts';

/**
 * Vocabularies of a fine-tuned run: which tokens two data sources share, which weight axes are
 * indexed by token id, and copying a weight's rows token by token into a new vocabulary.
 */

/** A data source's tokens by id, when it can tell: a char or task vocabulary, a BPE tokenizer.json. */
export function tokensOf(description: { vocab?: string[]; tokenizer?: unknown }): string[] | null {
  if (description.vocab) return description.vocab;
  const model = (description.tokenizer as { model?: { vocab?: unknown } } | undefined)?.model;
  const vocab = model?.vocab;
  if (!vocab || typeof vocab !== 'object' || Array.isArray(vocab)) return null;
  const out: string[] = [];
  for (const [token, id] of Object.entries(vocab as Record<string, unknown>)) {
    if (typeof id === 'number' && Number.isInteger(id) && id >= 0) out[id] = token;
  }
  return Array.from(out, (t) => t ?? '');
}

export const sameTokens = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((t, i) => t === b[i]);

/** How many of `to`'s tokens `from` also has. */
export function sharedCount(from: readonly string[], to: readonly string[]): number {
  const known = new Set(from);
  return new Set(to.filter((t) => known.has(t))).size;
}

/**
 * The axis of each weight indexed by token id: the graph is compiled again with one more
 * token (the dimension its logits' last axis is), and the axes that grow are the vocabulary's.
 */
export function vocabAxes(doc: GraphDocument): Map<string, number> {
  const base = compile(doc, { mode: 'step' }).program;
  const logits = base?.outputs.find((o) => o.role === 'logits');
  const vocab = logits?.shape.at(-1);
  if (!base || typeof vocab !== 'number') return new Map();
  for (const [dim, size] of Object.entries(doc.dims)) {
    if (size !== vocab) continue;
    const grown = compile({ ...doc, dims: { ...doc.dims, [dim]: size + 1 } }, { mode: 'step' });
    const grownLogits = grown.program?.outputs.find((o) => o.role === 'logits');
    if (!grown.program || grownLogits?.shape.at(-1) !== vocab + 1) continue;
    const axes = new Map<string, number>();
    for (const p of base.params.values()) {
      const q = grown.program.params.get(p.name);
      const axis = q ? p.shape.findIndex((d, i) => q.shape[i] !== d) : -1;
      if (axis >= 0) axes.set(p.name, axis);
    }
    return axes;
  }
  return new Map();
}

/**
 * `fresh` (the new weight, shape `shape`) with the rows along `axis` of the tokens both
 * vocabularies hold copied from `saved` (shape `savedShape`); other rows stay as initialised.
 * Without token lists (`from`/`to` null) rows are kept by id up to the smaller vocabulary.
 */
export function copyTokenRows(
  saved: Float32Array,
  savedShape: readonly number[],
  fresh: Float32Array,
  shape: readonly number[],
  axis: number,
  from: readonly string[] | null,
  to: readonly string[] | null,
): Float32Array {
  const out = fresh.slice();
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const rows = shape[axis]!;
  const savedRows = savedShape[axis]!;
  const oldId = new Map((from ?? []).map((t, i) => [t, i]));
  for (let id = 0; id < rows; id++) {
    const source = from && to ? (id < to.length ? oldId.get(to[id]!) : undefined) : id;
    if (source === undefined || source >= savedRows) continue;
    for (let o = 0; o < outer; o++) {
      const at = (o * rows + id) * inner;
      const was = (o * savedRows + source) * inner;
      out.set(saved.subarray(was, was + inner), at);
    }
  }
  return out;
}

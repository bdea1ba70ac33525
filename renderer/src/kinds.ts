import { z } from 'zod';
import type { Category } from '../../engine/graph/node-kind.ts';
import { findKind, nodeKinds } from '../../engine/graph/nodes/index.ts';
import { schemaFields, type SchemaField } from './schema-form.ts';

/** Palette order and labels; kinds come from the engine's registry, never a second list. */
export const CATEGORIES: { id: Category; label: string }[] = [
  { id: 'inputs', label: 'Inputs' },
  { id: 'embeddings', label: 'Embeddings' },
  { id: 'attention', label: 'Attention' },
  { id: 'mixing', label: 'FFN & mixing' },
  { id: 'normalization', label: 'Normalization' },
  { id: 'structure', label: 'Structure' },
  { id: 'heads', label: 'Heads' },
];

export interface KindCard {
  kind: string;
  title: string;
  doc: string;
  category: Category;
}

export const kindCards: KindCard[] = nodeKinds.map((k) => ({
  kind: k.kind,
  title: k.title,
  doc: k.doc,
  category: k.category,
}));

const fieldCache = new Map<string, SchemaField[]>();

/** The inspector's fields for a node kind, from its parameter schema. */
export function paramFields(kindName: string): SchemaField[] {
  const cached = fieldCache.get(kindName);
  if (cached) return cached;
  const kind = findKind(kindName);
  if (!kind) return [];
  const fields = schemaFields(
    z.toJSONSchema(kind.params, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
  );
  fieldCache.set(kindName, fields);
  return fields;
}

/** Usual dims for required sizes of a new node, when the document defines them. */
const SUGGESTED_DIMS: Record<string, string[]> = {
  width: ['D'],
  heads: ['H'],
  vocab: ['V'],
  classes: ['V', 'C'],
  maxLength: ['T', 'L'],
  length: ['L', 'T'],
  inFeatures: ['D'],
  outFeatures: ['D'],
};

/** Parameters of a freshly dropped node: required sizes bound to the document's dims. */
export function initialParams(
  kindName: string,
  dims: Record<string, number>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const f of paramFields(kindName)) {
    if (!f.required || (f.type !== 'integer' && f.type !== 'number')) continue;
    const dim = SUGGESTED_DIMS[f.key]?.find((d) => d in dims);
    if (dim) params[f.key] = dim;
  }
  return { ...params, ...extra };
}

/** Resolve a numeric parameter that may name a dim (`"D"`) to its number. */
export function resolveNumber(value: unknown, dims: Record<string, number>): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && Object.hasOwn(dims, value)) return dims[value];
  return undefined;
}

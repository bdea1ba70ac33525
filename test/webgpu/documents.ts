import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { parseDocument } from '../../engine/graph/parse.ts';
import type { GraphDocument } from '../../engine/graph/schema.ts';
import { withSmallInit } from '../support/init.ts';

/** Sequence length for the language-model templates: the same graph, a shorter context. */
const T = 16;

/** Every template file, in name order. */
export const TEMPLATES = readdirSync('templates')
  .filter((f) => f.endsWith('.json'))
  .sort();

/**
 * A template as the parity runs train it: the small initialisation (support/init.ts says why
 * an untrained TRM needs it for any two backends to agree) and a context of T tokens.
 */
export function parityDocument(file: string): GraphDocument {
  const r = parseDocument(readFileSync(`templates/${file}`, 'utf8'));
  assert.ok(r.ok, file);
  const doc = withSmallInit(r.doc);
  const dims = doc.dims as Record<string, number> | undefined;
  return dims?.T ? { ...doc, dims: { ...dims, T } } : doc;
}

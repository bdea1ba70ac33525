import { documentTraining } from '../../../engine/graph/training-meta.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { SchemaField } from '../schema-form.ts';

/** Settings that only mean something for a graph with deep supervision and a halting head. */
const RECURSIVE_ONLY = new Set([
  'haltWeight',
  'haltEarly',
  'halting',
  'haltExplore',
  'supervisionSteps',
]);

/** Settings only tfjs reads: the PyTorch engine picks its device itself. */
const TFJS_ONLY = new Set(['backend']);

/**
 * The trainer's fields as this document will run them on `engine`: its own `meta.training`
 * values replace the trainer's defaults (a blank field means "the document's value"), the
 * deep-supervision fields are left out for graphs without recursion, and tfjs's compute backend
 * for a PyTorch run (which would ignore it).
 */
export function trainerFields(
  fields: SchemaField[],
  doc: GraphDocument,
  recursive: boolean,
  engine: 'tfjs' | 'pytorch',
): SchemaField[] {
  let own: Record<string, unknown> = {};
  try {
    own = documentTraining(doc);
  } catch {
    // A malformed meta.training is reported by the document's validation; show the defaults.
  }
  return fields
    .filter((f) => recursive || !RECURSIVE_ONLY.has(f.key))
    .filter((f) => engine === 'tfjs' || !TFJS_ONLY.has(f.key))
    .map((f) =>
      Object.hasOwn(own, f.key)
        ? { ...f, default: own[f.key], help: `${f.help} This document sets it.`.trim() }
        : f,
    );
}

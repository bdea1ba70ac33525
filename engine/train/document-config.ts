import type { GraphDocument } from '../graph/schema.ts';
import { documentTraining } from '../graph/training-meta.ts';
import { TrainConfig, type TrainConfigInput } from './config.ts';

/**
 * The training settings a document carries in `meta.training`: any TrainConfig field (the
 * template's recipe), each of which reaches the trainer unless the user overrides it. An
 * unknown or invalid field is refused with a sentence naming it. `backend` is the machine's
 * business, not the document's, and is refused there too.
 */
export function configFromDocument(doc: GraphDocument): TrainConfigInput {
  const t = documentTraining(doc);
  const known = Object.keys(TrainConfig.shape).filter((k) => k !== 'backend');
  const unknown = Object.keys(t).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw new Error(
      `meta.training has ${unknown.length === 1 ? 'a field' : 'fields'} the trainer does not know: ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${known.join(', ')})`,
    );
  }
  const r = TrainConfig.partial().safeParse(t);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new Error(`meta.training.${issue.path.join('.')} is invalid: ${issue.message}`);
  }
  // Only the fields the document wrote: defaults stay the config's to fill.
  return Object.fromEntries(
    Object.keys(t).map((k) => [k, (r.data as Record<string, unknown>)[k]]),
  ) as TrainConfigInput;
}

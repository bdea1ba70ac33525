import { graphDigest } from '../../../engine/graph/digest.ts';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { RunSummary } from '../../../engine/contract/api.ts';

/**
 * Runs split by whether they trained the open document: the same graph (its digest: what it
 * computes, positions aside; runs recorded before digests were kept have none) or the same
 * name.
 * Each part keeps the given order (newest first, as `runs.list` sorts).
 */
export function documentRuns(
  runs: RunSummary[],
  doc: GraphDocument,
): { ours: RunSummary[]; others: RunSummary[] } {
  const digest = graphDigest(doc);
  const ours = (r: RunSummary) => r.graphDigest === digest || r.name === doc.name;
  return { ours: runs.filter(ours), others: runs.filter((r) => !ours(r)) };
}

/**
 * The run a dialog opens on: the Train panel's run when it is listed, else the open
 * document's newest, else (when `anyRun`) the newest of any document.
 */
export function preferredRun(
  split: { ours: RunSummary[]; others: RunSummary[] },
  current: string | undefined,
  anyRun: boolean,
): RunSummary | undefined {
  const all = [...split.ours, ...split.others];
  return all.find((r) => r.runId === current) ?? split.ours[0] ?? (anyRun ? all[0] : undefined);
}

import { useState } from 'react';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { ExportPrecision, ExportReport, RunSummary } from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';
import { documentRuns, preferredRun } from '../state/document-runs.ts';
import { useCheckpointRuns, type SplitRuns } from './run-select.tsx';

const NO_RUNS: SplitRuns = { ours: [], others: [] };

/**
 * An export as the dialog makes it: the weights (a run's checkpoint, or the initial weights),
 * the precision, and the call that exports and verifies them.
 */
export function useExport(
  client: ApiClient,
  doc: GraphDocument,
  run: RunSummary | null,
  onResult: (r: ExportReport) => void,
) {
  const [precision, setPrecision] = useState<ExportPrecision>('int8');
  /** One file, or an encoder–decoder's two (offered for a graph with cross-attention). */
  const [pair, setPair] = useState(false);
  const crossAttention = [doc.main, ...Object.values(doc.components)].some((g) =>
    g.nodes.some((n) => n.kind === 'cross-attention'),
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** Runs with a checkpoint, the open document's first; '' picks the initial weights. */
  const runs = useCheckpointRuns(client, doc, setError) ?? NO_RUNS;
  // The Train panel's run when it has weights and trained this document (another document's
  // run is listed, never picked for it).
  const current = run?.lastCheckpoint && documentRuns([run], doc).ours.length ? run : null;
  const [chosen, setRunId] = useState<string | null>(null);
  // Until the person picks: the Train panel's run, else the open document's newest, never
  // another document's.
  const runId = chosen ?? current?.runId ?? preferredRun(runs, undefined, false)?.runId ?? '';
  const listed = [...runs.ours, ...runs.others].find((r) => r.runId === runId);
  // The Train panel's copy is the freshest (its step moves while the dialog is open).
  const picked = current?.runId === runId ? current : (listed ?? null);

  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      onResult(
        await client.call(
          'export.run',
          picked
            ? {
                runId: picked.runId,
                precision,
                ...(pair && crossAttention ? { mode: 'encoder-decoder' as const } : {}),
              }
            : { document: doc, precision },
        ),
      );
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return {
    precision,
    setPrecision,
    /** The graph has cross-attention, so its encoder and decoder can be written apart. */
    crossAttention,
    /** Export the encoder and decoder as two files (a trained run only). */
    pair: pair && crossAttention && picked !== null,
    setPair,
    busy,
    error,
    setError,
    /** How many runs have weights to export. */
    trained: runs.ours.length + runs.others.length,
    /** The weights picker's lists: the Train panel's run first while the listing lacks it. */
    choices: {
      ours: current && !listed && current.runId === runId ? [current, ...runs.ours] : runs.ours,
      others: runs.others,
    },
    /** There is a run to choose: the picker shows. */
    choosable: runs.ours.length + runs.others.length > 0 || current !== null,
    runId,
    setRunId,
    picked,
    go,
  };
}

import { useEffect, useState } from 'react';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { RunSummary } from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';
import { formatDate } from '../format.ts';
import { documentRuns } from '../state/document-runs.ts';

export type SplitRuns = { ours: RunSummary[]; others: RunSummary[] };

/**
 * Runs that have a checkpoint, the document's own first (as `doc` was when the dialog
 * opened: the list is not re-sorted on every edit); null until listed. A change of `refresh`
 * lists them again (a panel that stays open while runs end).
 */
export function useCheckpointRuns(
  client: ApiClient,
  doc: GraphDocument,
  onError: (message: string) => void,
  refresh?: unknown,
): SplitRuns | null {
  const [openedOn] = useState(doc);
  const [runs, setRuns] = useState<SplitRuns | null>(null);
  useEffect(() => {
    void client.call('runs.list', {}).then(
      (list) =>
        setRuns(
          documentRuns(
            list.filter((r) => r.lastCheckpoint !== null),
            openedOn,
          ),
        ),
      (e: Error) => onError(e.message),
    );
  }, [client, openedOn, onError, refresh]);
  return runs;
}

/**
 * A run picker that lists the open document's runs first (Export, Insight), each with its
 * name, id, step and start; `none` adds a first choice for no run (value '').
 */
export function RunSelect({
  ours,
  others,
  value,
  onChange,
  disabled,
  none,
}: {
  ours: RunSummary[];
  others: RunSummary[];
  value: string;
  onChange: (runId: string) => void;
  disabled?: boolean;
  none?: string;
}) {
  const option = (r: RunSummary) => (
    <option key={r.runId} value={r.runId}>
      {r.name} · {r.runId} · step {r.step} · {formatDate(r.startedAt)}
    </option>
  );
  return (
    <select
      aria-label="Run"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      disabled={disabled}
    >
      {none !== undefined ? <option value="">{none}</option> : null}
      {ours.length ? <optgroup label="This document">{ours.map(option)}</optgroup> : null}
      {others.length ? <optgroup label="Other documents">{others.map(option)}</optgroup> : null}
    </select>
  );
}

import { useCallback, useEffect, useMemo, useState } from 'react';
import type { RunDetail, RunSummary } from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';
import { formatCount, formatDate } from '../format.ts';
import { Modal } from './modal.tsx';
import { RUN_COLORS, RunCharts, RunDiff } from './runs-compare.tsx';
import './runs-view.css';

/**
 * The runs view: every run recorded in the workspace as a sortable table; tick two or more to
 * overlay their curves, exactly two to see what changed in the graph beside what changed in
 * the numbers.
 */

const ACTIVE = new Set(['starting', 'running', 'paused']);

interface Column {
  key: string;
  label: string;
  value: (r: RunSummary) => string | number | null | undefined;
  show?: (r: RunSummary) => string;
  numeric?: boolean;
}

const fixed = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : v.toFixed(3);

const COLUMNS: Column[] = [
  { key: 'name', label: 'Name', value: (r) => r.name },
  { key: 'status', label: 'Status', value: (r) => r.status },
  {
    key: 'started',
    label: 'Started',
    value: (r) => r.startedAt,
    show: (r) => formatDate(r.startedAt),
  },
  {
    key: 'steps',
    label: 'Steps',
    numeric: true,
    value: (r) => r.step,
    show: (r) => `${r.step.toLocaleString('en-US')} / ${r.steps.toLocaleString('en-US')}`,
  },
  {
    key: 'loss',
    label: 'Final loss',
    numeric: true,
    value: (r) => r.metrics?.loss,
    show: (r) => fixed(r.metrics?.loss),
  },
  {
    key: 'bestValLoss',
    label: 'Best val loss',
    numeric: true,
    value: (r) => r.metrics?.bestValLoss,
    show: (r) => fixed(r.metrics?.bestValLoss),
  },
  {
    key: 'accuracy',
    label: 'Accuracy',
    numeric: true,
    value: (r) => r.metrics?.accuracy,
    show: (r) => fixed(r.metrics?.accuracy),
  },
  {
    key: 'bestValAccuracy',
    label: 'Best val acc',
    numeric: true,
    value: (r) => r.metrics?.bestValAccuracy,
    show: (r) => fixed(r.metrics?.bestValAccuracy),
  },
  {
    key: 'params',
    label: 'Params',
    numeric: true,
    value: (r) => r.params,
    show: (r) => (r.params === null ? '—' : formatCount(r.params)),
  },
  {
    key: 'from',
    label: 'From',
    value: (r) => (r.initFrom ? `${r.initFrom.run} step ${r.initFrom.step}` : ''),
    show: (r) => (r.initFrom ? `from ${r.initFrom.run} step ${r.initFrom.step}` : '—'),
  },
  { key: 'backend', label: 'Backend', value: (r) => r.backend ?? '' },
  { key: 'data', label: 'Data', value: (r) => r.data },
];

type Sort = { key: string; dir: 1 | -1 };

/** Missing values sort last whichever way the column is sorted. */
function compareBy(col: Column, dir: 1 | -1) {
  return (a: RunSummary, b: RunSummary) => {
    const [x, y] = [col.value(a), col.value(b)];
    const none = (v: unknown) => v === null || v === undefined || v === '';
    if (none(x) || none(y)) return none(x) === none(y) ? 0 : none(x) ? 1 : -1;
    if (typeof x === 'number' && typeof y === 'number') return dir * (x - y);
    return dir * String(x).localeCompare(String(y));
  };
}

function useRuns(client: ApiClient) {
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(async () => {
    try {
      setRuns(await client.call('runs.list', {}));
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [client]);
  useEffect(() => {
    void refresh();
    // A run that ends changes its figures: refresh then (not on every step).
    return client.onEvent((e) => {
      if (e.type === 'train.event' && ['started', 'stopped', 'error'].includes(e.event.type))
        void refresh();
    });
  }, [client, refresh]);
  return { runs, error, setError, refresh };
}

/** Details of the selected runs, fetched once each (again when the run has moved on). */
function useDetails(client: ApiClient, selected: RunSummary[], onError: (m: string) => void) {
  const [details, setDetails] = useState<Record<string, RunDetail>>({});
  useEffect(() => {
    let live = true;
    for (const run of selected) {
      const have = details[run.runId];
      if (have && have.run.step === run.step && have.run.status === run.status) continue;
      client
        .call('runs.get', { runId: run.runId })
        .then((d) => live && setDetails((x) => ({ ...x, [run.runId]: d })))
        .catch((e: Error) => live && onError(e.message));
    }
    return () => {
      live = false;
    };
    // `details` is read, not watched: a fetched detail must not trigger another fetch.
  }, [client, selected, onError]);
  return selected.map((r) => details[r.runId]).filter((d): d is RunDetail => d !== undefined);
}

export function RunsView({ client, onClose }: { client: ApiClient; onClose: () => void }) {
  const { runs, error, setError, refresh } = useRuns(client);
  const [sort, setSort] = useState<Sort>({ key: 'started', dir: -1 });
  const [picked, setPicked] = useState<string[]>([]);

  const rows = useMemo(() => {
    const col = COLUMNS.find((c) => c.key === sort.key) ?? COLUMNS[2]!;
    return [...(runs ?? [])].sort(compareBy(col, sort.dir));
  }, [runs, sort]);
  const selected = useMemo(
    () =>
      picked
        .map((id) => runs?.find((r) => r.runId === id))
        .filter((r): r is RunSummary => r !== undefined),
    [picked, runs],
  );
  const details = useDetails(client, selected, setError);

  const toggle = (runId: string) =>
    setPicked((p) => (p.includes(runId) ? p.filter((x) => x !== runId) : [...p, runId]));

  const remove = async (run: RunSummary) => {
    const ok = window.confirm(
      `Delete run ${run.runId} (${run.name})? Its folder, checkpoints and exports are removed from disk.`,
    );
    if (!ok) return;
    try {
      await client.call('runs.delete', { runId: run.runId });
      setPicked((p) => p.filter((x) => x !== run.runId));
      await refresh();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const header = (c: Column) => {
    const on = sort.key === c.key;
    return (
      <th
        key={c.key}
        className={c.numeric ? 'num' : ''}
        aria-sort={on ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}
      >
        <button
          className="sort"
          onClick={() => setSort({ key: c.key, dir: on ? (-sort.dir as 1 | -1) : 1 })}
        >
          {c.label}
          {on ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}
        </button>
      </th>
    );
  };

  const ready = details.length === selected.length;
  return (
    <Modal
      title="Runs"
      onClose={onClose}
      sheet
      className="runs-view"
      testId="runs-view"
      actions={
        <>
          <span className="muted">
            {runs === null
              ? 'reading…'
              : `${runs.length} recorded · tick two or more to overlay their curves, exactly two to diff their graphs`}
          </span>
          <button onClick={() => void refresh()}>Refresh</button>
        </>
      }
    >
      {error ? (
        <div className="train-error" role="alert">
          {error}
        </div>
      ) : null}
      <div className="runs-table-box">
        <table className="runs-table" data-testid="runs-table">
          <thead>
            <tr>
              <th />
              {COLUMNS.map(header)}
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const at = picked.indexOf(r.runId);
              return (
                <tr key={r.runId} className={at >= 0 ? 'picked' : ''} data-run={r.runId}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Compare ${r.runId}`}
                      checked={at >= 0}
                      onChange={() => toggle(r.runId)}
                    />
                    {at >= 0 ? (
                      <i
                        className="run-swatch"
                        style={{ background: RUN_COLORS[at % RUN_COLORS.length] }}
                      />
                    ) : null}
                  </td>
                  {COLUMNS.map((c) => (
                    <td
                      key={c.key}
                      className={c.numeric ? 'num' : ''}
                      title={String(c.value(r) ?? '')}
                    >
                      {c.show ? c.show(r) : String(c.value(r) ?? '—')}
                    </td>
                  ))}
                  <td>
                    <button
                      className="danger small"
                      disabled={ACTIVE.has(r.status)}
                      title={ACTIVE.has(r.status) ? 'Stop the run first' : 'Delete this run'}
                      onClick={() => void remove(r)}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {runs?.length === 0 ? (
          <p className="muted">No runs yet: start one from the Train panel.</p>
        ) : null}
      </div>
      {selected.length >= 2 && ready ? <RunCharts details={details} /> : null}
      {selected.length === 2 && ready ? (
        <RunDiff details={details as [RunDetail, RunDetail]} />
      ) : null}
      {selected.length === 1 ? (
        <p className="muted">Tick another run to compare it with this one.</p>
      ) : null}
    </Modal>
  );
}

import { useState } from 'react';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { ExportPrecision, ExportReport, RunSummary } from '../../../engine/service/api.ts';
import type { ApiClient } from '../api-client.ts';
import { formatBytes } from '../format.ts';
import { documentRuns, preferredRun } from '../state/document-runs.ts';
import { RunSelect, useCheckpointRuns, type SplitRuns } from './run-select.tsx';

const NO_RUNS: SplitRuns = { ours: [], others: [] };
import { snippets, taskCells } from './export-snippets.ts';
import { Modal } from './modal.tsx';

const PRECISIONS: { id: ExportPrecision; label: string; note: string }[] = [
  { id: 'fp32', label: 'fp32', note: 'exact, largest' },
  { id: 'fp16', label: 'fp16', note: 'half the size' },
  { id: 'int8', label: 'int8', note: 'weights and activations, ¼ size' },
  { id: 'int8-weight', label: 'int8 weights', note: 'weight-only, float maths' },
  { id: 'int4', label: 'int4 weights', note: 'weight-only, smallest' },
];

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
const ms = (x: number | undefined) => (x === undefined ? '—' : `${x.toFixed(2)} ms`);

/** What decided an export's verdict, as the dialog's "Judged by" row says it. */
const JUDGED_BY: Record<ExportReport['judgedBy'] & string, string> = {
  task: 'task metric',
  outputs: 'error, top-1',
  closeness: 'closeness (untrained)',
  unverified: 'not verified',
};

export function ExportDialog({
  client,
  doc,
  run,
  results,
  onResult,
  onClose,
}: {
  client: ApiClient;
  doc: GraphDocument;
  run: RunSummary | null;
  results: ExportReport[];
  onResult: (r: ExportReport) => void;
  onClose: () => void;
}) {
  const [precision, setPrecision] = useState<ExportPrecision>('int8');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [lang, setLang] = useState<'node' | 'python'>('node');
  const [copied, setCopied] = useState<'code' | 'folder' | null>(null);
  /** Where the latest export lies, once asked: shown in the file manager, or its folder. */
  const [revealed, setRevealed] = useState<{ path: string; folder: string; shown: boolean } | null>(
    null,
  );
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
  const latest = results.at(-1);

  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      onResult(
        await client.call(
          'export.run',
          picked ? { runId: picked.runId, precision } : { document: doc, precision },
        ),
      );
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const code = latest ? snippets(latest.path, latest.signature)[lang] : '';
  const copy = async (text: string, what: 'code' | 'folder') => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(what);
      setTimeout(() => setCopied(null), 1500);
    } catch {
      setError('The clipboard is not available here; select the text and copy it by hand.');
    }
  };
  const reveal = async (path: string) => {
    setError(null);
    try {
      setRevealed({ path, ...(await client.call('files.reveal', { path })) });
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const shownFolder = latest && revealed?.path === latest.path ? revealed : null;

  return (
    <Modal title="Export ONNX" onClose={onClose} wide className="export-dialog" escapes={!busy}>
      <p className="muted">
        {picked
          ? `Trained weights of run ${picked.runId} (step ${picked.step}).`
          : `Initial weights (${runs.ours.length + runs.others.length ? 'untrained' : 'no trained run yet'}): the check still proves the graph exports faithfully.`}{' '}
        Every export is checked against the tfjs reference on held-out inputs.
      </p>
      {runs.ours.length + runs.others.length > 0 || current ? (
        <label className="export-run">
          Weights{' '}
          <RunSelect
            ours={
              current && !listed && current.runId === runId ? [current, ...runs.ours] : runs.ours
            }
            others={runs.others}
            value={runId}
            onChange={setRunId}
            disabled={busy}
            none="Initial weights (untrained)"
          />
        </label>
      ) : null}
      <div className="precisions" role="radiogroup" aria-label="Precision">
        {PRECISIONS.map((p) => (
          <label key={p.id} className={precision === p.id ? 'precision on' : 'precision'}>
            <input
              type="radio"
              name="precision"
              value={p.id}
              checked={precision === p.id}
              onChange={() => setPrecision(p.id)}
            />
            <strong>{p.label}</strong>
            <span className="muted">{p.note}</span>
          </label>
        ))}
      </div>
      <div className="export-actions">
        <button className="primary" onClick={() => void go()} disabled={busy}>
          {busy ? 'Exporting and verifying…' : `Export ${precision}`}
        </button>
      </div>
      {error ? (
        <div className="train-error" role="alert">
          {error}
        </div>
      ) : null}
      {results.length > 0 ? (
        <table className="verify-table" data-testid="verify-table">
          <thead>
            <tr>
              <th />
              {results.map((r, i) => (
                <th key={i}>
                  {r.precision}
                  {r.trained ? '' : ' (init)'}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            <tr>
              <th>Verdict</th>
              {results.map((r, i) => (
                <td key={i} className={r.ok ? 'pass' : 'fail'} title={r.failures.join(' ')}>
                  {r.ok ? '✓ pass' : '✗ fail'}
                </td>
              ))}
            </tr>
            <tr>
              <th>Judged by</th>
              {results.map((r, i) => (
                <td key={i} data-testid="judged-by" title={r.note ?? ''}>
                  {JUDGED_BY[r.judgedBy ?? 'outputs']}
                </td>
              ))}
            </tr>
            <tr>
              <th>Size</th>
              {results.map((r, i) => (
                <td key={i}>{formatBytes(r.fileBytes)}</td>
              ))}
            </tr>
            <tr>
              <th>Max abs error</th>
              {results.map((r, i) => (
                <td key={i}>
                  {r.maxAbsError === null ? 'not finite' : r.maxAbsError.toExponential(2)}
                </td>
              ))}
            </tr>
            <tr>
              <th>Top-1 agreement</th>
              {results.map((r, i) => (
                <td
                  key={i}
                  title={
                    r.top1On === 'held-out'
                      ? 'On the held-out task inputs'
                      : r.top1On === 'random'
                        ? 'On random token inputs (the model has no task data)'
                        : undefined
                  }
                >
                  {pct(r.top1Agreement)}
                  {r.top1On === 'held-out' ? ' (held-out)' : ''}
                </td>
              ))}
            </tr>
            <tr>
              <th>Task (tfjs → onnx)</th>
              {results.map((r, i) => {
                const cells = taskCells(r);
                return (
                  <td key={i} title={cells.title}>
                    {cells.value}
                  </td>
                );
              })}
            </tr>
            <tr>
              <th>Task Δ</th>
              {results.map((r, i) => {
                const cells = taskCells(r);
                return (
                  <td key={i} title={cells.title} data-testid="task-delta">
                    {cells.delta}
                  </td>
                );
              })}
            </tr>
            <tr>
              <th>Top-1, held-out</th>
              {results.map((r, i) => (
                <td key={i} title="Argmax agreement on the held-out task inputs">
                  {r.task ? pct(r.task.top1Agreement) : '—'}
                </td>
              ))}
            </tr>
            <tr>
              <th>Latency, batch 1</th>
              {results.map((r, i) => (
                <td key={i}>{ms(r.latencyMs?.batch1)}</td>
              ))}
            </tr>
            <tr>
              <th>Latency, batch 64</th>
              {results.map((r, i) => (
                <td key={i}>{ms(r.latencyMs?.batch64)}</td>
              ))}
            </tr>
            <tr>
              <th>File</th>
              {results.map((r, i) => (
                <td key={i} className="path" title={r.path}>
                  {r.path.split(/[\\/]/).pop()}
                </td>
              ))}
            </tr>
          </tbody>
        </table>
      ) : null}
      {latest?.note ? (
        <p className="hint" data-testid="verify-note">
          {latest.note}
        </p>
      ) : null}
      {results.some((r) => r.failures.length > 0) ? (
        <ul className="verify-failures" data-testid="verify-failures">
          {results.flatMap((r, i) =>
            r.failures.map((f, j) => (
              <li key={`${i}-${j}`}>
                <strong>{r.precision}:</strong> {f}
              </li>
            )),
          )}
        </ul>
      ) : null}
      {latest ? (
        <div className="reveal">
          <button onClick={() => void reveal(latest.path)} data-testid="reveal-folder">
            Open containing folder
          </button>
          {shownFolder?.shown ? (
            <span className="muted">Shown in your file manager.</span>
          ) : shownFolder ? (
            <>
              <code data-testid="export-folder" title="This browser cannot open a desktop folder">
                {shownFolder.folder}
              </code>
              <button onClick={() => void copy(shownFolder.folder, 'folder')}>
                {copied === 'folder' ? 'Copied' : 'Copy path'}
              </button>
            </>
          ) : null}
        </div>
      ) : null}
      {latest ? (
        <div className="snippet">
          <div className="snippet-head">
            <span className="muted">
              Load {latest.path.split(/[\\/]/).pop()} with onnxruntime in
            </span>
            <button className={lang === 'node' ? 'on' : ''} onClick={() => setLang('node')}>
              Node
            </button>
            <button className={lang === 'python' ? 'on' : ''} onClick={() => setLang('python')}>
              Python
            </button>
            <button onClick={() => void copy(code, 'code')} data-testid="copy-snippet">
              {copied === 'code' ? 'Copied' : 'Copy code'}
            </button>
          </div>
          <pre data-testid="snippet">{code}</pre>
        </div>
      ) : null}
    </Modal>
  );
}

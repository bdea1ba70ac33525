import type { ReactNode } from 'react';
import type { ExportReport } from '../../../engine/contract/api.ts';
import { formatBytes } from '../format.ts';
import { taskCells } from './export-snippets.ts';
import './verify-table.css';

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
const ms = (x: number | undefined) => (x === undefined ? '—' : `${x.toFixed(2)} ms`);

/** What decided an export's verdict, as the dialog's "Judged by" row says it. */
const JUDGED_BY: Record<ExportReport['judgedBy'] & string, string> = {
  task: 'task metric',
  outputs: 'error, top-1',
  closeness: 'closeness (untrained)',
  unverified: 'not verified',
};

/**
 * Whether an export's held-out top-1 agreement is a figure of its own: not when its top-1
 * agreement was measured on the held-out inputs already (an encoder–decoder's decoded sources),
 * which the Top-1 agreement row shows once, marked "(held-out)".
 */
const heldOutApart = (r: ExportReport) => r.top1On !== 'held-out';

/** The exports made so far side by side: verdict, what judged it, size, errors and speed. */
export function VerifyTable({ results }: { results: ExportReport[] }) {
  const row = (label: string, cell: (r: ExportReport, i: number) => ReactNode) => (
    <tr>
      <th>{label}</th>
      {results.map(cell)}
    </tr>
  );
  return (
    <table className="verify-table" data-testid="verify-table">
      <thead>
        <tr>
          <th />
          {results.map((r, i) => (
            <th key={i}>
              {r.precision}
              {r.mode === 'encoder-decoder' ? ' encoder + decoder' : ''}
              {r.trained ? '' : ' (init)'}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {row('Verdict', (r, i) => (
          <td key={i} className={r.ok ? 'pass' : 'fail'} title={r.failures.join(' ')}>
            {r.ok ? '✓ pass' : '✗ fail'}
          </td>
        ))}
        {row('Judged by', (r, i) => (
          <td key={i} data-testid="judged-by" title={r.note ?? ''}>
            {JUDGED_BY[r.judgedBy ?? 'outputs']}
          </td>
        ))}
        {row('Size', (r, i) => (
          <td key={i}>{formatBytes(r.fileBytes)}</td>
        ))}
        {row('Max abs error', (r, i) => (
          <td key={i}>{r.maxAbsError === null ? 'not finite' : r.maxAbsError.toExponential(2)}</td>
        ))}
        {row('Top-1 agreement', (r, i) => (
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
        {row('Task (tfjs → onnx)', (r, i) => {
          const cells = taskCells(r);
          return (
            <td key={i} title={cells.title}>
              {cells.value}
            </td>
          );
        })}
        {row('Task Δ', (r, i) => {
          const cells = taskCells(r);
          return (
            <td key={i} title={cells.title} data-testid="task-delta">
              {cells.delta}
            </td>
          );
        })}
        {results.some(heldOutApart) &&
          row('Top-1, held-out', (r, i) =>
            heldOutApart(r) ? (
              <td key={i} title="Argmax agreement on the held-out task inputs">
                {r.task ? pct(r.task.top1Agreement) : '—'}
              </td>
            ) : (
              <td key={i} title="Shown under Top-1 agreement: it was measured on held-out inputs">
                —
              </td>
            ),
          )}
        {row('Latency, batch 1', (r, i) => (
          <td key={i}>{ms(r.latencyMs?.batch1)}</td>
        ))}
        {row('Latency, batch 64', (r, i) => (
          <td key={i}>{ms(r.latencyMs?.batch64)}</td>
        ))}
        {row('File', (r, i) => (
          <td key={i} className="path" title={r.path}>
            {r.path.split(/[\\/]/).pop()}
          </td>
        ))}
      </tbody>
    </table>
  );
}

/** Every check that failed, named by the precision it failed for. */
export function VerifyFailures({ results }: { results: ExportReport[] }) {
  return (
    <ul className="verify-failures" data-testid="verify-failures">
      {results.flatMap((r, i) =>
        r.failures.map((f, j) => (
          <li key={`${i}-${j}`}>
            <strong>{r.precision}:</strong> {f}
          </li>
        )),
      )}
    </ul>
  );
}

import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { ExportPrecision, ExportReport, RunSummary } from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';
import { glossaryEntry } from '../../../engine/contract/glossary-lookup.ts';
import { ExportOutput } from './export-output.tsx';
import { PytorchExport } from './pytorch-export.tsx';
import { HelpButton } from './glossary-entry.tsx';
import { Modal } from './modal.tsx';
import { RunSelect } from './run-select.tsx';
import { useExport } from './use-export.ts';
import { VerifyFailures, VerifyTable } from './verify-table.tsx';
import './export-dialog.css';

const PRECISIONS: { id: ExportPrecision; label: string; note: string }[] = [
  { id: 'fp32', label: 'fp32', note: 'exact, largest' },
  { id: 'fp16', label: 'fp16', note: 'half the size' },
  { id: 'int8', label: 'int8', note: 'weights and activations, ¼ size' },
  { id: 'int8-weight', label: 'int8 weights', note: 'weight-only, float maths' },
  { id: 'int4', label: 'int4 weights', note: 'weight-only, smallest' },
];

/**
 * Export ONNX: pick the weights and a precision, export, and read how the file compares with
 * the tfjs reference on held-out inputs; every export of the session stays in the table.
 */
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
  const exporter = useExport(client, doc, run, onResult);
  const { picked, busy, precision } = exporter;
  const latest = results.at(-1);

  return (
    <Modal title="Export ONNX" onClose={onClose} wide className="export-dialog" escapes={!busy}>
      <p className="muted">
        {picked
          ? `Trained weights of run ${picked.runId} (step ${picked.step}).`
          : `Initial weights (${exporter.trained ? 'untrained' : 'no trained run yet'}): the check still proves the graph exports faithfully.`}{' '}
        Every export is checked against the tfjs reference on held-out inputs.
      </p>
      {exporter.choosable ? (
        <label className="export-run">
          Weights{' '}
          <RunSelect
            ours={exporter.choices.ours}
            others={exporter.choices.others}
            value={exporter.runId}
            onChange={exporter.setRunId}
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
              onChange={() => exporter.setPrecision(p.id)}
            />
            <strong>{p.label}</strong>
            <span className="muted">{p.note}</span>
            <HelpButton entry={glossaryEntry('export', p.id)} label={p.label} />
          </label>
        ))}
      </div>
      {exporter.crossAttention ? (
        <label className="export-pair" title={glossaryEntry('export', 'mode')?.definition}>
          <input
            type="checkbox"
            data-testid="export-pair"
            checked={exporter.pair}
            disabled={busy || !picked}
            onChange={(e) => exporter.setPair(e.target.checked)}
          />{' '}
          Encoder + decoder: onnx/encoder.onnx and onnx/decoder.onnx, and where the graph allows a
          decoder with a KV cache (decoder_model.onnx + decoder_with_past_model.onnx)
          <span className="muted">
            {picked
              ? ' — checked by greedy decoding of held-out sources against tfjs'
              : ' — pick a trained run: its held-out sources check the pair'}
          </span>
        </label>
      ) : null}
      <div className="export-actions">
        <button className="primary" onClick={() => void exporter.go()} disabled={busy}>
          {busy
            ? 'Exporting and verifying…'
            : `Export ${precision}${exporter.pair ? ' encoder + decoder' : ''}`}
        </button>
      </div>
      {exporter.error ? (
        <div className="train-error" role="alert">
          {exporter.error}
        </div>
      ) : null}
      {results.length > 0 ? <VerifyTable results={results} /> : null}
      {latest?.note ? (
        <p className="hint" data-testid="verify-note">
          {latest.note}
        </p>
      ) : null}
      {results.some((r) => r.failures.length > 0) ? <VerifyFailures results={results} /> : null}
      {latest ? <ExportOutput client={client} latest={latest} onError={exporter.setError} /> : null}
      <PytorchExport client={client} doc={doc} picked={picked} disabled={busy} />
    </Modal>
  );
}

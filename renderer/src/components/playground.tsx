import { useEffect, useMemo, useState } from 'react';
import type {
  InferSource,
  ModelInfo,
  PlaygroundSources,
  RunSummary,
} from '../../../engine/service/api.ts';
import type { ApiClient } from '../api-client.ts';
import { PuzzlePlayground } from './playground-puzzle.tsx';
import { TextPlayground } from './playground-text.tsx';

/** A source as the picker's <select> value: `run:<id>` or `onnx:<path>`. */
function sourceOf(value: string): InferSource | null {
  if (value.startsWith('run:')) return { runId: value.slice(4) };
  if (value.startsWith('onnx:')) return { onnxPath: value.slice(5) };
  return null;
}

/**
 * Try a trained model: pick a run's latest checkpoint or an ONNX export, then type a prompt
 * (language models) or fill a grid (puzzle models). Everything runs in the engine.
 */
export function Playground({
  client,
  run,
  onClose,
}: {
  client: ApiClient;
  /** The run the Train panel shows, picked first when it has a checkpoint. */
  run: RunSummary | null;
  onClose: () => void;
}) {
  const [sources, setSources] = useState<PlaygroundSources | null>(null);
  const [picked, setPicked] = useState('');
  const [info, setInfo] = useState<ModelInfo | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    client
      .call('infer.sources', {})
      .then((s) => {
        if (!live) return;
        setSources(s);
        const preferred = s.runs.find((r) => r.runId === run?.runId) ?? s.runs[0];
        const first = preferred
          ? `run:${preferred.runId}`
          : s.onnx[0]
            ? `onnx:${s.onnx[0].path}`
            : '';
        setPicked(first);
      })
      .catch((e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [client, run]);

  const source = useMemo(() => sourceOf(picked), [picked]);
  useEffect(() => {
    if (!source) return setInfo(null);
    let live = true;
    setLoading(true);
    setError(null);
    setInfo(null);
    client
      .call('infer.describe', { source })
      .then((i) => live && setInfo(i))
      .catch((e: Error) => live && setError(e.message))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [client, source]);

  const empty = sources && sources.runs.length === 0 && sources.onnx.length === 0;
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div
        className="modal wide playground"
        role="dialog"
        aria-label="Playground"
        onClick={(e) => e.stopPropagation()}
      >
        <header>
          <h2>Playground</h2>
          <button className="close" onClick={onClose} aria-label="Close">
            ×
          </button>
        </header>
        <div className="playground-source">
          <label htmlFor="playground-source">Model</label>
          <select
            id="playground-source"
            value={picked}
            onChange={(e) => setPicked(e.target.value)}
            disabled={!sources || !!empty}
          >
            {sources?.runs.map((r) => (
              <option key={r.runId} value={`run:${r.runId}`}>
                {r.name} · run {r.runId} · step {r.step} ({r.status})
              </option>
            ))}
            {sources?.onnx.map((o) => (
              <option key={o.path} value={`onnx:${o.path}`}>
                ONNX · {o.name}
              </option>
            ))}
          </select>
          <span className="muted" data-testid="playground-model">
            {loading
              ? 'loading…'
              : info
                ? `${info.kind === 'lm' ? 'language model' : `puzzle solver (${info.task ?? 'cells'})`} · ${info.runtime}`
                : ''}
          </span>
        </div>
        {empty ? (
          <p className="muted">
            Nothing to try yet: train a model (it writes a checkpoint when it stops) or export one.
          </p>
        ) : null}
        {error ? (
          <div className="train-error" role="alert" data-testid="playground-error">
            {error}
          </div>
        ) : null}
        {info && source && info.kind === 'lm' ? (
          <TextPlayground key={picked} client={client} source={source} />
        ) : null}
        {info && source && info.kind === 'puzzle' && info.puzzle ? (
          <PuzzlePlayground key={picked} client={client} source={source} info={info} />
        ) : null}
      </div>
    </div>
  );
}

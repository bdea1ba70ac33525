import { useEffect, useMemo, useState } from 'react';
import type {
  InferSource,
  ModelInfo,
  PlaygroundSources,
  RunSummary,
} from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';
import { PuzzlePlayground } from './playground-puzzle.tsx';
import { TextPlayground } from './playground-text.tsx';
import { Modal } from './modal.tsx';
import './playground.css';

/** What the picker says a loaded model is. */
const MODEL_KINDS: Record<ModelInfo['kind'], (info: ModelInfo) => string> = {
  lm: () => 'language model',
  puzzle: (info) => `puzzle solver (${info.task ?? 'cells'})`,
  seq2seq: () => 'encoder–decoder (seq2seq)',
};

/** A source as the picker's <select> value: `run:<id>` or `onnx:<path>`; '' = latest checkpoint. */
function sourceOf(value: string, checkpoint: string): InferSource | null {
  if (value.startsWith('run:'))
    return { runId: value.slice(4), ...(checkpoint ? { checkpoint } : {}) };
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
  // The run's id, not the run: the Train panel sends a new run object every step, and the
  // sources must not be refetched (nor the user's pick reset) on each one.
  const preferRunId = run?.runId;
  const [sources, setSources] = useState<PlaygroundSources | null>(null);
  const [picked, setPicked] = useState('');
  const [info, setInfo] = useState<ModelInfo | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** The picked run's checkpoints (`step-NNNNNN`, oldest first) and the one chosen ('' latest). */
  const [checkpoints, setCheckpoints] = useState<string[]>([]);
  const [checkpoint, setCheckpoint] = useState('');

  useEffect(() => {
    let live = true;
    client
      .call('infer.sources', {})
      .then((s) => {
        if (!live) return;
        setSources(s);
        const preferred = s.runs.find((r) => r.runId === preferRunId) ?? s.runs[0];
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
  }, [client, preferRunId]);

  // A run's earlier checkpoints can be tried too (how the answers changed as it trained).
  useEffect(() => {
    setCheckpoint('');
    setCheckpoints([]);
    if (!picked.startsWith('run:')) return;
    let live = true;
    client
      .call('runs.get', { runId: picked.slice(4) })
      .then((d) => live && setCheckpoints(d.checkpoints.filter((c) => /^step-\d+$/.test(c)).sort()))
      .catch(() => undefined); // the latest checkpoint still works without the list
    return () => {
      live = false;
    };
  }, [client, picked]);

  const source = useMemo(() => sourceOf(picked, checkpoint), [picked, checkpoint]);
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
    <Modal title="Playground" onClose={onClose} wide className="playground" escapes={!loading}>
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
        {checkpoints.length > 1 ? (
          <select
            aria-label="Checkpoint"
            data-testid="playground-checkpoint"
            value={checkpoint}
            onChange={(e) => setCheckpoint(e.target.value)}
          >
            <option value="">latest checkpoint</option>
            {checkpoints.map((c) => (
              <option key={c} value={c}>
                {c.replace(/^step-0*/, 'step ')}
              </option>
            ))}
          </select>
        ) : null}
        <span className="muted" data-testid="playground-model">
          {loading ? 'loading…' : info ? `${MODEL_KINDS[info.kind](info)} · ${info.runtime}` : ''}
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
        <TextPlayground key={`${picked}@${checkpoint}`} client={client} source={source} />
      ) : null}
      {info && source && info.kind === 'seq2seq' && info.seq2seq ? (
        <TextPlayground
          key={`${picked}@${checkpoint}`}
          client={client}
          source={source}
          sourceLength={info.seq2seq.sourceLength}
        />
      ) : null}
      {info && source && info.kind === 'puzzle' && info.puzzle ? (
        <PuzzlePlayground
          key={`${picked}@${checkpoint}`}
          client={client}
          source={source}
          info={info}
        />
      ) : null}
    </Modal>
  );
}

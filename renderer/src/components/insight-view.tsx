import { useCallback, useEffect, useRef, useState } from 'react';
import type { GraphDocument } from '../../../engine/graph/schema.ts';
import type { DepthSweep, ExampleTrace, RunSummary } from '../../../engine/contract/api.ts';
import type { ApiClient } from '../api-client.ts';
import { preferredRun } from '../state/document-runs.ts';
import { RunSelect, useCheckpointRuns } from './run-select.tsx';
import { LiveChart } from './chart.tsx';
import { CellsStepView, TextStepsView } from './insight-steps.tsx';
import { Modal } from './modal.tsx';
import './insight-view.css';

const pct = (x: number | undefined) => (x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
const newJobId = () =>
  `insight-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/** Columns of the depth chart as uPlot wants them: [depth, ...series]. */
function columns(sweep: DepthSweep, pick: (p: DepthSweep['points'][number]) => number | undefined) {
  return sweep.points.map((p) => pick(p) ?? null);
}

function DepthCharts({ sweep }: { sweep: DepthSweep }) {
  const depth = sweep.points.map((p) => p.depth);
  const cells = sweep.task === 'cells';
  const halting = sweep.points.some((p) => p.haltProbability !== undefined);
  return (
    <div className="insight-charts" data-testid="insight-chart" data-points={depth.length}>
      <LiveChart
        key={`acc-${sweep.points.length}`}
        title={cells ? 'Accuracy by depth' : 'Token accuracy by depth'}
        testId="insight-chart-accuracy"
        version={sweep.points.length}
        integerX
        data={[
          depth,
          columns(sweep, (p) => p.accuracy),
          ...(sweep.points[0]?.exactMatch !== undefined
            ? [columns(sweep, (p) => p.exactMatch)]
            : []),
          ...(halting ? [columns(sweep, (p) => p.haltProbability)] : []),
        ]}
        series={[
          { label: cells ? 'cells' : 'tokens', color: '#34d399', points: true },
          ...(sweep.points[0]?.exactMatch !== undefined
            ? [{ label: 'exact match', color: '#fbbf24', points: true }]
            : []),
          ...(halting ? [{ label: 'halting p', color: '#c084fc', points: true }] : []),
        ]}
      />
      <LiveChart
        key={`loss-${sweep.points.length}`}
        title="Loss by depth"
        testId="insight-chart-loss"
        version={sweep.points.length}
        integerX
        data={[depth, columns(sweep, (p) => p.loss)]}
        series={[{ label: 'loss', color: '#7c9cff', points: true }]}
      />
    </div>
  );
}

function DepthTable({ sweep }: { sweep: DepthSweep }) {
  const exact = sweep.points[0]?.exactMatch !== undefined;
  const halting = sweep.points.some((p) => p.haltProbability !== undefined);
  const ppl = sweep.points[0]?.perplexity !== undefined;
  return (
    <table className="insight-table" data-testid="depth-table">
      <thead>
        <tr>
          <th>{sweep.kind === 'supervision' ? 'step' : 'depth'}</th>
          <th>loss</th>
          {ppl ? <th>perplexity</th> : null}
          <th>accuracy</th>
          {exact ? <th>exact</th> : null}
          {halting ? <th>halting p</th> : null}
          {halting ? <th>stopped by</th> : null}
        </tr>
      </thead>
      <tbody>
        {sweep.points.map((p) => (
          <tr
            key={p.depth}
            data-depth={p.depth}
            className={p.depth === sweep.trainedDepth ? 'trained' : ''}
          >
            <td>
              {p.depth}
              {p.depth === sweep.trainedDepth ? ' (trained)' : ''}
            </td>
            <td>{p.loss.toFixed(4)}</td>
            {ppl ? <td>{p.perplexity?.toFixed(2)}</td> : null}
            <td>{pct(p.accuracy)}</td>
            {exact ? <td>{pct(p.exactMatch)}</td> : null}
            {halting ? <td>{p.haltProbability?.toFixed(3)}</td> : null}
            {halting ? <td>{pct(p.stoppedBy)}</td> : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Recursion insight for a run's latest checkpoint: held-out accuracy and loss against
 * recursion depth, and one example scrubbed step by step.
 */
export function InsightView({
  client,
  doc,
  run,
  onClose,
}: {
  client: ApiClient;
  /** The open document: its runs are listed first. */
  doc: GraphDocument;
  /** The run the Train panel shows, picked first when it has a checkpoint. */
  run: RunSummary | null;
  onClose: () => void;
}) {
  // The run's id, not the run: the Train panel sends a new run object every step, and the
  // list must not be refetched (nor the user's pick reset) on each one.
  const preferRunId = run?.runId;
  const [error, setError] = useState<string | null>(null);
  const runs = useCheckpointRuns(client, doc, setError);
  const [chosen, setRunId] = useState<string | null>(null);
  const runId = chosen ?? (runs ? (preferredRun(runs, preferRunId, true)?.runId ?? '') : '');
  const [maxDepth, setMaxDepth] = useState('');
  const [sweep, setSweep] = useState<DepthSweep | null>(null);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [index, setIndex] = useState('0');
  const [input, setInput] = useState('');
  const [trace, setTrace] = useState<ExampleTrace | null>(null);
  const [depth, setDepth] = useState(1);
  const [running, setRunning] = useState(false);
  const job = useRef<string | null>(null);

  useEffect(
    () =>
      client.onEvent((e) => {
        if (e.type === 'insight.progress' && e.jobId === job.current)
          setProgress({ done: e.done, total: e.total });
      }),
    [client],
  );

  // Closing the view stops a sweep still running in the engine.
  useEffect(
    () => () => {
      if (job.current) void client.call('insight.cancel', { jobId: job.current });
    },
    [client],
  );

  const traceExample = useCallback(
    async (depths: number, typed: string, at: string) => {
      setError(null);
      try {
        const t = await client.call('insight.example', {
          runId,
          maxDepth: depths,
          ...(typed.trim() ? { input: typed } : { index: Number(at) || 0 }),
        });
        setTrace(t);
        setDepth(t.steps.length);
      } catch (e) {
        setError((e as Error).message);
      }
    },
    [client, runId],
  );

  const analyse = useCallback(async () => {
    if (!runId) return;
    const jobId = newJobId();
    job.current = jobId;
    setError(null);
    setSweep(null);
    setTrace(null);
    setProgress(null);
    setRunning(true);
    try {
      const deepest = Number(maxDepth);
      const s = await client.call('insight.depth', {
        runId,
        jobId,
        ...(maxDepth.trim() && deepest > 0 ? { maxDepth: deepest } : {}),
      });
      setSweep(s);
      await traceExample(s.points.length, input, index);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      if (job.current === jobId) job.current = null;
      setProgress(null);
      setRunning(false);
    }
  }, [client, runId, maxDepth, traceExample, input, index]);

  const cancel = () => {
    if (job.current) void client.call('insight.cancel', { jobId: job.current });
  };

  const busy = running;
  return (
    <Modal
      title="Recursion insight"
      onClose={onClose}
      wide
      className="insight-view"
      escapes={!busy}
    >
      {runs !== null && runs.ours.length + runs.others.length === 0 ? (
        <p className="muted" data-testid="insight-no-runs">
          No run has a checkpoint yet. Train a recursive model (a TRM or a recursive LM) in the
          Train panel, then come back.
        </p>
      ) : null}
      <div className="insight-controls">
        <label>
          Run{' '}
          <RunSelect
            ours={runs?.ours ?? []}
            others={runs?.others ?? []}
            value={runId}
            onChange={setRunId}
            disabled={busy}
          />
        </label>
        <label title="Blank: the depth the model was trained at. Deeper runs past it (up to 64).">
          Depth{' '}
          <input
            aria-label="Depth"
            className="narrow"
            placeholder="trained"
            value={maxDepth}
            onChange={(e) => setMaxDepth(e.target.value)}
          />
        </label>
        {busy ? (
          <button onClick={cancel}>Cancel</button>
        ) : (
          <button className="primary" onClick={() => void analyse()} disabled={!runId}>
            Analyse depth
          </button>
        )}
        {progress ? (
          <span className="muted" data-testid="insight-progress">
            {Math.round((100 * progress.done) / Math.max(1, progress.total))}%
          </span>
        ) : null}
      </div>
      {error ? (
        <div className="train-error" role="alert" data-testid="insight-error">
          {error}
        </div>
      ) : null}
      {sweep ? (
        <>
          <p className="muted">
            {sweep.examples} held-out examples of {sweep.data} · checkpoint step{' '}
            {sweep.checkpointStep}
            {sweep.ema ? ' (EMA weights)' : ''} · trained at{' '}
            {sweep.kind === 'supervision'
              ? `${sweep.trainedDepth} supervision steps`
              : `${sweep.trainedDepth} recursions of ${sweep.nodes.join(', ')}`}
            {sweep.note ? ` · ${sweep.note}` : ''}
          </p>
          <DepthCharts sweep={sweep} />
          <DepthTable sweep={sweep} />
          <div className="insight-controls">
            <label>
              Example{' '}
              <input
                aria-label="Example index"
                className="narrow"
                value={index}
                onChange={(e) => setIndex(e.target.value)}
              />
            </label>
            <input
              aria-label="Example input"
              placeholder={
                sweep.task === 'cells' ? 'or type a puzzle: 1.3..2....4.3..1' : 'or type a context'
              }
              value={input}
              onChange={(e) => setInput(e.target.value)}
            />
            <button onClick={() => void traceExample(sweep.points.length, input, index)}>
              Trace
            </button>
          </div>
          {trace ? (
            <div className="insight-scrub">
              <input
                type="range"
                aria-label="Step"
                data-testid="insight-slider"
                min={1}
                max={trace.steps.length}
                value={depth}
                onChange={(e) => setDepth(Number(e.target.value))}
              />
              {trace.type === 'cells' ? (
                <CellsStepView trace={trace} depth={depth} />
              ) : (
                <TextStepsView trace={trace} depth={depth} />
              )}
            </div>
          ) : null}
        </>
      ) : null}
    </Modal>
  );
}

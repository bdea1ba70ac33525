import type { RunSummary } from '../../../engine/contract/api.ts';
import type { EvalReport, StepMetrics } from './use-train-run.ts';
import './train-progress.css';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function formatEta(sec: number): string {
  if (!Number.isFinite(sec)) return '—';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** How far the run is: the bar, the step, throughput, time left and the latest loss. */
export function TrainProgress({
  run,
  last,
  active,
}: {
  run: RunSummary | null;
  last: StepMetrics | null;
  active: boolean;
}) {
  const share = run && run.steps > 0 ? Math.min(1, run.step / run.steps) : 0;
  return (
    <div className="progress" data-testid="progress">
      <div className="progress-track">
        <div
          className={`progress-fill ${run?.status ?? ''}`}
          style={{ width: `${share * 100}%` }}
        />
      </div>
      <div className="progress-figures">
        <span data-testid="progress-step">
          step {run?.step ?? 0} / {run?.steps ?? 0}
        </span>
        <span data-testid="tokens-per-sec">
          {last
            ? `${Math.round(last.tokensPerSec).toLocaleString('en-US')} tokens/s`
            : '— tokens/s'}
        </span>
        <span data-testid="eta">
          ETA {last?.etaSec !== undefined && active ? formatEta(last.etaSec) : '—'}
        </span>
        <span>loss {last ? last.loss.toFixed(3) : '—'}</span>
      </div>
    </div>
  );
}

/** The latest held-out evaluation in words: what the run's model scores on unseen data. */
export function EvalSummary({ report: r }: { report: EvalReport }) {
  const parts = [
    ...(r.exactMatch !== undefined ? [`exact ${pct(r.exactMatch)}`] : []),
    ...(r.openAccuracy !== undefined ? [`open cells ${pct(r.openAccuracy)}`] : []),
    `${r.openAccuracy !== undefined ? 'all cells' : 'accuracy'} ${pct(r.accuracy)}`,
    ...(r.perplexity !== undefined ? [`perplexity ${r.perplexity.toFixed(2)}`] : []),
  ];
  return (
    <div className="train-eval" role="status" data-testid="eval-summary">
      <span className="stat-label">
        Held-out @ step {r.step}
        {r.ema ? ' (EMA weights)' : ''}
      </span>{' '}
      {parts.join(' · ')}{' '}
      <span className="muted">({r.examples.toLocaleString('en-US')} examples)</span>
    </div>
  );
}

import type { RunSummary } from '../../../engine/contract/api.ts';
import './train-bar.css';

const count = (n: number) => n.toLocaleString('en-US');

/** The run's parameter meter: trainable against frozen when some weights stay still (LoRA, freeze). */
function paramsLabel(run: RunSummary): string {
  if (run.frozenParams && run.trainableParams !== undefined)
    return ` · ${count(run.trainableParams)} trainable · ${count(run.frozenParams)} frozen params`;
  return run.params ? ` · ${count(run.params)} params` : '';
}

/**
 * The Train panel's controls and what the run is: start, or pause / resume / stop while it goes;
 * export, try and inspect what it trained; the backend it runs on and its status.
 */
/**
 * Where a run computes: tfjs's backend (`CPU · native`, `GPU · webgpu`) or the PyTorch engine's
 * device (`pytorch cuda ×2` → `GPU · PyTorch cuda ×2`).
 */
export function deviceLabel(backend: string): string {
  const torch = /^pytorch (.*)$/.exec(backend);
  if (torch) return `${/^(cuda|mps|xpu)/.test(torch[1]!) ? 'GPU' : 'CPU'} · PyTorch ${torch[1]}`;
  return `${/^(tensorflow-gpu|webgpu)$/.test(backend) ? 'GPU' : 'CPU'} · ${backend}`;
}

export function TrainBar({
  run,
  active,
  ready,
  recursive,
  onStart,
  onCommand,
  onExport,
  onTry,
  onInsight,
}: {
  run: RunSummary | null;
  active: boolean;
  /** The trainer's options arrived: a run can start. */
  ready: boolean;
  /** The document recurses: a finished run offers the recursion insight. */
  recursive: boolean;
  onStart: () => void;
  onCommand: (m: 'train.pause' | 'train.resume' | 'train.stop') => void;
  onExport: () => void;
  onTry?: () => void;
  onInsight: () => void;
}) {
  const backendLabel = run?.backend
    ? deviceLabel(run.backend)
    : active
      ? 'starting…'
      : 'chosen when a run starts';
  return (
    <div className="train-bar">
      <div className="train-buttons">
        {active && run ? (
          <>
            {run.status === 'paused' ? (
              <button className="primary" onClick={() => onCommand('train.resume')}>
                Resume
              </button>
            ) : (
              <button onClick={() => onCommand('train.pause')} disabled={run.status !== 'running'}>
                Pause
              </button>
            )}
            <button className="danger" onClick={() => onCommand('train.stop')}>
              Stop
            </button>
          </>
        ) : (
          <button className="primary" onClick={onStart} disabled={!ready}>
            ▶ Start training
          </button>
        )}
        <button onClick={onExport} disabled={active}>
          Export…
        </button>
        {onTry ? (
          <button onClick={onTry} disabled={active || !run?.lastCheckpoint}>
            Try it…
          </button>
        ) : null}
        {recursive && run?.lastCheckpoint && !active ? (
          <button onClick={onInsight} data-testid="train-insight">
            Recursion insight…
          </button>
        ) : null}
      </div>
      <div className="train-backend" data-testid="backend">
        <span className="stat-label">Backend</span> {backendLabel}
      </div>
      <div className="train-status" data-testid="run-status">
        {run ? `${run.status}${paramsLabel(run)}` : 'no run yet'}
      </div>
    </div>
  );
}
